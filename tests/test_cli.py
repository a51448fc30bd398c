"""The ``typedstream`` command: ``events``, ``check``, ``normalize`` (and the ``demo`` hook).

Per-recording behaviour runs ``main(argv)`` in process, which is fast. What only a process
shows runs the real command in a subprocess (``python -m typedstream`` or the ``typedstream``
console script): standard input read as it arrives, pipes, exit codes, Ctrl-C, a reader that
goes away, what gets imported.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from corpus import CORPUS, LITELLM, Recording, ids, recording, recordings
from helpers import body

import typedstream
from typedstream import StreamEvent, TypedStreamError, check_openai_chunks, events, to_sse
from typedstream._anthropic_check import ANTHROPIC_RULES
from typedstream._cli import main

SCRIPT = Path(sys.executable).parent / "typedstream"
OPENAI_WIRE = tuple(r for r in recordings() if r.is_openai) + tuple(
    Recording(p) for p in sorted(LITELLM.glob("wire_openai_*.jsonl"))
)
LITELLM_OUTPUT = tuple(Recording(p) for p in sorted(LITELLM.glob("litellm_*.jsonl")))
ERRORS = tuple(r for r in recordings() if r.is_error)
GROQ_ERROR = recording("groq_gpt_oss_tool_use_failed_error.sse")
OPENROUTER_ERROR = recording("openrouter_minimax_error_midstream.sse")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# -- helpers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    code: int
    out: bytes
    err: bytes

    @property
    def text(self) -> str:
        return self.out.decode()

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @property
    def err_lines(self) -> list[str]:
        return self.err.decode().splitlines()


Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def _no_forced_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture
def run(capsysbinary: pytest.CaptureFixture[bytes]) -> Run:
    """``main(argv)`` in process: exit code, standard output and standard error."""

    def run(*argv: str | Path) -> Result:
        code = main([str(a) for a in argv])
        captured = capsysbinary.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def command(*argv: str | Path, stdin: bytes | None = None, script: bool = False) -> Result:
    """The real command in a subprocess: ``python -m typedstream`` or the console script."""
    program = [str(SCRIPT)] if script else [sys.executable, "-m", "typedstream"]
    done = subprocess.run(
        [*program, *map(str, argv)],
        input=stdin,
        capture_output=True,
        timeout=60,
        env=_env(),
    )
    return Result(done.returncode, done.stdout, done.stderr)


def _sigint_default() -> None:
    # A shell without job control starts background commands with SIGINT ignored, and a
    # child inherits that: the command's Ctrl-C tests need the terminal's default back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}


@contextlib.contextmanager
def spawned(*argv: str | Path, stdin: Any = subprocess.PIPE) -> Iterator[subprocess.Popen[bytes]]:
    """The command running in a subprocess, as from a terminal (SIGINT as by default);
    killed if still running, pipes closed, reaped."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "typedstream", *map(str, argv)],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        preexec_fn=_sigint_default,
    )
    with proc:  # closes the pipes and waits
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()


def read_until(stream: Any, lines: int, timeout: float = 20.0) -> bytes:
    """Read from a pipe until ``lines`` lines came, failing after ``timeout`` (never hangs)."""
    fd = stream.fileno()
    data = b""
    deadline = time.monotonic() + timeout
    while data.count(b"\n") < lines:
        ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            raise AssertionError(f"not {lines} lines within {timeout} s; got {data!r}")
        piece = os.read(fd, 65536)
        if not piece:
            raise AssertionError(f"output ended after {data!r}")
        data += piece
    return data


def source_of(rec: Recording) -> Any:
    """What ``typedstream.events`` takes for the recording: the SSE body or the chunks."""
    return rec.body() if rec.is_sse else rec.chunks()


def library_events(rec: Recording, **options: bool) -> tuple[list[StreamEvent], bool]:
    """The recording's events straight from the library (up to its error) and whether it failed."""
    out: list[StreamEvent] = []
    try:
        for event in events(source_of(rec), **options):
            out.append(event)
    except TypedStreamError:
        return out, True
    return out, False


def library_sse(rec: Recording, **options: Any) -> tuple[bytes, bool]:
    frames: list[bytes] = []
    try:
        for frame in to_sse(events(source_of(rec)), **options):
            frames.append(frame)
    except TypedStreamError:
        return b"".join(frames), True
    return b"".join(frames), False


def jsonl_body(chunks: list[Any]) -> bytes:
    return b"".join(json.dumps(c).encode() + b"\n" for c in chunks)


def chunk(delta: dict[str, Any], finish: str | None = None, **envelope: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        **envelope,
    }


# -- check ------------------------------------------------------------------------------------


def test_check_passes_every_openai_recording_and_the_openai_wire_files() -> None:
    result = command("check", *(r.path for r in OPENAI_WIRE), script=True)
    assert result.code == 0, result.text
    for rec in OPENAI_WIRE:
        assert f"{rec.path}: OpenAI-exact ({len(rec.chunks())} chunks)" in result.lines
    assert result.lines[-1] == f"{len(OPENAI_WIRE)} files: {len(OPENAI_WIRE)} OpenAI-exact, 0 not"
    assert result.err == b""


