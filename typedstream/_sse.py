"""Incremental server-sent-events decoder (sans-IO).

How it works. The decoder works on bytes: a UTF-8 sequence never contains a CR or LF byte,
so splitting on line terminators is safe wherever a piece was cut, and a character cut in
half simply waits in the buffer with the rest of its line. Payloads are handed on as bytes
(the JSON parser reads bytes directly), so nothing is decoded twice.

``feed(piece)`` takes bytes cut anywhere and returns the events completed by it as
``(event_name, data)`` pairs; ``feed_line(line)`` takes one line without its terminator (for
line iterators such as httpx ``iter_lines()``); ``close()`` ends the body. Following the SSE
specification, an event is dispatched at a blank line, ``data:`` lines of one event are
joined with ``\\n``, comment lines (``: keep-alive``) and ``id:``/``retry:`` fields are
ignored, CRLF, LF and lone CR all end a line, a leading byte-order mark is dropped, and an
event not terminated by a blank line when the body ends is discarded.

Fast path. Nearly every event of a real stream is one frame of the same shape: an optional
``event: …`` line, one ``data: …`` line and a blank line, LF-terminated. The complete events
of a piece are split by one compiled regular expression (in C, no Python loop per line),
and taken when the frames it found add up to all of the text, without a gap. Anything else
(a comment, ``id:``, several data lines, no space after the colon, CR line ends, the first
line with its possible byte-order mark) sends the text through the line reader, which is
also handed the event a cut left half read before the fast path takes over again. The events
and errors are the same either way (tests/test_sse_reference.py).

Size limit. No line and no event's data may grow past ``limit`` bytes: the moment one does,
the decoder drops what it buffered, records the problem in :attr:`SSEDecoder.problem`,
returns the events completed before it and takes no more input (the reader raises). The
checks cost a length comparison per piece: a piece no longer than the limit cannot hold a
longer line, and only an event's second ``data:`` line starts counting its size.
"""

from __future__ import annotations

import re
from itertools import chain
from typing import Final

from ._chat_vocab import BOM

__all__ = ["BlankLineFrames", "SSEDecoder", "SSEEvent"]

SSEEvent = tuple["str | None", bytes]
"""``(event name or None, data)`` of one dispatched event."""

_KNOWN: Final = frozenset({b"event", b"data", b"id", b"retry"})

# One frame of the usual shape (see "Fast path"): its ``event:`` line (b"" when it has none)
# and its data. Runs of it are read only when they cover the text without a gap.
_FRAME: Final = re.compile(rb"(event: .*\n)?data: (.*)\n\n")
_FRAME_BYTES: Final = len(b"data: \n\n")  # the bytes of a frame outside its two groups


class _Names(dict[bytes, "str | None"]):
    """``event:`` lines (with their LF) to the names they give, each decoded once."""

    def __missing__(self, line: bytes) -> str:
        name = line[7:-1].decode("utf-8", "replace")
        if len(self) < 64:  # the few names of a protocol, not every name a body could hold
            self[line] = name
        return name


_NAMES: Final = _Names({b"": None})
_SHOWN: Final = 40  # bytes of a non-SSE line quoted in the problem


