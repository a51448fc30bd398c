"""Real consumers of OpenAI chunks rebuild the right message from typedstream's output.

Two independent consumers: the `openai` SDK's own `ChatCompletionStreamState`, and a
Swarm-style merge loop written here (concatenate every string field of
`chunk.choices[0].delta`, key tool calls by `tool_calls[0]["index"]`) — the loop that breaks
on raw LiteLLM chunks ("functionfunction…"). The expected message of each recording comes
from its events, not from the code under test. For OpenAI sources, a trace extracted from
the wire shows the round trip is lossless as docs/openai-exact.md defines it.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from corpus import LITELLM, Recording, ids, recording, recordings

import typedstream
from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    RefusalDelta,
    StreamEvent,
    TextDelta,
    ToolCallStarted,
    Usage,
    to_openai_chunks,
)

RECORDINGS = recordings()
OPENAI_SOURCES = tuple(r for r in RECORDINGS if r.is_openai or r.name.startswith("wire_openai_"))


@dataclass
class Expected:
    """What one choice must rebuild to, folded from the events."""

    text: str = ""
    refusal: str = ""
    calls: dict[int, list[str]] = field(default_factory=dict)  # index -> [id, name, arguments]
    legacy: list[str] | None = None  # [name, arguments]
    finish: str | None = None


def source(rec: Recording) -> tuple[list[StreamEvent], bool]:
    out: list[StreamEvent] = []
    try:
        out.extend(typedstream.events(rec.chunks()))
    except typedstream.ProviderError:
        return out, False
    return out, True


def expected(events: list[StreamEvent]) -> dict[int, Expected]:
    out: dict[int, Expected] = defaultdict(Expected)
    legacy: set[tuple[int, int]] = set()
    for event in events:
        match event:
            case TextDelta(text=text, choice=c):
                out[c].text += text
            case RefusalDelta(text=text, choice=c):
                out[c].refusal += text
            case ToolCallStarted(index=i, id=call_id, name=name, choice=c, legacy=True):
                legacy.add((c, i))
                out[c].legacy = [name, ""]
            case ToolCallStarted(index=i, id=call_id, name=name, choice=c):
                out[c].calls[i] = [call_id, name, ""]
            case ArgumentsDelta(index=i, delta=d, choice=c):
                target = out[c].legacy if (c, i) in legacy else out[c].calls[i]
                assert target is not None
                target[-1] += d
            case ChoiceFinished(reason=reason, choice=c):
                out[c].finish = reason
            case _:
                pass
    return dict(out)


def output_chunks(events: list[StreamEvent]) -> list[Any]:
    return list(to_openai_chunks(events))


# -- the openai SDK ---------------------------------------------------------------------------


@pytest.mark.parametrize("rec", RECORDINGS, ids=ids(RECORDINGS))
def test_the_openai_sdk_rebuilds_the_message(rec: Recording) -> None:
    from openai.lib.streaming.chat import ChatCompletionStreamState

    events, complete = source(rec)
    want = expected(events)
    chunks = output_chunks(events)
    if not chunks:  # an error before anything OpenAI has a word for (reasoning only)
        assert not any(w.text or w.refusal or w.calls for w in want.values())
        return
    state: Any = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(chunk)
    snapshot = state.current_completion_snapshot
    if complete and all(w.finish != "length" for w in want.values()):
        snapshot = state.get_final_completion()  # (it refuses "length" answers by design)
    assert sorted(c.index for c in snapshot.choices) == sorted(want)
    for got in snapshot.choices:
        w = want[got.index]
        message = got.message
        assert (message.role, message.content or "", message.refusal or "") == (
            "assistant",
            w.text,
            w.refusal,
        )
        calls = [[t.id, t.function.name, t.function.arguments] for t in message.tool_calls or ()]
        assert calls == [w.calls[i] for i in sorted(w.calls)]
        legacy = message.function_call
        assert ([legacy.name, legacy.arguments] if legacy else None) == w.legacy
        assert got.finish_reason == w.finish
    usage = next((e for e in events if isinstance(e, Usage)), None)
    if usage is not None and not any(e.kind == "moderation" for e in events):
        assert snapshot.usage is not None
        assert (snapshot.usage.prompt_tokens, snapshot.usage.completion_tokens) == (
            usage.usage["prompt_tokens"],
            usage.usage["completion_tokens"],
        )


# -- a Swarm-style merge loop -----------------------------------------------------------------


def merge_fields(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, str):
            target[key] = target.get(key, "") + value
        elif isinstance(value, dict):
            merge_fields(target.setdefault(key, {}), value)


def swarm_merge(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The naive loop agent frameworks ship (Swarm's `merge_chunk`), over `model_dump()` dicts."""
    message: dict[str, Any] = {"tool_calls": defaultdict(dict)}
    for chunk in chunks:
        if not chunk.get("choices"):
            continue
        delta = dict(chunk["choices"][0]["delta"])
        tool_calls = delta.pop("tool_calls", None)
        merge_fields(message, delta)
        if tool_calls:
            entry = dict(tool_calls[0])
            index = entry.pop("index")
            merge_fields(message["tool_calls"][index], entry)
    message["tool_calls"] = dict(message["tool_calls"])
    return message


