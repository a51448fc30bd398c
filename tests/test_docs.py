"""Every code example in the documentation runs, and prints what the page says it prints.

The fenced ``python`` blocks of each page (``docs/**/*.md`` and ``README.md``) run in order in
one fresh module per page, so a page can build an example up step by step. A
```` ```text title="Output" ```` block right after a python block is that block's expected
standard output (compared exactly, trailing spaces aside).

Examples that talk to a provider are written as a user writes them (``litellm.completion``,
``openai.OpenAI()``, ``httpx``) and run against the loopback provider: the environment points
``OPENAI_BASE_URL`` and ``ANTHROPIC_BASE_URL`` at it, as a user's environment points at their
provider. A page with such a block (it imports litellm, openai, httpx, agents, starlette or
uvicorn) is a live test. Blocks that only show a fragment (``--8<--`` snippet includes of
files tested on their own) are not run. Nothing else is skipped.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from corpus import recording

import typedstream
from typedstream.testing import LoopbackProvider

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]

# Opening fence with its info string; the block ends at the same fence at the same indent.
_FENCE = re.compile(r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)$")
_LIVE_MODULES = frozenset({"litellm", "openai", "httpx", "agents", "starlette", "uvicorn"})

# Pages whose examples do not run yet, and why. Strict xfail: once a page runs, its test
# fails until it is taken off this list.
NOT_RUNNABLE_YET: dict[str, str] = {}


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    title: str
    code: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a page, in order (nested fences inside tabs included)."""
    lines = page.read_text().splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"].strip()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        lang = info.split()[0].lstrip("{.").rstrip("}") if info else ""
        title = re.search(r'title="([^"]*)"', info)
        found.append(Block(page, i + 1, lang, title[1] if title else "", "\n".join(body) + "\n"))
        i = j + 1
    return found


def examples(page: Path) -> list[tuple[Block, str | None]]:
    """The python blocks of a page that run, each with its expected output (or None)."""
    out: list[tuple[Block, str | None]] = []
    found = blocks(page)
    for k, block in enumerate(found):
        if block.lang not in ("python", "py") or "--8<--" in block.code:
            continue
        after = found[k + 1] if k + 1 < len(found) else None
        expected = (
            after.code
            if after is not None and after.lang == "text" and after.title == "Output"
            else None
        )
        out.append((block, expected))
    return out


def is_live(code: str) -> bool:
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        else:
            continue
        if any(name.split(".")[0] in _LIVE_MODULES for name in names):
            return True
    return False


def _params() -> list[Any]:
    params = []
    for page in PAGES:
        found = examples(page)
        if not found:
            continue
        live = any(is_live(block.code) for block, _ in found)
        name = str(page.relative_to(ROOT))
        marks = [pytest.mark.live] if live else []
        if name in NOT_RUNNABLE_YET:
            marks.append(pytest.mark.xfail(reason=NOT_RUNNABLE_YET[name], strict=True))
        params.append(pytest.param(page, id=name, marks=marks))
    return params