def test_check_flags_every_litellm_recording_naming_chunks_and_rules() -> None:
    result = command("check", "--limit", "1000", *(r.path for r in LITELLM_OUTPUT))
    assert result.code == 1
    for rec in LITELLM_OUTPUT:
        assert any(line.startswith(f"{rec.path}: not OpenAI-exact: ") for line in result.lines)
        for deviation in check_openai_chunks(rec.chunks()):
            place = f"chunk {deviation.chunk}" if deviation.chunk else "end of stream"
            assert f"  {place} at {deviation.path}: {deviation.message}" in result.lines
    # The founding bug, by hand: LiteLLM repeats type "function" on each continuation.
    assert (
        "  chunk 6 at choices[0].delta.tool_calls[0].type: "
        'type: "function" sent on a continuation fragment'
    ) in result.lines


def test_check_groups_findings_by_rule_with_counts_and_first_chunks(run: Run) -> None:
    rec = recording("mistral_small_tool_call.jsonl")
    result = run("check", rec.path)
    assert result.code == 1
    assert result.text == (
        "usage-with-choices: 1 deviation, first in chunk 2: "
        "usage on a chunk with choices (OpenAI sends it on a choices: [] chunk)\n"
        "  chunk 2 at usage: usage sent on a chunk with choices\n"
        "null-key: 1 deviation, first in chunk 2: a delta key sent as null where OpenAI omits it\n"
        "  chunk 2 at choices[0].delta.content: "
        "content: null sent where OpenAI leaves the key out\n"
        "tool-call-without-index: 1 deviation, first in chunk 2: "
        "a tool-call entry without an integer index\n"
        "  chunk 2 at choices[0].delta.tool_calls[0].index: a tool-call entry with no index\n"
        "finish-delta-not-empty: 1 deviation, first in chunk 2: "
        "the finish chunk's delta is not {}\n"
        "  chunk 2 at choices[0].delta: the finish chunk's delta is "
        '{"content": null, "tool_calls": [{"id": "gSIMJiOkT", "funct…\n'
        f"{rec.path}: not OpenAI-exact: 4 deviations (4 rules) in 2 chunks\n"
    )


def test_check_counts_each_rule_with_its_first_chunk(run: Run) -> None:
    # Two calls: a header then 4 fragments (chunks 5-9), a header then 3 (chunks 10-13).
    result = run("check", LITELLM / "litellm_openai_tools_sync.jsonl")
    headers = [line for line in result.lines if "-on-continuation: " in line]
    assert [line.split(": ")[0:2] for line in headers] == [
        ["id-on-continuation", "7 deviations, first in chunk 6"],
        ["type-on-continuation", "7 deviations, first in chunk 6"],
        ["name-on-continuation", "7 deviations, first in chunk 6"],
    ]
    assert (
        "  chunk 6 at choices[0].delta.tool_calls[0].id: id: null sent on a continuation fragment"
        in result.lines
    )


def test_check_limit_prints_the_first_deviations_of_each_rule_and_counts_them_all(
    run: Run,
) -> None:
    result = run("check", "--limit", "2", LITELLM / "litellm_openai_tools_sync.jsonl")
    assert result.code == 1
    assert result.lines[0].startswith("non-openai-key: 53 deviations, first in chunk 1: ")
    assert [line.startswith("  chunk 1 at ") for line in result.lines[1:3]] == [True, True]
    assert result.lines[3] == "  … 51 more"
    assert result.lines[-1].endswith("not OpenAI-exact: 117 deviations (6 rules) in 14 chunks")
    headers_only = run("check", "--limit", "0", LITELLM / "litellm_openai_tools_sync.jsonl")
    assert [line for line in headers_only.lines if not line.startswith("  … ")] == [
        line for line in result.lines if not line.startswith("  ")
    ]


def test_check_rule_and_ignore_filter_the_findings_and_the_exit_code(run: Run) -> None:
    path = LITELLM / "litellm_openai_tools_sync.jsonl"
    only = run("check", "--rule", "id-on-continuation", path)
    assert only.code == 1
    assert [line for line in only.lines if not line.startswith("  ")] == [
        "id-on-continuation: 7 deviations, first in chunk 6: "
        "an id (even null) on a continuation fragment",
        f"{path}: not OpenAI-exact: 7 deviations (1 rule) in 14 chunks (110 more ignored)",
    ]
    rules = ("non-openai-key", "null-key", "id-on-continuation", "type-on-continuation")
    ignored = run("check", *(f"--ignore={r}" for r in rules), path)
    assert "name-on-continuation: 7 deviations" in ignored.lines[0]
    everything = [f"--ignore={r}" for r in (*rules, "name-on-continuation")]
    clean = run("check", *everything, "--ignore", "finish-delta-not-empty", path)
    assert clean.code == 0
    assert clean.lines == [f"{path}: OpenAI-exact (14 chunks) (117 more ignored)"]


def test_check_rejects_an_unknown_rule(run: Run) -> None:
    result = run("check", "--ignore", "no-such-rule", "x.sse")
    assert result.code == 2
    assert "unknown rule 'no-such-rule'" in result.err.decode()


def test_check_reports_an_error_payload_and_checks_the_chunks_before_it(
    run: Run, tmp_path: Path
) -> None:
    normalized = run("normalize", "--error-frame", OPENROUTER_ERROR.path)
    assert normalized.code == 3
    (tmp_path / "out.sse").write_bytes(normalized.out)
    result = run("check", tmp_path / "out.sse")
    assert result.code == 3
    assert result.lines == [
        "chunk 3: provider error: Token limit reached (the stream ended here; the chunks "
        "before it are checked as a stream cut off there)",
        f"{tmp_path / 'out.sse'}: no deviations in the 2 chunks before the provider error "
        "at chunk 3",
    ]


