"""Closing LiteLLM wrappers whose provider iterator has no close() (Anthropic's in 1.106).

LiteLLM's Anthropic ``ModelResponseIterator`` reads an httpx ``iter_lines()`` generator
(``response_iterator``; ``async_response_iterator`` when async) and has neither ``close()``
nor ``aclose()``; LiteLLM's own ``aclose()`` drops ``completion_stream`` and closes nothing.
Closing the line generator is what releases the HTTP connection. The live proof is in
``tests/live/test_live_close.py``; these fakes pin the protocol.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import typedstream

CHUNK = {"id": "c", "choices": [{"index": 0, "delta": {"content": "hi"}}]}


class Lines:
    """Records how an httpx line generator ended."""

    def __init__(self) -> None:
        self.closed = 0

    def sync(self) -> Iterator[bytes]:
        try:
            while True:
                yield b"data: ..."
        finally:
            self.closed += 1

    async def asynchronous(self) -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"data: ..."
        finally:
            self.closed += 1


class AnthropicIterator:
    """Like LiteLLM's Anthropic ModelResponseIterator: no close(), no aclose()."""

    def __init__(self, lines: Any, sync: bool) -> None:
        self.streaming_response = lines
        self.response_iterator = lines
        if not sync:
            self.async_response_iterator = lines.__aiter__()


class SyncWrapper:
    """Like LiteLLM's sync CustomStreamWrapper: no close()."""

    def __init__(self, completion_stream: AnthropicIterator) -> None:
        self.completion_stream: AnthropicIterator | None = completion_stream

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            yield CHUNK


class AsyncWrapper:
    """Like LiteLLM's async CustomStreamWrapper: aclose() drops the stream first."""

    def __init__(self, completion_stream: AnthropicIterator) -> None:
        self.completion_stream: AnthropicIterator | None = completion_stream
        self.aclosed = 0

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield CHUNK

    async def aclose(self) -> None:
        self.aclosed += 1
        stream, self.completion_stream = self.completion_stream, None
        for name in ("aclose", "close"):  # what LiteLLM 1.106 looks for
            method = getattr(stream, name, None)
            if method is not None:
                await method()
                return


def test_leaving_a_litellm_stream_closes_the_line_generator_its_iterator_reads() -> None:
    lines = Lines()
    generator = lines.sync()
    next(generator)  # started, as after the first chunk
    wrapper = SyncWrapper(AnthropicIterator(generator, sync=True))
    with typedstream.events(wrapper) as events:
        next(events)
    assert lines.closed == 1


async def test_leaving_an_async_litellm_stream_closes_the_line_generator_after_aclose() -> None:
    lines = Lines()
    generator = lines.asynchronous()
    await generator.__anext__()
    wrapper = AsyncWrapper(AnthropicIterator(generator, sync=False))
    async with typedstream.aevents(wrapper) as events:
        await events.__anext__()
    assert wrapper.aclosed == 1
    assert lines.closed == 1


async def test_a_provider_iterator_with_aclose_is_left_to_litellm() -> None:
    class Closable(AnthropicIterator):
        def __init__(self, lines: Any) -> None:
            super().__init__(lines, sync=False)
            self.closed = 0

        async def aclose(self) -> None:
            self.closed += 1

    lines = Lines()
    generator = lines.asynchronous()
    await generator.__anext__()
    inner = Closable(generator)
    wrapper = AsyncWrapper(inner)
    async with typedstream.aevents(wrapper) as events:
        await events.__anext__()
    assert (wrapper.aclosed, inner.closed) == (1, 1)
    assert lines.closed == 0  # not touched behind the provider iterator's back
    await generator.aclose()
