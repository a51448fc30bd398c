"""The sync and async drivers: ``events()`` and ``aevents()``.

How it works. Each driver is a generator over one :class:`~typedstream._reader.Feeder`
(which owns the normalizer): pull an item from the source, yield the events the feeder
returns, stop after ``[DONE]``, and at the end yield the events of a complete end. All
rules live in the normalizer, so both drivers give identical events for identical input.
Whatever way the iteration ends (exhausted, ``break``, an exception, ``close()``, task
cancellation), the ``finally`` clause closes the source.

:class:`EventStream` and :class:`AsyncEventStream` only add the context-manager protocol
and ``close()``/``aclose()`` to the generator; iterating them iterates the generator itself.
A generator closed before its first step never runs its ``finally``, so ``close()`` also
closes the source itself; a :class:`_Closer` shared by both makes that happen once.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from os import PathLike
from types import TracebackType
from typing import Any, Final

from ._events import StreamEvent
from ._options import MAX_CHUNK_BYTES, IdFactory, ReadOptions, ReadProtocol
from ._reader import Feeder, aclose_source, close_source

__all__ = ["AsyncEventStream", "EventStream", "aevents", "events"]

_WHOLE_BODY = (bytes, bytearray, memoryview, str)


class _Closer:
    """Closes a source (and the iterator taken from it) once, whoever asks first."""

    __slots__ = ("closed", "items", "source")

    def __init__(self, source: object, items: object) -> None:
        self.source = source
        self.items = items  # what the driver iterates: iter(source), or source itself
        self.closed = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if self.items is not self.source:
                close_source(self.items)  # our own iterator over the source
        finally:
            close_source(self.source)  # even if closing the iterator raised

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if self.items is not self.source:
                await aclose_source(self.items)
        finally:
            await aclose_source(self.source)


class EventStream(Iterator[StreamEvent]):
    """The typed events of one stream: an iterator and a context manager.

    Leaving ``with events(src) as stream:`` (or calling :meth:`close`) before the end closes
    the source once.
    """

    __slots__ = ("_closer", "_events")

    def __init__(self, events: Generator[StreamEvent, None, None], closer: _Closer) -> None:
        self._events = events
        self._closer = closer

    def __iter__(self) -> Iterator[StreamEvent]:
        return self._events

    def __next__(self) -> StreamEvent:
        return next(self._events)

    def close(self) -> None:
        """Stop early and close the source (idempotent), also before the first event."""
        try:
            self._events.close()
        finally:
            self._closer.close()  # a no-op unless the driver never started

    def __enter__(self) -> EventStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncEventStream(AsyncIterator[StreamEvent]):
    """The typed events of one async stream: an async iterator and async context manager.

    Leaving ``async with aevents(src) as stream:`` (or awaiting :meth:`aclose`) before the end
    closes the source once.
    """

    __slots__ = ("_closer", "_events")

    def __init__(self, events: AsyncGenerator[StreamEvent, None], closer: _Closer) -> None:
        self._events = events
        self._closer = closer

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events

    async def __anext__(self) -> StreamEvent:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop early and close the source (idempotent), also before the first event."""
        try:
            await self._events.aclose()
        finally:
            await self._closer.aclose()  # a no-op unless the driver never started

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def events(
    source: Iterable[Any] | bytes | str,
    *,
    strict: bool = False,
    assume_complete: bool = False,
    defer_tool_call_done: bool = False,
    done_events: bool = False,
    raw: bool = False,
    id_factory: IdFactory | None = None,
    lines: bool = False,
    max_chunk_bytes: int | None = MAX_CHUNK_BYTES,
    protocol: ReadProtocol = "auto",
) -> EventStream:
    """Turn a chat-completion, Anthropic Messages or OpenAI Responses stream into typed events.

    Args:
        source: What the stream yields: ``openai`` ``ChatCompletionChunk`` objects (an
            ``openai`` ``Stream``), LiteLLM ``ModelResponseStream`` objects (the
            ``litellm.completion(stream=True)`` wrapper), the ``anthropic`` SDK's raw events
            (its ``Stream`` of ``client.messages.create(stream=True)``) or a
            ``MessageStream`` (``client.messages.stream(...)``), the ``openai`` SDK's
            Responses events (its ``Stream`` of ``client.responses.create(stream=True)``) or
            a ``ResponseStream`` (``client.responses.stream(...)``), mappings (decoded JSON
            chunks, Anthropic or Responses events, ``model_dump()`` output, with the
            ``"[DONE]"`` item as an explicit end of a chat stream), raw SSE ``bytes``/``str``
            pieces cut anywhere, or a whole SSE body as one ``bytes``/``str``.
        strict: Raise :class:`~typedstream.ChunkError` for a changed role, an id change on
            an entry without a name, and unknown finish reasons instead of repairing them.
        assume_complete: Treat the end of the source as a complete end even without finish
            reasons or ``[DONE]``.
        defer_tool_call_done: Report every :class:`~typedstream.ToolCallDone` of a choice at
            its finish, for providers that interleave parallel calls' fragments.
        done_events: Also send :class:`~typedstream.TextDone`,
            :class:`~typedstream.ReasoningDone` and :class:`~typedstream.RefusalDone` when a
            choice finishes.
        raw: Also send each source chunk unchanged as a :class:`~typedstream.RawChunk`.
        id_factory: ``id_factory(choice, index)`` makes ids for tool calls sent without one.
        lines: Each ``str``/``bytes`` item is one SSE line without its terminator, as
            httpx ``Response.iter_lines()`` yields them.
        max_chunk_bytes: The most bytes one SSE line, one SSE event's data or one JSON
            chunk of raw text may hold (default 16 MiB; ``None``: no limit). Crossing it
            raises :class:`~typedstream.ChunkError` at once, so a body that never ends a
            line or an event is never buffered without bound.
        protocol: The wire protocol of the source: ``"chat"``, ``"anthropic"``,
            ``"responses"`` (OpenAI Responses), or ``"auto"`` (the default), where the first
            item decides — an Anthropic event (``message_start``, an SSE
            ``event: message_start``…), a Responses event (``response.created``) or a chat
            chunk. A lone first ``{"type": "error"}`` is ambiguous between Anthropic and
            OpenAI Responses; ``"auto"`` reads it as Anthropic.

    Returns:
        An iterator of :data:`~typedstream.StreamEvent` that is also a context manager;
        leaving it early closes the source.

    Raises (while iterating, after every earlier event was delivered):
        ChunkError: malformed input. ProviderError: an error payload inside the stream.
        IncompleteStreamError: the source ended before the stream was complete.
        Exceptions raised by the source itself propagate unchanged.
    """
    feeder = Feeder(
        ReadOptions(
            strict=strict,
            assume_complete=assume_complete,
            defer_tool_call_done=defer_tool_call_done,
            done_events=done_events,
            raw=raw,
            id_factory=id_factory,
            lines=lines,
            max_chunk_bytes=max_chunk_bytes,
            protocol=protocol,
        )
    )
    helper = _helper_stream(source)
    if isinstance(source, _WHOLE_BODY):
        items: Iterator[Any] = iter((source,))
    elif helper is not None:
        items = _raw_events(source, helper)
    else:
        _check_readable(source)
        items = iter(source)
    closer = _Closer(source, items)
    return EventStream(_drive(items, feeder, closer), closer)