@pytest.fixture
def provider_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """For live pages: the environment of a user whose providers are the loopback provider."""
    if request.node.get_closest_marker("live") is None:
        yield
        return
    loopback: LoopbackProvider = request.getfixturevalue("loopback")
    request.getfixturevalue("litellm")  # imported once per session, quiet
    monkeypatch.setenv("OPENAI_BASE_URL", loopback.api_base("openai_tools"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", loopback.url("anthropic_tools"))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-loopback")
    yield


@pytest.mark.parametrize("page", _params())
@pytest.mark.usefixtures("provider_env")
def test_page_examples_run(page: Path) -> None:
    name = "docs_example_" + re.sub(r"\W", "_", str(page.relative_to(ROOT)))
    module = types.ModuleType(name)
    module.__file__ = str(page)
    sys.modules[name] = module  # pydantic and dataclasses look classes' modules up
    try:
        for block, expected in examples(page):
            out = io.StringIO()
            code = compile(block.code, block.where, "exec")
            with contextlib.redirect_stdout(out):
                exec(code, module.__dict__)
            if expected is not None:
                assert _lines(out.getvalue()) == _lines(expected), (
                    f"{block.where}: the output differs from the page's Output block"
                )
    finally:
        del sys.modules[name]


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").splitlines()]


# -- the extractor itself ----------------------------------------------------------------------


def test_blocks_finds_fences_inside_tabs_and_their_titles(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        textwrap.dedent(
            """\
            # Title

            === "Sync"

                ```python
                print("a")
                ```

            ```text title="Output"
            a
            ```

            ```sh
            ls
            ```
            """
        )
    )
    found = blocks(page)
    assert [(b.line, b.lang, b.title, b.code) for b in found] == [
        (5, "python", "", 'print("a")\n'),
        (9, "text", "Output", "a\n"),
        (13, "sh", "", "ls\n"),
    ]
    assert examples(page) == [(found[0], "a\n")]


def test_snippet_includes_are_not_run(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text('```python\n--8<-- "examples/agent_loop.py"\n```\n')
    assert examples(page) == []


@pytest.mark.parametrize(
    ("code", "live"),
    [
        ("import typedstream", False),
        ("import litellm", True),
        ("from openai import OpenAI", True),
        ("import httpx, json", True),
        ("from agents.models import x", True),
        ("from typedstream import events", False),
    ],
)
def test_pages_importing_a_client_library_are_live(code: str, live: bool) -> None:
    assert is_live(code) is live


def test_every_docs_page_with_python_is_collected() -> None:
    with_python = {
        page
        for page in PAGES
        if any(b.lang in ("python", "py") and "--8<--" not in b.code for b in blocks(page))
    }
    assert with_python == {param.values[0] for param in _params()}
    assert ROOT / "docs" / "quickstart.md" in with_python


# -- the provider-quirks page ------------------------------------------------------------------

QUIRKS_PAGE = ROOT / "docs" / "provider-quirks.md"
STATUSES = frozenset(
    {
        "repaired",
        "repaired; strict: error",
        "reported",
        "carried",
        "passed on",
        "not recoverable",
    }
)
# Statuses that count as handling a quirk the contract says is repaired.
HANDLED = frozenset({"repaired", "repaired; strict: error", "reported", "carried"})
_ROW = re.compile(r"^\|\s*([A-H]\d+)\s*\|")


# The project's quirk catalogue and the contract's two lists, as the specification states them
# (copied here so that the repository stands alone; docs/provider-quirks.md is the page that
# users read, and these tests keep it complete and in step with the contract).
CATALOGUE = (
    *(f"A{n}" for n in range(1, 11)),
    *(f"B{n}" for n in range(1, 11)),
    *(f"C{n}" for n in range(1, 7)),
    *(f"D{n}" for n in range(1, 8)),
    *(f"E{n}" for n in range(1, 7)),
    *(f"F{n}" for n in range(1, 9)),
    *(f"G{n}" for n in range(1, 7)),
)
CONTRACT_REPAIRED = "A1-A10, B1-B5, B9, B10, C1, C2, D1-D7, E1-E6, F1-F8, G1-G4, G6 (carried)"
CONTRACT_NOT_REPAIRED = "G5 (<think> tags inside content), C3 (tool calls as content text), C6"


def catalogue_ids() -> list[str]:
    """Every quirk id of the catalogue's tables (A1 … G6), in order."""
    return list(CATALOGUE)


def page_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in QUIRKS_PAGE.read_text().splitlines():
        if _ROW.match(line):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            assert cells[0] not in rows, f"{cells[0]} is listed twice"
            rows[cells[0]] = cells
    return rows


def _expand(ids: str) -> set[str]:
    """'A1-A10, B9, G6 (carried)' (with en dashes) -> {'A1', 'A2', …, 'A10', 'B9', 'G6'}."""
    out: set[str] = set()
    for part in re.findall(r"([A-H])(\d+)(?:[\u2013-][A-H](\d+))?", ids):
        letter, first, last = part[0], int(part[1]), int(part[2] or part[1])
        out.update(f"{letter}{n}" for n in range(first, last + 1))
    return out


def contract_lists() -> tuple[set[str], set[str]]:
    """The contract's 'Repaired in lenient mode' and 'Not repaired' quirk ids."""
    return _expand(CONTRACT_REPAIRED), _expand(CONTRACT_NOT_REPAIRED)


def test_the_catalogue_has_the_quirk_ids_the_page_is_checked_against() -> None:
    ids = catalogue_ids()
    assert ids[0] == "A1"
    assert ids[-1] == "G6"
    assert len(ids) == len(set(ids)) > 50


def test_every_quirk_id_appears_on_the_page_with_a_status() -> None:
    rows = page_rows()
    assert list(rows) == catalogue_ids()
    for quirk, cells in rows.items():
        assert len(cells) == 4, f"{quirk}: expected id | status | recording | what"
        assert cells[1] in STATUSES, f"{quirk}: unknown status {cells[1]!r}"
        assert cells[3], f"{quirk}: says nothing about what typedstream does"


def test_statuses_agree_with_the_contract() -> None:
    rows = page_rows()
    repaired, not_repaired = contract_lists()
    assert {"A1", "B5", "G6"} <= repaired
    assert {"G5", "C3", "C6"} <= not_repaired
    for quirk in repaired:
        assert rows[quirk][1] in HANDLED, f"{quirk}: the contract repairs it"
    for quirk in not_repaired:
        assert rows[quirk][1] == "passed on", f"{quirk}: the contract passes it on"
    assert rows["B6"][1] == "repaired; strict: error"


def test_every_recording_named_exists_and_reads_without_a_chunk_error() -> None:
    named = {
        name
        for cells in page_rows().values()
        for name in re.findall(r"`([\w.]+\.(?:sse|jsonl))`", cells[2])
    }
    assert len(named) >= 15
    for name in sorted(named):
        rec = recording(name)
        try:
            for _ in typedstream.events(rec.body() if rec.is_sse else rec.chunks()):
                pass
        except typedstream.ProviderError:
            assert rec.is_error, name
        else:
            assert not rec.is_error, name


# -- the exact-OpenAI page ---------------------------------------------------------------------


def test_every_checker_rule_is_documented_in_order() -> None:
    from typedstream._check import RULES

    text = (ROOT / "docs" / "openai-exact.md").read_text()
    assert re.findall(r"(?m)^\| `([a-z-]+)` \|", text) == list(RULES)


# -- shell examples ----------------------------------------------------------------------------


def console_pages() -> list[Path]:
    return [page for page in PAGES if any(b.lang == "console" for b in blocks(page))]


def sessions(block: Block) -> list[tuple[str, str]]:
    """``$ command`` lines of a console block, each with the output shown after it."""
    out: list[tuple[str, str]] = []
    for line in block.code.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], ""))
        else:
            assert out, f"{block.where}: output before the first command"
            command, shown = out[-1]
            out[-1] = (command, shown + line + "\n")
    return out


