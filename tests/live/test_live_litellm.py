"""Real LiteLLM streams from the loopback provider, end to end, in each wire format.

LiteLLM 1.106 is pointed at the loopback provider with ``api_base``; its real OpenAI,
Anthropic and Gemini code paths turn the provider's SSE into ``ModelResponseStream`` chunks,
and typedstream turns those into events. The expected text, reasoning, calls and usage are
the scenario's (``litellm_cases.py``), written from the wire data by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import pytest
from litellm_cases import ANTHROPIC_SIGNATURE, BY_NAME, CASES, GEMINI_SIGNATURE, Case
from naive import rebuild
from openai.lib.streaming.chat import ChatCompletionStreamState

import typedstream
from typedstream import (
    ProviderData,
    RawChunk,
    StreamEvent,
    StreamStarted,
    ToolCallDone,
    ToolCallStarted,
    Usage,
    check_openai_chunks,
    to_openai_chunks,
)
from typedstream.testing import LoopbackProvider

pytestmark = pytest.mark.live

SYNTHESIZED_ID = re.compile(r"call_[0-9a-f]{16,}")


def split(events: list[StreamEvent]) -> tuple[list[Any], list[StreamEvent]]:
    """The source chunks (from ``raw=True``) and the typed events."""
    raw = [event.chunk for event in events if isinstance(event, RawChunk)]
    return raw, [event for event in events if not isinstance(event, RawChunk)]


def raw_call_ids(chunks: list[Any]) -> list[str]:
    """The tool-call ids LiteLLM put in its chunks, in order (read without typedstream)."""
    ids = []
    for chunk in chunks:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or ():
                if call.id:
                    ids.append(call.id)
    return ids


def check_stream(case: Case, events: list[StreamEvent], loopback: LoopbackProvider) -> None:
    raw, typed = split(events)
    messages, usage = rebuild(typed)  # also checks start/delta/done consistency per call
    assert list(messages) == [0]
    message = messages[0]
    assert message.content == case.text
    assert message.reasoning == case.reasoning
    assert message.finish_reason == "tool_calls"
    assert [call["name"] for call in message.tool_calls] == [c[1] for c in case.calls]
    assert [call["arguments"] for call in message.tool_calls] == [c[2] for c in case.calls]
    ids = [call["id"] for call in message.tool_calls]
    for got, (expected, _, _) in zip(ids, case.calls, strict=True):
        if expected is None:  # made up by LiteLLM: keep whatever it sent
            assert got is not None
            assert SYNTHESIZED_ID.match(got)
        else:
            assert got == expected
    assert ids == raw_call_ids(raw)
    assert usage is not None
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == case.usage
    assert isinstance(typed[0], StreamStarted)
    assert isinstance(typed[-1], Usage)

    check_openai_output(case, typed, ids)

    exchange = loopback.last
    assert exchange.reply == case.scenario
    assert exchange.wait(5)  # the client may be done before the server's thread is
    assert exchange.completed
    assert_request_carried_the_tools(case, exchange.body)


def check_openai_output(case: Case, typed: list[StreamEvent], ids: list[str | None]) -> None:
    """to_openai_chunks() passes the checker and real consumers rebuild the calls from it."""
    chunks = list(to_openai_chunks(typed))
    dumped = [chunk.model_dump(mode="json", exclude_unset=True) for chunk in chunks]
    assert check_openai_chunks(dumped) == []

    state: Any = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(chunk)
    (choice,) = state.get_final_completion().choices
    assert choice.finish_reason == "tool_calls"
    assert (choice.message.content or "") == case.text
    rebuilt = [(t.id, t.function.name, t.function.arguments) for t in choice.message.tool_calls]
    expected = [(call_id, c[1], c[2]) for call_id, c in zip(ids, case.calls, strict=True)]
    assert rebuilt == expected
    usage = state.get_final_completion().usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == case.usage

    message = swarm_merge(deltas(chunks))
    assert [
        (call["id"], call["type"], call["function"]["name"], call["function"]["arguments"])
        for call in message["tool_calls"]
    ] == [(call_id, "function", name, args) for call_id, name, args in rebuilt]
    assert message["content"] == case.text


def assert_request_carried_the_tools(case: Case, body: Any) -> None:
    """LiteLLM translated the tools into the provider's request format."""
    if case.wire == "openai":
        names = [tool["function"]["name"] for tool in body["tools"]]
        assert body["stream"] is True
    elif case.wire == "anthropic":
        names = [tool["name"] for tool in body["tools"]]
        assert body["stream"] is True
    else:
        names = [f["name"] for tool in body["tools"] for f in tool["function_declarations"]]
    assert names == ["get_weather", "get_time"]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.scenario)
def test_litellm_completion_stream_gives_what_the_provider_sent(
    litellm: Any, loopback: LoopbackProvider, case: Case
) -> None:
    stream = litellm.completion(**case.kwargs(loopback))
    check_stream(case, list(typedstream.events(stream, raw=True)), loopback)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.scenario)
async def test_litellm_acompletion_stream_gives_what_the_provider_sent(
    litellm: Any, loopback: LoopbackProvider, case: Case
) -> None:
    stream = await litellm.acompletion(**case.kwargs(loopback))
    check_stream(case, [event async for event in typedstream.aevents(stream, raw=True)], loopback)


