"""`events()` / `aevents()`: iteration, context managers and the closing protocol (§4)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from helpers import body, call, chunk, tools

import typedstream
from typedstream import ChunkError, TextDelta

CHUNKS = [chunk({"content": "a"}), chunk({"content": "b"}), chunk({}, "stop")]


class SyncSource:
    """Like `openai.Stream`: iterable, with a sync `close()`."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.closed = 0

    def __iter__(self) -> Iterator[Any]:
        yield from self.items

    def close(self) -> None:
        self.closed += 1


class WrappedStream:
    """Like LiteLLM's sync `CustomStreamWrapper`: no `close()`, wraps `completion_stream`."""

    def __init__(self, items: list[Any]) -> None:
        self.completion_stream = SyncSource(items)
        self._it = iter(items)

    def __iter__(self) -> WrappedStream:
        return self

    def __next__(self) -> Any:
        return next(self._it)


class AsyncSource:
    """Like LiteLLM's async wrapper: `aclose()` (preferred) besides `close()`."""

    def __init__(self, items: list[Any], delay: float = 0) -> None:
        self.items = items
        self.delay = delay
        self.aclosed = 0
        self.closed = 0

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._gen()

    async def _gen(self) -> AsyncIterator[Any]:
        for item in self.items:
            await asyncio.sleep(self.delay)
            yield item

    async def aclose(self) -> None:
        self.aclosed += 1

    def close(self) -> None:
        self.closed += 1


