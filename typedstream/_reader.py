"""Readers: whatever a source yields, turned into normalizer input (sans-IO).

How it works. Two layers. :class:`Decoder` is the one decoding layer of the package: it
turns raw text — SSE (``bytes``/``str`` pieces cut anywhere, or one line per piece with
``lines=True``) or JSON lines — into decoded items, in order: chunk mappings, the ``"[DONE]"``
marker, and provider error payloads (an SSE ``event: error`` becomes ``{"error": …}``).
Payloads are parsed with jiter a small batch at a time and handed to a *sink* as they are
parsed; a malformed payload, an over-long line or event, and a JSON line cut off by the end
of the input raise a typed error numbered like the chunks, after every earlier item reached
the sink. Decoded items are never all held at once: a piece longer than ``_WINDOW`` is
decoded a window at a time.

:class:`Feeder` sits on it for :func:`typedstream.events`: a mapping or a chunk object goes
straight to the normalizer; ``"[DONE]"`` ends the stream; ``bytes``/``str`` pieces go
through the decoder with the normalizer as its sink. Once raw SSE was seen the transport is
known to end with ``[DONE]``, which changes what counts as a complete end (see the
normalizer). ``typedstream check`` uses the decoder with a sink of its own.

The drivers (``_drivers.py``) own the iteration, sync or async, and only call
:meth:`Feeder.item` and :meth:`Feeder.close`; this module also holds the source-closing
protocol they share.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final, Literal, TypeAlias, TypeVar

import jiter

from ._anthropic_reader import ANTHROPIC_EVENT_TYPES, AnthropicReader
from ._chat_reader import ChatReader
from ._chat_vocab import BOM, DONE, DONE_BYTES, is_map
from ._errors import ChunkError, IncompleteStreamError, TypedStreamError
from ._events import StreamEvent
from ._json import loads
from ._options import MAX_CHUNK_BYTES, ReadOptions, check_limit
from ._responses_reader import ResponsesReader
from ._sse import SSEDecoder

__all__ = [
    "MAX_CHUNK_BYTES",
    "Decoder",
    "Feeder",
    "aclose_source",
    "chat_payload",
    "close_source",
    "detect_protocol",
]


T = TypeVar("T")
Sink = Callable[[Any], list[T]]
"""Takes one decoded item (a chunk or ``"[DONE]"``); returns what it made of it."""

Record = tuple["str | int | None", bytes]
"""A payload before parsing: ``(SSE event name or None, data)``, or for a JSON line
``(line number, line)`` — the number negative for a last line without its newline."""

_BATCH: Final = 32  # payloads parsed before they are handed on
_WINDOW: Final = 1 << 20  # a longer piece is decoded a window at a time
_NOTHING: Final[list[Any]] = []

EventReader: TypeAlias = "AnthropicReader | ResponsesReader"
"""A reader of a protocol of named events (Anthropic Messages, OpenAI Responses)."""


class _JSONLines:
    """Split JSON lines given in pieces into records (see :class:`Decoder`)."""

    __slots__ = ("_pending", "_size", "limit", "number", "problem")

    def __init__(self, limit: int, first_line: int) -> None:
        self._pending: list[bytes] = []
        self._size = 0
        self.limit = limit
        self.number = first_line - 1  # lines read so far
        self.problem: str | None = None

    def feed(self, piece: bytes) -> list[Record]:
        if self.problem is not None:
            return []
        pending = self._pending
        if b"\n" not in piece:
            pending.append(piece)
            self._size += len(piece)
            if self._size > self.limit:
                self._overflow()
            return []
        if pending:
            pending.append(piece)
            piece = b"".join(pending)
            pending.clear()
        lines = piece.split(b"\n")
        last = lines.pop()
        if last:
            pending.append(last)
        self._size = len(last)
        out: list[Record] = []
        number = self.number
        for line in lines:
            number += 1
            if number == 1:
                line = line.removeprefix(BOM)
            if len(line) > self.limit:
                self._overflow()
                break
            text = line.strip()
            if text:
                out.append((number, text))
        else:
            if self._size > self.limit:
                self._overflow()
        self.number = number
        return out

    def close(self) -> list[Record]:
        last = b"".join(self._pending).strip()
        self._pending.clear()
        if not last:
            return []
        self.number += 1
        if self.number == 1:
            last = last.removeprefix(BOM).strip()
        return [(-self.number, last)]

    def _overflow(self) -> None:
        self.problem = f"a line of more than {self.limit} bytes (max_chunk_bytes={self.limit})"
        self._pending.clear()
        self._size = 0


class Decoder:
    """The decoding layer: raw SSE or JSON-lines text -> decoded items, handed to a sink.

    Args:
        jsonl: The text is JSON lines (one chunk per line; blank lines and a byte-order
            mark are skipped; a ``[DONE]`` line ends the stream), not SSE.
        lines: SSE given one line per piece, without its terminator.
        max_chunk_bytes: The most bytes one line, one SSE event or one JSON chunk may
            hold (``None``: no limit); crossing it is a :class:`~typedstream.ChunkError`
            raised at once.
        first_line: The number of the first JSON line (for messages).
        chunks: Chunks already counted before the text began (the next is numbered after).
        named: Hand the sink ``(SSE event name or None, payload)`` pairs, an ``event: error``
            unchanged (readers of protocols with named events need the name). May be turned
            off between pieces; the sink then gets payloads, an error wrapped for chat.
    """

    __slots__ = ("chunks", "done", "framing", "lines", "named")

    def __init__(
        self,
        *,
        jsonl: bool = False,
        lines: bool = False,
        max_chunk_bytes: int | None = MAX_CHUNK_BYTES,
        first_line: int = 1,
        chunks: int = 0,
        named: bool = False,
    ) -> None:
        check_limit(max_chunk_bytes)
        limit = max_chunk_bytes if max_chunk_bytes is not None else 1 << 62
        self.framing: SSEDecoder | _JSONLines = (
            _JSONLines(limit, first_line) if jsonl else SSEDecoder(limit)
        )
        self.lines = lines and not jsonl
        self.chunks = chunks  # items handed on so far, "[DONE]" not counted
        self.done = False  # "[DONE]" was decoded: nothing more is read
        self.named = named

    def feed(self, raw: bytes, sink: Sink[T], out: list[T]) -> None:
        """Decode the next piece of text; hand each item it completes to ``sink``, in order,
        adding what the sink returns to ``out``. Raises (after the earlier items reached the
        sink) for a malformed payload or a crossed limit. Sets :attr:`done` at ``[DONE]``."""
        framing = self.framing
        if isinstance(framing, SSEDecoder):
            framing.frames = self.named
        if len(raw) > _WINDOW and not self.lines:
            for start in range(0, len(raw), _WINDOW):
                self._pour(framing.feed(raw[start : start + _WINDOW]), sink, out)
                if self.done:
                    return
            return
        if self.lines:
            assert isinstance(framing, SSEDecoder)
            self._pour(framing.feed_line(raw), sink, out)
        else:
            self._pour(framing.feed(raw), sink, out)

    def windows(self, raw: bytes, sink: Sink[T]) -> Iterator[T]:
        """:meth:`feed` for a long piece, yielding the sink's results a window at a time."""
        for start in range(0, len(raw), _WINDOW):
            out: list[T] = []
            try:
                self.feed(raw[start : start + _WINDOW], sink, out)
            except TypedStreamError:
                yield from out
                raise
            yield from out
            if self.done:
                return

    def close(self, sink: Sink[T], out: list[T]) -> None:
        """The text ended: hand on what only its end completes, then raise if it was not
        the format it was read as (text without any SSE field) or a JSON line was cut off."""
        framing = self.framing
        self._pour(framing.close(), sink, out)
        if isinstance(framing, SSEDecoder) and not framing.sse and framing.foreign is not None:
            raise ChunkError(
                f"not an SSE body: no data:, event:, id: or retry: field; it starts with "
                f"{framing.foreign!r}",
                self.chunks + 1,
            )

    def _pour(self, records: Sequence[Record], sink: Sink[T], out: list[T]) -> None:
        for start in range(0, len(records), _BATCH):
            chunks, stop = self._parse(records[start : start + _BATCH])
            for chunk in chunks:
                out += sink(chunk)
            self.chunks += len(chunks)
            if stop is not None:
                if stop is DONE_BYTES:
                    self.done = True
                    return
                raise stop
        if self.framing.problem is not None:
            raise ChunkError(self.framing.problem, self.chunks + 1)

    def _parse(self, batch: Sequence[Record]) -> tuple[list[Any], Any]:
        """Parse payloads up to ``[DONE]`` or a bad one; return them and why it stopped
        early (``DONE_BYTES`` or the error for the next payload), if it did."""
        from_json = jiter.from_json
        named = self.named
        chunks: list[Any] = []
        for event, data in batch:
            if data.strip() == DONE_BYTES and event != "error":  # exactly [DONE], not an error
                return chunks, DONE_BYTES
            try:
                chunk: Any = from_json(data)
            except ValueError as exc:
                try:
                    chunk = loads(data)  # lone surrogate escapes, which jiter refuses
                except ValueError:
                    if event != "error":
                        number = self.chunks + len(chunks) + 1
                        return chunks, self._malformed(event, data, exc, number)
                    chunk = {"message": data.decode("utf-8", "replace")}  # plain-text error
                    if named:
                        chunk = {"type": "error", "error": chunk}
            if named:
                chunks.append((event if event.__class__ is str else None, chunk))
            elif event == "error":
                chunks.append(chat_payload(event, chunk))
            else:
                chunks.append(chunk)
        return chunks, None

    @staticmethod
    def _malformed(
        event: str | int | None, data: bytes, exc: ValueError, number: int
    ) -> TypedStreamError:
        shown = f"{data[:80]!r}" + ("…" if len(data) > 80 else "")
        if not isinstance(event, int):
            return ChunkError(f"malformed JSON ({exc}): {shown}", number)
        if event < 0 and _cut(data):
            return IncompleteStreamError(
                f"the input ends in the middle of line {-event} (chunk {number}): {shown}"
            )
        return ChunkError(f"line {abs(event)}: malformed JSON ({exc}): {shown}", number)


