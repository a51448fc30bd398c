"""Negative typing cases: what mypy --strict and pyright (strict) must reject.

Each case is a small module whose offending lines carry a marker,
``# E: <mypy error code> <pyright rule>``. All cases are written to one folder and checked by
one run of each checker; every case must produce its marked errors — on those lines, with
those codes — and no error on any other line, so a case fails for the reason it is about (a
marked line may also carry a follow-on error, e.g. returning the unknown type of a missing
attribute). The
exhaustive ``match`` is generated once complete (no error at all) and once per
``StreamEvent`` member with that member's ``case`` deleted: every deletion must make both
checkers fail, so exhaustiveness is really checked for each event class.

The examples of the static-typing docs page and ``examples/agent_loop.py`` must type-check
clean with both checkers, as they say. Marked ``typing`` (run by ``nox -s typing``, not by
the plain test session).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest

import typedstream

pytestmark = pytest.mark.typing

ROOT = Path(__file__).resolve().parents[1]
_MARK = re.compile(r"#\s*E:\s*(?P<mypy>[\w-]+)\s+(?P<pyright>\w+)\s*$")
_MYPY_LINE = re.compile(r"^(?P<file>[^:]+\.py):(?P<line>\d+): error: .*\[(?P<code>[\w-]+)\]$")

MEMBERS = [cls.__name__ for cls in typing.get_args(typedstream.StreamEvent)]


def exhaustive_match(missing: str | None) -> str:
    """A function matching every StreamEvent member except ``missing``."""
    kept = [name for name in MEMBERS if name != missing]
    cases = "".join(f"        case {name}():\n            return {name!r}\n" for name in kept)
    marker = "  # E: arg-type reportArgumentType" if missing else ""
    return (
        "from typing_extensions import assert_never\n\n"
        f"from typedstream import StreamEvent, {', '.join(kept)}\n\n\n"
        "def describe(event: StreamEvent) -> str:\n"
        "    match event:\n"
        f"{cases}"
        "        case _:\n"
        f"            assert_never(event){marker}\n"
    )


def docs_page(name: str) -> str:
    """The python blocks of a docs page as one module (the page promises they type-check)."""
    from test_docs import examples

    return "\n".join(block.code for block, _ in examples(ROOT / "docs" / name))


CASES: dict[str, str] = {
    "exhaustive-match-is-clean": exhaustive_match(None),
    "docs-typing-page-is-clean": docs_page("typing.md"),
    # Its `match` over the tool registry's argument types is promised exhaustive.
    "example-agent-loop-is-clean": (ROOT / "examples" / "agent_loop.py").read_text(),
    **{f"missing-case-{name}": exhaustive_match(name) for name in MEMBERS},
    "wrong-field-type": """
        from typedstream import TextDelta

        TextDelta(text=3)  # E: arg-type reportArgumentType
    """,
    "wrong-kind": """
        from typedstream import TextDelta

        TextDelta("a", kind="tool_call_done")  # E: arg-type reportArgumentType
    """,
    "wrong-finish-reason": """
        from typedstream import ChoiceFinished

        ChoiceFinished("eos", None)  # E: arg-type reportArgumentType
    """,
    "events-are-frozen": """
        from typedstream import TextDelta


        def edit(event: TextDelta) -> None:
            event.text = "x"  # E: misc reportAttributeAccessIssue
    """,
    "kind-typo": """
        from typedstream import StreamEvent


        def is_text(event: StreamEvent) -> bool:
            return event.kind == "text"  # E: comparison-overlap reportUnnecessaryComparison
    """,
    "narrowed-by-kind": """
        from typedstream import StreamEvent


        def arguments(event: StreamEvent) -> str:
            if event.kind == "text_delta":
                return event.arguments  # E: attr-defined reportAttributeAccessIssue
            return ""
    """,
    "narrowed-by-isinstance": """
        from typedstream import StreamEvent, ToolCallStarted


        def arguments(event: StreamEvent) -> str:
            if isinstance(event, ToolCallStarted):
                return event.arguments  # E: attr-defined reportAttributeAccessIssue
            return ""
    """,
    "options-are-keyword-only": """
        import typedstream

        typedstream.events([], True)  # E: call-arg reportCallIssue
    """,
    "events-is-not-for-async-sources": """
        from collections.abc import AsyncIterator
        from typing import Any

        import typedstream


        def read(stream: AsyncIterator[Any]) -> None:
            typedstream.events(stream)  # E: arg-type reportArgumentType
    """,
    "async-events-are-not-sync-iterable": """
        import typedstream


        def read(body: bytes) -> None:
            for _ in typedstream.aevents(body):  # E: attr-defined reportGeneralTypeIssues
                pass
    """,
    "sinks-take-events-not-chunks": """
        import typedstream


        def proxy(chunks: list[dict[str, object]]) -> None:
            typedstream.to_sse(chunks)  # E: arg-type reportArgumentType
    """,
    "openai-chunks-are-not-dicts": """
        import typedstream


        def first_id(events: list[typedstream.StreamEvent]) -> object:
            for chunk in typedstream.to_openai_chunks(events):
                return chunk["id"]  # E: index reportIndexIssue
            return None
    """,
    "parsed-model-is-not-a-dict": """
        from pydantic import BaseModel

        from typedstream import ToolCallDone


        class Weather(BaseModel):
            city: str


        def city(done: ToolCallDone) -> str:
            return done.parse_arguments(Weather)["city"]  # E: index reportIndexIssue
    """,
    "tool-args-have-their-type": """
        from pydantic import BaseModel

        from typedstream import ToolCall


        class Weather(BaseModel):
            city: str


        def zone(call: ToolCall[Weather]) -> str:
            return call.args.tz  # E: attr-defined reportAttributeAccessIssue
    """,
    "tool-dispatch-missing-case": """
        from pydantic import BaseModel
        from typing_extensions import assert_never

        from typedstream import Tool, ToolCallDone, Tools


        class Weather(BaseModel):
            city: str


        class Time(BaseModel):
            tz: str


        TOOLS = Tools(Tool("get_weather", Weather), Tool("get_time", Time))


        def run(done: ToolCallDone) -> str:
            call = TOOLS.parse(done)
            match call.args:
                case Weather(city=city):
                    return city
                case _:
                    assert_never(call.args)  # E: arg-type reportArgumentType
    """,
}


def expected(source: str, checker: str) -> set[tuple[int, str]]:
    return {
        (number, mark[checker])
        for number, line in enumerate(source.splitlines(), 1)
        if (mark := _MARK.search(line))
    }


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("typing_cases")
    for name, source in CASES.items():
        (folder / f"{name.replace('-', '_')}.py").write_text(textwrap.dedent(source).lstrip())
    (folder / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.10"})
    )
    return folder


@pytest.fixture(scope="module")
def mypy_errors(cases: Path) -> dict[str, set[tuple[int, str]]]:
    """Per case file: (line, error code) of every mypy error; the project's mypy settings."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--strict",
            "--show-error-codes",
            "--no-error-summary",
            "--hide-error-context",
            "--no-pretty",
            str(cases),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    found: dict[str, set[tuple[int, str]]] = {}
    for line in result.stdout.splitlines():
        match = _MYPY_LINE.match(line)
        assert match is not None or ": note: " in line, line
        if match is not None:
            name = Path(match["file"]).stem
            found.setdefault(name, set()).add((int(match["line"]), match["code"]))
    return found


