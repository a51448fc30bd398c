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
"""

from __future__ import annotations

from typing import Final

__all__ = ["SSEDecoder", "SSEEvent"]

SSEEvent = tuple["str | None", bytes]
"""``(event name or None, data)`` of one dispatched event."""

_BOM: Final = b"\xef\xbb\xbf"


class SSEDecoder:
    """Decode an SSE body given in pieces (see the module docstring)."""

    __slots__ = ("_data", "_event", "_fresh", "_pending")

    def __init__(self) -> None:
        self._pending: list[bytes] = []  # the incomplete last line, in parts (no quadratic joins)
        self._data: list[bytes] = []  # data lines of the event being read
        self._event: str | None = None
        self._fresh = True  # no line read yet (byte-order mark check)

    def feed(self, piece: bytes) -> list[SSEEvent]:
        """Take the next piece of the body; return the events it completes."""
        pending = self._pending
        if b"\n" not in piece and b"\r" not in piece:
            if not piece:
                return []
            if not (pending and pending[-1].endswith(b"\r")):
                pending.append(piece)
                return []
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
        if self._fresh and lines:
            self._fresh = False
            if lines[0].startswith(_BOM):
                lines[0] = lines[0][3:]
        out: list[SSEEvent] = []
        data = self._data
        for line in lines:
            if not line:  # half of all lines: test it first
                if data:
                    out.append((self._event, data[0] if len(data) == 1 else b"\n".join(data)))
                    data.clear()
                self._event = None
            elif line.startswith(b"data:"):
                data.append(line[6:] if line[5:6] == b" " else line[5:])
            elif line[0] != 58:  # not a ":" comment
                self._field(line)
        return out

    def feed_line(self, line: bytes) -> list[SSEEvent]:
        """Take one line without its terminator; return the event a blank line completes."""
        if self._fresh:
            self._fresh = False
            if line.startswith(_BOM):
                line = line[3:]
        line = line.rstrip(b"\r\n")
        if line.startswith(b"data:"):
            self._data.append(line[6:] if line[5:6] == b" " else line[5:])
        elif not line:
            return self._dispatch()
        elif line[0] != 58:
            self._field(line)
        return []

    def close(self) -> list[SSEEvent]:
        """End the body. A held final CR is a blank line; an unterminated event is discarded."""
        out = self._dispatch() if b"".join(self._pending) == b"\r" else []
        self._pending.clear()
        self._data.clear()
        self._event = None
        return out

    def _dispatch(self) -> list[SSEEvent]:
        data = self._data
        event = self._event
        self._event = None
        if not data:
            return []
        payload = data[0] if len(data) == 1 else b"\n".join(data)
        data.clear()
        return [(event, payload)]

    def _field(self, line: bytes) -> None:
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"data":  # a bare `data` line: an empty data line
            self._data.append(value)
        # `id`, `retry` and unknown fields carry nothing a chat stream needs.