def aevents(
    source: AsyncIterable[Any] | Iterable[Any] | bytes | str,
    *,
    strict: bool = False,
    assume_complete: bool = False,
    defer_tool_call_done: bool = False,
    done_events: bool = False,
    raw: bool = False,
    id_factory: IdFactory | None = None,
    lines: bool = False,
    max_chunk_bytes: int | None = MAX_CHUNK_BYTES,
    protocol: ReadProtocol = "auto",
) -> AsyncEventStream:
    """The async twin of :func:`events`: same options, same events, for async sources.

    Takes async iterables (an ``openai`` ``AsyncStream``, the LiteLLM
    ``acompletion(stream=True)`` wrapper, httpx ``aiter_bytes()``/``aiter_lines()``) and
    sync iterables alike. Leaving ``async with`` early awaits the source's ``aclose()``
    (or its async ``close()``) once.
    """
    feeder = Feeder(
        ReadOptions(
            strict=strict,
            assume_complete=assume_complete,
            defer_tool_call_done=defer_tool_call_done,
            done_events=done_events,
            raw=raw,
            id_factory=id_factory,
            lines=lines,
            max_chunk_bytes=max_chunk_bytes,
            protocol=protocol,
        )
    )
    helper = _helper_stream(source)
    if isinstance(source, _WHOLE_BODY):
        items: AsyncIterator[Any] = _as_async(iter((source,)))
    elif helper is not None:
        items = _araw_events(source, helper)
    elif isinstance(source, AsyncIterable):
        items = aiter(source)
    else:
        _check_readable(source)
        items = _as_async(iter(source))
    closer = _Closer(source, items)
    return AsyncEventStream(_adrive(items, feeder, closer), closer)


