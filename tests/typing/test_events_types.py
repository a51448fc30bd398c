"""Static typing checks: type-checked by mypy --strict and pyright, never executed as tests.

(`nox -s typing` runs both checkers on this folder; pytest does not collect it.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import openai
from openai.types.chat import ChatCompletionChunk
from typing_extensions import assert_never, assert_type

import typedstream
from typedstream import (
    ArgumentsDelta,
    BlockDone,
    BlockStarted,
    BlockStatus,
    BlockType,
    ChoiceFinished,
    Citation,
    CustomToolCallDone,
    CustomToolCallIncomplete,
    CustomToolCallStarted,
    CustomToolInputDelta,
    Extension,
    FinishReason,
    Logprobs,
    Moderation,
    OpaqueKind,
    OpaqueOrigin,
    OpaqueState,
    PartDone,
    PartStarted,
    PartType,
    ProviderData,
    RawChunk,
    ReasoningDelta,
    ReasoningDone,
    RefusalDelta,
    RefusalDone,
    ServerTool,
    ServerToolCallDone,
    ServerToolCallStarted,
    ServerToolInputDelta,
    ServerToolProgress,
    ServerToolResult,
    StreamError,
    StreamEvent,
    StreamStarted,
    TextDelta,
    TextDone,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
)


def check_events(source: list[dict[str, Any]]) -> None:
    stream = typedstream.events(source)
    assert_type(stream, typedstream.EventStream)
    assert_type(next(stream), StreamEvent)
    with typedstream.events(source) as events:
        for event in events:
            assert_type(event, StreamEvent)


async def check_aevents(source: AsyncIterator[dict[str, Any]]) -> None:
    stream = typedstream.aevents(source)
    assert_type(stream, typedstream.AsyncEventStream)
    async with typedstream.aevents(source) as events:
        async for event in events:
            assert_type(event, StreamEvent)


def check_sync_iterables_and_bytes(lines: Iterator[str], body: bytes) -> None:
    typedstream.events(lines, lines=True)
    typedstream.events(body, strict=True, assume_complete=True, raw=True)


def describe(event: StreamEvent) -> str:
    """An exhaustive match: deleting a case makes both checkers fail."""
    match event:
        case StreamStarted(id=response_id):
            return f"start {response_id}"
        case TextDelta(text=text):
            return text
        case ReasoningDelta(text=text):
            return text
        case RefusalDelta(text=text):
            return text
        case ToolCallStarted(index=index, id=call_id, name=name):
            return f"{index} {call_id} {name}"
        case ArgumentsDelta(delta=delta):
            return delta
        case ToolCallDone(arguments=arguments):
            return arguments
        case ToolCallIncomplete(reason=reason):
            assert_type(reason, str)
            return f"cut off by {reason}"
        case TextDone(text=text) | ReasoningDone(text=text) | RefusalDone(text=text):
            return text
        case Logprobs():
            return "logprobs"
        case ProviderData(key=key):
            return key
        case ChoiceFinished(reason=reason):
            assert_type(reason, FinishReason)
            return reason
        case Usage():
            return "usage"
        case Moderation():
            return "moderation"
        case RawChunk():
            return "raw"
        case BlockStarted(type=block_type, wire_type=wire_type):
            assert_type(block_type, BlockType)
            return wire_type
        case BlockDone(status=status):
            assert_type(status, BlockStatus)
            return status
        case PartStarted(type=part_type) | PartDone(type=part_type):
            assert_type(part_type, PartType)
            return part_type
        case Citation(url=url):
            return url or ""
        case CustomToolCallStarted(name=name) | CustomToolCallDone(name=name):
            return name
        case CustomToolInputDelta(delta=delta):
            return delta
        case CustomToolCallIncomplete(input=text):
            return text
        case ServerToolCallStarted(tool=tool) | ServerToolCallDone(tool=tool):
            assert_type(tool, ServerTool)
            return tool
        case ServerToolInputDelta(delta=delta):
            return delta
        case ServerToolProgress(stage=stage):
            return stage
        case ServerToolResult(is_error=is_error):
            return str(is_error)
        case OpaqueState(origin=origin, type=opaque_type):
            assert_type(origin, OpaqueOrigin)
            assert_type(opaque_type, OpaqueKind)
            return origin
        case StreamError(message=message):
            return message
        case Extension(where=where):
            return where
        case _:
            assert_never(event)


def narrow_by_kind(event: StreamEvent) -> None:
    if event.kind == "text_delta":
        assert_type(event, TextDelta)
    elif event.kind == "tool_call_done":
        assert_type(event, ToolCallDone)
        assert_type(event.parse_arguments(), dict[str, Any])
    elif event.kind == "tool_call_incomplete":
        assert_type(event, ToolCallIncomplete)
        assert_type(event.arguments, str)


def narrow_by_isinstance(event: StreamEvent) -> None:
    if isinstance(event, (ToolCallStarted, ArgumentsDelta, ToolCallDone)):
        assert_type(event.id, str)
        assert_type(event.index, int)


def check_client_streams(
    stream: openai.Stream[ChatCompletionChunk], astream: openai.AsyncStream[ChatCompletionChunk]
) -> None:
    assert_type(typedstream.events(stream), typedstream.EventStream)
    assert_type(typedstream.aevents(astream), typedstream.AsyncEventStream)
    assert_type(typedstream.aevents([b"data: [DONE]\n\n"]), typedstream.AsyncEventStream)


def narrow_every_kind(event: StreamEvent) -> None:
    if event.kind == "stream_started":
        assert_type(event, StreamStarted)
        assert_type(event.id, str | None)
        assert_type(event.created, int | None)
    elif event.kind == "reasoning_delta":
        assert_type(event, ReasoningDelta)
    elif event.kind == "refusal_delta":
        assert_type(event, RefusalDelta)
    elif event.kind == "tool_call_started":
        assert_type(event, ToolCallStarted)
        assert_type(event.legacy, bool)
    elif event.kind == "arguments_delta":
        assert_type(event, ArgumentsDelta)
        assert_type(event.delta, str)
    elif event.kind == "text_done":
        assert_type(event, TextDone)
    elif event.kind == "reasoning_done":
        assert_type(event, ReasoningDone)
    elif event.kind == "refusal_done":
        assert_type(event.text, str)
    elif event.kind == "logprobs":
        assert_type(event.content, list[dict[str, Any]] | None)
    elif event.kind == "provider_data":
        assert_type(event.tool_index, int | None)
    elif event.kind == "choice_finished":
        assert_type(event.reason, FinishReason)
        assert_type(event.raw_reason, str | None)
    elif event.kind == "usage":
        assert_type(event.prompt_tokens, int | None)
        assert_type(event.usage, dict[str, Any])
    elif event.kind == "moderation":
        assert_type(event, Moderation)
    elif event.kind == "raw_chunk":
        assert_type(event.number, int)
    elif event.kind == "tool_call_incomplete":
        assert_type(event.reason, str)
    elif event.kind == "opaque_state":
        assert_type(event.data, str)
        assert_type(event.block, int | None)
    elif event.kind == "stream_error":
        assert_type(event.source, Literal["event", "response"])
    elif event.kind == "block_started":
        assert_type(event.type, BlockType)
    elif event.kind == "block_done":
        assert_type(event.status, BlockStatus)
    elif event.kind == "part_started":
        assert_type(event.block, int)
    elif event.kind == "part_done":
        assert_type(event.type, PartType)
    elif event.kind == "citation":
        assert_type(event.start, int | None)
    elif event.kind == "custom_tool_call_started":
        assert_type(event.name, str)
    elif event.kind == "custom_tool_input_delta":
        assert_type(event.delta, str)
    elif event.kind == "custom_tool_call_done":
        assert_type(event.input, str)
    elif event.kind == "custom_tool_call_incomplete":
        assert_type(event.reason, str)
    elif event.kind == "server_tool_call_started":
        assert_type(event.server, str | None)
    elif event.kind == "server_tool_input_delta":
        assert_type(event.id, str)
    elif event.kind == "server_tool_progress":
        assert_type(event.data, dict[str, Any] | None)
    elif event.kind == "server_tool_call_done":
        assert_type(event.input_format, Literal["json", "code"])
    elif event.kind == "server_tool_result":
        assert_type(event.content, Any)
    elif event.kind == "extension":
        assert_type(event.where, Literal["event", "delta", "keys"])
    else:
        assert_type(event, TextDelta | ToolCallDone)


def narrow_by_isinstance_of_fragments(event: StreamEvent) -> None:
    if isinstance(event, (TextDelta, ReasoningDelta, RefusalDelta)):
        assert_type(event.text, str)
        assert_type(event.choice, int)


def check_parse_arguments(done: ToolCallDone) -> None:
    assert_type(done.parse_arguments(), dict[str, Any])
    assert_type(done.parse_arguments(dict[str, int]), dict[str, int])


def check_normalizer(chunk: dict[str, Any]) -> None:
    normalizer = typedstream.Normalizer(strict=True, id_factory=lambda choice, index: "call_x")
    assert_type(normalizer.feed(chunk), list[StreamEvent])
    assert_type(normalizer.feed("[DONE]"), list[StreamEvent])
    assert_type(normalizer.close(), list[StreamEvent])
    assert_type(normalizer.chunks, int)
    assert_type(normalizer.finished, bool)


def check_json(event: StreamEvent) -> None:
    line = typedstream.event_to_json(event)
    assert_type(line, str)
    assert_type(typedstream.event_from_json(line), StreamEvent)
    assert_type(typedstream.event_from_json(line.encode()), StreamEvent)


def check_errors(error: typedstream.TypedStreamError) -> None:
    if isinstance(error, typedstream.ChunkError):
        assert_type(error.chunk, int | None)
        assert_type(error.problem, str)
    elif isinstance(error, typedstream.ProviderError):
        assert_type(error.chunk, int)
        assert_type(error.message, str | None)
    elif isinstance(error, typedstream.IncompleteStreamError):
        assert_type(error.unfinished_choices, tuple[int, ...])
        assert_type(error.open_tool_calls, tuple[tuple[int, int, str | None, str], ...])
    elif isinstance(error, typedstream.ToolArgumentsError):
        assert_type(error.arguments, str)