def chat_payload(event: str | int | None, chunk: Any) -> Any:
    """A decoded chat payload: an ``event: error`` is a provider error whatever its data says."""
    if event == "error" and not (chunk.__class__ is dict and chunk.get("error")):
        return {"error": chunk if chunk else {"message": "error event without details"}}
    return chunk


def _cut(data: bytes) -> bool:
    """Whether a JSON line is the start of valid JSON that the end of the input cut off."""
    if DONE_BYTES.startswith(data):
        return True
    try:
        jiter.from_json(data, partial_mode=True)
    except ValueError:
        return False
    return True


class Feeder:
    """Feed source items of any supported kind to one reader: the chat reader
    (:class:`~typedstream.Normalizer`), the :class:`~typedstream.AnthropicReader` or the
    ``ResponsesReader``.

    With ``protocol="auto"`` the first decoded item decides (:func:`detect_protocol`); until
    then no reader exists. Chat items keep their fast path once decided.

    Args:
        options: How the stream is read; ``lines`` and ``max_chunk_bytes`` are the
            decoder's (see :class:`Decoder`), the others the reader's.
        decoder: The decoder of raw text, when it is not SSE read with the options above
            (``typedstream`` reads JSON lines so); only raw text is then taken.
    """

    __slots__ = (
        "decoder",
        "done",
        "error",
        "lines",
        "max_chunk_bytes",
        "normalizer",
        "options",
        "reader",
    )

    def __init__(self, options: ReadOptions, *, decoder: Decoder | None = None) -> None:
        protocol = options.protocol
        self.options = options
        self.normalizer = ChatReader.from_options(options) if protocol == "chat" else None
        # The reader of named events (Anthropic, Responses), once the protocol is known.
        self.reader: EventReader | None = None
        if protocol == "anthropic" or protocol == "responses":
            self._named(protocol)
        self.lines = options.lines
        self.max_chunk_bytes = options.max_chunk_bytes
        self.decoder = decoder
        if decoder is not None and self.normalizer is None:
            decoder.named = True  # the reader is not a chat reader, or not known yet
        self.done = False  # "[DONE]" seen (or an error is pending): the driver stops reading
        self.error: TypedStreamError | None = None  # raised by close(), after earlier events

    def item(self, item: object) -> Iterable[StreamEvent]:
        """Take one item from the source and return the events it completes."""
        normalizer = self.normalizer
        if normalizer is None:
            return self._other(item)
        if item.__class__ is dict and self.decoder is None:
            out = normalizer.feed(item)  # _to_chat inlined: the hot path of decoded chunks
            if normalizer.error is not None:
                self._check_error(normalizer)
            return out
        raw = _text(item)
        if raw is not None:
            return self._raw(raw, item)
        if self.decoder is not None:
            raise normalizer.reject(
                f"the source mixed raw SSE text with a {type(item).__name__} item"
            )
        return self._to_chat(item)

    def _other(self, item: object) -> Iterable[StreamEvent]:
        """An item for a reader of named events, or the first items of an undecided stream."""
        reader = self.reader
        if reader is not None and item.__class__ is dict and self.decoder is None:
            out = reader.feed(item)  # the usual decoded event
            if reader.error is not None:
                self._check_error(reader)
            return out
        raw = _text(item)
        if raw is not None:
            return self._raw(raw, item)
        if self.decoder is not None:
            raise ChunkError(
                f"the source mixed raw SSE text with a {type(item).__name__} item",
                self._chunks() + 1,
            )
        reader = self.reader
        if reader is None:
            protocol = detect_protocol(item)
            if protocol == "chat":
                return self._to_chat(item)
            reader = self._named(protocol)
        out = reader.feed(item)
        self._check_error(reader)
        return out

    def _raw(self, raw: bytes, item: object) -> Iterable[StreamEvent]:
        decoder = self.decoder
        if decoder is None:
            if not self.lines and raw.strip() == DONE_BYTES and isinstance(item, str):
                return self._done()
            decoder = self.decoder = Decoder(
                lines=self.lines,
                max_chunk_bytes=self.max_chunk_bytes,
                chunks=self._chunks(),
                named=self.normalizer is None,
            )
        if not decoder.named:
            sink: Sink[StreamEvent] = self._to_chat
        elif self.reader is not None:
            sink = self._to_reader
        else:
            sink = self._sink
        if len(raw) > _WINDOW and not self.lines:
            return self._windows(decoder, raw, sink)
        out: list[StreamEvent] = []
        try:
            decoder.feed(raw, sink, out)
        except TypedStreamError as exc:
            # One piece may hold many chunks: if a later one fails, the events of the
            # earlier ones are still delivered and the error is raised by close().
            if not out:
                raise
            self.error = exc
            self.done = True
            return out
        if decoder.done:
            out += self._done()
        return out

    def _sink(self, pair: tuple[str | None, Any]) -> list[StreamEvent]:
        """A named payload from the decoder: the first decides the reader."""
        if pair.__class__ is not tuple:  # the decoder was switched to chat payloads
            return self._to_chat(pair)
        if self.error is not None:
            return []  # after an error event the stream is over: close() raises the error
        name, chunk = pair
        reader = self.reader
        if reader is None:
            protocol = "chat" if self.normalizer is not None else detect_protocol(chunk, name)
            if protocol == "chat":
                if self.decoder is not None:
                    self.decoder.named = False  # chat from the next batch on: its fast path
                return self._to_chat(chat_payload(name, chunk))
            reader = self._named(protocol)
        out = reader.feed(chunk, name)
        self._check_error(reader)
        return out

    def _to_chat(self, chunk: object) -> list[StreamEvent]:
        """A chat payload: fed to the chat reader until an error chunk ends the stream."""
        if self.error is not None:
            return _NOTHING  # what follows the error in the same piece is not read
        normalizer = self.normalizer or self._chat()  # no call on the hot path
        out = normalizer.feed(chunk)
        if normalizer.error is not None:
            self._check_error(normalizer)
        return out

    def _to_reader(self, pair: tuple[str | None, Any]) -> list[StreamEvent]:
        """:meth:`_sink` once the reader of named events is decided (the usual payload)."""
        if self.error is not None:
            return _NOTHING  # after an error event the stream is over: close() raises it
        reader = self.reader
        assert reader is not None
        out: list[StreamEvent] = reader.feed(pair[1], pair[0])
        if reader.error is not None:
            self._check_error(reader)
        return out

    def close(self) -> Iterator[StreamEvent]:
        """The source ended: yield the events of a complete end (or raise).

        A generator, so that the events of a last SSE event that only the end of the body
        completes (a final lone CR) are delivered before the error of an incomplete end.
        """
        if self.error is not None:
            raise self.error
        if not self.done and self.decoder is not None:
            out: list[StreamEvent] = []
            sink = self._sink if self.decoder.named else self._to_chat
            try:
                self.decoder.close(sink, out)
            except TypedStreamError:
                yield from out
                raise
            yield from out
            if self.decoder.done:
                yield from self._done()
            if self.error is not None:
                raise self.error
        if self.reader is not None:
            yield from self._close_reader(self.reader.close)
        elif not self.done:
            # Raw text (SSE or a recorded body) marks its end with [DONE]: a choice left
            # open there was cut off, even if only text was pending.
            normalizer = self._chat()
            expect_done = self.decoder is not None
            yield from self._close_reader(
                lambda out: normalizer.close(out, expect_done=expect_done)
            )

    @staticmethod
    def _close_reader(
        close: Callable[[list[StreamEvent]], list[StreamEvent]],
    ) -> Iterator[StreamEvent]:
        out: list[StreamEvent] = []
        try:
            events = close(out)
        except TypedStreamError:
            yield from out  # the cut calls and block of an incomplete end
            raise
        yield from events

    def _windows(
        self, decoder: Decoder, raw: bytes, sink: Sink[StreamEvent]
    ) -> Iterator[StreamEvent]:
        # A long piece (a whole body) gives its events a window at a time: never all held.
        yield from decoder.windows(raw, sink)
        if decoder.done:
            yield from self._done()

    def _done(self) -> list[StreamEvent]:
        self.done = True
        if self.reader is not None or self.error is not None:
            # Not an Anthropic marker, and what OpenRouter sends after a Responses stream's
            # terminal event: the reader decides how the stream ended.
            return []
        return self._chat().feed(DONE)

    def _check_error(self, reader: EventReader | ChatReader) -> None:
        # An error event or chunk ends the stream: stop reading; close() raises the
        # ProviderError.
        if reader.error is not None:
            self.error = reader.error
            self.done = True

    def _chunks(self) -> int:
        reader = self.normalizer or self.reader
        return reader.chunks if reader is not None else 0

    def _chat(self) -> ChatReader:
        normalizer = self.normalizer
        if normalizer is None:
            normalizer = self.normalizer = ChatReader.from_options(self.options)
        return normalizer

    def _named(self, protocol: Literal["anthropic", "responses"]) -> EventReader:
        reader: EventReader
        if protocol == "anthropic":
            reader = AnthropicReader.from_options(self.options)
        else:
            reader = ResponsesReader.from_options(self.options)
        self.reader = reader
        return reader