def test_anthropic_thinking_blocks_and_signature_come_as_provider_data(
    litellm: Any, loopback: LoopbackProvider
) -> None:
    case = BY_NAME["anthropic_thinking"]
    events = list(typedstream.events(litellm.completion(**case.kwargs(loopback))))
    blocks = [
        block
        for event in events
        if isinstance(event, ProviderData) and event.key == "thinking_blocks"
        for block in event.value
    ]
    # LiteLLM sends one block fragment per chunk; the signature comes in its own fragment.
    assert "".join(block["thinking"] for block in blocks) == case.reasoning
    assert [block["signature"] for block in blocks if block.get("signature")] == [
        ANTHROPIC_SIGNATURE
    ]
    assert all(event.tool_index is None for event in events if isinstance(event, ProviderData))
    first_text = next(i for i, e in enumerate(events) if e.kind == "text_delta")
    last_data = max(i for i, e in enumerate(events) if isinstance(e, ProviderData))
    assert last_data < first_text  # the thinking block is complete before the answer


def test_gemini_thought_signature_comes_as_provider_data_of_its_call(
    litellm: Any, loopback: LoopbackProvider
) -> None:
    case = BY_NAME["gemini_thinking"]
    events = list(typedstream.events(litellm.completion(**case.kwargs(loopback))))
    data = [event for event in events if isinstance(event, ProviderData)]
    assert (
        ProviderData(
            "provider_specific_fields", {"thought_signature": GEMINI_SIGNATURE}, tool_index=0
        )
        in data
    )
    assert (
        ProviderData("provider_specific_fields", {"thought_signatures": [GEMINI_SIGNATURE]}) in data
    )
    assert not any(event.tool_index == 1 for event in data)  # only the first call is signed
    first = next(e for e in events if isinstance(e, ToolCallStarted))
    # LiteLLM 1.106 also smuggles the signature into the id it makes up.
    assert first.id.endswith(f"__thought__{GEMINI_SIGNATURE}")


def test_litellm_gemini_sends_each_call_whole(litellm: Any, loopback: LoopbackProvider) -> None:
    case = BY_NAME["gemini_tools"]
    events = list(typedstream.events(litellm.completion(**case.kwargs(loopback))))
    done = [event for event in events if isinstance(event, ToolCallDone)]
    deltas = [event for event in events if event.kind == "arguments_delta"]
    assert [event.index for event in done] == [0, 1]
    assert len(deltas) == 2  # one fragment each: the whole arguments
    assert [json.loads(event.arguments) for event in done] == [
        {"location": "Paris"},
        {"tz": "Europe/Paris"},
    ]


# -- The founding bug --------------------------------------------------------------------------


def swarm_merge(stream: list[dict[str, Any]]) -> dict[str, Any]:
    """OpenAI Swarm's streaming merge loop (swarm/core.py and swarm/util.py), as published.

    It concatenates every string field of every delta, so a field that should come once but
    is repeated is repeated in the result.
    """

    def merge_fields(target: dict[str, Any], source: dict[str, Any]) -> None:
        for key, value in source.items():
            if isinstance(value, str):
                target[key] += value
            elif value is not None and isinstance(value, dict):
                merge_fields(target[key], value)

    message: dict[str, Any] = {
        "content": "",
        "sender": "agent",
        "role": "assistant",
        "function_call": None,
        "tool_calls": {},
    }
    for delta in stream:
        delta.pop("role", None)
        delta.pop("sender", None)
        tool_calls = delta.pop("tool_calls", None)
        merge_fields(message, delta)
        if tool_calls:
            index = tool_calls[0].pop("index")
            call = message["tool_calls"].setdefault(
                index, {"function": {"arguments": "", "name": ""}, "id": "", "type": ""}
            )
            merge_fields(call, tool_calls[0])
    message["tool_calls"] = [message["tool_calls"][i] for i in sorted(message["tool_calls"])]
    return message


def deltas(chunks: Iterable[Any]) -> list[dict[str, Any]]:
    """Each chunk's first delta as JSON, the way Swarm reads it (``delta.json()``)."""
    return [chunk.choices[0].delta.model_dump(mode="json") for chunk in chunks if chunk.choices]


def test_founding_bug_swarm_loop_over_raw_litellm_chunks_builds_functionfunction(
    litellm: Any, loopback: LoopbackProvider
) -> None:
    """LiteLLM repeats ``type: "function"`` on every fragment; Swarm's loop concatenates it.

    If this starts failing, LiteLLM changed how it streams tool calls: re-check the quirk.
    """
    case = BY_NAME["openai_tools_usage"]
    chunks = list(litellm.completion(**case.kwargs(loopback)))
    message = swarm_merge(deltas(chunks))
    assert [call["type"] for call in message["tool_calls"]] == ["function" * 5, "function" * 4]
    # The rest of the merge is right, which is what makes the bug easy to miss.
    assert [
        (c["id"], c["function"]["name"], c["function"]["arguments"]) for c in message["tool_calls"]
    ] == list(case.calls)


def test_founding_bug_swarm_loop_over_typedstream_output_builds_the_exact_calls(
    litellm: Any, loopback: LoopbackProvider
) -> None:
    case = BY_NAME["openai_tools_usage"]
    stream = litellm.completion(**case.kwargs(loopback))
    chunks = to_openai_chunks(typedstream.events(stream))
    message = swarm_merge(deltas(chunks))
    assert message["tool_calls"] == [
        {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}
        for call_id, name, args in case.calls
    ]
    assert message["content"] == "Let me check both."


def test_a_litellm_exception_mid_stream_propagates_after_the_earlier_events(
    litellm: Any, loopback: LoopbackProvider
) -> None:
    """Anthropic's `event: error` makes LiteLLM raise; typedstream passes it on unchanged."""
    stream = litellm.completion(
        model="anthropic/claude-3-5-sonnet-20241022",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        api_base=loopback.api_base("anthropic_error"),
        api_key="sk-loopback",
    )
    seen: list[StreamEvent] = []
    with pytest.raises(litellm.exceptions.MidStreamFallbackError, match="Overloaded"):
        seen.extend(typedstream.events(stream))
    assert [event.kind for event in seen] == ["stream_started", "text_delta"]
