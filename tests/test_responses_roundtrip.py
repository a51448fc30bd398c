"""Responses → events → Responses on every recording (docs/event-model.md §10): the output is
checker-clean and its terminal response equals the original's, but for the differences listed
here, each with its reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from corpus import CORPUS

import typedstream

RECORDINGS = sorted((CORPUS / "responses").glob("*.sse"))

# What the round trip may change in the terminal response, per recording (JSON paths).
ALLOWED: dict[str, set[str]] = {
    # A reasoning item's empty `content: []` is not a fact the events carry (newer models
    # send it, older ones leave it out; a reasoning_text part fills it when there is one).
    "lingua_openai_gpt56terra_custom_tool_call.sse": {".output[0].content only original"},
    "pai_openai_gpt55_phase_text_then_function_call.sse": {".output[0].content only original"},
    "pai_openai_gpt5_moderation.sse": {".output[0].content only original"},
    # The terminal response is built from the events: its logprobs are the ones the deltas
    # carried (OpenAI's terminal copy has more digits), and written where OpenAI writes them.
    "pai_openai_gpt4o_2025-03_text_noseq.sse": {".output[0].content[0].logprobs only ours"},
    "pai_openai_gpt4omini_logprobs.sse": {"logprob digits"},
    # xAI's slim response has no `error` key; the terminal one is written with `error: null`.
    "vai_xai_grokcodefast1_reasoning_summary.sse": {".error only ours"},
    # Copilot rotates every id between the events and the terminal response (a quirk the
    # reader accepts): the events' ids are written.
    "vai_githubcopilot_gpt53codex_item_id_rotation.sse": {
        "ids",
        ".output[0].content only original",
        ".output[0].encrypted_content only original",
    },
}


def _terminal(body: bytes) -> dict[str, Any] | None:
    events = [
        json.loads(line[6:])
        for line in body.decode().splitlines()
        if line.startswith("data: ") and line[6:].strip() != "[DONE]"
    ]
    ends = [e for e in events if e.get("type") in ("response.completed", "response.incomplete")]
    return ends[-1]["response"] if ends else None


def _diff(ours: object, original: object, path: str = "") -> Iterator[str]:
    if isinstance(ours, dict) and isinstance(original, dict):
        for key in sorted(set(ours) | set(original)):
            if key == "obfuscation":  # not a fact (docs/responses.md)
                continue
            if key not in original:
                yield f"{path}.{key} only ours"
            elif key not in ours:
                yield f"{path}.{key} only original"
            else:
                yield from _diff(ours[key], original[key], f"{path}.{key}")
    elif isinstance(ours, list) and isinstance(original, list):
        if len(ours) != len(original):
            yield f"{path} has {len(ours)} entries, not {len(original)}"
        else:
            for n, (a, b) in enumerate(zip(ours, original, strict=True)):
                yield from _diff(a, b, f"{path}[{n}]")
    elif ours != original:
        if path.endswith(".logprob"):
            yield "logprob digits"
        elif path.endswith(".id"):
            yield "ids"
        else:
            yield f"{path}: {ours!r} != {original!r}"


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_responses_round_trip_is_checker_clean_and_keeps_the_response(path: Path) -> None:
    body = path.read_bytes()
    written: list[bytes] = []
    try:
        for frame in typedstream.to_responses_sse(typedstream.events(body)):
            written.append(frame)
    except typedstream.ProviderError:
        assert "error" in path.name  # the one recording that ends in error + failed
    out = b"".join(written)
    assert typedstream.check_responses_events(out) == []
    original = _terminal(body)
    if original is None:
        assert b"response.failed" in out
        return
    assert set(_diff(_terminal(out), original)) == ALLOWED.get(path.name, set())


def _written(write: Any, path: Path) -> tuple[list[Any], Exception | None]:
    """What a writer wrote for the recording's events, and the exception that ended it."""
    out: list[Any] = []
    try:
        for item in write(typedstream.events(path.read_bytes())):
            out.append(item)
    except (typedstream.UnwritableEventError, typedstream.ProviderError) as error:
        return out, error
    return out, None


def _custom_call(error: Exception | None) -> bool:
    # A custom tool call has no place in chat or Anthropic output (docs/event-model.md §11).
    return isinstance(error, typedstream.UnwritableEventError) and isinstance(
        error.event, typedstream.CustomToolCallStarted
    )


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_responses_recordings_written_as_anthropic_are_checker_clean(path: Path) -> None:
    frames, error = _written(typedstream.to_anthropic_sse, path)
    if _custom_call(error):
        return
    if error is not None:
        assert isinstance(error, typedstream.ProviderError)
        assert frames[-1].startswith(b"event: error")
    assert typedstream.check_anthropic_events(b"".join(frames)) == []


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_responses_recordings_written_as_chat_are_openai_exact(path: Path) -> None:
    chunks, error = _written(typedstream.to_openai_chunks, path)
    if _custom_call(error):
        return
    if error is not None:
        assert isinstance(error, typedstream.ProviderError)
        return
    assert typedstream.check_openai_chunks(chunks) == []