class SSEDecoder:
    """Decode an SSE body given in pieces (see the module docstring).

    Args:
        limit: The most bytes one line or one event's data may hold (``None``: no limit).
    """

    __slots__ = (
        "_data",
        "_data_size",
        "_event",
        "_fresh",
        "_pending",
        "_size",
        "foreign",
        "frames",
        "limit",
        "problem",
        "sse",
    )

    def __init__(self, limit: int | None = None) -> None:
        self._pending: list[bytes] = []  # the incomplete last line, in parts (no quadratic joins)
        self._size = 0  # bytes in _pending
        self._data: list[bytes] = []  # data lines of the event being read
        self._data_size = 0  # bytes in _data, counted from its second line on
        self._event: str | None = None
        self._fresh = True  # no line read yet (byte-order mark check)
        self.limit = limit if limit is not None else 1 << 62
        self.problem: str | None = None  # set when the limit was crossed
        self.sse = False  # an SSE field or comment was seen
        self.foreign: bytes | None = None  # the start of the first line that is not SSE
        # Take the fast path. It pays for small payloads with event names (Anthropic's);
        # the line reader is as fast for data-only frames of large payloads (chat's).
        self.frames = True

    def feed(self, piece: bytes) -> list[SSEEvent]:
        """Take the next piece of the body; return the events it completes."""
        if self.problem is not None:
            return []
        pending = self._pending
        if not self.frames or b"\r" in piece or (pending and pending[-1].endswith(b"\r")):
            return self._feed_lines(piece)
        if self._fresh:  # the line reader reads the first line (and drops a byte-order mark)
            first = piece.find(b"\n") + 1
            if not first or first == len(piece):
                return self._feed_lines(piece)
            return self._feed_lines(piece[:first]) + self.feed(piece[first:])
        text = b"".join((*pending, piece)) if pending else piece
        if len(text) > self.limit:
            return self._feed_lines(piece)  # where the limit is checked
        start = 0
        out: list[SSEEvent] = []
        if self._data or self._event is not None:
            # The line reader finishes the event it was reading (up to a blank line: the
            # first LF LF, or one event further when the piece opens with the blank line).
            start = text.find(b"\n\n") + 2
            if start == 1:
                return self._feed_lines(piece)  # no blank line ends it in this piece
            pending.clear()
            self._size = 0
            out = self._feed_lines(text[:start])
            if self.problem is not None:
                return out
        elif pending:
            pending.clear()
            self._size = 0
        end = text.rfind(b"\n\n", start) + 2  # the end of the last complete event
        if end > start:
            found = _FRAME.findall(text, start, end)
            if sum(map(len, chain.from_iterable(found))) + _FRAME_BYTES * len(found) == end - start:
                self.sse = True
                out += [(_NAMES[name], data) for name, data in found]
                start = end
        if start < len(text):
            out += self._feed_lines(text[start:] if start else text)
        return out

    def _feed_lines(self, piece: bytes) -> list[SSEEvent]:
        """:meth:`feed` by the line reader (the general path)."""
        split = self._split(piece)
        if split is None:
            return []
        lines, too_long = split
        if self._fresh and lines:
            self._fresh = False
            if lines[0].startswith(BOM):
                lines[0] = lines[0][3:]
        out: list[SSEEvent] = []
        if self._read_lines(lines, out):
            return out
        if out:
            self.sse = True
        if too_long:
            self._overflow(f"a line of more than {self.limit} bytes")
        return out

    def _split(self, piece: bytes) -> tuple[list[bytes], bool] | None:
        """The lines ``piece`` completes (what it leaves unfinished waits for the next piece)
        and whether one of them is over the limit; None when it completes no line."""
        pending = self._pending
        if b"\n" not in piece and b"\r" not in piece:
            if not piece:
                return None
            if not (pending and pending[-1].endswith(b"\r")):
                pending.append(piece)
                self._size += len(piece)
                if self._size > self.limit:
                    self._overflow(f"a line of more than {self.limit} bytes")
                return None
            # else a held CR is followed by something other than LF: it ended a line
        if pending:
            pending.append(piece)
            piece = b"".join(pending)
            pending.clear()
        if b"\r" in piece:
            # A CR at the very end may be the first half of a CRLF: hold it back.
            held = piece.endswith(b"\r")
            if held:
                piece = piece[:-1]
            lines = piece.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            last = lines.pop()
            if held:
                pending.append(last + b"\r")
            elif last:
                pending.append(last)
        else:
            lines = piece.split(b"\n")
            last = lines.pop()
            if last:
                pending.append(last)
        self._size = len(last)
        return lines, len(piece) > self.limit and self._too_long(lines)

    def _read_lines(self, lines: list[bytes], out: list[SSEEvent]) -> bool:
        """Read complete lines, adding the events they dispatch to ``out``; True if a limit
        was crossed (the rest is not read)."""
        data = self._data
        for line in lines:
            if not line:  # half of all lines: test it first
                if data:
                    out.append((self._event, data[0] if len(data) == 1 else b"\n".join(data)))
                    data.clear()
                self._event = None
            elif line.startswith(b"data:"):
                if data and self._grow(line):
                    return True
                data.append(line[6:] if line[5:6] == b" " else line[5:])
            elif line[0] != 58:  # not a ":" comment
                if self._field(line):
                    return True
            else:
                self.sse = True
        return False

    def feed_line(self, line: bytes) -> list[SSEEvent]:
        """Take one line without its terminator; return the event a blank line completes."""
        if self.problem is not None:
            return []
        if len(line) > self.limit:
            self._overflow(f"a line of more than {self.limit} bytes")
            return []
        if self._fresh:
            self._fresh = False
            if line.startswith(BOM):
                line = line[3:]
        line = line.rstrip(b"\r\n")
        if line.startswith(b"data:"):
            if not (self._data and self._grow(line)):
                self._data.append(line[6:] if line[5:6] == b" " else line[5:])
        elif not line:
            return self._dispatch()
        elif line[0] != 58:
            self._field(line)
        else:
            self.sse = True
        return []

    def close(self) -> list[SSEEvent]:
        """End the body. A held final CR is a blank line; an unterminated event is discarded."""
        if self._data:
            self.sse = True  # data lines of an event cut off: SSE all the same
        out = self._dispatch() if b"".join(self._pending) == b"\r" else []
        self._pending.clear()
        self._size = 0
        self._data.clear()
        self._event = None
        return out

    def _dispatch(self) -> list[SSEEvent]:
        data = self._data
        event = self._event
        self._event = None
        if not data:
            return []
        self.sse = True
        self._data_size = 0
        payload = data[0] if len(data) == 1 else b"\n".join(data)
        data.clear()
        return [(event, payload)]

    def _field(self, line: bytes) -> bool:
        """Read a field other than ``data:``; True if it crossed the limit."""
        name, _, value = line.partition(b":")
        if name not in _KNOWN:
            if self.foreign is None and not self.sse and line.strip():
                self.foreign = line[:_SHOWN]
            return False  # unknown fields carry nothing a chat stream needs
        self.sse = True
        if value[:1] == b" ":
            value = value[1:]
        if name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"data":  # a bare `data` line: an empty data line
            if self._data and self._grow(line):
                return True
            self._data.append(value)
        # `id` and `retry` carry nothing a chat stream needs.
        return False

    def _grow(self, line: bytes) -> bool:
        """Count a further data line of the event; True if the event crossed the limit."""
        if self._data_size == 0:
            self._data_size = len(self._data[0])
        self._data_size += len(line) + 1
        if self._data_size > self.limit:
            self._overflow(f"an event with more than {self.limit} bytes of data")
            return True
        return False

    def _too_long(self, lines: list[bytes]) -> bool:
        """For a piece longer than the limit: drop its lines from the first one that is too
        long (the lines before it are still read); True if one is, or the last line is."""
        limit = self.limit
        for position, line in enumerate(lines):
            if len(line) > limit:
                del lines[position:]
                return True
        return self._size > limit

    def _overflow(self, what: str) -> None:
        self.problem = f"{what} (max_chunk_bytes={self.limit})"
        self._pending.clear()
        self._data.clear()
        self._size = self._data_size = 0


