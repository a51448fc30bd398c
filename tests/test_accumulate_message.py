"""`Accumulator.message()`: the final Anthropic Message a stream adds up to.

Each Anthropic case is a list of raw Messages events (by hand, or a recording), read into typed
events by the Anthropic reader (`typedstream.events()`). `message()` over those events must
equal what the `anthropic` SDK's own `accumulate_event` (what `MessageStream` and
`get_final_message()` use) builds from the raw events, compared as JSON with
`model_dump(mode="json", exclude_unset=True)`: the keys the wire sent plus what the SDK filled
in, not the SDK model's defaults for keys nobody sent. For `mcp_tool_use` and `compaction`,
which the SDK's stable accumulator leaves as they started, the reference is its beta twin.
Chat sources are checked against the blocks the Anthropic writer derives (§5.1).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from corpus import CORPUS, Recording

import typedstream
from typedstream import (
    Accumulator,
    ArgumentsDelta,
    ChoiceFinished,
    OpaqueState,
    ProviderData,
    ReasoningDelta,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolArgumentsError,
    ToolCallDone,
    ToolCallStarted,
    UnwritableEventError,
    Usage,
)

anthropic = pytest.importorskip("anthropic")

# -- The raw events as typed events: the Anthropic reader ----------------------------------


def typed(raw: list[dict[str, Any]]) -> list[StreamEvent]:
    """The events ``typedstream.events()`` reads from the raw Anthropic events."""
    return list(typed_until_error(raw))


def typed_until_error(raw: list[dict[str, Any]]) -> Iterator[StreamEvent]:
    return iter(typedstream.events(raw, protocol="anthropic"))


# -- The reference: the anthropic SDK's accumulator ------------------------------------------


def sdk_message(raw: list[dict[str, Any]], *, beta: bool = False) -> dict[str, Any]:
    """What `MessageStream.get_final_message()` gives for ``raw``, as JSON."""
    snapshot: Any = None
    buffers: dict[int, bytes] = {}
    if beta:
        from anthropic.lib.streaming._beta_messages import accumulate_event as beta_accumulate

        headers = httpx.Headers()
        for event in raw:
            snapshot = beta_accumulate(
                event=event, current_snapshot=snapshot, json_bufs=buffers, request_headers=headers
            )
    else:
        from anthropic.lib.streaming._messages import accumulate_event

        for event in raw:
            if event["type"] != "ping":
                snapshot = accumulate_event(
                    event=event, current_snapshot=snapshot, json_bufs=buffers
                )
    with warnings.catch_warnings():
        # Pydantic warns when it dumps a block type the SDK's union does not list.
        warnings.simplefilter("ignore", UserWarning)
        dumped: dict[str, Any] = snapshot.model_dump(mode="json", exclude_unset=True)
    return dumped


def message_of(events: list[StreamEvent]) -> dict[str, Any]:
    acc = Accumulator()
    acc.extend(events)
    return acc.message()


def assert_like_sdk(raw: list[dict[str, Any]], *, beta: bool = False) -> dict[str, Any]:
    ours = message_of(typed(raw))
    assert ours == sdk_message(raw, beta=beta)
    return ours


# -- Raw events, by hand ---------------------------------------------------------------------

USAGE0 = {
    "input_tokens": 12,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 5,
    "output_tokens": 1,
    "service_tier": "standard",
}


def start(**extra: Any) -> dict[str, Any]:
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": USAGE0,
    }
    return {"type": "message_start", "message": {**message, **extra}}


def block(index: int, **block: Any) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def delta(index: int, **delta: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def end(reason: str, sequence: str | None = None, **usage: Any) -> list[dict[str, Any]]:
    return [
        {
            "type": "message_delta",
            "delta": {"stop_reason": reason, "stop_sequence": sequence},
            "usage": {"output_tokens": 20, **usage},
        },
        {"type": "message_stop"},
    ]


def text(index: int, *parts: str) -> list[dict[str, Any]]:
    return [
        block(index, type="text", text=""),
        *(delta(index, type="text_delta", text=p) for p in parts),
        stop(index),
    ]


CITATION = {
    "type": "web_search_result_location",
    "cited_text": "Paris is the capital",
    "url": "https://example.com/paris",
    "title": "Paris",
    "encrypted_index": "Eo8BCioIAhgB",
}


def test_text_blocks_with_citations_are_the_sdks() -> None:
    raw = [
        start(),
        *text(0, "Here is what I found. "),
        block(1, type="text", text="", citations=[]),
        delta(1, type="citations_delta", citation=CITATION),
        delta(1, type="citations_delta", citation={**CITATION, "title": "Paris 2"}),
        delta(1, type="text_delta", text="Paris is "),
        delta(1, type="text_delta", text="the capital."),
        stop(1),
        *text(2, " Anything else?"),
        *end("end_turn"),
    ]
    message = assert_like_sdk(raw)
    assert [b["text"] for b in message["content"]] == [
        "Here is what I found. ",
        "Paris is the capital.",
        " Anything else?",
    ]
    assert len(message["content"][1]["citations"]) == 2


def test_thinking_block_with_its_signature_is_the_sdks() -> None:
    raw = [
        start(),
        block(0, type="thinking", thinking="", signature=""),
        delta(0, type="thinking_delta", thinking="The user "),
        delta(0, type="thinking_delta", thinking="wants weather."),
        delta(0, type="thinking_delta", thinking=""),
        delta(0, type="signature_delta", signature="EqQBCgIYAhIM1gbc"),
        stop(0),
        *text(1, "Sunny."),
        *end("end_turn"),
    ]
    message = assert_like_sdk(raw)
    assert message["content"][0] == {
        "type": "thinking",
        "thinking": "The user wants weather.",
        "signature": "EqQBCgIYAhIM1gbc",
    }


def test_redacted_thinking_keeps_its_data() -> None:
    raw = [
        start(),
        block(0, type="redacted_thinking", data="EmwKAhgBEgy3va3pzix"),
        stop(0),
        block(1, type="redacted_thinking", data="EmwKAhgBEgy3va3pzi2"),
        stop(1),
        *text(2, "Done."),
        *end("end_turn"),
    ]
    message = assert_like_sdk(raw)
    assert [b.get("data") for b in message["content"][:2]] == [
        "EmwKAhgBEgy3va3pzix",
        "EmwKAhgBEgy3va3pzi2",
    ]


def tool(index: int, id: str, name: str, *parts: str, stopped: bool = True) -> list[Any]:
    events = [
        block(index, type="tool_use", id=id, name=name, input={}),
        delta(index, type="input_json_delta", partial_json=""),
        *(delta(index, type="input_json_delta", partial_json=p) for p in parts),
    ]
    return [*events, stop(index)] if stopped else events


def test_tool_use_input_is_parsed_and_empty_input_is_an_empty_object() -> None:
    raw = [
        start(),
        *text(0, "Let me check."),
        *tool(1, "toolu_01A", "get_weather", '{"locati', 'on": "Par', 'is"}'),
        *tool(2, "toolu_01B", "get_time"),
        *end("tool_use"),
    ]
    message = assert_like_sdk(raw)
    assert [b.get("input") for b in message["content"]] == [None, {"location": "Paris"}, {}]
    assert message["stop_reason"] == "tool_use"


def test_tool_use_cut_by_max_tokens_keeps_the_input_parsed_so_far() -> None:
    raw = [
        start(),
        *tool(
            0,
            "toolu_01C",
            "make_file",
            '{"filename": "a.txt", "lines_of_text": ["Fil',
            stopped=False,
        ),
        *end("max_tokens"),
    ]
    message = assert_like_sdk(raw)
    assert message["content"][0]["input"] == {"filename": "a.txt", "lines_of_text": []}
    assert message["stop_reason"] == "max_tokens"


def test_server_tool_use_and_its_result_are_the_sdks() -> None:
    results = [
        {
            "type": "web_search_result",
            "title": "Paris",
            "url": "https://example.com",
            "encrypted_content": "EqgfCioIAhgB",
            "page_age": None,
        }
    ]
    raw = [
        start(),
        block(0, type="server_tool_use", id="srvtoolu_01", name="web_search", input={}),
        delta(0, type="input_json_delta", partial_json='{"query": '),
        delta(0, type="input_json_delta", partial_json='"paris"}'),
        stop(0),
        block(
            1,
            type="web_search_tool_result",
            tool_use_id="srvtoolu_01",
            content=results,
            caller={"type": "direct"},
        ),
        stop(1),
        *text(2, "Paris."),
        *end("end_turn", server_tool_use={"web_search_requests": 1}),
    ]
    message = assert_like_sdk(raw)
    assert message["content"][0]["input"] == {"query": "paris"}
    assert message["content"][1]["caller"] == {"type": "direct"}
    assert message["usage"]["server_tool_use"] == {"web_search_requests": 1}


def test_mcp_tool_use_and_result_are_the_beta_sdks() -> None:
    raw = [
        start(),
        block(
            0, type="mcp_tool_use", id="mcptoolu_01", name="ask", server_name="deepwiki", input={}
        ),
        delta(0, type="input_json_delta", partial_json='{"q": 1}'),
        stop(0),
        block(
            1,
            type="mcp_tool_result",
            tool_use_id="mcptoolu_01",
            is_error=False,
            content=[{"type": "text", "text": "answer"}],
        ),
        stop(1),
        *end("end_turn"),
    ]
    message = assert_like_sdk(raw, beta=True)
    assert message["content"][0]["server_name"] == "deepwiki"


def test_compaction_block_holds_its_summary_like_the_beta_sdk() -> None:
    raw = [
        start(),
        block(0, type="compaction", content=None),
        delta(0, type="compaction_delta", content="The user asked for a greeting."),
        stop(0),
        *text(1, "Hello!"),
        *end("end_turn"),
    ]
    message = assert_like_sdk(raw, beta=True)
    assert message["content"][0]["content"] == "The user asked for a greeting."


def test_unknown_block_comes_back_as_it_came() -> None:
    raw = [
        start(),
        block(0, type="container_upload", file_id="file_01"),
        delta(0, type="future_delta", payload=1),
        stop(0),
        *text(1, "Uploaded."),
        *end("end_turn"),
    ]
    message = assert_like_sdk(raw)
    assert message["content"][0] == {"type": "container_upload", "file_id": "file_01"}


def test_usage_is_the_start_figures_overlaid_by_the_final_ones() -> None:
    raw = [
        start(),
        *text(0, "Hi"),
        *end(
            "end_turn",
            input_tokens=40,
            cache_read_input_tokens=None,
            iterations=[{"type": "message"}],
        ),
    ]
    message = assert_like_sdk(raw, beta=True)  # the stable SDK drops `iterations`
    assert message["usage"] == {
        **USAGE0,
        "input_tokens": 40,
        "output_tokens": 20,
        "iterations": [{"type": "message"}],
    }


def test_stop_sequence_and_message_extension_keys_are_kept() -> None:
    raw = [
        start(container=None),
        *text(0, "def f():"),
        {
            "type": "message_delta",
            "delta": {"stop_reason": "stop_sequence", "stop_sequence": "```", "stop_details": None},
            "usage": {"output_tokens": 3},
        },
        {"type": "message_stop"},
    ]
    message = assert_like_sdk(raw)
    assert (message["stop_reason"], message["stop_sequence"]) == ("stop_sequence", "```")
    assert "stop_details" in message
    assert "container" in message


ANTHROPIC = sorted(p for p in (CORPUS / "anthropic").iterdir() if p.suffix in (".sse", ".jsonl"))
_BETA = {"pydanticai_sonnet45_mcp_tool_use_result.sse", "pydanticai_sonnet46_compaction.sse"}


@pytest.mark.parametrize("path", ANTHROPIC, ids=[p.name for p in ANTHROPIC])
def test_every_recording_gives_the_sdks_message(path: Any) -> None:
    raw = Recording(path).chunks()
    assert_like_sdk(raw, beta=path.name in _BETA)


# -- Chat sources: the blocks the Anthropic writer derives (§5.1) ----------------------------


def chat_start() -> StreamStarted:
    return StreamStarted("chatcmpl-1", "gpt-x", 1700000000)


def test_chat_source_gives_text_then_tool_use_blocks_with_ids_unchanged() -> None:
    events: list[StreamEvent] = [
        chat_start(),
        TextDelta("Let me "),
        TextDelta("check."),
        ToolCallStarted(0, "call_Aa1", "get_weather"),
        ArgumentsDelta(0, "call_Aa1", '{"city": '),
        ArgumentsDelta(0, "call_Aa1", '"Paris"}'),
        ToolCallDone(0, "call_Aa1", "get_weather", '{"city": "Paris"}'),
        ChoiceFinished("tool_calls", "tool_calls"),
        Usage(
            {
                "prompt_tokens": 30,
                "completion_tokens": 7,
                "total_tokens": 37,
                "prompt_tokens_details": {"cached_tokens": 10},
            }
        ),
    ]
    assert message_of(events) == {
        "id": "chatcmpl-1",
        "type": "message",
        "role": "assistant",
        "model": "gpt-x",
        "content": [
            {"type": "text", "text": "Let me check."},
            {
                "type": "tool_use",
                "id": "call_Aa1",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "stop_details": None,
        "usage": {
            "input_tokens": 20,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 10,
            "output_tokens": 7,
        },
    }


def test_chat_reasoning_without_anthropic_state_makes_no_thinking_block() -> None:
    events: list[StreamEvent] = [chat_start(), ReasoningDelta("hmm"), TextDelta("Hi")]
    assert message_of(events)["content"] == [{"type": "text", "text": "Hi"}]


def test_chat_litellm_thinking_blocks_become_the_signed_thinking_block() -> None:
    fragments = [
        {"type": "thinking", "thinking": "The user ", "signature": None},
        {"type": "thinking", "thinking": "wants weather.", "signature": None},
        {"type": "thinking", "thinking": "", "signature": "EqQBCgIYAhIM"},
    ]
    events: list[StreamEvent] = [chat_start()]
    for fragment in fragments:
        events.append(ProviderData("thinking_blocks", [fragment]))
        if fragment["thinking"]:
            events.append(ReasoningDelta(fragment["thinking"]))
    events.append(
        OpaqueState(
            "anthropic", "thinking_signature", "EqQBCgIYAhIM", None, None, "thinking_blocks"
        )
    )
    events.append(TextDelta("Sunny."))
    assert message_of(events)["content"] == [
        {"type": "thinking", "thinking": "The user wants weather.", "signature": "EqQBCgIYAhIM"},
        {"type": "text", "text": "Sunny."},
    ]


def test_chat_anthropic_state_without_a_container_signs_the_reasoning_before_it() -> None:
    events: list[StreamEvent] = [
        chat_start(),
        ReasoningDelta("first"),
        OpaqueState("anthropic", "thinking_signature", "SIG1"),
        OpaqueState("anthropic", "redacted_thinking", "RED1"),
        ReasoningDelta("unsigned"),
        TextDelta("Hi"),
    ]
    assert message_of(events)["content"] == [
        {"type": "thinking", "thinking": "first", "signature": "SIG1"},
        {"type": "redacted_thinking", "data": "RED1"},
        {"type": "text", "text": "Hi"},
    ]


def test_chat_foreign_state_rides_in_an_envelope_before_its_tool_use() -> None:
    from typedstream._envelope import unwrap

    state = OpaqueState("gemini", "thought_signature", "CiQBVKhc", None, "call_1", "extra_content")
    events: list[StreamEvent] = [
        chat_start(),
        ToolCallStarted(0, "call_1", "f"),
        state,
        ToolCallDone(0, "call_1", "f", "{}"),
    ]
    content = message_of(events)["content"]
    assert [b["type"] for b in content] == ["redacted_thinking", "tool_use"]
    assert unwrap(content[0]["data"]) == OpaqueState(
        "gemini", "thought_signature", "CiQBVKhc", None, "call_1"
    )


def test_a_second_choice_cannot_be_an_anthropic_message() -> None:
    events: list[StreamEvent] = [chat_start(), TextDelta("a"), TextDelta("b", choice=1)]
    with pytest.raises(UnwritableEventError, match="choice 1"):
        message_of(events)


def test_tool_input_that_is_not_json_is_a_typed_error() -> None:
    events: list[StreamEvent] = [
        chat_start(),
        ToolCallStarted(0, "call_1", "f"),
        ToolCallDone(0, "call_1", "f", "{]"),
    ]
    with pytest.raises(ToolArgumentsError, match="call_1"):
        message_of(events)


def test_nothing_yet_is_an_empty_message_with_zero_usage() -> None:
    assert Accumulator().message() == {
        "id": "",
        "type": "message",
        "role": "assistant",
        "model": "",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 0, "output_tokens": 0},
    }


def test_stream_error_and_extensions_are_kept_beside_the_message() -> None:
    overloaded = {"type": "overloaded_error", "message": "Overloaded"}
    raw = [start(container=None), *text(0, "Hi"), {"type": "error", "error": overloaded}]
    acc = Accumulator()
    with pytest.raises(typedstream.ProviderError):
        for event in typed_until_error(raw):
            acc.add(event)
    assert acc.error is not None
    assert acc.error.data == overloaded
    assert [e.name for e in acc.extensions] == ["message"]
    assert acc.message()["content"] == [{"type": "text", "text": "Hi"}]


def test_accumulate_into_message_needs_no_second_pass() -> None:
    raw = [start(), *text(0, "Hi"), *end("end_turn")]
    assert typedstream.accumulate(typed(raw), into="message") == sdk_message(raw)


def test_aaccumulate_into_message() -> None:
    import asyncio

    raw = [start(), *text(0, "Hi"), *end("end_turn")]

    async def events() -> Any:
        for event in typed(raw):
            yield event

    assert asyncio.run(typedstream.aaccumulate(events(), into="message")) == sdk_message(raw)


def test_message_model_is_the_sdks_message_type() -> None:
    raw = [start(), *text(0, "Hi"), *tool(1, "toolu_1", "f", '{"a": 1}'), *end("tool_use")]
    acc = Accumulator()
    acc.extend(typed(raw))
    model = acc.message_model()
    assert isinstance(model, anthropic.types.Message)
    assert isinstance(model.content[1], anthropic.types.ToolUseBlock)
    assert model.content[1].input == {"a": 1}


@pytest.mark.live
def test_litellm_anthropic_thinking_stream_gives_the_signed_thinking_block(
    litellm: Any, loopback: Any
) -> None:
    stream = litellm.completion(
        model="anthropic/claude-3-7-sonnet-20250219",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        thinking={"type": "enabled", "budget_tokens": 1024},
        stream=True,
        api_base=loopback.api_base("anthropic_thinking"),
        api_key="sk-loopback",
    )
    message = typedstream.accumulate(typedstream.events(stream), into="message")
    wire = [json.loads(line) for line in LOOPBACK_THINKING.read_text().splitlines() if line]
    original = sdk_message(wire)
    # The blocks LiteLLM kept: the signed thinking block and the tool calls, ids unchanged.
    assert message["content"][0] == original["content"][0]
    assert message["content"][0]["signature"] == "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"
    tool_uses = [b for b in message["content"] if b["type"] == "tool_use"]
    assert tool_uses == [b for b in original["content"] if b["type"] == "tool_use"]


LOOPBACK_THINKING = (
    CORPUS.parents[1] / "typedstream" / "_data" / "loopback" / "anthropic_thinking.jsonl"
)