def swarm_calls(w: Expected) -> dict[int, dict[str, Any]]:
    """The tool calls a Swarm-style loop must end up with."""
    return {
        i: {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
        for i, (call_id, name, arguments) in w.calls.items()
    }


@pytest.mark.parametrize("rec", RECORDINGS, ids=ids(RECORDINGS))
def test_a_swarm_style_loop_rebuilds_the_message(rec: Recording) -> None:
    events, _ = source(rec)
    dumped = [c.model_dump() for c in output_chunks(events)]
    for index, w in expected(events).items():
        if not (w.text or w.refusal or w.calls or w.legacy or w.finish):
            continue  # nothing reached the output for this choice (an error came first)
        # The loop reads choices[0] only: run it on each choice's chunks (n > 1).
        mine = [c for c in dumped if not c["choices"] or c["choices"][0]["index"] == index]
        got = swarm_merge(mine)
        assert got["role"] == "assistant"
        assert got.get("content", "") == w.text
        assert got.get("refusal", "") == w.refusal
        assert got["tool_calls"] == swarm_calls(w)
        legacy = got.get("function_call")
        assert ([legacy["name"], legacy["arguments"]] if legacy else None) == w.legacy


CALLS = {
    0: {
        "id": "call_Aa1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
    },
    1: {
        "id": "call_Bb2",
        "type": "function",
        "function": {"name": "get_time", "arguments": '{"tz": "Europe/Paris"}'},
    },
}


def test_the_swarm_loop_breaks_on_raw_litellm_chunks() -> None:
    raw = recording("litellm_openai_tools_usage_sync.jsonl").chunks()
    got = swarm_merge(raw)
    assert got["tool_calls"][0]["type"] == "function" * 5  # header + 4 fragments
    assert got["tool_calls"][1]["type"] == "function" * 4  # header + 3 fragments
    assert got["tool_calls"] != CALLS


def test_the_swarm_loop_gets_the_exact_calls_through_typedstream() -> None:
    raw = recording("litellm_openai_tools_usage_sync.jsonl").chunks()
    chunks = [c.model_dump() for c in to_openai_chunks(typedstream.events(raw))]
    got = swarm_merge(chunks)
    assert got["tool_calls"] == CALLS
    assert (got["role"], got["content"]) == ("assistant", "Let me check both.")


# -- lossless for OpenAI sources (docs/openai-exact.md) ----------------------------------------


def trace(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything docs/openai-exact.md says must survive, read straight from wire chunks."""
    per_choice: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    usage = moderation = None
    for chunk in chunks:
        usage = chunk.get("usage") or usage
        moderation = chunk.get("moderation") or moderation
        for choice in chunk.get("choices") or ():
            items = per_choice[choice["index"]]
            delta = choice.get("delta") or {}
            if delta.get("role"):
                items.append(("role", delta["role"]))
            logprobs = choice.get("logprobs") or {}
            for key in ("content", "refusal"):
                items.extend(("logprob", key, entry) for entry in logprobs.get(key) or ())
            for key in ("content", "refusal"):
                if delta.get(key):
                    items.append((key, delta[key]))
            for entry in delta.get("tool_calls") or ():
                function = entry.get("function") or {}
                if entry.get("id") or function.get("name"):
                    items.append(("header", entry["index"], entry.get("id"), function.get("name")))
                if function.get("arguments"):
                    items.append(("arguments", entry["index"], function["arguments"]))
            legacy = delta.get("function_call") or {}
            if legacy.get("name"):
                items.append(("function_call.name", legacy["name"]))
            if legacy.get("arguments"):
                items.append(("function_call.arguments", legacy["arguments"]))
            if choice.get("finish_reason"):
                items.append(("finish", choice["finish_reason"]))
    first = chunks[0]
    envelope = {
        key: first.get(key)
        for key in ("id", "created", "model", "system_fingerprint", "service_tier")
    }
    return {"choices": dict(per_choice), "usage": usage, "moderation": moderation, **envelope}


@pytest.mark.parametrize("rec", OPENAI_SOURCES, ids=ids(OPENAI_SOURCES))
def test_openai_sources_survive_the_round_trip_losslessly(rec: Recording) -> None:
    chunks = [
        c.model_dump(mode="json", exclude_unset=True)
        for c in to_openai_chunks(typedstream.events(rec.chunks()))
    ]
    assert trace(chunks) == trace(rec.chunks())


def test_the_trace_sees_what_it_must() -> None:
    # The trace is the test's own reader: check it on a recording by hand.
    rec = recording("openai_gpt4o_content_logprobs.sse")
    got = trace(rec.chunks())
    assert got["choices"][0][:3] == [
        ("role", "assistant"),
        (
            "logprob",
            "content",
            {"token": "Foo", "logprob": -0.0025094282, "bytes": [70, 111, 111], "top_logprobs": []},
        ),
        ("content", "Foo"),
    ]
    assert got["choices"][0][-1] == ("finish", "stop")
    assert got["usage"]["total_tokens"] == 11


def test_the_wire_recordings_are_in_the_openai_set() -> None:
    assert {p.name for p in LITELLM.glob("wire_openai_*.jsonl")} <= {r.name for r in OPENAI_SOURCES}


def test_an_error_recording_rebuilds_what_came_before_the_error() -> None:
    rec = recording("openrouter_minimax_error_midstream.sse")
    chunks: list[Any] = []
    with contextlib.suppress(typedstream.ProviderError):
        chunks.extend(to_openai_chunks(typedstream.events(rec.chunks())))
    got = swarm_merge([c.model_dump() for c in chunks])
    assert got["role"] == "assistant"
    assert chunks[-1].choices[0].finish_reason == "length"
