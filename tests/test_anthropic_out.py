"""`to_anthropic_sse()` / `to_anthropic_events()` and their async twins: exact Anthropic streams.

Every chat recording of the corpus is written and checked with `check_anthropic_events`; each
row of the "chat → Anthropic" loss table (docs/anthropic.md) is a test named after it; the
Anthropic-source rules (explicit blocks put back) use events built by hand as the Anthropic
reader makes them (docs/event-model.md §4.2).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from corpus import Recording, ids, recording, recordings
from hypothesis import given
from hypothesis import strategies as st

import typedstream
from typedstream import (
    AnthropicWriter,
    ArgumentsDelta,
    BlockDone,
    BlockStarted,
    ChoiceFinished,
    Citation,
    CustomToolCallStarted,
    Extension,
    IncompleteStreamError,
    Logprobs,
    Moderation,
    OpaqueState,
    ProviderData,
    ProviderError,
    ReasoningDelta,
    RefusalDelta,
    ServerToolCallDone,
    ServerToolCallStarted,
    ServerToolInputDelta,
    ServerToolResult,
    StopReason,
    StreamError,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    UnwritableEventError,
    Usage,
    UsageError,
    ato_anthropic_events,
    ato_anthropic_sse,
    check_anthropic_events,
    to_anthropic_events,
    to_anthropic_sse,
)
from typedstream._anthropic_out import _frame
from typedstream._anthropic_vocab import error_type
from typedstream._json import dumps

RECORDINGS = recordings()
SINGLE = tuple(r for r in RECORDINGS if not r.is_error and r.name != "openai_gpt4o_n3_choices.sse")
ERRORS = tuple(r for r in RECORDINGS if r.is_error)

START = StreamStarted("chatcmpl-x", "gpt-4o", 1700000000, "fp_1", "default")
SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3h+/=="
END = ChoiceFinished("stop", "stop")


def source(rec: Recording) -> Any:
    return [rec.body()] if rec.is_sse else rec.chunks()


def parse(frames: list[bytes]) -> list[dict[str, Any]]:
    """The events of SSE frames, each checked for Anthropic's framing on the way."""
    out = []
    for frame in frames:
        head, data, blank = frame.split(b"\n", 2)
        assert blank == b"\n", frame
        event = json.loads(data.removeprefix(b"data: "))
        assert head == b"event: " + event["type"].encode(), frame
        out.append(event)
    return out


def write(events: list[StreamEvent], **options: Any) -> list[dict[str, Any]]:
    return parse(list(to_anthropic_sse(events, **options)))


