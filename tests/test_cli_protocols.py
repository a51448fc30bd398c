"""The command on every wire protocol: `--from` (alias `--protocol`) on events, check and
normalize, `normalize --to anthropic`, and `check` on Responses input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from corpus import CORPUS, Recording, recordings

import typedstream
from typedstream._cli import main

ANTHROPIC = sorted((CORPUS / "anthropic").glob("*.sse"))
RESPONSES = sorted((CORPUS / "responses").glob("*.sse"))
THINKING = CORPUS / "anthropic" / "pydanticai_sonnet4_thinking_signature.sse"
ERROR_THEN_FAILED = CORPUS / "responses" / "vai_openai_gpt5nano_error_then_failed.sse"

Run = Callable[..., tuple[int, bytes, bytes]]


@pytest.fixture
def run(capsysbinary: pytest.CaptureFixture[bytes]) -> Run:
    def run(*argv: str | Path) -> tuple[int, bytes, bytes]:
        code = main([str(a) for a in argv])
        captured = capsysbinary.readouterr()
        return code, captured.out, captured.err

    return run


def _frames(body: bytes) -> list[tuple[str, object]]:
    frames = []
    for frame in body.split(b"\n\n")[:-1]:
        name, data = frame.split(b"\n")
        frames.append((name.decode(), json.loads(data.removeprefix(b"data: "))))
    return frames


def _single_choice(rec: Recording) -> bool:
    return "n3" not in rec.path.name


@pytest.mark.parametrize(
    "rec", [r for r in recordings() if not r.is_error and _single_choice(r)], ids=str
)
def test_normalize_to_anthropic_writes_the_library_output_and_it_checks_clean(
    rec: Recording, run: Run, tmp_path: Path
) -> None:
    code, out, err = run("normalize", "--to", "anthropic", rec.path)
    assert code == 0, err
    source = rec.body() if rec.is_sse else rec.chunks()
    expected = b"".join(typedstream.to_anthropic_sse(typedstream.events(source)))
    assert _frames(out) == _frames(expected)  # the command escapes C1 controls and U+2028
    assert typedstream.check_anthropic_events(expected) == []
    if out == expected:  # with escapes, A3 (compact JSON) would flag the command's output
        written = tmp_path / "anthropic.sse"
        written.write_bytes(out)
        code, text, _ = run("check", "--color", "never", written)
        assert code == 0, text
        assert text.decode().splitlines()[-1].startswith(f"{written}: Anthropic-exact")


def test_normalize_from_anthropic_to_chat_is_openai_exact(run: Run, tmp_path: Path) -> None:
    code, out, err = run("normalize", "--from", "anthropic", "--to", "chat", THINKING)
    assert code == 0, err
    assert out.endswith(b"data: [DONE]\n\n")
    written = tmp_path / "chat.sse"
    written.write_bytes(out)
    assert run("check", written)[0] == 0


def test_normalize_anthropic_to_anthropic_keeps_the_signature(run: Run) -> None:
    code, out, _ = run("normalize", "--to", "anthropic", THINKING)
    assert code == 0
    original = [e for e in typedstream.events(THINKING.read_bytes()) if e.kind == "opaque_state"]
    again = [e for e in typedstream.events(out) if e.kind == "opaque_state"]
    assert original
    assert again == original


def test_from_chat_on_anthropic_input_reads_it_as_chat_and_fails(run: Run) -> None:
    code, _, err = run("events", "--from", "chat", THINKING)
    assert code == 2
    assert b"typedstream:" in err


def test_protocol_is_another_spelling_of_from(run: Run) -> None:
    assert (
        run("events", "--protocol", "anthropic", THINKING)[:2]
        == run("events", "--from", "anthropic", THINKING)[:2]
    )


@pytest.mark.parametrize("path", RESPONSES, ids=lambda p: p.name)
def test_check_tells_responses_input_by_its_first_event(path: Path, run: Run) -> None:
    _, out, _ = run("check", "--color", "never", path)
    last = out.decode().splitlines()[-1]
    assert f"{path}: " in last
    assert "Responses-exact" in last
    assert "chunk" not in last


def test_check_reports_a_responses_error_event_as_a_provider_error(run: Run) -> None:
    code, out, _ = run("check", "--color", "never", "--ignore", "R3", ERROR_THEN_FAILED)
    assert code == 3
    lines = out.decode().splitlines()
    assert lines[0].startswith("event 3: provider error: You exceeded your current quota")
    assert lines[-1].endswith("before the provider error at event 3 (6 more ignored)")


def test_check_names_responses_rules(run: Run) -> None:
    code, out, _ = run("check", "--color", "never", "--rule", "R3", ERROR_THEN_FAILED)
    assert code == 1  # deviations
    assert out.decode().splitlines()[0].startswith("R3: ")


@pytest.mark.parametrize("path", ANTHROPIC[:3], ids=lambda p: p.name)
def test_events_reads_anthropic_input_by_its_first_event(path: Path, run: Run) -> None:
    code, out, _ = run("events", path)
    assert out.decode().splitlines()[0].startswith("StreamStarted(")
    assert "protocol='anthropic'" in out.decode().splitlines()[0]
    assert code in (0, 4)


@pytest.mark.parametrize(
    "path",
    [*ANTHROPIC, *(r.path for r in recordings() if not r.is_error and _single_choice(r))],
    ids=lambda p: p.name,
)
def test_normalize_to_responses_checks_clean(path: Path, run: Run, tmp_path: Path) -> None:
    code, out, err = run("normalize", "--to", "responses", path)
    # The two SDK fixtures lack their final blank line: cut off (exit 4), the output still
    # ends in a terminal event (response.failed, or response.incomplete after a max_tokens cut).
    assert code in ((0, 4) if "anthropicsdk" in path.name else (0,)), err
    written = tmp_path / "responses.sse"
    written.write_bytes(out)
    code, text, _ = run("check", "--color", "never", "--from", "responses", written)
    last = text.decode().splitlines()[-1]
    if code == 3:  # the cut source's error event, written as `error` + `response.failed`
        assert "anthropicsdk" in path.name
        assert last.startswith(f"{written}: no deviations")
    else:
        assert code == 0, text
        assert last.startswith(f"{written}: Responses-exact")