@pytest.mark.parametrize("page", console_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_page_shell_examples_print_what_the_page_shows(page: Path, tmp_path: Path) -> None:
    """Files the page shows (a block titled with a file name) are written to a fresh
    folder; each ``$ command`` runs there, and prints what the page shows after it."""
    found = blocks(page)
    for block in found:
        if block.title and "." in block.title and block.title != "Output":
            (tmp_path / block.title).write_text(block.code)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("FORCE_COLOR", None)
    env["NO_COLOR"] = "1"
    ran = 0
    for block in found:
        if block.lang != "console":
            continue
        for command, shown in sessions(block):
            result = subprocess.run(
                command,
                shell=True,
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert _lines(result.stdout + result.stderr) == _lines(shown), (
                f"{block.where}: `{command}` printed something else"
            )
            ran += 1
    assert ran


def test_sessions_split_commands_and_their_output() -> None:
    block = Block(ROOT, 1, "console", "", "$ a\none\n\ntwo\n$ b\n")
    assert sessions(block) == [("a", "one\n\ntwo\n"), ("b", "")]


# -- the API reference -------------------------------------------------------------------------


def test_every_public_name_has_an_api_reference_entry() -> None:
    documented = {
        match
        for page in PAGES
        for match in re.findall(r"(?m)^::: typedstream\.(\w+)\s*$", page.read_text())
    }
    assert documented == set(typedstream.__all__)


# Each recording the page names must really show its quirk: one detector per quirk id, over
# the recording's chunks (and, for transport quirks, its raw body).
def _choices(chunks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for chunk in chunks:
        yield from chunk.get("choices") or ()


def _deltas(chunks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for choice in _choices(chunks):
        yield choice.get("delta") or {}


def _entries(chunks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for delta in _deltas(chunks):
        yield from delta.get("tool_calls") or ()


def _whole_call(entry: dict[str, Any]) -> bool:
    function = entry.get("function") or {}
    if not (entry.get("id") and function.get("name") and function.get("arguments")):
        return False
    json.loads(function["arguments"])
    return True


_TOP_KEYS = {"id", "object", "created", "model", "choices", "usage", "system_fingerprint"}
_USAGE_KEYS = {"prompt_tokens", "completion_tokens", "total_tokens"}
_USAGE_KEYS |= {"prompt_tokens_details", "completion_tokens_details"}

Detector = Callable[[list[dict[str, Any]], bytes], bool]
SHOWN_BY: dict[str, Detector] = {
    "A1": lambda c, _: any(
        "type" in e and not (e.get("function") or {}).get("name") for e in _entries(c)
    ),
    "A2": lambda c, _: any(e.get("id") == "" and e.get("type") for e in _entries(c)),
    "A3": lambda c, _: sum(1 for d in _deltas(c) if d.get("role")) > 1,
    "A4": lambda c, _: sum(1 for d in _deltas(c) if d.get("content") == "") > 1,
    "A5": lambda c, _: any(
        "reasoning_content" in d and d.get("content") is None for d in _deltas(c)
    ),
    "A6": lambda c, _: any(
        {"role", "content", "reasoning_content", "tool_calls"} <= set(d) and d["role"] is None
        for d in _deltas(c)
    ),
    "A10": lambda c, _: any((e.get("function") or {}).get("name") == "" for e in _entries(c)),
    "B1": lambda c, _: any("index" not in e for e in _entries(c)),
    "B3": lambda c, _: any("index" in d for d in _deltas(c)),
    "B10": lambda c, _: all(x.get("id") == "" and x.get("created") == 0 for x in c),
    "C1": lambda c, _: any(_whole_call(e) for e in _entries(c)),
    "C2": lambda c, _: any(_whole_call(e) for e in _entries(c)),
    "D1": lambda c, _: any(
        x.get("finish_reason") and (x.get("delta") or {}).get("tool_calls") for x in _choices(c)
    ),
    "D2": lambda c, _: any(
        x["choices"][0].get("finish_reason")
        and (x["choices"][0]["delta"].get("content") == "" or x.get("usage"))
        for x in c
        if x.get("choices")
    ),
    "D3": lambda c, _: not any(x.get("finish_reason") for x in _choices(c)),
    "D4": lambda c, _: any("finish_reason" not in x or "logprobs" not in x for x in _choices(c)),
    "D6": lambda c, _: sum(1 for x in _choices(c) if x.get("finish_reason")) > 1,
    "D7": lambda c, _: any(
        {"native_finish_reason", "stop_reason", "matched_stop"} & set(x) for x in _choices(c)
    ),
    "E1": lambda c, _: any(x.get("usage") and x.get("choices") for x in c),
    "E3": lambda c, _: any((x.get("x_groq") or {}).get("usage") for x in c),
    "E4": lambda c, _: any(x.get("usage") and set(x["usage"]) - _USAGE_KEYS for x in c),
    "E6": lambda c, _: any("moderation" in x for x in c),
    "F1": lambda c, _: "prompt_filter_results" in c[0] and c[0]["choices"] == [],
    "F2": lambda _, b: any(line.startswith(b":") for line in b.splitlines()),
    "F3": lambda c, _: any("error" in x and "choices" in x for x in c),
    "F4": lambda _, b: b"event: error" in b,
    "F7": lambda c, _: any(
        set(x) - _TOP_KEYS - {"service_tier", "obfuscation"}
        or x.get("service_tier") == ""
        or x.get("system_fingerprint") == ""
        for x in c
    ),
    "F8": lambda c, _: any(
        {"text", "seed"} & set(x) or "token_id" in (x.get("delta") or {}) for x in _choices(c)
    ),
    "G1": lambda c, _: any(d.get("reasoning_content") for d in _deltas(c)),
    "G2": lambda c, _: any(d.get("reasoning") for d in _deltas(c)),
    "G3": lambda c, _: any(d.get("reasoning") and d.get("reasoning_details") for d in _deltas(c)),
    "G4": lambda c, _: any(isinstance(d.get("content"), list) for d in _deltas(c)),
    "G5": lambda c, _: any("<think>" in (d.get("content") or "") for d in _deltas(c)),
}


def test_every_recording_named_shows_its_quirk() -> None:
    checked = 0
    for quirk, cells in page_rows().items():
        for name in re.findall(r"`([\w.]+\.(?:sse|jsonl))`", cells[2]):
            assert quirk in SHOWN_BY, f"{quirk}: no detector for the recording it names"
            rec = recording(name)
            assert SHOWN_BY[quirk](rec.chunks(), rec.body()), f"{name} does not show {quirk}"
            checked += 1
    assert checked >= len(SHOWN_BY)


def test_the_quirk_detectors_do_not_fire_on_an_openai_recording() -> None:
    rec = recording("openai_gpt4o_parallel_tool_calls.sse")
    fired = {quirk for quirk, shows in SHOWN_BY.items() if shows(rec.chunks(), rec.body())}
    assert fired == set()  # a detector that fires on OpenAI's own stream proves nothing