def blocks(wire: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The content blocks the wire builds, as the SDK accumulates them (input as JSON text)."""
    content: list[dict[str, Any]] = []
    for event in wire:
        if event["type"] == "content_block_start":
            assert event["index"] == len(content)
            content.append(dict(event["content_block"]))
        elif event["type"] == "content_block_delta":
            block, delta = content[event["index"]], event["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            elif delta["type"] == "input_json_delta":
                block["json"] = block.get("json", "") + delta["partial_json"]
            elif delta["type"] == "citations_delta":
                block["citations"].append(delta["citation"])
    return content


def finish(wire: list[dict[str, Any]]) -> dict[str, Any]:
    (delta,) = [e for e in wire if e["type"] == "message_delta"]
    return delta


def clean(wire: list[dict[str, Any]]) -> None:
    assert check_anthropic_events(wire) == []


# -- the corpus ------------------------------------------------------------------------------


@pytest.mark.parametrize("rec", SINGLE, ids=ids(SINGLE))
def test_every_chat_recording_is_written_checker_clean(rec: Recording) -> None:
    body = b"".join(to_anthropic_sse(typedstream.events(source(rec))))
    assert check_anthropic_events(body) == []


@pytest.mark.parametrize("rec", SINGLE, ids=ids(SINGLE))
def test_typed_events_are_the_sse_events(rec: Recording) -> None:
    pytest.importorskip("anthropic")  # the typed events are the anthropic SDK's
    frames = parse(list(to_anthropic_sse(typedstream.events(source(rec)))))
    typed = list(to_anthropic_events(typedstream.events(source(rec))))
    assert [e.model_dump(mode="json", exclude_unset=True) for e in typed] == frames


@pytest.mark.parametrize("rec", SINGLE, ids=ids(SINGLE))
async def test_async_sse_sink_equals_the_sync_one(rec: Recording) -> None:
    frames = list(to_anthropic_sse(typedstream.events(source(rec))))
    got = [f async for f in ato_anthropic_sse(typedstream.aevents(_aiter(source(rec))))]
    assert got == frames


@pytest.mark.parametrize("rec", SINGLE, ids=ids(SINGLE))
async def test_async_typed_sink_equals_the_sync_sse(rec: Recording) -> None:
    pytest.importorskip("anthropic")  # the typed events are the anthropic SDK's
    frames = list(to_anthropic_sse(typedstream.events(source(rec))))
    typed = [e async for e in ato_anthropic_events(typedstream.events(source(rec)))]
    assert [e.model_dump(mode="json", exclude_unset=True) for e in typed] == parse(frames)


async def _aiter(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def test_two_serializations_are_identical() -> None:
    rec = recording("openai_gpt4o_parallel_tool_calls.sse")
    first = b"".join(to_anthropic_sse(typedstream.events(source(rec))))
    assert first == b"".join(to_anthropic_sse(typedstream.events(source(rec))))


def test_frames_are_compact_utf8_without_escapes() -> None:
    frames = list(to_anthropic_sse([START, TextDelta("naïve — °"), END]))
    assert "naïve — °".encode() in b"".join(frames)
    assert all(b": " not in frame.split(b"\n")[1][6:] for frame in frames)


# -- the message -----------------------------------------------------------------------------


def test_message_start_carries_id_model_and_zero_usage_without_initial_usage() -> None:
    (start, *_) = write([START, TextDelta("Hi"), END])
    assert start == {
        "type": "message_start",
        "message": {
            "id": "chatcmpl-x",
            "type": "message",
            "role": "assistant",
            "model": "gpt-4o",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        },
    }


def test_a_missing_message_id_is_generated_deterministically() -> None:
    events: list[StreamEvent] = [StreamStarted(None, "m", None), TextDelta("Hi"), END]
    first = write(events)[0]["message"]["id"]
    assert first.startswith("msg_")
    assert first == write(events)[0]["message"]["id"]
    assert (
        first != write([StreamStarted(None, "m", None), TextDelta("Ho"), END])[0]["message"]["id"]
    )


def test_id_and_model_can_be_overridden() -> None:
    message = write([START, END], id="msg_01", model="claude")[0]["message"]
    assert (message["id"], message["model"]) == ("msg_01", "claude")


def test_events_without_stream_started_still_get_a_message() -> None:
    wire = write([TextDelta("Hi"), END])
    clean(wire)
    assert wire[0]["message"]["id"].startswith("msg_")


def test_events_without_a_finish_end_as_end_turn_or_tool_use() -> None:
    assert finish(write([START, TextDelta("Hi")]))["delta"]["stop_reason"] == "end_turn"
    calls: list[StreamEvent] = [
        START,
        ToolCallStarted(0, "call_1", "f"),
        ToolCallDone(0, "call_1", "f", "{}"),
    ]
    assert finish(write(calls))["delta"]["stop_reason"] == "tool_use"


def test_initial_usage_goes_to_message_start_in_anthropic_fields() -> None:
    initial = Usage({"prompt_tokens": 10, "prompt_tokens_details": {"cached_tokens": 4}})
    start = StreamStarted("x", "m", None, initial_usage=initial)
    usage = write([start, END])[0]["message"]["usage"]
    assert usage == {
        "input_tokens": 6,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 4,
        "output_tokens": 0,
    }


def test_a_second_stream_started_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        write([START, START])


# -- chat → Anthropic: one test per row of the loss table ------------------------------------


def test_text_is_one_text_block_per_run() -> None:
    wire = write(
        [
            START,
            TextDelta("Hel"),
            TextDelta("lo"),
            ToolCallStarted(0, "call_1", "f"),
            ToolCallDone(0, "call_1", "f", "{}"),
            TextDelta("after"),
            END,
        ]
    )
    clean(wire)
    assert [(b["type"], b.get("text")) for b in blocks(wire)] == [
        ("text", "Hello"),
        ("tool_use", None),
        ("text", "after"),
    ]


def test_reasoning_without_anthropic_state_is_not_written() -> None:
    wire = write([START, ReasoningDelta("hmm"), ReasoningDelta("…"), TextDelta("Hi"), END])
    clean(wire)
    assert blocks(wire) == [{"type": "text", "text": "Hi"}]


def test_reasoning_with_a_litellm_signature_is_a_thinking_block() -> None:
    # What the chat reader makes of LiteLLM's thinking_blocks: the reasoning text, then the
    # ProviderData container, then the signature it carries.
    thinking_blocks = [{"type": "thinking", "thinking": "", "signature": SIGNATURE}]
    wire = write(
        [
            START,
            ReasoningDelta("The user wants "),
            ProviderData("thinking_blocks", [{"type": "thinking", "thinking": "The user wants "}]),
            ReasoningDelta("weather."),
            ProviderData("thinking_blocks", thinking_blocks),
            OpaqueState("anthropic", "thinking_signature", SIGNATURE, via="thinking_blocks"),
            TextDelta("Okay."),
            END,
        ]
    )
    clean(wire)
    assert blocks(wire) == [
        {"type": "thinking", "thinking": "The user wants weather.", "signature": SIGNATURE},
        {"type": "text", "text": "Okay."},
    ]
    deltas = [e["delta"]["type"] for e in wire if e["type"] == "content_block_delta"]
    assert deltas[:2] == ["thinking_delta", "signature_delta"]


def test_a_signature_alone_is_a_thinking_block_without_text() -> None:
    wire = write([START, OpaqueState("anthropic", "thinking_signature", SIGNATURE), END])
    clean(wire)
    assert blocks(wire) == [{"type": "thinking", "thinking": "", "signature": SIGNATURE}]


def test_redacted_thinking_is_a_redacted_thinking_block() -> None:
    wire = write(
        [
            START,
            ReasoningDelta("unsigned"),
            OpaqueState("anthropic", "redacted_thinking", "EmwKAhgBEgy3va"),
            TextDelta("Hi"),
            END,
        ]
    )
    clean(wire)
    assert blocks(wire) == [
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va"},
        {"type": "text", "text": "Hi"},
    ]


def test_refusal_is_a_text_block() -> None:
    wire = write([START, RefusalDelta("I can't"), RefusalDelta(" help."), END])
    clean(wire)
    assert blocks(wire) == [{"type": "text", "text": "I can't help."}]


def test_citation_is_a_citations_delta_in_a_new_cited_text_block() -> None:
    cited = {
        "type": "web_search_result_location",
        "cited_text": "Paris is the capital",
        "url": "https://example.org",
        "title": "Paris",
        "encrypted_index": "Eo8BCioI",
    }
    citation = Citation(
        "web_search_result_location",
        "https://example.org",
        "Paris",
        "Paris is the capital",
        None,
        None,
        cited,
        "anthropic",
        via="provider_specific_fields",
    )
    wire = write([START, TextDelta("Per the source, "), citation, TextDelta("Paris."), END])
    clean(wire)
    assert blocks(wire) == [
        {"type": "text", "text": "Per the source, "},
        {"citations": [cited], "type": "text", "text": "Paris."},
    ]


def test_tool_call_is_a_tool_use_block_with_its_id_unchanged() -> None:
    wire = write(
        [
            START,
            ToolCallStarted(0, "call_Aa1", "get_weather"),
            ArgumentsDelta(0, "call_Aa1", '{"ci'),
            ArgumentsDelta(0, "call_Aa1", 'ty": "Paris"}'),
            ToolCallDone(0, "call_Aa1", "get_weather", '{"city": "Paris"}'),
            ChoiceFinished("tool_calls", "tool_calls"),
        ]
    )
    clean(wire)
    start, first, *_ = [e for e in wire if e["type"].startswith("content_block")]
    assert start["content_block"] == {
        "type": "tool_use",
        "id": "call_Aa1",
        "name": "get_weather",
        "input": {},
    }
    assert first["delta"] == {"type": "input_json_delta", "partial_json": ""}
    assert blocks(wire)[0]["json"] == '{"city": "Paris"}'
    assert finish(wire)["delta"]["stop_reason"] == "tool_use"


def test_legacy_function_call_is_a_tool_use_block() -> None:
    rec = recording("openai_legacy_function_call_gpt35_0613.jsonl")
    wire = parse(list(to_anthropic_sse(typedstream.events(rec.chunks()))))
    clean(wire)
    (block,) = blocks(wire)
    assert block["type"] == "tool_use"
    assert json.loads(block["json"])


def test_gemini_thought_signature_is_an_envelope_in_a_redacted_thinking_block() -> None:
    state = OpaqueState(
        "gemini", "thought_signature", "CiQB0e2Kb", tool_id="call_g1", via="extra_content"
    )
    wire = write(
        [
            START,
            ToolCallStarted(0, "call_g1", "f"),
            ArgumentsDelta(0, "call_g1", "{}"),
            state,
            ToolCallDone(0, "call_g1", "f", "{}"),
            ChoiceFinished("tool_calls", "tool_calls"),
        ]
    )
    clean(wire)
    tool, redacted = blocks(wire)
    assert tool["id"] == "call_g1"
    assert redacted["type"] == "redacted_thinking"
    assert typedstream._envelope.unwrap(redacted["data"]) == OpaqueState(
        "gemini", "thought_signature", "CiQB0e2Kb", tool_id="call_g1"
    )


def test_responses_state_is_an_envelope_as_well() -> None:
    alone = OpaqueState("responses", "encrypted_reasoning", "gAAAAAB", via="typedstream_state")
    signed = OpaqueState("responses", "encrypted_reasoning", "gAAAAAC", via="typedstream_state")
    wire = write(
        [START, alone, TextDelta("a"), ReasoningDelta("thought"), signed, TextDelta("b"), END]
    )
    clean(wire)
    first, _, thinking, _ = blocks(wire)
    assert first["type"] == "redacted_thinking"
    assert typedstream._envelope.unwrap(first["data"]) == OpaqueState(
        "responses", "encrypted_reasoning", "gAAAAAB"
    )
    assert thinking["type"] == "thinking"
    assert thinking["thinking"] == "thought"
    assert json.loads(thinking["signature"])["data"] == "gAAAAAC"


FINISHES: list[tuple[StopReason, str | None, str, str | None]] = [
    ("end", None, "end_turn", None),
    ("stop_sequence", "```", "stop_sequence", "```"),
    ("stop_sequence", None, "end_turn", None),
    ("max_tokens", None, "max_tokens", None),
    ("content_filter", None, "refusal", None),
    ("refusal", None, "refusal", None),
    ("context_window", None, "model_context_window_exceeded", None),
    ("other", None, "end_turn", None),
]


@pytest.mark.parametrize(("stop", "sequence", "written", "written_sequence"), FINISHES)
def test_finish_is_the_stop_reason_of_the_table(
    stop: StopReason, sequence: str | None, written: str, written_sequence: str | None
) -> None:
    wire = write([START, TextDelta("x"), ChoiceFinished("stop", "raw", 0, stop, sequence)])
    clean(wire)
    assert finish(wire)["delta"] == {"stop_reason": written, "stop_sequence": written_sequence}


def test_usage_goes_to_message_delta_and_message_start_has_zeros() -> None:
    usage = Usage(
        {
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "total_tokens": 120,
            "prompt_tokens_details": {"cached_tokens": 30},
            "completion_tokens_details": {"reasoning_tokens": 5},
            "cost": 0.01,
        }
    )
    wire = write([START, TextDelta("x"), END, usage])
    clean(wire)
    assert wire[0]["message"]["usage"] == {"input_tokens": 0, "output_tokens": 0}
    assert finish(wire)["usage"] == {
        "input_tokens": 70,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 30,
        "output_tokens": 20,
        "output_tokens_details": {"thinking_tokens": 5},
    }
    assert [e["type"] for e in wire][-2:] == ["message_delta", "message_stop"]


def test_logprobs_are_lost() -> None:
    logprobs = Logprobs([{"token": "x", "logprob": -0.1, "bytes": [120], "top_logprobs": []}])
    assert write([START, logprobs, TextDelta("x"), END]) == write([START, TextDelta("x"), END])


def test_error_is_an_error_event_api_error_unless_the_type_is_anthropics() -> None:
    ours = StreamError("busy", "overloaded_error", None, {}, "event", "chat")
    theirs = StreamError("bad", "server_error", "E1", {}, "event", "chat")
    assert write([START, TextDelta("x"), ours])[-1] == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "busy"},
    }
    assert write([START, theirs])[-1]["error"] == {"type": "api_error", "message": "bad"}


def test_created_fingerprint_and_service_tier_are_lost() -> None:
    message = write([START, END])[0]["message"]
    assert not {"created", "system_fingerprint", "service_tier"} & set(message)
    assert "default" not in json.dumps(message)


def test_moderation_is_lost() -> None:
    moderation = Moderation({"flagged": False})
    assert write([START, TextDelta("x"), END, moderation]) == write([START, TextDelta("x"), END])


def test_provider_data_other_keys_are_lost() -> None:
    data = ProviderData("reasoning_details", [{"type": "reasoning.text", "text": "t"}])
    assert write([START, data, TextDelta("x"), END]) == write([START, TextDelta("x"), END])


def test_choice_above_zero_raises_unwritable_event_error() -> None:
    frames: list[bytes] = []
    with pytest.raises(UnwritableEventError):
        frames.extend(to_anthropic_sse([START, TextDelta("a"), TextDelta("b", choice=1)]))
    assert parse(frames)[-1]["type"] == "error"


def test_custom_tool_calls_raise_unwritable_event_error() -> None:
    with pytest.raises(UnwritableEventError):
        AnthropicWriter().write(CustomToolCallStarted(0, "call_1", "grammar"))


# -- tool calls --------------------------------------------------------------------------------


def test_a_call_cut_by_length_is_left_unstopped_as_anthropic_does() -> None:
    wire = write(
        [
            START,
            ToolCallStarted(0, "call_1", "f"),
            ArgumentsDelta(0, "call_1", '{"a": "cu'),
            ToolCallIncomplete(0, "call_1", "f", '{"a": "cu', "length"),
            ChoiceFinished("length", "length"),
        ]
    )
    clean(wire)
    assert not [e for e in wire if e["type"] == "content_block_stop"]
    assert finish(wire)["delta"]["stop_reason"] == "max_tokens"


def test_interleaved_calls_come_out_one_block_after_another() -> None:
    wire = write(
        [
            START,
            ToolCallStarted(0, "call_1", "f"),
            ArgumentsDelta(0, "call_1", '{"a":'),
            ToolCallStarted(1, "call_2", "g"),
            ArgumentsDelta(1, "call_2", '{"b": 2}'),
            ArgumentsDelta(0, "call_1", " 1}"),
            ToolCallDone(0, "call_1", "f", '{"a": 1}'),
            ToolCallDone(1, "call_2", "g", '{"b": 2}'),
            ChoiceFinished("tool_calls", "tool_calls"),
        ]
    )
    clean(wire)
    assert [(b["id"], b["json"]) for b in blocks(wire)] == [
        ("call_1", '{"a": 1}'),
        ("call_2", '{"b": 2}'),
    ]


def test_a_fragment_for_a_call_that_never_started_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        write([START, ArgumentsDelta(3, "call_1", "{}")])


# -- Anthropic sources: explicit blocks put back ---------------------------------------------


def block(index: int, type_: Any, wire_type: str, id: str | None = None) -> list[Any]:
    return [BlockStarted(index, type_, wire_type, id, "anthropic")]


def done(index: int, type_: Any, wire_type: str, id: str | None = None) -> BlockDone:
    return BlockDone(index, type_, wire_type, id, "anthropic", "completed")


def test_explicit_blocks_are_written_as_they_were() -> None:
    result = [{"type": "web_search_result", "url": "https://example.org", "title": "t"}]
    cited = {"type": "web_search_result_location", "cited_text": "c", "url": "u", "title": "t"}
    events: list[StreamEvent] = [
        StreamStarted(
            "msg_01",
            "claude",
            None,
            protocol="anthropic",
            initial_usage=Usage({"input_tokens": 5, "output_tokens": 1}, "anthropic"),
        ),
        *block(0, "reasoning", "thinking"),
        ReasoningDelta("think"),
        OpaqueState("anthropic", "thinking_signature", SIGNATURE, block=0),
        done(0, "reasoning", "thinking"),
        *block(1, "server_tool_call", "server_tool_use", "srvtoolu_1"),
        ServerToolCallStarted("srvtoolu_1", "web_search", "web_search"),
        ServerToolInputDelta("srvtoolu_1", '{"query":"x"}'),
        ServerToolCallDone("srvtoolu_1", "web_search", "web_search", '{"query":"x"}'),
        done(1, "server_tool_call", "server_tool_use", "srvtoolu_1"),
        *block(2, "server_tool_result", "web_search_tool_result", "srvtoolu_1"),
        ServerToolResult("srvtoolu_1", "web_search", "web_search_tool_result", False, None, result),
        done(2, "server_tool_result", "web_search_tool_result", "srvtoolu_1"),
        *block(3, "text", "text"),
        Citation("web_search_result_location", "u", "t", "c", None, None, cited, "anthropic"),
        TextDelta("cited"),
        done(3, "text", "text"),
        *block(4, "reasoning", "redacted_thinking"),
        OpaqueState("anthropic", "redacted_thinking", "EmwK", block=4),
        done(4, "reasoning", "redacted_thinking"),
        *block(5, "compaction", "compaction"),
        OpaqueState("anthropic", "compaction", "summary", block=5),
        done(5, "compaction", "compaction"),
        Extension("keys", "content_block", {"caller": {"type": "direct"}}, 6, "anthropic"),
        *block(6, "tool_call", "tool_use", "toolu_1"),
        ToolCallStarted(0, "toolu_1", "f"),
        ArgumentsDelta(0, "toolu_1", "{}"),
        done(6, "tool_call", "tool_use", "toolu_1"),
        ToolCallDone(0, "toolu_1", "f", "{}"),
        Extension("keys", "message_delta.delta", {"stop_details": None}, None, "anthropic"),
        ChoiceFinished("tool_calls", "tool_use", 0, "tool_calls"),
        Usage({"input_tokens": 5, "output_tokens": 9}, "anthropic"),
    ]
    wire = write(events)
    clean(wire)
    assert wire[0]["message"]["usage"] == {"input_tokens": 5, "output_tokens": 1}
    assert blocks(wire) == [
        {"type": "thinking", "thinking": "think", "signature": SIGNATURE},
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {},
         "json": '{"query":"x"}'},
        {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": result},
        {"citations": [cited], "type": "text", "text": "cited"},
        {"type": "redacted_thinking", "data": "EmwK"},
        {"type": "compaction", "content": None},
        {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {},
         "caller": {"type": "direct"}, "json": "{}"},
    ]  # fmt: skip
    assert finish(wire) == {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None, "stop_details": None},
        "usage": {"input_tokens": 5, "output_tokens": 9},
    }


def test_message_keys_read_before_stream_started_go_into_message_start() -> None:
    # The reader sends Extension(keys, "message") before the StreamStarted it belongs to.
    events: list[StreamEvent] = [
        Extension("keys", "message", {"stop_details": None}, None, "anthropic"),
        StreamStarted("msg_01", "claude", None, protocol="anthropic"),
        END,
    ]
    wire = write(events)
    clean(wire)
    assert wire[0]["message"]["id"] == "msg_01"
    assert wire[0]["message"]["stop_details"] is None


ANTHROPIC_USAGE0 = {
    "input_tokens": 5,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
    "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
    "output_tokens": 1,
    "service_tier": "standard",
    "inference_geo": "global",
}


def test_message_delta_usage_does_not_repeat_message_start_descriptors() -> None:
    # The reader's final usage is message_start's overlaid by message_delta's; service_tier,
    # inference_geo and the cache_creation split are message_start's alone on Anthropic's wire.
    start = StreamStarted(
        "msg_01", "claude", None, protocol="anthropic",
        initial_usage=Usage(ANTHROPIC_USAGE0, "anthropic"),
    )  # fmt: skip
    final = {**ANTHROPIC_USAGE0, "output_tokens": 9, "service_tier": "priority"}
    wire = write([start, END, Usage(final, "anthropic")])
    clean(wire)
    assert wire[0]["message"]["usage"] == ANTHROPIC_USAGE0
    assert finish(wire)["usage"] == {
        "input_tokens": 5,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 9,
        "service_tier": "priority",  # changed: a fact of the final usage
    }


def test_a_finish_without_usage_repeats_the_output_tokens_of_message_start() -> None:
    # Cumulative figures (D3): without a final Usage, message_delta says what message_start did.
    start = StreamStarted(
        "msg_01", "claude", None, protocol="anthropic",
        initial_usage=Usage(ANTHROPIC_USAGE0, "anthropic"),
    )  # fmt: skip
    wire = write([start, TextDelta("Hi"), END])
    clean(wire)
    assert finish(wire)["usage"] == {"output_tokens": 1}


def test_unknown_events_and_deltas_are_put_back_where_they_came() -> None:
    events: list[StreamEvent] = [
        StreamStarted("msg_01", "claude", None, protocol="anthropic"),
        Extension("keys", "content_block", {"type": "fallback", "x": 1}, 0, "anthropic"),
        BlockStarted(0, "extension", "fallback", None, "anthropic"),
        Extension("delta", "fallback_delta", {"type": "fallback_delta", "y": 2}, 0, "anthropic"),
        BlockDone(0, "extension", "fallback", None, "anthropic", "completed"),
        Extension("event", "agent_note", {"type": "agent_note", "z": 3}, None, "anthropic"),
        END,
        Extension("keys", "message_stop", {"amazon-bedrock-invocationMetrics": {}}, None,
                  "anthropic"),
    ]  # fmt: skip
    wire = write(events)
    clean(wire)
    assert wire[1:] == [
        {"type": "content_block_start", "index": 0, "content_block": {"type": "fallback", "x": 1}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "fallback_delta", "y": 2}},
        {"type": "content_block_stop", "index": 0},
        {"type": "agent_note", "z": 3},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": 0}},
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": {}},
    ]  # fmt: skip


def test_an_explicit_block_cut_by_max_tokens_stays_unstopped() -> None:
    events: list[StreamEvent] = [
        StreamStarted("msg_01", "claude", None, protocol="anthropic"),
        *block(0, "tool_call", "tool_use", "toolu_1"),
        ToolCallStarted(0, "toolu_1", "make_file"),
        ArgumentsDelta(0, "toolu_1", '{"a": "cu'),
        ToolCallIncomplete(0, "toolu_1", "make_file", '{"a": "cu', "max_tokens"),
        BlockDone(0, "tool_call", "tool_use", "toolu_1", "anthropic", "cut"),
        ChoiceFinished("length", "max_tokens", 0, "max_tokens"),
    ]
    wire = write(events)
    clean(wire)
    assert [e["type"] for e in wire] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "message_delta",
        "message_stop",
    ]


def test_anthropic_error_data_and_request_id_are_put_back() -> None:
    data = {"details": None, "type": "overloaded_error", "message": "Overloaded"}
    wire = write(
        [
            StreamStarted("msg_01", "claude", None, protocol="anthropic"),
            *block(0, "text", "text"),
            TextDelta("x"),
            BlockDone(0, "text", "text", None, "anthropic", "cut"),
            Extension("keys", "error", {"request_id": "req_1"}, None, "anthropic"),
            StreamError("Overloaded", "overloaded_error", None, data, "event", "anthropic"),
        ]
    )
    clean(wire)
    assert wire[-1] == {"type": "error", "error": data, "request_id": "req_1"}
    assert wire[-2]["type"] == "content_block_delta"


# -- errors (rule B8) ------------------------------------------------------------------------


@pytest.mark.parametrize("rec", ERRORS, ids=ids(ERRORS))
def test_a_provider_error_ends_in_an_error_event(rec: Recording) -> None:
    frames: list[bytes] = []
    with pytest.raises(ProviderError) as raised:
        frames.extend(to_anthropic_sse(typedstream.events(source(rec))))
    wire = parse(frames)
    clean(wire)
    payload = raised.value.payload
    assert wire[-1] == {
        "type": "error",
        "error": {"type": error_type(payload.get("type")), "message": raised.value.message},
    }


def test_a_cut_stream_ends_in_an_error_event_with_blocks_left_open() -> None:
    rec = recording("openai_gpt4o_tool_call_strict.sse")
    cut = rec.body()[: len(rec.body()) // 2]
    frames: list[bytes] = []
    with pytest.raises(IncompleteStreamError):
        frames.extend(to_anthropic_sse(typedstream.events([cut])))
    wire = parse(frames)
    clean(wire)
    assert wire[-1]["type"] == "error"
    assert wire[-1]["error"]["type"] == "api_error"
    assert not [e for e in wire if e["type"] in ("content_block_stop", "message_delta")]


def test_a_source_exception_gives_its_class_name_only_and_propagates() -> None:
    def events() -> Iterator[StreamEvent]:
        yield START
        yield TextDelta("x")
        raise ConnectionResetError("secret internal detail")

    frames: list[bytes] = []
    with pytest.raises(ConnectionResetError):
        frames.extend(to_anthropic_sse(events()))
    wire = parse(frames)
    clean(wire)
    assert wire[-1]["error"] == {
        "type": "api_error",
        "message": "the upstream stream failed (ConnectionResetError)",
    }


def test_provider_error_types_are_mapped_to_anthropics() -> None:
    writer = AnthropicWriter()
    writer.write(START)
    (error,) = writer.fail(
        ProviderError({"message": "slow down", "code": "rate_limit_exceeded"}, 3)
    )
    assert error["error"] == {"type": "rate_limit_error", "message": "slow down"}


def test_nothing_follows_an_error() -> None:
    writer = AnthropicWriter()
    writer.write(START)
    assert writer.write(StreamError("x", None, None, {}, "event", "chat"))[-1]["type"] == "error"
    assert writer.write(TextDelta("more")) == []
    assert writer.fail(ProviderError({"message": "x"}, 2)) == []
    assert writer.close() == []


def test_leaving_early_closes_the_events() -> None:
    closed: list[bool] = []

    def events() -> Iterator[StreamEvent]:
        try:
            yield START
            yield TextDelta("x")
            yield TextDelta("y")
        finally:
            closed.append(True)

    frames = to_anthropic_sse(events())
    next(frames)
    frames.close()  # type: ignore[attr-defined]
    assert closed == [True]


async def test_an_async_provider_error_ends_in_an_error_event() -> None:
    (rec, *_) = ERRORS
    frames: list[bytes] = []
    with pytest.raises(ProviderError):
        async for frame in ato_anthropic_sse(typedstream.aevents(_aiter(source(rec)))):
            frames.append(frame)
    assert parse(frames)[-1]["type"] == "error"


# -- pings -----------------------------------------------------------------------------------


async def _slow(gate: asyncio.Event) -> AsyncIterator[StreamEvent]:
    yield START
    await gate.wait()
    yield TextDelta("late")
    yield END


async def test_a_ping_goes_out_while_the_source_is_silent() -> None:
    gate = asyncio.Event()
    frames = ato_anthropic_sse(_slow(gate), ping_interval=0.01)
    got = [await anext(frames), await anext(frames)]
    gate.set()
    got += [frame async for frame in frames]
    wire = parse(got)
    clean(wire)
    kinds = [e["type"] for e in wire]
    assert kinds[:2] == ["message_start", "ping"]
    assert got[1] == b'event: ping\ndata: {"type": "ping"}\n\n'
    assert blocks(wire) == [{"type": "text", "text": "late"}]  # the pending item is not lost
    assert kinds[-1] == "message_stop"


async def test_no_ping_before_message_start_or_after_message_stop() -> None:
    gate = asyncio.Event()

    async def silent_then_done() -> AsyncIterator[StreamEvent]:
        await gate.wait()
        yield START
        yield END

    frames = ato_anthropic_sse(silent_then_done(), ping_interval=0.001)
    first = asyncio.ensure_future(anext(frames))
    await asyncio.sleep(0.02)
    assert not first.done()  # no ping before message_start
    gate.set()
    got = [await first] + [frame async for frame in frames]
    assert [e["type"] for e in parse(got)] == ["message_start", "message_delta", "message_stop"]


async def test_leaving_a_pinged_stream_early_closes_the_source() -> None:
    closed: list[bool] = []

    async def forever() -> AsyncIterator[StreamEvent]:
        try:
            yield START
            await asyncio.Event().wait()
            yield END  # pragma: no cover
        finally:
            closed.append(True)

    frames = ato_anthropic_sse(forever(), ping_interval=0.001)
    assert parse([await anext(frames), await anext(frames)])[1]["type"] == "ping"
    await frames.aclose()  # type: ignore[attr-defined]
    assert closed == [True]


def test_a_ping_interval_must_be_positive() -> None:
    with pytest.raises(UsageError):
        ato_anthropic_sse([], ping_interval=0)


# -- the real anthropic SDK over HTTP --------------------------------------------------------


def _sdk_stream(frames: tuple[bytes, ...]) -> tuple[str, Any]:
    """Serve ``frames`` from the loopback provider; read them with ``messages.stream()``."""
    anthropic = pytest.importorskip("anthropic")
    from typedstream.testing import LoopbackProvider, Reply

    with LoopbackProvider(Reply("anthropic", frames, name="written")) as provider:
        client = anthropic.Anthropic(base_url=provider.root, api_key="test", max_retries=0)
        with client.messages.stream(
            model="claude-test", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            text = "".join(stream.text_stream)
            return text, stream.get_final_message()


def test_the_anthropic_sdk_reads_text_thinking_and_tools_over_http() -> None:
    events: list[StreamEvent] = [
        START,
        ReasoningDelta("The user wants "),
        ReasoningDelta("weather."),
        OpaqueState("anthropic", "thinking_signature", SIGNATURE, via="thinking_blocks"),
        TextDelta("Let me "),
        TextDelta("check."),
        ToolCallStarted(0, "call_1", "get_weather"),
        ArgumentsDelta(0, "call_1", '{"city": '),
        ArgumentsDelta(0, "call_1", '"Paris"}'),
        ToolCallDone(0, "call_1", "get_weather", '{"city": "Paris"}'),
        ChoiceFinished("tool_calls", "tool_calls"),
        Usage({"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}),
    ]
    text, final = _sdk_stream(tuple(to_anthropic_sse(events)))
    assert text == "Let me check."
    assert final.model_dump(exclude_none=True) == {
        "id": "chatcmpl-x",
        "type": "message",
        "role": "assistant",
        "model": "gpt-4o",
        "content": [
            {"type": "thinking", "thinking": "The user wants weather.", "signature": SIGNATURE},
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
        ],
        "stop_reason": "tool_use",
        "usage": {
            "input_tokens": 12,
            "output_tokens": 30,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


SDK_RECORDINGS = tuple(
    recording(name)
    for name in (
        "litellm_anthropic_basic.jsonl",
        "openai_gpt4o_parallel_tool_calls.sse",
        "openai_gpt4o_text_usage.sse",
        "deepseek_reasoner_thinking.sse",
        "openai_gpt4o_refusal.sse",
    )
)


@pytest.mark.parametrize("rec", SDK_RECORDINGS, ids=ids(SDK_RECORDINGS))
def test_the_sdk_builds_the_message_of_the_chat_completion(rec: Recording) -> None:
    completion = typedstream.accumulate(typedstream.events(source(rec)))
    message = completion.choices[0].message
    text = (message.content or "") + (message.refusal or "")
    expected: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    expected += [
        {
            "type": "tool_use",
            "id": call.id,
            "name": call.function.name,
            "input": json.loads(call.function.arguments),
        }
        for call in message.tool_calls or ()
        if call.type == "function"
    ]
    streamed, final = _sdk_stream(tuple(to_anthropic_sse(typedstream.events(source(rec)))))
    assert streamed == text
    assert final.model_dump(exclude_none=True)["content"] == expected
    assert final.id == completion.id
    if completion.usage is not None:
        assert final.usage.output_tokens == completion.usage.completion_tokens


def test_a_litellm_server_tool_call_is_written_as_the_server_tool_use_block_it_was() -> None:
    # LiteLLM reports Anthropic's web search as a chat tool call with its srvtoolu_ id.
    events = [
        typedstream.StreamStarted("chatcmpl-1", "claude", None),
        typedstream.ToolCallStarted(0, "srvtoolu_01A", "web_search"),
        typedstream.ArgumentsDelta(0, "srvtoolu_01A", '{"query": "news"}'),
        typedstream.ToolCallDone(0, "srvtoolu_01A", "web_search", '{"query": "news"}'),
        typedstream.TextDelta("Here is the news."),
        typedstream.ChoiceFinished("tool_calls", "tool_calls"),
    ]
    body = b"".join(typedstream.to_anthropic_sse(events))
    assert b'"type":"server_tool_use","id":"srvtoolu_01A"' in body.replace(b" ", b"")
    assert b'"tool_use"' not in body.replace(b'"server_tool_use"', b"")
    assert b'"stop_reason":"end_turn"' in body.replace(b" ", b"")
    assert typedstream.check_anthropic_events(body) == []


@given(
    st.sampled_from(
        [
            ("text_delta", "text"),
            ("thinking_delta", "thinking"),
            ("input_json_delta", "partial_json"),
        ]
    ),
    st.integers(0, 2000),
    st.text(),  # lone surrogates, quotes, controls and all
)
def test_a_bulk_delta_frame_is_the_bytes_of_its_whole_payload(
    kind: tuple[str, str], index: int, value: str
) -> None:
    # Those frames are written from a prebuilt head and the string alone: byte for byte what
    # serializing the whole event writes.
    wire = {
        "type": "content_block_delta",
        "index": index,
        "delta": {"type": kind[0], kind[1]: value},
    }
    whole = b"event: content_block_delta\ndata: " + dumps(wire) + b"\n\n"
    assert _frame(wire) == whole
