"""The loops every event-protocol writer (Anthropic, Responses) is driven by, sync and async.

How it works. A writer is sans-IO: ``write(event)`` returns the wire events an event
completes, ``close()`` what ends a complete stream, ``fail(exc)`` what ends a failed one.
:func:`wire` and :func:`awire` are the one sync and one async generator that drive it: they
end a failed stream with the writer's error events and re-raise, and close the events (and so
their source) however they are left. :func:`convert` and :func:`aconvert` only turn each wire
event into what the caller wants (SSE bytes, SDK objects) and close the loop when they are
left early.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from contextlib import aclosing, closing
from typing import Any, Protocol, TypeVar

from ._events import StreamEvent
from ._reader import aclose_source, close_source

__all__ = ["EventWriter", "WireEvent", "aconvert", "awire", "convert", "wire"]

WireEvent = dict[str, Any]
"""One wire event as a JSON object."""

_T = TypeVar("_T")


class EventWriter(Protocol):
    """What the loops need of a writer."""

    def write(self, event: StreamEvent) -> list[WireEvent]: ...
    def close(self) -> list[WireEvent]: ...
    def fail(self, exc: BaseException) -> list[WireEvent]: ...


def wire(events: Iterable[StreamEvent], writer: EventWriter) -> Generator[WireEvent, None, None]:
    """Drive ``writer`` over ``events``; a failure ends with its error events, re-raised."""
    items = iter(events)
    try:
        try:
            for event in items:
                yield from writer.write(event)
            yield from writer.close()
        except Exception as exc:
            yield from writer.fail(exc)
            raise
    finally:
        close_source(items)


async def awire(
    events: AsyncIterable[StreamEvent] | Iterable[StreamEvent], writer: EventWriter
) -> AsyncGenerator[WireEvent, None]:
    """The async twin of :func:`wire` (a sync iterable of events is taken too)."""
    items = aiter(events) if isinstance(events, AsyncIterable) else _from_sync(iter(events))
    try:
        try:
            async for event in items:
                for item in writer.write(event):
                    yield item
            for item in writer.close():
                yield item
        except Exception as exc:
            for item in writer.fail(exc):
                yield item
            raise
    finally:
        await aclose_source(items)


async def _from_sync(items: Iterator[StreamEvent]) -> AsyncGenerator[StreamEvent, None]:
    try:
        for item in items:
            yield item
    finally:
        close_source(items)


def convert(
    wires: Generator[WireEvent, None, None], change: Callable[[WireEvent], _T]
) -> Generator[_T, None, None]:
    """Each wire event changed (framed as SSE, built as an SDK object); closes ``wires``."""
    with closing(wires):
        for item in wires:
            yield change(item)


async def aconvert(
    wires: AsyncGenerator[WireEvent, None], change: Callable[[WireEvent], _T]
) -> AsyncGenerator[_T, None]:
    """The async twin of :func:`convert`."""
    async with aclosing(wires):
        async for item in wires:
            yield change(item)
