"""Static typing checks for the exact-OpenAI sinks and the checker.

Type-checked by mypy --strict and pyright (`nox -s typing`); never executed as tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from openai.types.chat import ChatCompletionChunk
from typing_extensions import assert_type

import typedstream
from typedstream import Deviation, StreamEvent


def check_to_openai_chunks(source: list[dict[str, Any]]) -> None:
    chunks = typedstream.to_openai_chunks(typedstream.events(source))
    assert_type(chunks, Iterator[ChatCompletionChunk])
    for chunk in chunks:
        assert_type(chunk.id, str)
        assert_type(chunk.choices[0].delta.content, str | None)
    typedstream.to_openai_chunks(
        [], keep_extensions=True, include_usage=False, id="chatcmpl-1", model="m", created=1
    )


def check_to_openai_chunks_takes_any_iterable_of_events(events: list[StreamEvent]) -> None:
    assert_type(typedstream.to_openai_chunks(events), Iterator[ChatCompletionChunk])
    assert_type(typedstream.to_openai_chunks(iter(events)), Iterator[ChatCompletionChunk])


async def check_ato_openai_chunks(source: AsyncIterator[bytes], events: list[StreamEvent]) -> None:
    chunks = typedstream.ato_openai_chunks(typedstream.aevents(source))
    assert_type(chunks, AsyncIterator[ChatCompletionChunk])
    async for chunk in chunks:
        assert_type(chunk, ChatCompletionChunk)
    # Sync iterables of events are accepted too.
    assert_type(typedstream.ato_openai_chunks(events), AsyncIterator[ChatCompletionChunk])


def check_to_sse(body: bytes) -> None:
    frames = typedstream.to_sse(typedstream.events(body), error_frame=True)
    assert_type(frames, Iterator[bytes])
    assert_type(b"".join(frames), bytes)


async def check_ato_sse(source: AsyncIterator[dict[str, Any]]) -> None:
    frames = typedstream.ato_sse(typedstream.aevents(source), error_frame=True, model="m")
    assert_type(frames, AsyncIterator[bytes])
    async for frame in frames:
        assert_type(frame, bytes)


def check_check_openai_chunks(
    wire: list[dict[str, Any]], objects: Iterator[ChatCompletionChunk]
) -> None:
    deviations = typedstream.check_openai_chunks(wire)
    assert_type(deviations, list[Deviation])
    first = deviations[0]
    assert_type(first.chunk, int)
    assert_type(first.rule, str)
    assert_type(first.message, str)
    assert_type(first.path, str)
    assert_type(first.value, Any)
    assert_type(typedstream.check_openai_chunks(objects, complete=False), list[Deviation])