class BlankLineFrames:
    """An SSE body split at blank lines, for the checkers, which judge the framing itself.

    Unlike :class:`SSEDecoder` it keeps every byte of a frame (the checkers report padding,
    stray lines and extra blank lines), reads CRLF and lone CR as LF, and remembers the
    event that held the first CR so the checker can report it once. A CR ending a piece may
    be half a CRLF: it waits for the next piece.
    """

    __slots__ = ("_buffer", "_held", "carriage")

    def __init__(self) -> None:
        self._buffer = bytearray()  # the frame being received
        self._held = b""  # a CR that ended the last piece
        self.carriage = 0
        """The event number holding the first CR (0: none yet; the checker sets -1 once it
        reported it)."""

    def split(self, data: bytes, *, last: bool, events: int) -> list[bytes]:
        """The frames ``data`` completes (without their blank line); ``events`` is how many
        events the checker counted so far (to number the first CR)."""
        piece = self._held + data
        self._held = b""
        if piece.endswith(b"\r") and not last:
            piece, self._held = piece[:-1], b"\r"
        buffer = self._buffer
        if b"\r" in piece:
            if not self.carriage:
                before = bytes(buffer[-1:]) + piece[: piece.find(b"\r")]
                self.carriage = events + 1 + before.count(b"\n\n")
            piece = piece.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        search = max(0, len(buffer) - 1)  # a blank line may straddle the two pieces
        buffer += piece
        frames: list[bytes] = []
        taken = 0
        while (end := buffer.find(b"\n\n", search)) >= 0:
            frames.append(bytes(buffer[taken:end]))
            taken = search = end + 2
        del buffer[:taken]
        return frames

    def rest(self) -> bytes:
        """What is left after the last blank line (call after the last :meth:`split`)."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        return rest
