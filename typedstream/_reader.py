"""Readers: whatever a source yields, turned into normalizer input (sans-IO).

How it works. :class:`Feeder` takes the items of any supported source one at a time and
returns events: a mapping or a chunk object goes straight to the normalizer; ``"[DONE]"``
ends the stream; ``bytes``/``str`` pieces go through the incremental SSE decoder and the
decoded ``data:`` payloads are parsed with jiter (a small batch at a time) and fed on, in
order; with ``lines=True`` a ``str`` or ``bytes`` item is one SSE line without its
terminator (httpx ``iter_lines()``), since such lines cannot be told apart from arbitrary
cuts. An ``event: error`` SSE event becomes a provider error. Once raw SSE was seen the
transport is known to end with ``[DONE]``, which changes what counts as a complete end (see
the normalizer).

The drivers (``_drivers.py``) own the iteration, sync or async, and only call
:meth:`Feeder.item` and :meth:`Feeder.close`; this module also holds the source-closing
protocol they share.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any, Final

import jiter

from ._errors import TypedStreamError
from ._events import StreamEvent
from ._json import loads
from ._normalizer import DONE, Normalizer
from ._sse import SSEDecoder, SSEEvent

__all__ = ["Feeder", "aclose_source", "close_source"]

_DONE_BYTES: Final = b"[DONE]"
_DONE_SEEN: Final = "[DONE] seen"  # _parse stopped at the end marker (compared by identity)
_BATCH: Final = 32  # SSE payloads parsed before they are fed


class Feeder:
    """Feed source items of any supported kind to one :class:`Normalizer`."""

    __slots__ = ("done", "error", "lines", "normalizer", "sse")

    def __init__(self, normalizer: Normalizer, *, lines: bool = False) -> None:
        self.normalizer = normalizer
        self.lines = lines
        self.sse: SSEDecoder | None = None
        self.done = False  # "[DONE]" seen (or an error is pending): the driver stops reading
        self.error: TypedStreamError | None = None  # raised by close(), after earlier events

    def item(self, item: object) -> list[StreamEvent]:
        """Take one item from the source and return the events it completes."""
        if item.__class__ is dict and self.sse is None:
            return self.normalizer.feed(item)
        raw = _text(item)
        if raw is not None:
            if self.sse is None:
                if not self.lines and raw.strip() == _DONE_BYTES and isinstance(item, str):
                    return self._done()
                self.sse = SSEDecoder()
                self.normalizer.expect_done = True
            if self.lines:
                return self._events(self.sse.feed_line(raw))
            return self._events(self.sse.feed(raw))
        if self.sse is not None:
            raise self.normalizer.reject(
                f"the source mixed raw SSE text with a {type(item).__name__} item"
            )
        return self.normalizer.feed(item)

    def close(self) -> Iterator[StreamEvent]:
        """The source ended: yield the events of a complete end (or raise).

        A generator, so that the events of a last SSE event that only the end of the body
        completes (a final lone CR) are delivered before the error of an incomplete end.
        """
        if self.error is not None:
            raise self.error
        if not self.done and self.sse is not None:
            yield from self._events(self.sse.close())
        if not self.done:
            yield from self.normalizer.close()

    def _done(self) -> list[StreamEvent]:
        self.done = True
        return self.normalizer.feed(DONE)

    def _events(self, decoded: list[SSEEvent]) -> list[StreamEvent]:
        # One piece of SSE may hold many chunks: if a later one fails, the events of the
        # earlier ones are still delivered and the error is raised by close().
        out: list[StreamEvent] = []
        try:
            self._decode(decoded, out)
        except TypedStreamError as exc:
            if not out:
                raise
            self.error = exc
            self.done = True
        return out

    def _decode(self, decoded: list[SSEEvent], out: list[StreamEvent]) -> None:
        # Payloads are parsed a batch at a time, then fed: jiter and the normalizer each in
        # a tight loop measure faster than alternating between them (docs/performance.md).
        # Batches stay small, so a whole body given as one piece is never held parsed at once.
        feed = self.normalizer.feed
        for start in range(0, len(decoded), _BATCH):
            chunks, end = self._parse(decoded[start : start + _BATCH])
            for chunk in chunks:
                out += feed(chunk)
            if end is _DONE_SEEN:
                out += self._done()
                return
            if end is not None:
                raise self.normalizer.reject(end)

    @staticmethod
    def _parse(batch: list[SSEEvent]) -> tuple[list[Any], str | None]:
        """Parse payloads up to ``[DONE]`` or malformed JSON; return them and why it stopped
        early (``_DONE_SEEN`` or the problem with the next payload), if it did."""
        from_json = jiter.from_json
        chunks: list[Any] = []
        for event, data in batch:
            if data.startswith(_DONE_BYTES):
                return chunks, _DONE_SEEN
            try:
                chunk: Any = from_json(data)
            except ValueError as exc:
                try:
                    chunk = loads(data)  # lone surrogate escapes, which jiter refuses
                except ValueError:
                    if event != "error":
                        return chunks, f"malformed JSON ({exc}): {data[:80]!r}"
                    chunk = {"message": data.decode("utf-8", "replace")}  # plain-text error
            if event == "error" and not (chunk.__class__ is dict and chunk.get("error")):
                # An `event: error` is a provider error whatever its data says.
                chunk = {"error": chunk if chunk else {"message": "error event without details"}}
            chunks.append(chunk)
        return chunks, None


def _text(item: object) -> bytes | None:
    """The bytes of a raw SSE piece, or None for anything else."""
    if isinstance(item, bytes):
        return item
    if isinstance(item, str):
        # A lone surrogate has no UTF-8 form: keep it as invalid bytes, so that a data line
        # holding one is a ChunkError naming its chunk (and a comment holding one is ignored).
        return item.encode("utf-8", "surrogatepass")
    if isinstance(item, bytearray):
        return bytes(item)
    if isinstance(item, memoryview):
        return item.tobytes()
    return None


def close_source(source: object) -> None:
    """Close a sync source by the protocol of the contract (§4).

    ``close()`` when the source has it; a LiteLLM ``CustomStreamWrapper`` has no sync
    ``close()``, so the stream it wraps (``completion_stream``) is closed instead. Some
    LiteLLM provider iterators (Anthropic's, in 1.106) have no ``close()`` either: then the
    httpx line iterator they read is closed, which releases the HTTP connection.
    """
    close = getattr(source, "close", None)
    if close is None:
        inner = getattr(source, "completion_stream", None)
        close = getattr(inner, "close", None)
        if close is None and inner is not None:
            close = getattr(_lines(inner, "response_iterator"), "close", None)
    if callable(close):
        result = close()
        if inspect.isawaitable(result):  # an async close cannot run here; do not leak it
            _discard(result)


async def aclose_source(source: object) -> None:
    """Close an async source: ``aclose()`` when present (LiteLLM), else ``close()``
    (``openai`` ``AsyncStream``), awaited when it returns an awaitable.

    LiteLLM's ``aclose()`` only closes a provider iterator that has ``aclose()`` or
    ``close()``; for one with neither (Anthropic's, in 1.106) the httpx line iterator it
    reads is closed afterwards, which releases the HTTP connection.
    """
    inner = getattr(source, "completion_stream", None)  # LiteLLM's aclose() drops it
    close = getattr(source, "aclose", None) or getattr(source, "close", None)
    if close is None:
        close = getattr(inner, "close", None)
    if callable(close):
        result = close()
        if inspect.isawaitable(result):
            await result
    if inner is not None and not hasattr(inner, "aclose") and not hasattr(inner, "close"):
        aclose = getattr(_lines(inner, "async_response_iterator"), "aclose", None)
        if callable(aclose):
            result = aclose()
            if inspect.isawaitable(result):
                await result


def _lines(provider_iterator: object, name: str) -> object:
    # LiteLLM provider iterators keep the httpx `iter_lines()`/`aiter_lines()` generator
    # they read as `response_iterator`/`async_response_iterator` (or `streaming_response`).
    lines = getattr(provider_iterator, name, None)
    return lines if lines is not None else getattr(provider_iterator, "streaming_response", None)


def _discard(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if callable(close):
        close()