def test_check_reports_the_provider_error_after_the_deviations_before_it(run: Run) -> None:
    result = run("check", GROQ_ERROR.path)
    assert result.code == 1
    assert result.lines[-1] == (
        f"{GROQ_ERROR.path}: not OpenAI-exact: 187 deviations (1 rule) in 94 chunks; "
        "then a provider error at chunk 95"
    )
    assert any(
        line.startswith("chunk 95: provider error: Tool call validation failed")
        for line in result.lines
    )
    assert not any("unfinished-choice" in line for line in result.lines)  # cut off by the error


def test_an_sse_body_without_done_deviates_and_one_cut_in_a_choice_was_cut_off(
    run: Run, tmp_path: Path
) -> None:
    body = recording("openai_gpt4o_text_usage.sse").body()
    no_done = tmp_path / "no_done.sse"  # every choice finished: complete, but not OpenAI's wire
    no_done.write_bytes(body[: body.index(b"data: [DONE]")])
    result = run("check", no_done)
    assert result.code == 1
    assert result.lines == [
        "missing-done: 1 deviation, at the end of the stream: "
        "an SSE body that ends without data: [DONE] (OpenAI always sends it)",
        "  end of stream: the body ends without data: [DONE]",
        f"{no_done}: not OpenAI-exact: 1 deviation (1 rule) in 33 chunks",
    ]
    assert run("events", no_done).code == 0
    prefix = tmp_path / "prefix.sse"
    prefix.write_bytes(b"".join(f + b"\n\n" for f in body.split(b"\n\n")[:5]))
    cut = run("check", prefix)
    assert cut.code == 4
    assert cut.lines[-1] == f"{prefix}: no deviations in 5 chunks, but the stream was cut off"
    assert run("events", prefix).code == 4
    partial = run("check", "--partial", prefix)
    assert partial.code == 0
    assert partial.lines == [f"{prefix}: OpenAI-exact so far (5 chunks, checked as a prefix)"]