class OpenAIAsyncLike:
    """Like `openai.AsyncStream`: async iterable with an async `close()` and no `aclose()`."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.closed = 0

    async def __aiter__(self) -> AsyncIterator[Any]:
        for item in self.items:
            yield item

    async def close(self) -> None:
        self.closed += 1


def test_events_is_an_iterator_and_a_context_manager() -> None:
    stream = typedstream.events(CHUNKS)
    assert isinstance(stream, typedstream.EventStream)
    assert next(stream).kind == "stream_started"
    with stream as same:
        assert same is stream
        assert next(stream) == TextDelta("a")


def test_breaking_out_of_with_closes_the_source_once() -> None:
    source = SyncSource(CHUNKS)
    with typedstream.events(source) as stream:
        for event in stream:
            if isinstance(event, TextDelta):
                break
    assert source.closed == 1


def test_close_is_idempotent_and_closes_the_source_once() -> None:
    source = SyncSource(CHUNKS)
    stream = typedstream.events(source)
    next(stream)
    stream.close()
    stream.close()
    assert source.closed == 1
    with pytest.raises(StopIteration):
        next(stream)


def test_an_exception_in_the_consumer_closes_the_source_once() -> None:
    source = SyncSource(CHUNKS)
    with pytest.raises(RuntimeError), typedstream.events(source) as stream:
        for _ in stream:
            raise RuntimeError("consumer failed")
    assert source.closed == 1


def test_a_typed_error_closes_the_source_once() -> None:
    source = SyncSource([chunk({"content": "a"}), {"choices": 5}])
    with pytest.raises(ChunkError):
        list(typedstream.events(source))
    assert source.closed == 1


def test_reading_to_the_end_closes_the_source_once() -> None:
    source = SyncSource(CHUNKS)
    list(typedstream.events(source))
    assert source.closed == 1


def test_litellm_sync_wrapper_is_closed_through_its_completion_stream() -> None:
    wrapper = WrappedStream(CHUNKS)
    with typedstream.events(wrapper) as stream:
        next(stream)
    assert wrapper.completion_stream.closed == 1


def test_stopping_at_done_closes_the_source_without_reading_on() -> None:
    source = SyncSource([*CHUNKS[:1], "[DONE]", "never read"])
    events = list(typedstream.events(source))
    assert events[-1].kind == "choice_finished"
    assert source.closed == 1


def test_a_non_iterable_source_is_a_type_error_at_the_call() -> None:
    with pytest.raises(TypeError):
        typedstream.events(42)  # type: ignore[arg-type]


async def test_aevents_is_an_async_iterator_and_context_manager() -> None:
    source = AsyncSource(CHUNKS)
    async with typedstream.aevents(source) as stream:
        assert isinstance(stream, typedstream.AsyncEventStream)
        assert (await stream.__anext__()).kind == "stream_started"
    assert (source.aclosed, source.closed) == (1, 0)


async def test_leaving_async_with_early_awaits_aclose_once() -> None:
    source = AsyncSource(CHUNKS)
    async with typedstream.aevents(source) as stream:
        async for event in stream:
            if isinstance(event, TextDelta):
                break
    assert (source.aclosed, source.closed) == (1, 0)


async def test_openai_async_stream_is_closed_by_its_async_close() -> None:
    source = OpenAIAsyncLike(CHUNKS)
    async with typedstream.aevents(source) as stream:
        await stream.__anext__()
    assert source.closed == 1


async def test_task_cancellation_closes_the_source_once() -> None:
    source = AsyncSource([chunk({"content": "x"})] * 100, delay=0.01)
    seen: list[Any] = []

    async def consume() -> None:
        async with typedstream.aevents(source) as stream:
            async for event in stream:
                seen.append(event)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen
    assert source.aclosed == 1


async def test_aevents_takes_sync_sources_too() -> None:
    got = [e async for e in typedstream.aevents(body(*CHUNKS))]
    assert got == list(typedstream.events(CHUNKS))


async def test_aevents_source_errors_close_the_source_once() -> None:
    source = AsyncSource([tools(call(0, "a", "f", "{")), {"choices": [{"delta": 1}]}])
    with pytest.raises(ChunkError):
        async with typedstream.aevents(source) as stream:
            async for _ in stream:
                pass
    assert source.aclosed == 1


# -- leaving before the first event (issue 13, item 2) -----------------------------------------


class FailingIteratorSource(SyncSource):
    """`iter(source)` is an iterator of its own whose `close()` raises."""

    def __init__(self, items: list[Any]) -> None:
        super().__init__(items)
        self.iterator_closed = 0

    def __iter__(self) -> Iterator[Any]:
        source = self

        class Items:
            def __init__(self) -> None:
                self.items = iter(source.items)

            def __iter__(self) -> Iterator[Any]:
                return self

            def __next__(self) -> Any:
                return next(self.items)

            def close(self) -> None:
                source.iterator_closed += 1
                raise OSError("the iterator could not close")

        return Items()


class FailingAsyncIteratorSource(AsyncSource):
    """`aiter(source)` is an async iterator of its own whose `aclose()` raises."""

    def __init__(self, items: list[Any]) -> None:
        super().__init__(items)
        self.iterator_closed = 0

    def __aiter__(self) -> AsyncIterator[Any]:
        source = self

        class Items:
            def __init__(self) -> None:
                self.items = iter(source.items)

            def __aiter__(self) -> AsyncIterator[Any]:
                return self

            async def __anext__(self) -> Any:
                try:
                    return next(self.items)
                except StopIteration:
                    raise StopAsyncIteration from None

            async def aclose(self) -> None:
                source.iterator_closed += 1
                raise OSError("the iterator could not close")

        return Items()


def test_leaving_with_by_an_exception_before_the_first_event_closes_the_source_once() -> None:
    source = SyncSource(CHUNKS)
    with pytest.raises(RuntimeError), typedstream.events(source):
        raise RuntimeError("failed before iterating")
    assert source.closed == 1


def test_leaving_an_empty_with_block_closes_the_source_once() -> None:
    source = SyncSource(CHUNKS)
    with typedstream.events(source):
        pass
    assert source.closed == 1


def test_close_before_iterating_closes_the_source_once_and_ends_the_stream() -> None:
    source = SyncSource(CHUNKS)
    stream = typedstream.events(source)
    stream.close()
    stream.close()
    assert source.closed == 1
    assert list(stream) == []


def test_an_interrupt_before_the_first_event_closes_the_source_once() -> None:
    source = SyncSource(CHUNKS)
    with pytest.raises(KeyboardInterrupt), typedstream.events(source):
        raise KeyboardInterrupt
    assert source.closed == 1


def test_a_failing_close_of_the_iterator_still_closes_the_source() -> None:
    source = FailingIteratorSource(CHUNKS)
    with pytest.raises(OSError, match="could not close"), typedstream.events(source) as stream:
        next(stream)
    assert (source.iterator_closed, source.closed) == (1, 1)


def test_a_failing_close_of_the_iterator_before_the_first_event_still_closes_the_source() -> None:
    source = FailingIteratorSource(CHUNKS)
    with pytest.raises(OSError, match="could not close"), typedstream.events(source):
        pass
    assert (source.iterator_closed, source.closed) == (1, 1)


async def test_leaving_async_with_by_an_exception_before_the_first_event_closes_once() -> None:
    source = AsyncSource(CHUNKS)
    with pytest.raises(RuntimeError):
        async with typedstream.aevents(source):
            raise RuntimeError("failed before iterating")
    assert (source.aclosed, source.closed) == (1, 0)


async def test_leaving_an_empty_async_with_block_closes_the_source_once() -> None:
    source = AsyncSource(CHUNKS)
    async with typedstream.aevents(source):
        pass
    assert (source.aclosed, source.closed) == (1, 0)


async def test_aclose_before_iterating_closes_the_source_once_and_ends_the_stream() -> None:
    source = AsyncSource(CHUNKS)
    stream = typedstream.aevents(source)
    await stream.aclose()
    await stream.aclose()
    assert (source.aclosed, source.closed) == (1, 0)
    assert [event async for event in stream] == []


async def test_aclose_before_iterating_an_openai_like_stream_awaits_its_close_once() -> None:
    source = OpenAIAsyncLike(CHUNKS)
    await typedstream.aevents(source).aclose()
    assert source.closed == 1


async def test_aclose_before_iterating_a_sync_source_closes_it_once() -> None:
    source = SyncSource(CHUNKS)
    await typedstream.aevents(source).aclose()
    assert source.closed == 1


async def test_cancelling_the_task_inside_async_with_before_the_first_event_closes_once() -> None:
    source = AsyncSource(CHUNKS)
    entered = asyncio.Event()

    async def consume() -> None:
        async with typedstream.aevents(source):
            entered.set()
            await asyncio.Event().wait()  # never set: waits until cancelled

    task = asyncio.create_task(consume())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (source.aclosed, source.closed) == (1, 0)


async def test_cancelling_the_task_while_it_waits_for_the_first_item_closes_once() -> None:
    waiting = asyncio.Event()

    class Silent(AsyncSource):
        async def _gen(self) -> AsyncIterator[Any]:
            waiting.set()
            await asyncio.Event().wait()  # the provider never answers
            yield None

    source = Silent([])

    async def consume() -> None:
        async with typedstream.aevents(source) as stream:
            await stream.__anext__()

    task = asyncio.create_task(consume())
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (source.aclosed, source.closed) == (1, 0)


async def test_a_failing_aclose_of_the_iterator_still_closes_the_source() -> None:
    source = FailingAsyncIteratorSource(CHUNKS)
    with pytest.raises(OSError, match="could not close"):
        async with typedstream.aevents(source) as stream:
            await stream.__anext__()
    assert (source.iterator_closed, source.aclosed) == (1, 1)


async def test_a_failing_aclose_of_the_iterator_before_the_first_event_still_closes() -> None:
    source = FailingAsyncIteratorSource(CHUNKS)
    with pytest.raises(OSError, match="could not close"):
        async with typedstream.aevents(source):
            pass
    assert (source.iterator_closed, source.aclosed) == (1, 1)