def _check_readable(source: object) -> None:
    """Raise a ``TypeError`` (a wrong argument type, raised at the call) that names the
    misuse unless ``source`` can be read item by item: a path is the usual one."""
    if isinstance(source, Iterable):
        return
    if isinstance(source, PathLike):
        raise TypeError(
            f"the source is a file path ({source!r}): pass its contents (read_bytes()) "
            "or the file opened in binary mode"
        )
    raise TypeError(
        "the source must be an iterable of chunks or events, or an SSE body as bytes or "
        f"str; got {type(source).__name__}"
    )


def _drive(
    items: Iterator[Any], feeder: Feeder, closer: _Closer
) -> Generator[StreamEvent, None, None]:
    try:
        for item in items:
            yield from feeder.item(item)
            if feeder.done:
                break
        yield from feeder.close()
    finally:
        closer.close()


async def _adrive(
    items: AsyncIterator[Any], feeder: Feeder, closer: _Closer
) -> AsyncGenerator[StreamEvent, None]:
    try:
        async for item in items:
            for event in feeder.item(item):
                yield event
            if feeder.done:
                break
        for event in feeder.close():
            yield event
    finally:
        await closer.aclose()


async def _as_async(items: Iterator[Any]) -> AsyncGenerator[Any, None]:
    for item in items:
        yield item


# The `anthropic` SDK's MessageStream yields its raw events interleaved with events it builds
# (`text`, `citation`, `thinking`, `signature`, `input_json`), and replaces `content_block_stop`
# and `message_stop` with copies carrying its snapshot. Iterating it (rather than its private
# raw stream) keeps its snapshot right, so `get_final_message()` works afterwards; the raw
# events are taken back out here, without the snapshot fields.
_RAW_EVENT_TYPES = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "message_delta",
    }
)


def _helper_stream(source: object) -> Callable[[Any], Any] | None:
    """How to take the raw events back out of an SDK's stream helper: an ``anthropic``
    ``MessageStream``/``AsyncMessageStream`` (or a beta one) or an ``openai``
    ``ResponseStream``/``AsyncResponseStream``, told by shape; None for any other source."""
    if not hasattr(source, "_raw_stream"):
        return None
    name = type(source).__name__
    if name.endswith("MessageStream"):
        return _raw_event
    if name.endswith("ResponseStream"):
        return _raw_response_event
    return None


def _raw_event(event: Any) -> Any:
    """The raw event behind one MessageStream event, or None for an event the SDK built."""
    kind = getattr(event, "type", None)
    if kind in _RAW_EVENT_TYPES:
        return event
    if kind == "content_block_stop":
        return {"type": "content_block_stop", "index": event.index}
    if kind == "message_stop":
        return {"type": "message_stop"}
    return None


# The `openai` SDK's ResponseStream yields every raw event, but rebuilds three of them with a
# field of its own: the text and arguments deltas with the `snapshot` so far, the text's done
# event with its `parsed` value. Iterating it keeps `get_final_response()` working; those
# fields are taken back out here. (Its `response.completed` carries the parsed response, whose
# extra `parsed` fields sit in `output`, which the reader takes only encrypted_content from.)
_SDK_FIELDS: Final = {
    "response.output_text.delta": "snapshot",
    "response.function_call_arguments.delta": "snapshot",
    "response.output_text.done": "parsed",
}


def _raw_response_event(event: Any) -> Any:
    """The raw event behind one ResponseStream event."""
    field = _SDK_FIELDS.get(getattr(event, "type", None) or "")
    if field is None:
        return event
    data = event.model_dump(mode="json", exclude_unset=True, warnings=False)
    data.pop(field, None)
    return data


def _raw_events(
    stream: Iterable[Any], raw_event: Callable[[Any], Any]
) -> Generator[Any, None, None]:
    for event in stream:
        raw = raw_event(event)
        if raw is not None:
            yield raw


async def _araw_events(stream: Any, raw_event: Callable[[Any], Any]) -> AsyncGenerator[Any, None]:
    async for event in stream:
        raw = raw_event(event)
        if raw is not None:
            yield raw