def detect_protocol(
    item: object, name: str | None = None
) -> Literal["chat", "anthropic", "responses"]:
    """The protocol of a stream, from its first decoded item (``protocol="auto"``).

    Anthropic: an SSE event named like an Anthropic event (``event: error`` only with data of
    ``type`` ``"error"``), or an item whose ``type`` is one of Anthropic's event types and
    that has no ``choices`` or ``object`` (a chat chunk has them). Responses: the same with a
    name or ``type`` starting ``response.`` (``response.created``). Anything else is chat. A
    lone first ``{"type": "error"}`` is ambiguous between Anthropic and Responses, and is read
    as Anthropic.
    """
    if name is not None and name != "error":
        if name in ANTHROPIC_EVENT_TYPES:
            return "anthropic"
        if name.startswith("response."):
            return "responses"
    if is_map(item):
        if "choices" in item or "object" in item:
            return "chat"
        kind = item.get("type")
    elif isinstance(item, (str, bytes, bytearray, memoryview)):
        return "chat"
    else:
        if hasattr(item, "choices") or hasattr(item, "object"):
            return "chat"
        kind = getattr(item, "type", None)
    if not isinstance(kind, str):
        return "chat"
    if kind in ANTHROPIC_EVENT_TYPES:
        return "anthropic"
    return "responses" if kind.startswith("response.") else "chat"


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
    """Close a sync source by the closing protocol (docs/errors.md, "Closing the source").

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
