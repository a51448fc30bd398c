"""Opaque state and citations in and out of chat chunks (docs/event-model.md §4.1, §5.2, §7).

Reading: each typed fact (`OpaqueState`, `Citation`) comes right after the `ProviderData` that
carries it, with `via` naming that key; `typedstream_state` envelopes give the state alone.
Writing (`keep_extensions=True` only): a state or citation read from another protocol (`via`
unset) goes into the chat carrier its LiteLLM handler uses, or into an envelope; one read
from chat is written once, by its `ProviderData`.

Expected values of the recordings come from the provider's own wire objects (the Anthropic
SSE recordings and the loopback scenarios LiteLLM was fed), never from typedstream.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from corpus import CORPUS, recording
from helpers import call, chunk, collect, run, tools

import typedstream
from typedstream import (
    ArgumentsDelta,
    BlockStarted,
    ChoiceFinished,
    ChunkError,
    Citation,
    Extension,
    OpaqueState,
    ProviderData,
    ReasoningDelta,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDone,
    ToolCallStarted,
    Usage,
)
from typedstream._envelope import wrap

SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"
REDACTED = "EtgBCkYIBxgCKkDQfGkwzflEJP5asG3oQfJXcTwJ"
GEMINI = "CiQBVKhc7vJ3sT9lZ2VtaW5pLXNpZ25hdHVyZS0x"
CITATION = {
    "type": "web_search_result_location",
    "cited_text": "Winds W at 10 to 15 mph. ",
    "url": "https://www.wunderground.com/hourly/us/ca/san-francisco",
    "title": "San Francisco, CA Hourly Weather Forecast",
    "encrypted_index": "EpABCioICRgCIiRi",
}
ANTHROPIC_START = StreamStarted("msg_01", "claude-sonnet-4", None, None, None, "anthropic")


def thinking(text: str, signature: str | None = None) -> dict[str, Any]:
    block = {"type": "thinking", "thinking": text}
    if signature is not None:
        block["signature"] = signature
    return block


def facts(events: list[StreamEvent]) -> list[StreamEvent]:
    return [e for e in events if isinstance(e, (OpaqueState, Citation))]


def wire(events: list[StreamEvent], **options: Any) -> list[dict[str, Any]]:
    return [
        c.model_dump(mode="json", exclude_unset=True)
        for c in typedstream.to_openai_chunks(events, **options)
    ]


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c["choices"]]


def anthropic_wire(name: str) -> list[dict[str, Any]]:
    """The decoded events of an Anthropic SSE recording (read without typedstream)."""
    text = (CORPUS / "anthropic" / name).read_text()
    return [
        json.loads(line[5:])
        for line in text.replace("\r\n", "\n").split("\n")
        if line.startswith("data:")
    ]


def loopback_scenario(name: str) -> list[dict[str, Any]]:
    path = Path(typedstream.__file__).parent / "_data" / "loopback" / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# -- reading: LiteLLM's Anthropic thinking_blocks ------------------------------------------------


def test_a_signed_thinking_block_gives_opaque_state_after_its_provider_data() -> None:
    blocks = [thinking("", SIGNATURE)]
    events = run(chunk({"reasoning_content": "hmm"}), chunk({"thinking_blocks": blocks}, "stop"))
    i = events.index(ProviderData("thinking_blocks", blocks))
    assert events[i + 1] == OpaqueState(
        "anthropic", "thinking_signature", SIGNATURE, via="thinking_blocks"
    )


def test_thinking_text_fragments_give_no_opaque_state() -> None:
    events = run(chunk({"thinking_blocks": [thinking("The user ")]}, "stop"))
    assert facts(events) == []


def test_litellms_copy_under_provider_specific_fields_is_the_same_fact() -> None:
    blocks = [thinking("", SIGNATURE)]
    delta = {"thinking_blocks": blocks, "provider_specific_fields": {"thinking_blocks": blocks}}
    events = run(chunk(delta, "stop"))
    assert facts(events) == [
        OpaqueState("anthropic", "thinking_signature", SIGNATURE, via="thinking_blocks")
    ]


def test_thinking_blocks_only_under_provider_specific_fields_are_read_there() -> None:
    delta = {"provider_specific_fields": {"thinking_blocks": [thinking("", SIGNATURE)]}}
    events = run(chunk(delta, "stop"))
    assert facts(events) == [
        OpaqueState("anthropic", "thinking_signature", SIGNATURE, via="provider_specific_fields")
    ]


def test_a_redacted_thinking_block_gives_redacted_thinking_state() -> None:
    blocks = [{"type": "redacted_thinking", "data": REDACTED}]
    events = run(chunk({"thinking_blocks": blocks}, "stop"))
    assert facts(events) == [
        OpaqueState("anthropic", "redacted_thinking", REDACTED, via="thinking_blocks")
    ]


def test_a_signature_that_is_not_a_string_is_a_chunk_error() -> None:
    _, error = collect([chunk({"thinking_blocks": [{"type": "thinking", "signature": 7}]})])
    assert isinstance(error, ChunkError)
    assert "'signature' must be a string" in str(error)


def test_thinking_blocks_that_are_not_a_list_are_a_chunk_error() -> None:
    _, error = collect([chunk({"thinking_blocks": {"type": "thinking"}})])
    assert isinstance(error, ChunkError)


# -- reading: LiteLLM's Anthropic citations -----------------------------------------------------


def test_a_citation_follows_the_provider_data_that_carries_it() -> None:
    fields = {"citation": CITATION}
    events = run(chunk({"provider_specific_fields": fields}), chunk({"content": "Windy."}, "stop"))
    i = events.index(ProviderData("provider_specific_fields", fields))
    assert events[i + 1] == Citation(
        "web_search_result_location",
        CITATION["url"],
        CITATION["title"],
        CITATION["cited_text"],
        None,
        None,
        CITATION,
        "anthropic",
        via="provider_specific_fields",
    )


def test_a_citation_without_a_type_is_a_chunk_error() -> None:
    citation = {"url": "https://example.com"}
    _, error = collect([chunk({"provider_specific_fields": {"citation": citation}})])
    assert isinstance(error, ChunkError)
    assert "citation's 'type'" in str(error)


def test_other_provider_specific_fields_give_no_fact() -> None:
    events = run(chunk({"provider_specific_fields": {"web_search_calls": {"a": 1}}}, "stop"))
    assert facts(events) == []


# -- reading: Gemini thought signatures on tool calls --------------------------------------------


def test_a_gemini_thought_signature_gives_opaque_state_of_its_call() -> None:
    extra = {"google": {"thought_signature": GEMINI}}
    events = run(tools(call(0, "call_a", "f", "{}", extra_content=extra), finish="tool_calls"))
    started = events.index(ToolCallStarted(0, "call_a", "f"))
    data = events.index(ProviderData("extra_content", extra, tool_index=0))
    assert started < data
    assert events[data + 1] == OpaqueState(
        "gemini", "thought_signature", GEMINI, tool_id="call_a", via="extra_content"
    )


def test_litellms_gemini_signature_on_a_call_is_read_there() -> None:
    fields = {"thought_signature": GEMINI}
    events = run(
        tools(call(0, "call_a", "f", "{}", provider_specific_fields=fields), finish="tool_calls")
    )
    assert facts(events) == [
        OpaqueState(
            "gemini", "thought_signature", GEMINI, tool_id="call_a", via="provider_specific_fields"
        )
    ]


def test_a_signature_before_the_call_name_waits_for_its_tool_call_started() -> None:
    extra = {"google": {"thought_signature": GEMINI}}
    events = run(
        tools(call(0, "call_a", extra_content=extra)),
        tools(call(0, name="f", arguments="{}"), finish="tool_calls"),
    )
    state = OpaqueState(
        "gemini", "thought_signature", GEMINI, tool_id="call_a", via="extra_content"
    )
    assert events.index(ToolCallStarted(0, "call_a", "f")) < events.index(state)


def test_a_metadata_only_delta_after_the_arguments_gives_the_state() -> None:
    extra = {"google": {"thought_signature": GEMINI}}
    events = run(
        tools(call(0, "call_a", "f", "{}")),
        tools(call(0, extra_content=extra), finish="tool_calls"),
    )
    assert facts(events) == [
        OpaqueState("gemini", "thought_signature", GEMINI, tool_id="call_a", via="extra_content")
    ]


def test_extra_content_without_a_google_signature_gives_no_state() -> None:
    events = run(tools(call(0, "call_a", "f", "{}", extra_content={"k": 1}), finish="tool_calls"))
    assert facts(events) == []


# -- reading: typedstream_state envelopes ------------------------------------------------------


def test_typedstream_state_envelopes_give_opaque_state_without_provider_data() -> None:
    state = OpaqueState("responses", "encrypted_reasoning", "gAAAAABenc")
    events = run(chunk({"typedstream_state": [wrap(state)]}), chunk({"content": "Hi"}, "stop"))
    assert facts(events) == [state]
    assert not any(isinstance(e, ProviderData) for e in events)


def test_a_typedstream_state_entry_that_is_no_envelope_is_a_chunk_error() -> None:
    _, error = collect([chunk({"typedstream_state": ["EqQBnative"]})])
    assert isinstance(error, ChunkError)
    assert "not a typedstream envelope" in str(error)


# -- reading: the LiteLLM recordings -------------------------------------------------------------


def test_litellm_anthropic_thinking_recording_gives_the_wire_signature() -> None:
    (signature,) = [
        e["delta"]["signature"]
        for e in loopback_scenario("anthropic_thinking")
        if e.get("delta", {}).get("type") == "signature_delta"
    ]
    events = list(typedstream.events(recording("litellm_anthropic_thinking.jsonl").chunks()))
    state = OpaqueState("anthropic", "thinking_signature", signature, via="thinking_blocks")
    assert facts(events) == [state]
    first_text = next(i for i, e in enumerate(events) if isinstance(e, TextDelta))
    assert isinstance(events[events.index(state) - 1], ProviderData)
    assert events.index(state) < first_text


def test_litellm_anthropic_redacted_recording_gives_each_redacted_block() -> None:
    expected = [
        e["content_block"]["data"]
        for e in anthropic_wire("pydanticai_sonnet45_redacted_thinking.sse")
        if e.get("type") == "content_block_start"
        and e["content_block"]["type"] == "redacted_thinking"
    ]
    events = list(
        typedstream.events(recording("litellm_anthropic_redacted_thinking.jsonl").chunks())
    )
    assert len(expected) == 2
    assert facts(events) == [
        OpaqueState("anthropic", "redacted_thinking", data, via="thinking_blocks")
        for data in expected
    ]


def test_litellm_anthropic_citations_recording_gives_each_wire_citation() -> None:
    expected = [
        e["delta"]["citation"]
        for e in anthropic_wire("pydanticai_sonnet4_web_search_citations.sse")
        if e.get("type") == "content_block_delta" and e["delta"]["type"] == "citations_delta"
    ]
    events = list(
        typedstream.events(recording("litellm_anthropic_web_search_citations.jsonl").chunks())
    )
    citations = [e for e in events if isinstance(e, Citation)]
    assert [c.data for c in citations] == expected
    assert [(c.type, c.url, c.title, c.cited_text) for c in citations] == [
        (c["type"], c["url"], c["title"], c["cited_text"]) for c in expected
    ]
    assert {(c.protocol, c.via, c.start, c.end) for c in citations} == {
        ("anthropic", "provider_specific_fields", None, None)
    }


def test_litellm_gemini_recording_gives_the_signature_of_the_first_call() -> None:
    (signature,) = [
        part["thoughtSignature"]
        for response in loopback_scenario("gemini_thinking")
        for part in response["candidates"][0]["content"]["parts"]
        if "thoughtSignature" in part
    ]
    events = list(typedstream.events(recording("litellm_gemini_thinking.jsonl").chunks()))
    first = next(e for e in events if isinstance(e, ToolCallStarted))
    assert first.name == "get_weather"
    assert facts(events) == [
        OpaqueState(
            "gemini",
            "thought_signature",
            signature,
            tool_id=first.id,
            via="provider_specific_fields",
        )
    ]


# -- writing -----------------------------------------------------------------------------------


def test_a_signature_is_written_as_a_thinking_block_with_the_text_it_signs() -> None:
    events: list[StreamEvent] = [
        ANTHROPIC_START,
        ReasoningDelta("The user "),
        ReasoningDelta("wants weather."),
        OpaqueState("anthropic", "thinking_signature", SIGNATURE, block=0),
        TextDelta("Sure."),
        ChoiceFinished("stop", "end_turn"),
    ]
    assert deltas(wire(events, keep_extensions=True))[1:4] == [
        {"reasoning_content": "The user "},
        {"reasoning_content": "wants weather."},
        {"thinking_blocks": [thinking("The user wants weather.", SIGNATURE)]},
    ]


def test_text_ends_the_reasoning_a_later_signature_signs() -> None:
    events: list[StreamEvent] = [
        ReasoningDelta("unsigned"),
        TextDelta("a"),
        ReasoningDelta("signed"),
        OpaqueState("anthropic", "thinking_signature", SIGNATURE),
        ChoiceFinished("stop", "end_turn"),
    ]
    written = deltas(wire(events, keep_extensions=True))
    assert {"thinking_blocks": [thinking("signed", SIGNATURE)]} in written


def test_a_block_start_ends_the_reasoning_a_later_signature_signs() -> None:
    events: list[StreamEvent] = [
        ReasoningDelta("first"),
        BlockStarted(1, "reasoning", "thinking", None, "anthropic"),
        ReasoningDelta("second"),
        OpaqueState("anthropic", "thinking_signature", SIGNATURE, block=1),
        ChoiceFinished("stop", "end_turn"),
    ]
    written = deltas(wire(events, keep_extensions=True))
    assert {"thinking_blocks": [thinking("second", SIGNATURE)]} in written


def test_redacted_thinking_is_written_as_a_redacted_thinking_block() -> None:
    events: list[StreamEvent] = [
        OpaqueState("anthropic", "redacted_thinking", REDACTED, block=0),
        ChoiceFinished("stop", "end_turn"),
    ]
    written = deltas(wire(events, keep_extensions=True))
    assert {"thinking_blocks": [{"type": "redacted_thinking", "data": REDACTED}]} in written


def test_state_read_from_chat_is_written_once_by_its_provider_data() -> None:
    blocks = [thinking("", SIGNATURE)]
    events: list[StreamEvent] = [
        ProviderData("thinking_blocks", blocks),
        OpaqueState("anthropic", "thinking_signature", SIGNATURE, via="thinking_blocks"),
        ChoiceFinished("stop", "stop"),
    ]
    written = deltas(wire(events, keep_extensions=True))
    assert [d for d in written if "thinking_blocks" in d] == [{"thinking_blocks": blocks}]


def test_a_gemini_signature_is_written_on_its_calls_entry() -> None:
    events: list[StreamEvent] = [
        ToolCallStarted(0, "call_a", "f"),
        ArgumentsDelta(0, "call_a", "{}"),
        OpaqueState("gemini", "thought_signature", GEMINI, tool_id="call_a"),
        ToolCallDone(0, "call_a", "f", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]
    extra = {"google": {"thought_signature": GEMINI}}
    written = deltas(wire(events, keep_extensions=True))
    assert written[2] == {"tool_calls": [{"index": 0, "extra_content": extra}]}


def test_a_gemini_signature_without_its_call_goes_in_an_envelope() -> None:
    state = OpaqueState("gemini", "thought_signature", GEMINI, tool_id="call_unknown")
    written = deltas(wire([state, ChoiceFinished("stop", "stop")], keep_extensions=True))
    assert {"typedstream_state": [wrap(state)]} in written


@pytest.mark.parametrize(
    "state",
    [
        OpaqueState("responses", "encrypted_reasoning", "gAAAAABenc", block=0),
        OpaqueState("anthropic", "compaction", "Summary of the conversation so far.", block=0),
    ],
    ids=["responses", "compaction"],
)
def test_other_state_is_written_in_an_envelope_on_its_own_chunk(state: OpaqueState) -> None:
    written = deltas(wire([state, ChoiceFinished("stop", "stop")], keep_extensions=True))
    assert {"typedstream_state": [wrap(state)]} in written


def test_an_anthropic_citation_is_written_as_litellms_citation() -> None:
    citation = Citation(
        "web_search_result_location", None, None, None, None, None, CITATION, "anthropic"
    )
    written = deltas(wire([citation, ChoiceFinished("stop", "stop")], keep_extensions=True))
    assert {"provider_specific_fields": {"citation": CITATION}} in written


def test_citations_read_from_chat_or_from_responses_are_not_written() -> None:
    data = {"type": "url_citation", "url": "https://example.com"}
    events: list[StreamEvent] = [
        Citation("url_citation", None, None, None, 0, 1, data, "responses"),
        Citation(
            "web_search_result_location",
            None,
            None,
            None,
            None,
            None,
            CITATION,
            "anthropic",
            via="provider_specific_fields",
        ),
        ChoiceFinished("stop", "stop"),
    ]
    assert deltas(wire(events, keep_extensions=True)) == deltas(wire(events[-1:]))


def test_extensions_are_not_written_and_do_not_start_the_stream() -> None:
    # The Anthropic reader sends the message's extra keys before StreamStarted.
    events: list[StreamEvent] = [
        Extension("keys", "message", {"container": None}, None, "anthropic"),
        ANTHROPIC_START,
        TextDelta("Hi"),
        ChoiceFinished("stop", "end_turn"),
    ]
    chunks = wire(events, keep_extensions=True)
    assert chunks == wire(events[1:], keep_extensions=True)
    assert chunks[0]["id"] == "msg_01"


def test_state_and_citations_are_not_written_without_keep_extensions() -> None:
    events: list[StreamEvent] = [
        ReasoningDelta("hmm"),
        OpaqueState("anthropic", "thinking_signature", SIGNATURE),
        OpaqueState("responses", "encrypted_reasoning", "gAAAAABenc"),
        Citation("web_search_result_location", None, None, None, None, None, CITATION, "anthropic"),
        TextDelta("Hi"),
        ChoiceFinished("stop", "stop"),
    ]
    assert deltas(wire(events)) == deltas(wire([TextDelta("Hi"), ChoiceFinished("stop", "stop")]))


@pytest.mark.parametrize("keep_extensions", [False, True])
def test_usage_of_another_protocol_is_written_as_chat_usage(keep_extensions: bool) -> None:
    usage = Usage(
        {
            "input_tokens": 10,
            "cache_creation_input_tokens": 3,
            "cache_read_input_tokens": 5,
            "output_tokens": 7,
            "output_tokens_details": {"thinking_tokens": 4},
            "server_tool_use": {"web_search_requests": 1},
        },
        "anthropic",
    )
    events: list[StreamEvent] = [TextDelta("Hi"), ChoiceFinished("stop", "end_turn"), usage]
    chunks = list(typedstream.to_sse(events, keep_extensions=keep_extensions))
    assert json.loads(chunks[-2][6:])["usage"] == {
        "prompt_tokens": 18,
        "completion_tokens": 7,
        "total_tokens": 25,
        "prompt_tokens_details": {"cached_tokens": 5, "cache_write_tokens": 3},
        "completion_tokens_details": {"reasoning_tokens": 4},
    }


def test_unknown_figures_of_another_protocol_are_left_out() -> None:
    usage = Usage({"output_tokens": 7}, "anthropic")
    chunks = wire([TextDelta("Hi"), ChoiceFinished("stop", "end_turn"), usage])
    assert chunks[-1]["usage"] == {"completion_tokens": 7}


# -- round trips --------------------------------------------------------------------------------


def through_chat(events: list[StreamEvent]) -> list[StreamEvent]:
    return list(typedstream.events(wire(events, keep_extensions=True)))


def test_the_signature_survives_the_trip_through_chat_byte_identical() -> None:
    signature = "EvMCCkYICxgCKkCHP2cSuEdcJK/0rFwqES/ecn+VurRpNTwI4XNyM0vn+/=="
    events: list[StreamEvent] = [
        ANTHROPIC_START,
        ReasoningDelta("The user wants weather."),
        OpaqueState("anthropic", "thinking_signature", signature, block=0),
        TextDelta("Sure."),
        ChoiceFinished("stop", "end_turn"),
    ]
    (state,) = [e for e in through_chat(events) if isinstance(e, OpaqueState)]
    assert state.data.encode() == signature.encode()
    assert state == OpaqueState("anthropic", "thinking_signature", signature, via="thinking_blocks")


def test_redacted_thinking_survives_the_trip_through_chat() -> None:
    events: list[StreamEvent] = [
        OpaqueState("anthropic", "redacted_thinking", REDACTED, block=0),
        TextDelta("Hi"),
        ChoiceFinished("stop", "end_turn"),
    ]
    assert facts(through_chat(events)) == [
        OpaqueState("anthropic", "redacted_thinking", REDACTED, via="thinking_blocks")
    ]


@pytest.mark.parametrize(
    "state",
    [
        OpaqueState("responses", "encrypted_reasoning", "gAAAAABenc=="),
        OpaqueState("anthropic", "compaction", "Summary so far."),
        OpaqueState("gemini", "thought_signature", GEMINI, tool_id="call_gone"),
    ],
    ids=["responses", "compaction", "gemini-without-call"],
)
def test_enveloped_state_survives_the_trip_through_chat(state: OpaqueState) -> None:
    events: list[StreamEvent] = [state, TextDelta("Hi"), ChoiceFinished("stop", "stop")]
    assert facts(through_chat(events)) == [state]


def test_a_gemini_signature_survives_the_trip_on_its_call() -> None:
    events: list[StreamEvent] = [
        ToolCallStarted(0, "call_a", "f"),
        ArgumentsDelta(0, "call_a", "{}"),
        OpaqueState("gemini", "thought_signature", GEMINI, tool_id="call_a"),
        ToolCallDone(0, "call_a", "f", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]
    assert facts(through_chat(events)) == [
        OpaqueState("gemini", "thought_signature", GEMINI, tool_id="call_a", via="extra_content")
    ]


def test_an_anthropic_citation_survives_the_trip_through_chat() -> None:
    citation = Citation(
        "web_search_result_location",
        CITATION["url"],
        CITATION["title"],
        CITATION["cited_text"],
        None,
        None,
        CITATION,
        "anthropic",
    )
    events: list[StreamEvent] = [citation, TextDelta("Windy."), ChoiceFinished("stop", "end_turn")]
    (again,) = facts(through_chat(events))
    assert again == Citation(
        citation.type,
        citation.url,
        citation.title,
        citation.cited_text,
        None,
        None,
        CITATION,
        "anthropic",
        via="provider_specific_fields",
    )


@pytest.mark.parametrize(
    "name",
    [
        "litellm_anthropic_thinking.jsonl",
        "litellm_anthropic_redacted_thinking.jsonl",
        "litellm_anthropic_web_search_citations.jsonl",
        "litellm_gemini_thinking.jsonl",
    ],
)
def test_litellm_recordings_with_extensions_round_trip_every_fact(name: str) -> None:
    original = list(typedstream.events(recording(name).chunks()))
    again = list(typedstream.events(wire(original, keep_extensions=True)))
    # The chat writer writes the finish reason as normalized: a "stop" promoted to
    # "tool_calls" comes back with raw reason "tool_calls"; nothing else may differ.
    original = [e for e in original if not isinstance(e, (StreamStarted, ChoiceFinished))]
    again = [e for e in again if not isinstance(e, (StreamStarted, ChoiceFinished))]
    assert again == original


@pytest.mark.live
def test_litellm_rebuilds_the_signed_thinking_block_from_our_chunks(litellm: Any) -> None:
    events: list[StreamEvent] = [
        ANTHROPIC_START,
        ReasoningDelta("The user "),
        ReasoningDelta("wants weather."),
        OpaqueState("anthropic", "thinking_signature", SIGNATURE, block=0),
        OpaqueState("anthropic", "redacted_thinking", REDACTED, block=1),
        TextDelta("Sure."),
        ChoiceFinished("stop", "end_turn"),
    ]
    chunks = [litellm.ModelResponseStream(**c) for c in wire(events, keep_extensions=True)]
    message = litellm.stream_chunk_builder(chunks).choices[0].message
    assert [dict(block) for block in message.thinking_blocks] == [
        thinking("The user wants weather.", SIGNATURE),
        {"type": "redacted_thinking", "data": REDACTED},
    ]
    assert message.reasoning_content == "The user wants weather."


# -- Anthropic → chat: one test per row of the loss table (docs/event-model.md §11) -----------


def anthropic_to_chat(
    source: str | list[dict[str, Any]], *, keep_extensions: bool = False
) -> list[dict[str, Any]]:
    """A recording (by name) or raw Anthropic events, read and written as chat SSE, decoded."""
    raw = (CORPUS / "anthropic" / source).read_bytes() if isinstance(source, str) else source
    body = b"".join(
        typedstream.to_sse(
            typedstream.events(raw, protocol="anthropic"), keep_extensions=keep_extensions
        )
    )
    frames = [f.removeprefix(b"data: ") for f in body.split(b"\n\n") if f]
    assert frames[-1] == b"[DONE]"
    return [json.loads(f) for f in frames[:-1]]


def chat_deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c["choices"]]


def joined(chunks: list[dict[str, Any]], key: str) -> str:
    return "".join(d[key] for d in chat_deltas(chunks) if d.get(key))


def finish_reason(chunks: list[dict[str, Any]]) -> str:
    (reason,) = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and
                 c["choices"][0]["finish_reason"]]  # fmt: skip
    assert isinstance(reason, str)
    return reason


def anthropic_content(name: str) -> list[dict[str, Any]]:
    """The content blocks of a recording, accumulated without typedstream."""
    blocks: list[dict[str, Any]] = []
    for event in anthropic_wire(name):
        if event["type"] == "content_block_start":
            blocks.append({**event["content_block"], "deltas": []})
        elif event["type"] == "content_block_delta":
            blocks[event["index"]]["deltas"].append(event["delta"])
    return blocks


def test_anthropic_to_chat_text_is_content_without_block_boundaries() -> None:
    name = "llmanthropic_opus46_adaptive_thinking_text_first.sse"  # text, thinking, text
    texts = [
        "".join(d["text"] for d in b["deltas"])
        for b in anthropic_content(name)
        if b["type"] == "text"
    ]
    assert len(texts) == 2
    chunks = anthropic_to_chat(name)
    assert joined(chunks, "content") == "".join(texts)


@pytest.mark.parametrize("keep_extensions", [True, False], ids=["kept", "lost"])
def test_anthropic_to_chat_thinking_text_is_reasoning_content_with_keep_extensions(
    keep_extensions: bool,
) -> None:
    name = "pydanticai_sonnet4_thinking_signature.sse"
    (block,) = [b for b in anthropic_content(name) if b["type"] == "thinking"]
    thought = "".join(d.get("thinking", "") for d in block["deltas"])
    chunks = anthropic_to_chat(name, keep_extensions=keep_extensions)
    assert joined(chunks, "reasoning_content") == (thought if keep_extensions else "")


@pytest.mark.parametrize("keep_extensions", [True, False], ids=["kept", "lost"])
def test_anthropic_to_chat_signature_and_redacted_thinking_are_thinking_blocks_entries(
    keep_extensions: bool,
) -> None:
    entries: list[dict[str, Any]] = []
    expected: list[dict[str, Any]] = []
    for name in (
        "pydanticai_sonnet4_thinking_signature.sse",
        "pydanticai_sonnet45_redacted_thinking.sse",
    ):
        chunks = anthropic_to_chat(name, keep_extensions=keep_extensions)
        entries += [e for d in chat_deltas(chunks) for e in d.get("thinking_blocks", ())]
        for b in anthropic_content(name):
            if b["type"] == "thinking":
                text = "".join(d.get("thinking", "") for d in b["deltas"])
                (signature,) = [d["signature"] for d in b["deltas"] if "signature" in d]
                expected.append(thinking(text, signature))
            elif b["type"] == "redacted_thinking":
                expected.append({"type": "redacted_thinking", "data": b["data"]})
    assert entries == (expected if keep_extensions else [])
    assert len(expected) == 3


@pytest.mark.parametrize("keep_extensions", [True, False], ids=["kept", "lost"])
def test_anthropic_to_chat_compaction_is_an_envelope_with_keep_extensions(
    keep_extensions: bool,
) -> None:
    name = "pydanticai_sonnet46_compaction.sse"
    (block,) = [b for b in anthropic_content(name) if b["type"] == "compaction"]
    (summary,) = [d["content"] for d in block["deltas"]]
    chunks = anthropic_to_chat(name, keep_extensions=keep_extensions)
    states = [s for d in chat_deltas(chunks) for s in d.get("typedstream_state", ())]
    envelope = wrap(OpaqueState("anthropic", "compaction", summary))
    assert states == ([envelope] if keep_extensions else [])


@pytest.mark.parametrize("keep_extensions", [True, False], ids=["kept", "lost"])
def test_anthropic_to_chat_citations_are_provider_specific_fields_with_keep_extensions(
    keep_extensions: bool,
) -> None:
    name = "pydanticai_sonnet4_web_search_citations.sse"
    cited = [
        d["citation"]
        for b in anthropic_content(name)
        for d in b["deltas"]
        if d["type"] == "citations_delta"
    ]
    chunks = anthropic_to_chat(name, keep_extensions=keep_extensions)
    written = [
        d["provider_specific_fields"]["citation"]
        for d in chat_deltas(chunks)
        if "citation" in d.get("provider_specific_fields", {})
    ]
    assert written == (cited if keep_extensions else [])
    assert len(cited) == 9


def test_anthropic_to_chat_tool_use_is_a_tool_call_with_its_id_and_a_dense_index() -> None:
    # The client tool_use is block 4, after text, a server tool call and its result.
    name = "pydanticai_sonnet46_tool_search_then_tool_use.sse"
    (block,) = [b for b in anthropic_content(name) if b["type"] == "tool_use"]
    arguments = "".join(d["partial_json"] for d in block["deltas"])
    calls = [c for d in chat_deltas(anthropic_to_chat(name)) for c in d.get("tool_calls", ())]
    assert {c["index"] for c in calls} == {0}
    assert calls[0]["id"] == block["id"]
    assert calls[0]["function"]["name"] == block["name"]
    assert "".join(c["function"]["arguments"] for c in calls) == arguments
    assert finish_reason(anthropic_to_chat(name)) == "tool_calls"


def test_anthropic_to_chat_server_tool_calls_and_results_are_lost() -> None:
    for name in ("pydanticai_sonnet4_web_search_citations.sse", "pydanticai_sonnet4_web_fetch.sse"):
        body = json.dumps(anthropic_to_chat(name, keep_extensions=True))
        assert '"tool_calls"' not in body
        assert "srvtoolu_" not in body
        assert "tool_result" not in body


def _stopped(reason: str, sequence: str | None = None) -> list[dict[str, Any]]:
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 1},
    }
    return [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": reason, "stop_sequence": sequence},
            "usage": {"output_tokens": 2},
        },
        {"type": "message_stop"},
    ]


@pytest.mark.parametrize(
    ("stop_reason", "written"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),  # the stop_sequence value is lost
        ("max_tokens", "length"),
        ("pause_turn", "length"),  # lost: pause_turn vs max_tokens
        ("refusal", "content_filter"),
        ("model_context_window_exceeded", "length"),
    ],
)
def test_anthropic_to_chat_stop_is_the_finish_reason_of_the_table(
    stop_reason: str, written: str
) -> None:
    sequence = "```" if stop_reason == "stop_sequence" else None
    chunks = anthropic_to_chat(_stopped(stop_reason, sequence), keep_extensions=True)
    assert finish_reason(chunks) == written
    assert "```" not in json.dumps(chunks)


def test_anthropic_to_chat_usage_is_the_chat_fields_and_loses_anthropics_extras() -> None:
    name = "llmanthropic_opus41_web_search_citations.sse"
    (delta,) = [e for e in anthropic_wire(name) if e["type"] == "message_delta"]
    final = delta["usage"]
    for keep_extensions in (False, True):
        usage = anthropic_to_chat(name, keep_extensions=keep_extensions)[-1]["usage"]
        assert usage == {
            "prompt_tokens": final["input_tokens"],  # no cached tokens in this one
            "completion_tokens": final["output_tokens"],
            "total_tokens": final["input_tokens"] + final["output_tokens"],
            "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        }  # server_tool_use, cache_creation, service_tier and the initial usage are lost


def test_anthropic_to_chat_error_is_an_openai_error_frame_without_done() -> None:
    error = {"type": "overloaded_error", "message": "Overloaded"}
    raw = [*_stopped("end_turn")[:3], {"type": "error", "error": error, "request_id": "req_1"}]
    frames: list[bytes] = []
    with pytest.raises(typedstream.ProviderError):
        frames.extend(typedstream.to_sse(typedstream.events(raw), error_frame=True))
    assert frames[-1] != b"data: [DONE]\n\n"
    payload = json.loads(frames[-1].removeprefix(b"data: "))
    assert payload["error"]["type"] == "overloaded_error"
    assert payload["error"]["message"] == "Overloaded"
    assert b"req_1" not in b"".join(frames)  # the request_id is lost


def test_anthropic_to_chat_extensions_are_lost() -> None:
    for name in (
        "llmanthropic_haiku45_parallel_tool_use_noargs.sse",  # caller, stop_details
        "pydanticai_sonnet46_code_execution_bash.sse",  # container
        "lingua_bedrock_haiku45_text_invocation_metrics.sse",  # Bedrock's metrics
    ):
        body = json.dumps(anthropic_to_chat(name, keep_extensions=True))
        for key in ("caller", "stop_details", "container", "amazon-bedrock-invocationMetrics"):
            assert f'"{key}"' not in body, (name, key)
