"""Static typing checks: type-checked by mypy --strict and pyright, never executed as tests.

(`nox -s typing` runs both checkers on this folder; pytest does not collect it.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from typing_extensions import assert_never, assert_type

import typedstream
from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    FinishReason,
    Logprobs,
    Moderation,
    ProviderData,
    RawChunk,
    ReasoningDelta,
    ReasoningDone,
    RefusalDelta,
    RefusalDone,
    StreamEvent,
    StreamStarted,
    TextDelta,
    TextDone,
    ToolCallDone,
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
        case _:
            assert_never(event)


def narrow_by_kind(event: StreamEvent) -> None:
    if event.kind == "text_delta":
        assert_type(event, TextDelta)
    elif event.kind == "tool_call_done":
        assert_type(event, ToolCallDone)
        assert_type(event.parse_arguments(), dict[str, Any])


def narrow_by_isinstance(event: StreamEvent) -> None:
    if isinstance(event, (ToolCallStarted, ArgumentsDelta, ToolCallDone)):
        assert_type(event.id, str)
        assert_type(event.index, int)