def test_jsonl_cut_at_a_line_boundary_was_cut_off_for_every_command(
    run: Run, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(jsonl_body(recording("openai_2026_gpt41nano_text.jsonl").chunks()[:10]))
    result = run("check", cut)
    assert result.code == 4
    assert result.lines[-1] == f"{cut}: no deviations in 10 chunks, but the stream was cut off"
    assert "unfinished-choice" not in result.text
    assert run("events", cut).code == 4
    assert run("normalize", cut).code == 4
    assert run("check", "--partial", cut).code == 0


def test_jsonl_cut_in_the_middle_of_a_line_was_cut_off_for_every_command(
    run: Run, tmp_path: Path
) -> None:
    body = jsonl_body(recording("openai_2026_gpt41nano_text.jsonl").chunks())
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(body[: len(body) // 2 + 7])
    for subcommand in ("events", "check", "normalize"):
        result = run(subcommand, cut)
        assert result.code == 4, subcommand
    assert "the input ends in the middle of line" in run("events", cut).err.decode()


def test_a_last_jsonl_line_without_its_newline_is_read(run: Run, tmp_path: Path) -> None:
    rec = recording("openai_2026_gpt41nano_text.jsonl")
    whole = tmp_path / "whole.jsonl"
    whole.write_bytes(jsonl_body(rec.chunks()).rstrip(b"\n"))
    assert run("check", whole).code == 0
    assert run("events", whole).lines == run("events", rec.path).lines


def test_check_of_empty_input_has_no_chunks(run: Run, tmp_path: Path) -> None:
    empty = tmp_path / "empty.sse"
    empty.write_bytes(b"")
    result = run("check", empty)
    assert result.code == 4
    assert result.lines[-1] == f"{empty}: no deviations in 0 chunks, but the stream was cut off"
    assert "before any choice arrived" in result.text
    assert run("events", empty).code == 4
    assert run("check", "--partial", empty).code == 0


def test_check_of_several_files_exits_with_the_worst(run: Run, tmp_path: Path) -> None:
    exact = recording("openai_gpt4o_refusal.sse").path
    deviating = LITELLM / "litellm_openai_toolsonly_sync.jsonl"
    deviates = run("check", exact, deviating)
    assert deviates.code == 1
    assert deviates.lines[-1] == "2 files: 1 OpenAI-exact, 1 not"
    unreadable = run("check", exact, tmp_path / "missing.sse", deviating)
    assert unreadable.code == 2
    assert unreadable.err_lines == [
        f"typedstream: {tmp_path / 'missing.sse'}: cannot open: No such file or directory"
    ]


# -- normalize --------------------------------------------------------------------------------


@pytest.mark.parametrize("rec", recordings(), ids=ids(recordings()))
def test_normalize_output_of_every_recording_passes_check(
    rec: Recording, run: Run, tmp_path: Path
) -> None:
    result = run("normalize", rec.path)
    expected, failed = library_sse(rec)
    assert result.out == expected
    out = tmp_path / "normalized.sse"
    out.write_bytes(result.out)
    if rec.is_error:
        assert failed
        assert result.code == 3
        assert not result.out.endswith(b"data: [DONE]\n\n")
        (line,) = result.err_lines
        assert line.startswith(f"typedstream: {rec.path}: chunk ")
        assert "provider error" in line
        assert run("check", "--partial", out).code == 0
    else:
        assert result.code == 0, result.err
        assert result.out.endswith(b"data: [DONE]\n\n")
        assert result.err == b""
        checked = run("check", out)
        assert checked.code == 0, checked.text
        assert checked.lines[-1].startswith(f"{out}: OpenAI-exact")


def test_normalize_pipes_into_check() -> None:
    rec = LITELLM / "litellm_openai_tools_usage_sync.jsonl"
    with spawned("normalize", rec, stdin=subprocess.DEVNULL) as normalize:
        assert normalize.stdout is not None
        with spawned("check", "-", stdin=normalize.stdout) as check:
            normalize.stdout.close()  # the check process reads it now
            out, err = check.communicate(timeout=60)
        assert normalize.wait(timeout=60) == 0
    assert check.returncode == 0, out + err
    # role, 3 text fragments, 1 + 4 and 1 + 3 tool-call entries, finish, usage
    assert out.decode().splitlines() == ["<stdin>: OpenAI-exact (15 chunks)"]


def test_normalize_of_an_error_recording_writes_what_came_before_and_the_error() -> None:
    result = command("normalize", OPENROUTER_ERROR.path)
    assert result.code == 3
    frames = result.out.split(b"\n\n")
    assert frames[-1] == b""
    wire = [json.loads(f.removeprefix(b"data: ")) for f in frames[:-1]]
    assert [c["choices"][0]["finish_reason"] for c in wire] == [None, "length"]
    assert b"[DONE]" not in result.out
    assert result.err_lines == [
        f"typedstream: {OPENROUTER_ERROR.path}: chunk 4: provider error: Token limit reached"
    ]


def test_normalize_error_frame_comes_before_the_end(run: Run) -> None:
    result = run("normalize", "--error-frame", GROQ_ERROR.path)
    assert result.code == 3
    (frame,) = result.out.split(b"\n\n")[:-1]
    error = json.loads(frame.removeprefix(b"data: "))["error"]
    assert error["code"] == "tool_use_failed"
    assert error["type"] == "invalid_request_error"


def test_normalize_options_reach_to_sse(run: Run) -> None:
    rec = recording("openai_gpt4o_text_usage.sse")

    def wire(*options: str) -> list[dict[str, Any]]:
        result = run("normalize", *options, rec.path)
        assert result.code == 0
        frames = result.out.split(b"\n\n")[:-1]
        assert frames[-1] == b"data: [DONE]"
        return [json.loads(f.removeprefix(b"data: ")) for f in frames[:-1]]

    plain = wire()
    assert plain[-1]["choices"] == []
    assert plain[-1]["usage"]["total_tokens"] == 44
    no_usage = wire("--no-usage")
    assert no_usage == plain[:-1]
    renamed = wire("--id", "chatcmpl-X", "--model", "gpt-x", "--created", "7")
    assert {(c["id"], c["model"], c["created"]) for c in renamed} == {("chatcmpl-X", "gpt-x", 7)}


def test_normalize_keeps_extensions_on_request(run: Run) -> None:
    rec = recording("deepseek_reasoner_thinking.sse")
    assert b"reasoning_content" not in run("normalize", rec.path).out
    assert b'"reasoning_content":' in run("normalize", "--keep-extensions", rec.path).out


# -- events -----------------------------------------------------------------------------------


@pytest.mark.parametrize("rec", recordings(), ids=ids(recordings()))
def test_events_json_lines_validate_back_to_the_same_events(rec: Recording, run: Run) -> None:
    from pydantic import TypeAdapter

    adapter: TypeAdapter[StreamEvent] = TypeAdapter(typedstream.StreamEvent)
    result = run("events", "--json", rec.path)
    expected, failed = library_events(rec)
    assert [adapter.validate_json(line) for line in result.lines] == expected
    assert [json.loads(line)["kind"] for line in result.lines] == [e.kind for e in expected]
    assert result.code == (3 if failed else 0)
    assert len(result.err_lines) == (1 if failed else 0)


@pytest.mark.parametrize(
    "name",
    ["openai_gpt4o_n3_choices.sse", "openai_gpt4o_content_logprobs.sse", "zai_glm47_thinking.sse"],
)
def test_events_json_with_raw_chunks_and_done_events_round_trips(name: str, run: Run) -> None:
    from pydantic import TypeAdapter

    adapter: TypeAdapter[StreamEvent] = TypeAdapter(typedstream.StreamEvent)
    rec = recording(name)
    result = run("events", "--json", "--raw", "--done-events", rec.path)
    assert result.code == 0
    expected, _ = library_events(rec, raw=True, done_events=True)
    assert [adapter.validate_json(line) for line in result.lines] == expected
    assert {"raw_chunk", "text_done"} <= {e.kind for e in expected}


def test_events_prints_one_readable_line_per_event(run: Run) -> None:
    rec = recording("openai_gpt4o_parallel_tool_calls.sse")
    result = run("events", rec.path)
    assert result.code == 0
    assert result.lines == [repr(e) for e in library_events(rec)[0]]
    assert result.lines[1] == (
        "ToolCallStarted(index=0, id='call_JMW1whyEaYG438VE1OIflxA2', name='GetWeatherArgs', "
        "choice=0, legacy=False)"
    )
    assert "\x1b[" not in result.text  # not a terminal: no colour


def test_events_colours_with_rich_when_asked(run: Run) -> None:
    pytest.importorskip("rich")  # the `cli` extra; `nox -s tests_min` runs without it
    rec = recording("openai_gpt4o_tool_call_strict.sse")
    result = run("events", "--color", "always", rec.path)
    assert result.code == 0
    assert "\x1b[" in result.text
    assert ANSI.sub("", result.text).splitlines() == [repr(e) for e in library_events(rec)[0]]


def test_the_command_works_without_rich(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)  # makes `import rich.…` fail
    monkeypatch.setitem(sys.modules, "rich.console", None)
    rec = recording("openai_gpt4o_refusal.sse")
    result = run("events", "--color", "always", rec.path)
    assert result.code == 0
    assert result.lines == [repr(e) for e in library_events(rec)[0]]
    assert result.err_lines == [
        "typedstream: rich is not installed (pip install 'typedstream[cli]'): plain output"
    ]
    checked = run("check", "--color", "always", LITELLM / "litellm_openai_toolsonly_sync.jsonl")
    assert checked.code == 1
    assert "rule" in checked.text
    assert "\x1b[" not in checked.text


def test_check_colours_its_report_with_rich(run: Run) -> None:
    pytest.importorskip("rich")  # the `cli` extra; `nox -s tests_min` runs without it
    path = recording("mistral_small_tool_call.jsonl").path
    result = run("check", "--color", "always", path)
    assert result.code == 1
    assert "\x1b[" in result.text
    assert ANSI.sub("", result.text) == run("check", "--color", "never", path).text


@pytest.mark.parametrize(
    "name", ["openai_gpt4o_text_usage.sse", "openai_2026_gpt41nano_text.jsonl"]
)
def test_events_reads_standard_input_as_it_arrives(name: str) -> None:
    rec = recording(name)
    body = rec.body()
    expected = [repr(e).encode() for e in events(source_of(rec))]
    half = len(body) // 2 + 7  # mid-frame or mid-line
    with spawned("events", "-") as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(body[:half])
        proc.stdin.flush()
        first = read_until(proc.stdout, 3)  # while the rest is not even written
        assert first.splitlines()[:3] == expected[:3]
        rest, err = proc.communicate(body[half:], timeout=30)
    assert proc.returncode == 0, err
    assert (first + rest).splitlines() == expected


def test_events_of_an_error_recording_end_with_one_line_on_stderr() -> None:
    result = command("events", GROQ_ERROR.path)
    assert result.code == 3
    assert result.lines == [repr(e) for e in library_events(GROQ_ERROR)[0]]
    assert result.err_lines == [
        f"typedstream: {GROQ_ERROR.path}: chunk 95: provider error: Tool call validation "
        "failed: tool call validation failed: parameters for tool get_something_by_name did "
        "not match schema: errors: [missing properties: 'name', additionalProperties "
        "'invalid_param' not allowed]"
    ]


def test_events_options_reach_the_normalizer(run: Run, tmp_path: Path) -> None:
    header = {"index": 0, "id": "call_1", "type": "function"}
    cut = tmp_path / "cut.jsonl"  # a call still streaming when the input ends
    cut.write_bytes(
        jsonl_body(
            [
                chunk({"role": "assistant", "tool_calls": [{**header, "function": {"name": "f"}}]}),
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
            ]
        )
    )
    incomplete = run("events", cut)
    assert incomplete.code == 4
    assert incomplete.err_lines == [
        f"typedstream: {cut}: the stream ended while tool call 0 ('f') of choice 0 was still "
        "streaming; it is not reported done"
    ]
    complete = run("events", "--assume-complete", cut)
    assert complete.code == 0
    assert (
        "ToolCallDone(index=0, id='call_1', name='f', arguments='{}', choice=0, legacy=False)"
        in complete.lines
    )

    odd = tmp_path / "odd.jsonl"  # an unknown finish reason: repaired, or an error in strict mode
    odd.write_bytes(jsonl_body([chunk({"role": "assistant", "content": "hi"}, "odd")]))
    assert run("events", odd).code == 0
    strict = run("events", "--strict", odd)
    assert strict.code == 2
    assert strict.err_lines == [
        f"typedstream: {odd}: chunk 1: choice 0: unknown finish_reason 'odd' (strict mode)"
    ]


def test_jsonl_input_allows_blank_lines_crlf_a_bom_and_a_done_line(
    run: Run, tmp_path: Path
) -> None:
    rec = recording("openai_gpt4o_refusal.sse")
    lines = [json.dumps(c).encode() for c in rec.chunks()]
    messy = tmp_path / "messy.jsonl"
    messy.write_bytes(b"\xef\xbb\xbf\r\n" + b"\r\n\r\n".join(lines) + b"\r\n[DONE]\r\nnot read\n")
    assert run("events", messy).lines == run("events", rec.path).lines


# -- input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "format"),
    [
        (b"data: {}\n\n", "sse"),
        (b"\n\n  : keep-alive\n\ndata: {}\n\n", "sse"),
        (b"event: message\ndata: {}\n\n", "sse"),
        (b'\xef\xbb\xbf{"id": 1}\n', "jsonl"),
        (b'\n   \n{"id": 1}\n', "jsonl"),
    ],
)
def test_the_format_is_told_from_the_first_bytes(content: bytes, format: str) -> None:
    from typedstream._cli import Sniffer

    sniffer = Sniffer("x")
    assert sniffer.feed(content[:3]) is None  # the first piece does not tell yet
    assert sniffer.feed(content[3:]) == format


@pytest.mark.parametrize(
    "name", ["openai_gpt4o_refusal.sse", "openai_legacy_function_call_gpt35_0613.jsonl"]
)
def test_a_file_whose_name_does_not_say_is_read_by_its_content(
    name: str, run: Run, tmp_path: Path
) -> None:
    rec = recording(name)
    unnamed = tmp_path / "stream"
    unnamed.write_bytes(rec.body())
    assert run("events", unnamed).lines == run("events", rec.path).lines
    assert run("check", unnamed).code == 0
    misnamed = tmp_path / "stream.txt"
    misnamed.write_bytes(rec.body())
    forced = "sse" if rec.is_sse else "jsonl"
    assert run("normalize", "--format", forced, misnamed).out == run("normalize", rec.path).out


def assert_input_error(run: Run, path: Path, message: str) -> None:
    """Each subcommand that reads input fails on ``path`` with exit code 2 and one line."""
    for subcommand in ("events", "check", "normalize"):
        result = run(subcommand, path)
        assert result.code == 2, subcommand
        assert result.err_lines == [f"typedstream: {message}"], subcommand


def test_an_undetectable_format_is_an_input_error(run: Run, tmp_path: Path) -> None:
    text = tmp_path / "notes"
    text.write_bytes(b"hello world\n")
    assert_input_error(
        run,
        text,
        f"{text}: cannot tell the format: it starts with b'hello world\\n', neither SSE "
        "(data: …) nor JSON lines ({…}); pass --format",
    )
    assert run("events", text).out == b""


def test_a_missing_file_or_a_directory_is_an_input_error(run: Run, tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    assert_input_error(run, missing, f"{missing}: cannot open: No such file or directory")
    assert_input_error(run, tmp_path, f"{tmp_path}: cannot open: Is a directory")


def test_malformed_json_names_the_file_line_and_chunk(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    first = chunk({"role": "assistant", "content": "hi"})
    bad.write_bytes(jsonl_body([first]) + b"\n" + b'{"id": "chatcmpl-1", x\n')
    assert_input_error(
        run,
        bad,
        f"{bad}: chunk 2: line 3: malformed JSON (key must be a string at line 1 column 22): "
        'b\'{"id": "chatcmpl-1", x\'',
    )
    assert "TextDelta(text='hi', choice=0)" in run("events", bad).lines  # what came before


def test_malformed_json_in_sse_names_the_chunk(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sse"
    bad.write_bytes(
        body(chunk({"role": "assistant", "content": "hi"}), done=False) + b"data: {nope\n\n"
    )
    events_ = run("events", bad)
    assert events_.code == 2
    assert events_.err_lines == [
        f"typedstream: {bad}: chunk 2: malformed JSON (key must be a string at line 1 column 2): "
        "b'{nope'"
    ]
    checked = run("check", bad)
    assert checked.code == 2
    assert checked.err_lines == events_.err_lines


def test_a_chunk_that_is_not_an_object_is_bad_input_for_every_command(
    run: Run, tmp_path: Path
) -> None:
    odd = tmp_path / "odd.jsonl"
    odd.write_bytes(b"[1, 2]\n")
    message = f"typedstream: {odd}: chunk 1: expected a chunk (a mapping or a model), got list"
    events_ = run("events", odd)
    assert events_.code == 2
    assert events_.err_lines == [message]
    checked = run("check", odd)
    assert checked.code == 2
    assert checked.err_lines == [message]
    assert checked.lines == [
        "not-an-object: 1 deviation, first in chunk 1: a chunk is not a JSON object",
        "  chunk 1: the chunk is an array, not a JSON object",
        f"{odd}: not OpenAI-exact: 1 deviation (1 rule) in 0 chunks; "
        "then chunk 1 could not be read",
    ]


def test_input_errors_are_one_line_without_a_traceback() -> None:
    result = command("events", "no/such/file.sse")
    assert result.code == 2
    assert result.err_lines == [
        "typedstream: no/such/file.sse: cannot open: No such file or directory"
    ]
    assert result.out == b""


# -- the process ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subcommand", "mentions"),
    [
        ("events", ["--json", "--raw", "--done-events", "--strict", "--assume-complete"]),
        ("check", ["--partial", "--limit", "data: [DONE]", "provider error"]),
        (
            "normalize",
            ["--keep-extensions", "--no-usage", "--id", "--model", "--created", "--error-frame"],
        ),
    ],
)
def test_each_subcommand_explains_itself(subcommand: str, mentions: list[str], run: Run) -> None:
    result = run(subcommand, "--help")
    assert result.code == 0
    assert result.text.startswith(f"usage: typedstream {subcommand} ")
    for text in [*mentions, "FILE", "examples:", f"typedstream {subcommand} ", "exit codes:"]:
        assert text in result.text, text
    assert result.err == b""


def test_the_command_explains_itself_and_its_version() -> None:
    result = command("--help", script=True)
    assert result.code == 0
    for text in ("events", "check", "normalize", "demo", "examples:", "exit codes:"):
        assert text in result.text
    version = command("--version")
    assert version.code == 0
    assert version.lines == [f"typedstream {typedstream.__version__}"]


def test_usage_errors_exit_2(run: Run) -> None:
    assert run().code == 2
    assert run("events").code == 2
    assert run("check", "--limit", "0", "x.sse").code == 2
    assert run("frobnicate").code == 2


def test_the_demo_subcommand_is_the_demo(run: Run) -> None:
    result = run("demo", "--help")
    assert result.code == 0
    assert "--provider" in result.text  # configured by typedstream._demo


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    many = tmp_path / "many.jsonl"
    parts = [chunk({"role": "assistant", "content": ""})]
    parts += [chunk({"content": f"word {i} "}) for i in range(20_000)]
    many.write_bytes(jsonl_body([*parts, chunk({}, "stop")]))
    with spawned("events", many, stdin=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        read_until(proc.stdout, 1)
        proc.stdout.close()  # like `| head -n 1`
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141
    assert err == b""


def test_ctrl_c_ends_the_command_quietly() -> None:
    body = recording("openai_gpt4o_text_usage.sse").body()
    with spawned("events", "-") as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(body[: len(body) // 2])
        proc.stdin.flush()
        read_until(proc.stdout, 1)  # running, and waiting for more input
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (130, b"")


def test_ctrl_c_whose_interrupt_python_drops_in_a_finalizer_still_ends_the_command() -> None:
    # Python prints "Exception ignored" for a KeyboardInterrupt raised while a finalizer
    # runs, and goes on: the command must not read on and exit as if the input had ended.
    rec = recording("openai_gpt4o_text_usage.sse")
    code = f"""
import os, signal, sys
from typedstream._cli import main

body = open({str(rec.path)!r}, "rb").read()
pieces = [body[i : i + 200] for i in range(0, len(body), 200)]

class Dropped:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)

class Buffer:
    calls = 0
    def read1(self, n):
        self.calls += 1
        if self.calls == 2:
            Dropped()  # collected at once: Ctrl-C inside its finalizer
        return pieces.pop(0) if pieces else b""
    read = read1

class Stdin:
    buffer = Buffer()
    def fileno(self):
        raise OSError("not a file")

sys.stdin = Stdin()
sys.exit(main(["events", "-"]))
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        timeout=60,
        env=_env(),
        preexec_fn=_sigint_default,
    )
    assert (done.returncode, done.stderr) == (130, b"")
    assert len(done.stdout.splitlines()) < len(rec.chunks())  # it stopped reading


def test_plain_commands_import_neither_rich_pydantic_openai_nor_litellm(tmp_path: Path) -> None:
    rec = recording("openai_gpt4o_tool_call_strict.sse")
    code = f"""
import contextlib, io, sys
from typedstream._anthropic_check import ANTHROPIC_RULES
from typedstream._cli import main
with contextlib.redirect_stdout(io.StringIO()):
    codes = [main(["events", {str(rec.path)!r}]), main(["check", {str(rec.path)!r}])]
heavy = {{"rich", "pydantic", "openai", "litellm"}}
print(codes, sorted({{m.split(".")[0] for m in sys.modules}} & heavy))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, env=_env())
    assert done.stdout.decode().split() == ["[0,", "0]", "[]"], done.stderr


# -- check on Anthropic Messages streams: told by their first event, checked by the rules of
# check_anthropic_events (docs/anthropic.md), reported like chat findings.

ANTHROPIC_RECORDINGS = sorted((CORPUS / "anthropic").glob("*.sse")) + sorted(
    (CORPUS / "anthropic").glob("*.jsonl")
)
# The deviations the recordings' README.txt explains: fixtures without their final blank line,
# and a third-party server that pads nothing and sends a compact ping.
ANTHROPIC_EXPECTED = {
    "anthropicsdk_sonnet37_finegrained_tool_max_tokens_cut.sse": "A4",
    "anthropicsdk_sonnet4_text_then_tool_use_unpadded.sse": "A4",
    "vercel_thirdparty_compat_opus45_input_tokens_in_message_delta.sse": "A3",
}
ANTHROPIC_TEXT: list[dict[str, Any]] = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-x",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 9, "output_tokens": 1},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    {"type": "content_block_stop", "index": 0},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 2},
    },
    {"type": "message_stop"},
]


def sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(
        f"event: {e['type']}\ndata: {json.dumps(e, separators=(',', ':'))}\n\n".encode()
        for e in events
    )


@pytest.mark.parametrize("path", ANTHROPIC_RECORDINGS, ids=[p.name for p in ANTHROPIC_RECORDINGS])
def test_every_anthropic_recording_checks_clean_but_for_the_listed_exceptions(
    path: Path, run: Run
) -> None:
    result = run("check", path)
    expected = ANTHROPIC_EXPECTED.get(path.name)
    if expected is None:
        assert result.code == 0, result.text
        assert result.lines[-1].startswith(f"{path}: Anthropic-exact (")
    else:
        assert result.code == 1
        assert [line.split(":")[0] for line in result.lines if not line.startswith(" ")][:-1] == [
            expected
        ]


def mutants() -> dict[str, list[dict[str, Any]]]:
    def changed(index: int, event: dict[str, Any]) -> list[dict[str, Any]]:
        return [*ANTHROPIC_TEXT[:index], event, *ANTHROPIC_TEXT[index + 1 :]]

    start = json.loads(json.dumps(ANTHROPIC_TEXT[0]))
    start["message"]["content"] = [{"type": "text", "text": "x"}]
    return {
        "B1": changed(0, start),
        "B2": changed(1, {**ANTHROPIC_TEXT[1], "index": 1}),
        "B3": [*ANTHROPIC_TEXT[:2], ANTHROPIC_TEXT[1] | {"index": 1}, *ANTHROPIC_TEXT[2:]],
        "B4": changed(
            2, {**ANTHROPIC_TEXT[2], "delta": {"type": "thinking_delta", "thinking": "x"}}
        ),
        "B5": [*ANTHROPIC_TEXT[:3], *ANTHROPIC_TEXT[4:]],
        "B6": [*ANTHROPIC_TEXT[:-1], ANTHROPIC_TEXT[-1], ANTHROPIC_TEXT[-1]],
        "B7": [{"type": "ping"}, *ANTHROPIC_TEXT],
        "B8": [
            *ANTHROPIC_TEXT[:3],
            {"type": "error", "error": {"type": "api_error", "message": "x"}},
            ANTHROPIC_TEXT[3],
        ],
        "C1": changed(1, {**ANTHROPIC_TEXT[1], "content_block": {"type": "text", "text": "x"}}),
        "C2": [
            *ANTHROPIC_TEXT[:1],
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            },
            {"type": "content_block_stop", "index": 0},
            *ANTHROPIC_TEXT[4:],
        ],
        "C3": [
            *ANTHROPIC_TEXT[:1],
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "f",
                    "input": {"a": 1},
                },
            },
            {"type": "content_block_stop", "index": 0},
            *ANTHROPIC_TEXT[4:],
        ],
        "C4": [
            *ANTHROPIC_TEXT[:1],
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "tool_use", "id": "", "name": "f", "input": {}},
            },
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": ""},
            },
            {"type": "content_block_stop", "index": 0},
            *ANTHROPIC_TEXT[4:],
        ],
        "D1": changed(
            4, {**ANTHROPIC_TEXT[4], "delta": {"stop_reason": "stop", "stop_sequence": None}}
        ),
        "D2": changed(
            4, {**ANTHROPIC_TEXT[4], "delta": {"stop_reason": "tool_use", "stop_sequence": None}}
        ),
        "D3": changed(4, {**ANTHROPIC_TEXT[4], "usage": {"output_tokens": "2"}}),
    }