@pytest.fixture(scope="module")
def pyright_errors(cases: Path) -> dict[str, set[tuple[int, str]]]:
    """Per case file: (line, rule) of every pyright error, in strict mode."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", str(cases)],
        capture_output=True,
        text=True,
        cwd=cases,
        env=env,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    found: dict[str, set[tuple[int, str]]] = {}
    for diagnostic in json.loads(result.stdout)["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            name = Path(diagnostic["file"]).stem
            line = diagnostic["range"]["start"]["line"] + 1
            found.setdefault(name, set()).add((line, diagnostic.get("rule", "")))
    return found


def check(found: set[tuple[int, str]], marked: set[tuple[int, str]]) -> None:
    assert marked <= found, f"missing errors: {sorted(marked - found)}"
    lines = {line for line, _ in marked}
    stray = sorted((line, code) for line, code in found if line not in lines)
    assert not stray, f"errors on unmarked lines: {stray}"


def _ids() -> Iterator[str]:
    yield from CASES


@pytest.mark.parametrize("case", list(_ids()))
def test_mypy_reports_exactly_the_marked_errors(
    case: str, cases: Path, mypy_errors: dict[str, set[tuple[int, str]]]
) -> None:
    name = case.replace("-", "_")
    source = (cases / f"{name}.py").read_text()
    check(mypy_errors.get(name, set()), expected(source, "mypy"))


@pytest.mark.parametrize("case", list(_ids()))
def test_pyright_reports_exactly_the_marked_errors(
    case: str, cases: Path, pyright_errors: dict[str, set[tuple[int, str]]]
) -> None:
    name = case.replace("-", "_")
    source = (cases / f"{name}.py").read_text()
    check(pyright_errors.get(name, set()), expected(source, "pyright"))


def test_every_negative_case_expects_an_error() -> None:
    for case, source in CASES.items():
        if not case.endswith("-is-clean"):
            assert expected(textwrap.dedent(source), "mypy"), case


def test_a_missing_case_is_generated_for_every_stream_event_member() -> None:
    assert len(MEMBERS) == len(set(MEMBERS)) >= 16
    for name in MEMBERS:
        source = CASES[f"missing-case-{name}"]
        assert f"case {name}()" not in source
        assert all(f"case {other}()" in source for other in MEMBERS if other != name)
