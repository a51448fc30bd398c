"""Closing: however a consumer leaves `events()` / `aevents()`, the source is closed, once
(docs/errors.md, "Closing the source").

The protocol over fakes first: leaving early, reading to the end, typed errors, exceptions,
cancellation, leaving before the first event, iterators whose own close fails, leaving the
sinks (`to_sse` and the like) early, and LiteLLM wrappers whose provider iterator has no
`close()`. Then the live proof (marked `live`): the openai client and LiteLLM streaming
from the loopback provider, whose ``*_slow`` scenarios send 200 frames 20 ms apart; the
provider must see the client hang up mid-stream.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from corpus import recording
from helpers import call, chunk, mock_transport, tools
from litellm_cases import MESSAGES

import typedstream
from typedstream import ChunkError, TextDelta, to_openai_chunks, to_sse
from typedstream.testing import LoopbackProvider, Request, scenario

CHUNKS = [chunk({"content": "a"}), chunk({"content": "b"}), chunk({}, "stop")]


# -- sources that count their closes ----------------------------------------------------------


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


# -- leaving events() -------------------------------------------------------------------------


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


# -- leaving aevents() ------------------------------------------------------------------------


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


async def test_an_exception_in_the_consumer_inside_async_with_closes_the_source_once() -> None:
    source = AsyncSource([chunk({"content": "a"}), chunk({"content": "b"}), chunk({}, "stop")])
    with pytest.raises(ConsumerFailed):
        async with typedstream.aevents(source) as events:
            async for _ in events:
                raise ConsumerFailed
    assert (source.aclosed, source.closed) == (1, 0)


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


async def test_aevents_source_errors_close_the_source_once() -> None:
    source = AsyncSource([tools(call(0, "a", "f", "{")), {"choices": [{"delta": 1}]}])
    with pytest.raises(ChunkError):
        async with typedstream.aevents(source) as stream:
            async for _ in stream:
                pass
    assert source.aclosed == 1


# -- leaving before the first event (issue 13, item 2) ----------------------------------------


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


def test_leaving_a_real_openai_stream_early_closes_its_response() -> None:
    rec = recording("openai_gpt4o_text_usage.sse")
    closed: list[str] = []
    client = openai.OpenAI(
        api_key="test", http_client=httpx.Client(transport=mock_transport(rec.body(), closed))
    )
    stream = client.chat.completions.create(model="gpt-4o", messages=[], stream=True)
    with typedstream.events(stream) as events:
        next(events)
    assert closed == ["close"]


# -- an iterator whose own close fails --------------------------------------------------------


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


# -- leaving the sinks (to_openai_chunks, to_sse and their async twins) -----------------------


def test_leaving_the_chunk_loop_early_closes_the_source_once() -> None:
    source = SyncSource(recording("openai_gpt4o_text_usage.sse").chunks())
    chunks = to_openai_chunks(typedstream.events(source))
    next(chunks)
    chunks.close()  # type: ignore[attr-defined]
    assert source.closed == 1


def test_leaving_the_sse_loop_early_closes_the_source_once() -> None:
    source = SyncSource(recording("openai_gpt4o_text_usage.sse").chunks())
    frames = to_sse(typedstream.events(source))
    for _ in frames:
        break
    frames.close()  # type: ignore[attr-defined]
    assert source.closed == 1


async def test_leaving_the_async_loops_early_closes_the_source_once() -> None:
    chunks = recording("openai_gpt4o_text_usage.sse").chunks()
    for sink in (typedstream.ato_openai_chunks, typedstream.ato_sse):
        source = AsyncSource(chunks)
        out: Any = sink(typedstream.aevents(source))
        await out.__anext__()
        await out.aclose()
        assert (source.aclosed, source.closed) == (1, 0)


# -- LiteLLM wrappers whose provider iterator has no close() ----------------------------------
# LiteLLM's Anthropic ``ModelResponseIterator`` (1.106) reads an httpx ``iter_lines()`` generator
# (``response_iterator``; ``async_response_iterator`` when async) and has neither ``close()`` nor
# ``aclose()``; LiteLLM's own ``aclose()`` drops ``completion_stream`` and closes nothing. Closing
# the line generator is what releases the HTTP connection (the live proof is below).


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


# -- live: real connections to the loopback provider ------------------------------------------


MODELS = {
    "openai": "openai/gpt-4o",
    "anthropic": "anthropic/claude-3-5-sonnet-20241022",
    "gemini": "gemini/gemini-1.5-pro",
}
LEAVE_AFTER = 3  # events


def spy(obj: object, name: str) -> list[int]:
    """Count calls of ``obj.name`` (sync or async); returns the list it appends to."""
    calls: list[int] = []
    original: Callable[..., Any] = getattr(obj, name)
    if inspect.iscoroutinefunction(original):

        async def counted_async(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return await original(*args, **kwargs)

        setattr(obj, name, counted_async)
    else:

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return original(*args, **kwargs)

        setattr(obj, name, counted)
    return calls


def assert_hung_up(exchange: Request, name: str) -> None:
    assert exchange.wait(2), "the server is still streaming: the connection was not closed"
    assert exchange.disconnected
    assert not exchange.completed
    assert exchange.frames_sent < len(scenario(name).frames)


def new_exchanges(loopback: LoopbackProvider, before: int) -> list[Request]:
    return loopback.requests[before:]


def hung_up(loopback: LoopbackProvider, before: int, scenario_name: str) -> None:
    """The one request since `before` ended with the client gone mid-stream."""
    (exchange,) = new_exchanges(loopback, before)
    assert_hung_up(exchange, scenario_name)


def litellm_stream(litellm: Any, loopback: LoopbackProvider, wire: str) -> Any:
    """`litellm.completion(stream=True)` for the provider `wire`, from its ``*_slow`` scenario."""
    return litellm.completion(
        model=MODELS[wire],
        messages=MESSAGES,
        stream=True,
        api_base=loopback.api_base(f"{wire}_slow"),
        api_key="sk-loopback",
    )


async def alitellm_stream(litellm: Any, loopback: LoopbackProvider, wire: str) -> Any:
    """`litellm.acompletion(stream=True)` for the provider `wire`, from its ``*_slow`` scenario."""
    return await litellm.acompletion(
        model=MODELS[wire],
        messages=MESSAGES,
        stream=True,
        api_base=loopback.api_base(f"{wire}_slow"),
        api_key="sk-loopback",
    )


@pytest.fixture
def client(loopback: LoopbackProvider) -> Iterator[openai.OpenAI]:
    url = loopback.api_base("openai_slow")
    with openai.OpenAI(base_url=url, api_key="sk-loopback", max_retries=0) as client:
        yield client


@pytest.fixture
async def aclient(loopback: LoopbackProvider) -> AsyncIterator[openai.AsyncOpenAI]:
    url = loopback.api_base("openai_slow")
    async with openai.AsyncOpenAI(base_url=url, api_key="sk-loopback", max_retries=0) as client:
        yield client


# -- live: leaving with break -----------------------------------------------------------------


@pytest.mark.live
def test_leaving_events_over_an_openai_stream_closes_its_connection_once(
    loopback: LoopbackProvider, client: openai.OpenAI
) -> None:
    before = len(loopback.requests)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    with typedstream.events(stream) as events:
        for number, _ in enumerate(events, 1):
            if number == LEAVE_AFTER:
                break
    assert closes == [1]
    hung_up(loopback, before, "openai_slow")


@pytest.mark.live
def test_breaking_out_of_a_plain_for_loop_closes_the_openai_stream(
    loopback: LoopbackProvider, client: openai.OpenAI
) -> None:
    before = len(loopback.requests)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    for number, _ in enumerate(typedstream.events(stream), 1):
        if number == LEAVE_AFTER:
            break
    gc.collect()  # only needed on interpreters without reference counting
    assert closes == [1]
    assert_hung_up(new_exchanges(loopback, before)[0], "openai_slow")


@pytest.mark.live
async def test_leaving_aevents_over_an_openai_async_stream_closes_its_connection_once(
    loopback: LoopbackProvider, aclient: openai.AsyncOpenAI
) -> None:
    before = len(loopback.requests)
    stream = await aclient.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    async with typedstream.aevents(stream) as events:
        number = 0
        async for _ in events:
            number += 1
            if number == LEAVE_AFTER:
                break
    assert closes == [1]
    await asyncio.to_thread(hung_up, loopback, before, "openai_slow")


@pytest.mark.live
@pytest.mark.parametrize("wire", list(MODELS))
def test_leaving_events_over_a_litellm_stream_closes_the_provider_connection(
    litellm: Any, loopback: LoopbackProvider, wire: str
) -> None:
    name = f"{wire}_slow"
    before = len(loopback.requests)
    stream = litellm_stream(litellm, loopback, wire)
    with typedstream.events(stream) as events:
        for number, _ in enumerate(events, 1):
            if number == LEAVE_AFTER:
                break
        # LiteLLM 1.106's sync wrapper has no close(): typedstream closes what it wraps
        # (newer LiteLLM versions add a close(), which typedstream then calls).
    hung_up(loopback, before, name)
    del stream, events
    gc.collect()
    assert len(new_exchanges(loopback, before)) == 1


@pytest.mark.live
def test_leaving_events_over_litellm_openai_closes_the_wrapped_openai_stream_once(
    litellm: Any, loopback: LoopbackProvider
) -> None:
    stream = litellm_stream(litellm, loopback, "openai")
    assert isinstance(stream.completion_stream, openai.Stream)
    closes = spy(stream.completion_stream, "close")
    with typedstream.events(stream) as events:
        next(events)
    assert closes == [1]


@pytest.mark.live
@pytest.mark.parametrize("wire", list(MODELS))
async def test_leaving_aevents_over_a_litellm_stream_closes_the_provider_connection_once(
    litellm: Any, loopback: LoopbackProvider, wire: str
) -> None:
    name = f"{wire}_slow"
    before = len(loopback.requests)
    stream = await alitellm_stream(litellm, loopback, wire)
    closes = spy(stream, "aclose")
    async with typedstream.aevents(stream) as events:
        number = 0
        async for _ in events:
            number += 1
            if number == LEAVE_AFTER:
                break
    assert closes == [1]
    await asyncio.to_thread(hung_up, loopback, before, name)


# -- live: leaving by an exception or a cancellation ------------------------------------------


class ConsumerFailed(Exception):
    pass


async def cancel_after_three_events(stream: Any) -> None:
    """Read `aevents(stream)` in a task and cancel the task after three events."""
    three = asyncio.Event()

    async def consume() -> None:
        async with typedstream.aevents(stream) as events:
            number = 0
            async for _ in events:
                number += 1
                if number == 3:
                    three.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(three.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def fail_after_three_events(stream: Any) -> None:
    with pytest.raises(ConsumerFailed):
        async with typedstream.aevents(stream) as events:
            number = 0
            async for _ in events:
                number += 1
                if number == 3:
                    raise ConsumerFailed


@pytest.mark.live
def test_an_exception_inside_events_over_an_openai_stream_closes_its_connection_once(
    loopback: LoopbackProvider, client: openai.OpenAI
) -> None:
    before = len(loopback.requests)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    with pytest.raises(ConsumerFailed), typedstream.events(stream) as events:
        for number, _ in enumerate(events, 1):
            if number == 3:
                raise ConsumerFailed
    assert closes == [1]
    hung_up(loopback, before, "openai_slow")


@pytest.mark.live
@pytest.mark.parametrize("how", [fail_after_three_events, cancel_after_three_events])
async def test_exception_or_cancellation_in_aevents_closes_an_openai_async_stream_once(
    loopback: LoopbackProvider,
    aclient: openai.AsyncOpenAI,
    how: Callable[[Any], Awaitable[None]],
) -> None:
    before = len(loopback.requests)
    stream = await aclient.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    await how(stream)
    assert closes == [1]
    await asyncio.to_thread(hung_up, loopback, before, "openai_slow")


@pytest.mark.live
@pytest.mark.parametrize("wire", list(MODELS))
@pytest.mark.parametrize("how", [fail_after_three_events, cancel_after_three_events])
async def test_exception_or_cancellation_in_aevents_closes_a_litellm_stream_once(
    litellm: Any, loopback: LoopbackProvider, wire: str, how: Callable[[Any], Awaitable[None]]
) -> None:
    name = f"{wire}_slow"
    before = len(loopback.requests)
    stream = await alitellm_stream(litellm, loopback, wire)
    acloses = spy(stream, "aclose")
    await how(stream)
    assert acloses == [1]
    await asyncio.to_thread(hung_up, loopback, before, name)


@pytest.mark.live
@pytest.mark.parametrize("wire", list(MODELS))
def test_an_exception_inside_events_over_a_litellm_stream_closes_the_provider_connection(
    litellm: Any, loopback: LoopbackProvider, wire: str
) -> None:
    name = f"{wire}_slow"
    before = len(loopback.requests)
    stream = litellm_stream(litellm, loopback, wire)
    with pytest.raises(ConsumerFailed), typedstream.events(stream) as events:
        for number, _ in enumerate(events, 1):
            if number == 3:
                raise ConsumerFailed
    hung_up(loopback, before, name)


# -- live: leaving before the first event -----------------------------------------------------


@pytest.mark.live
def test_an_empty_with_block_over_an_openai_stream_closes_its_connection_once(
    loopback: LoopbackProvider, client: openai.OpenAI
) -> None:
    before = len(loopback.requests)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    with typedstream.events(stream):
        pass
    assert closes == [1]
    hung_up(loopback, before, "openai_slow")


@pytest.mark.live
def test_an_exception_before_the_first_event_closes_the_openai_connection_once(
    loopback: LoopbackProvider, client: openai.OpenAI
) -> None:
    before = len(loopback.requests)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    with pytest.raises(RuntimeError), typedstream.events(stream):
        raise RuntimeError("failed before iterating")
    assert closes == [1]
    assert_hung_up(new_exchanges(loopback, before)[0], "openai_slow")


@pytest.mark.live
async def test_cancelling_inside_async_with_before_the_first_event_closes_the_connection(
    loopback: LoopbackProvider, aclient: openai.AsyncOpenAI
) -> None:
    before = len(loopback.requests)
    stream = await aclient.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    entered = asyncio.Event()

    async def consume() -> None:
        async with typedstream.aevents(stream):
            entered.set()
            await asyncio.Event().wait()  # never set: waits until cancelled

    task = asyncio.create_task(consume())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closes == [1]
    await asyncio.to_thread(hung_up, loopback, before, "openai_slow")


@pytest.mark.live
async def test_aclose_before_iterating_an_openai_async_stream_closes_its_connection(
    loopback: LoopbackProvider, aclient: openai.AsyncOpenAI
) -> None:
    before = len(loopback.requests)
    stream = await aclient.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    await typedstream.aevents(stream).aclose()
    assert closes == [1]
    await asyncio.to_thread(hung_up, loopback, before, "openai_slow")