def test_the_clean_stream_checks_clean(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "text.sse"
    path.write_bytes(sse(ANTHROPIC_TEXT))
    result = run("check", path)
    assert result.code == 0, result.text
    assert result.lines == [f"{path}: Anthropic-exact (6 events)"]


@pytest.mark.parametrize("rule", sorted(set(ANTHROPIC_RULES) - {"A1", "A2", "A3", "A4"}))
def test_a_mutant_per_rule_exits_1_naming_the_rule(rule: str, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "mutant.sse"
    path.write_bytes(sse(mutants()[rule]))
    result = run("check", "--partial" if rule == "B8" else "--limit=3", path)
    assert result.code == 1, result.text
    assert any(line.startswith(f"{rule}: ") for line in result.lines), result.text


@pytest.mark.parametrize(
    ("rule", "body"),
    [
        ("A1", sse(ANTHROPIC_TEXT).replace(b"\n", b"\r\n")),
        (
            "A2",
            sse(ANTHROPIC_TEXT)
            .replace(b"event: ping", b"event: pong", 1)
            .replace(b"event: message_stop", b"event: message_end"),
        ),
        ("A3", sse(ANTHROPIC_TEXT).replace(b'"text":"Hi"', b'"text": "Hi"')),
        ("A4", sse(ANTHROPIC_TEXT)[:-1]),
    ],
)
def test_framing_mutants_exit_1_naming_the_rule(
    rule: str, body: bytes, run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "mutant.sse"
    path.write_bytes(body)
    result = run("check", path)
    assert result.code == 1, result.text
    assert any(line.startswith(f"{rule}: ") for line in result.lines), result.text


def test_findings_name_events_not_chunks(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "mutant.sse"
    path.write_bytes(sse(mutants()["D1"]))
    result = run("check", path)
    assert result.lines[0] == ("D1: 1 deviation, first in event 5: " + ANTHROPIC_RULES["D1"])
    assert result.lines[1].startswith("  event 5 at delta.stop_reason: ")
    assert result.lines[-1] == f"{path}: not Anthropic-exact: 1 deviation (1 rule) in 6 events"


def test_json_lines_of_events_are_checked_without_framing_rules(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in ANTHROPIC_TEXT))
    assert run("check", path).lines == [f"{path}: Anthropic-exact (6 events)"]


def test_a_stream_without_message_stop_was_cut_off(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "cut.sse"
    path.write_bytes(sse(ANTHROPIC_TEXT[:3]))
    result = run("check", path)
    assert result.code == 4
    assert result.lines[-1] == f"{path}: no deviations in 3 events, but the stream was cut off"
    assert run("check", "--partial", path).code == 0


def test_an_error_event_ends_the_stream_as_a_provider_error(run: Run, tmp_path: Path) -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    path = tmp_path / "error.sse"
    path.write_bytes(sse([*ANTHROPIC_TEXT[:3], error]))
    result = run("check", path)
    assert result.code == 3, result.text
    assert "Overloaded" in result.text


def test_protocol_chat_checks_anthropic_input_as_chat_chunks(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "text.sse"
    path.write_bytes(sse(ANTHROPIC_TEXT))
    assert run("check", "--protocol", "chat", path).code == 2
    assert run("check", "--protocol", "anthropic", path).code == 0


def test_rule_and_ignore_take_anthropic_rules(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "mutant.sse"
    path.write_bytes(sse(mutants()["D1"]))
    assert run("check", "--ignore", "D1", path).code == 0
    assert run("check", "--rule", "B5", path).code == 0
    assert run("check", "--rule", "D1", path).code == 1


def test_standard_input_is_told_by_its_first_event() -> None:
    result = command("check", "-", stdin=sse(ANTHROPIC_TEXT))
    assert result.code == 0, result.text
    assert result.lines == ["<stdin>: Anthropic-exact (6 events)"]
