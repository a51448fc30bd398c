"""Property: whatever chat events come in, the Anthropic writer's output passes the checker.

Two sources: OpenAI-shaped chunk streams read by the chat reader (the generator of
tests/test_roundtrip_property.py), and event sequences built from every kind of fact a chat
stream carries into Anthropic (text, refusals, reasoning with and without signatures, redacted
and foreign state, citations, sequential and interleaved tool calls, cuts, usage), in any order.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_roundtrip_property import openai_streams

import typedstream
from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    Citation,
    OpaqueState,
    ReasoningDelta,
    RefusalDelta,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    UnwritableEventError,
    Usage,
    check_anthropic_events,
    to_anthropic_sse,
)


@settings(max_examples=150, deadline=None)
@given(openai_streams())
def test_chat_reader_events_are_written_checker_clean(chunks: list[dict[str, Any]]) -> None:
    events = list(typedstream.events(chunks))
    frames: list[bytes] = []
    if any(getattr(e, "choice", 0) for e in events):
        try:
            frames.extend(to_anthropic_sse(events))
        except UnwritableEventError:
            pass
        else:
            raise AssertionError("a second choice was written")
    else:
        frames.extend(to_anthropic_sse(events))
    found = check_anthropic_events(b"".join(frames))
    # Arguments that are not a JSON object are written as streamed; only the checker's C3
    # may then object (Anthropic's input is always an object).
    assert [d for d in found if d.rule != "C3" or all(_object(e) for e in events)] == []


def _object(event: StreamEvent) -> bool:
    if not isinstance(event, ToolCallDone):
        return True
    try:
        return isinstance(json.loads(event.arguments), dict)
    except ValueError:
        return False


words = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=6)
CITED = {"type": "web_search_result_location", "cited_text": "c", "url": "u", "title": "t"}


@st.composite
def facts(draw: st.DrawFn, call: int) -> list[StreamEvent]:
    kind = draw(
        st.sampled_from(
            ["text", "refusal", "reasoning", "signed", "redacted", "foreign", "citation", "call"]
        )
    )
    if kind == "text":
        return [TextDelta(w) for w in draw(st.lists(words, min_size=1, max_size=3))]
    if kind == "refusal":
        return [RefusalDelta(draw(words))]
    if kind in ("reasoning", "signed"):
        out: list[StreamEvent] = [ReasoningDelta(w) for w in draw(st.lists(words, max_size=3))]
        if kind == "signed":
            out.append(OpaqueState("anthropic", "thinking_signature", "Eq" + draw(words)))
        return out
    if kind == "redacted":
        return [OpaqueState("anthropic", "redacted_thinking", "Em" + draw(words))]
    if kind == "foreign":
        return [OpaqueState("responses", "encrypted_reasoning", "gA" + draw(words))]
    if kind == "citation":
        return [
            Citation("web_search_result_location", "u", "t", "c", None, None, CITED, "anthropic")
        ]
    call_id = f"call_{call}"
    arguments = json.dumps({"k": draw(words)})
    cut = draw(st.integers(1, len(arguments)))
    out = [ToolCallStarted(call, call_id, "f")]
    out += [
        ArgumentsDelta(call, call_id, arguments[:cut]),
        ArgumentsDelta(call, call_id, arguments[cut:]),
    ]
    out.append(ToolCallDone(call, call_id, "f", arguments))
    return out


@st.composite
def chat_events(draw: st.DrawFn) -> list[StreamEvent]:
    events: list[StreamEvent] = [StreamStarted("chatcmpl-1", "m", 1)]
    runs = draw(st.integers(0, 6))
    calls = 0
    for _ in range(runs):
        fact = draw(facts(calls))
        calls += sum(isinstance(e, ToolCallStarted) for e in fact)
        events += fact
    last = events[-1]
    if draw(st.booleans()) and isinstance(last, ToolCallDone):  # cut by the token limit
        events.remove(last)
        events.append(ToolCallIncomplete(last.index, last.id, "f", "{", "length"))
        events.append(ChoiceFinished("length", "length"))
    else:
        events.append(ChoiceFinished("tool_calls" if calls else "stop", None))
    if draw(st.booleans()):
        events.append(Usage({"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}))
    return events


@settings(max_examples=300, deadline=None)
@given(chat_events())
def test_any_mix_of_chat_facts_is_written_checker_clean(events: list[StreamEvent]) -> None:
    assert check_anthropic_events(b"".join(to_anthropic_sse(events))) == []
