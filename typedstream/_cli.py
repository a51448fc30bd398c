"""The ``typedstream`` command: ``events``, ``check``, ``normalize`` and ``demo``.

How it works. Every input command reads its FILE (or ``-``, standard input) in pieces as they
arrive (``os.read`` on the file descriptor: never the whole input at once) and tells SSE from
JSON lines by the file name or, failing that, by the first non-blank bytes (:class:`Sniffer`:
each byte looked at once, O(1) of them kept). The command parses nothing itself: the pieces go
to the library's one decoding layer (``typedstream._reader.Decoder``), so ``[DONE]``,
``event: error``, malformed JSON, a cut-off line and ``max_chunk_bytes`` mean exactly what they
mean to :func:`typedstream.events`. The file is the transport, in either format: a choice it
leaves open was cut off (the normalizer's ``expect_done``). Then:

* ``events`` and ``normalize`` run the decoder and the normalizer (a :class:`Feeder`, as
  ``events()`` does). ``events`` prints each event, ``normalize`` writes each frame of
  :func:`typedstream.to_sse`. Output is flushed before every read that may block, so
  ``curl -N … | typedstream events -`` shows events as chunks arrive.
* ``check`` hands each decoded chunk to a normalizer (which decides how the stream ends, as
  for ``events``) and to the rules (``typedstream._check.Checker``, the one implementation of
  :func:`typedstream.check_openai_chunks`), keeping only counts and the first few findings of
  each rule: memory does not grow with the input.
* ``demo`` is ``typedstream._demo`` (imported only when run: it starts a loopback server).

So the three commands agree on every input: ok, provider error, cut off or bad input (exit
codes 0, 3, 4, 2; ``check`` exits 1 instead when it found deviations). Errors never end in a
traceback: each is one line on standard error. Every control character that came from the
stream is escaped in what the command prints (:func:`safe`, :func:`safe_json`). rich,
pydantic and ``openai`` are imported only by the commands that need them; without rich the
output is plain text.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import signal
import sys
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, TextIO

from ._anthropic_check import ANTHROPIC_RULES, AnthropicChecker
from ._chat_reader import ChatReader
from ._chat_vocab import BOM, DONE, is_map
from ._check import RULES, SSE_RULES, Checker, Deviation
from ._display import event_text
from ._errors import ChunkError, IncompleteStreamError, ProviderError, TypedStreamError
from ._events import StreamEvent
from ._options import MAX_CHUNK_BYTES, ReadOptions
from ._reader import Decoder, Feeder
from ._responses_check import RESPONSES_RULES, ResponsesChecker

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["EXIT_CODES", "main"]

EXIT_OK: Final = 0
EXIT_DEVIATES: Final = 1
EXIT_INPUT: Final = 2
EXIT_PROVIDER_ERROR: Final = 3
EXIT_CUT_OFF: Final = 4
EXIT_BROKEN_PIPE: Final = 141  # 128 + SIGPIPE, what `cat` gives in `cat big | head`
EXIT_INTERRUPTED: Final = 130  # 128 + SIGINT

EXIT_CODES: Final[Mapping[int, str]] = {
    EXIT_OK: "success (check: the stream is OpenAI-exact)",
    EXIT_DEVIATES: "check: the stream deviates from OpenAI's stream semantics",
    EXIT_INPUT: "usage or input error: a missing or unreadable file, malformed JSON, …",
    EXIT_PROVIDER_ERROR: "the stream ended with a provider error",
    EXIT_CUT_OFF: "the stream was cut off before it completed",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
    EXIT_BROKEN_PIPE: "standard output was closed early (e.g. `| head`)",
}
"""Every exit code of the command, with its meaning."""

# In the order the worst file decides the exit code of `check` over several files.
_SEVERITY: Final = (EXIT_INPUT, EXIT_DEVIATES, EXIT_PROVIDER_ERROR, EXIT_CUT_OFF, EXIT_OK)
_PIECE: Final = 1 << 16
_BLANKS: Final = b" \t\r\n"
_SSE_STARTS: Final = (b"data:", b"event:", b"id:", b"retry:", b":")
_NOTHING: Final[list[object]] = []

Format = Literal["sse", "jsonl"]
Protocol = Literal["chat", "anthropic", "responses"]
_PROTOCOLS: Final = ("auto", "chat", "anthropic", "responses")
_TARGETS: Final = ("chat", "anthropic", "responses")
# The event types an Anthropic stream can open with (an error alone included: a chat error
# chunk has no top-level "type").
_ANTHROPIC_FIRST: Final = frozenset({"message_start", "ping", "error"})
_SNIFF_LIMIT: Final = 1 << 20  # bytes read to find the first event (then: chat)
_FORMATS: Final[Mapping[str, Format]] = {"sse": "sse", "jsonl": "jsonl"}
_SUFFIXES: Final[Mapping[str, Format]] = {".sse": "sse", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class InputError(Exception):
    """Input that cannot be read as a chunk stream (exit code 2); the message names it."""


# -- input ----------------------------------------------------------------------------------


@dataclass
class Source:
    """One input: its name for messages, its format, and its bytes as they arrive."""

    name: str
    format: Format
    pieces: Generator[bytes, None, None]
    first_line: int = 1  # the number of the first line in `pieces` (blank lines skipped)

    def close(self) -> None:
        """Stop reading and close the file (idempotent)."""
        self.pieces.close()

    def decoder(self, max_chunk_bytes: int | None) -> Decoder:
        """The library's decoder for this input (the command parses nothing itself)."""
        return Decoder(
            jsonl=self.format == "jsonl",
            max_chunk_bytes=max_chunk_bytes,
            first_line=self.first_line,
        )


def open_source(path: str, fmt: str, before_read: Callable[[], None]) -> Source:
    """Open FILE or ``-`` and detect its format (reading only as far as needed to tell).

    ``before_read`` runs before every read that may block (the commands flush their output).
    The file is closed when its pieces are read to the end or the iteration is closed.
    Raises :class:`InputError` for a file that cannot be opened or a format that cannot be told.
    """
    if path == "-":
        name = "<stdin>"
        pieces = _pieces(name, _stdin_reader(name), before_read)
    else:
        name = path
        try:
            file = open(path, "rb", buffering=0)  # noqa: SIM115 (closed by _pieces)
        except OSError as exc:
            raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from None
        pieces = _pieces(name, lambda: file.read(_PIECE) or b"", before_read, file.close)
    chosen = _FORMATS.get(fmt)
    if chosen is None and path != "-":
        chosen = _SUFFIXES.get(os.path.splitext(path)[1].lower())
    if chosen is not None:
        return Source(name, chosen, pieces)
    sniffer = Sniffer(name)
    try:
        for piece in pieces:
            found = sniffer.feed(piece)
            if found is not None:
                break
    except InputError:
        pieces.close()
        raise
    chosen = sniffer.format or "jsonl"  # empty or blank: no chunks either way
    return Source(name, chosen, _prepend(sniffer.head(chosen), pieces), sniffer.newlines + 1)


def _stdin_reader(name: str) -> Callable[[], bytes]:
    stdin = sys.stdin
    if stdin is None:
        raise InputError(f"{name}: there is no standard input")
    try:
        fd = stdin.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        # Not a real file (stdin replaced in-process): read what it offers, piece by piece.
        buffer: Any = getattr(stdin, "buffer", None)
        if buffer is not None:
            return lambda: bytes(getattr(buffer, "read1", buffer.read)(_PIECE))
        return lambda: stdin.read(_PIECE).encode()
    # os.read returns as soon as any bytes are there: no waiting for a buffer to fill.
    return lambda: os.read(fd, _PIECE)


def _pieces(
    name: str,
    read: Callable[[], bytes],
    before_read: Callable[[], None],
    close: Callable[[], None] | None = None,
) -> Generator[bytes, None, None]:
    try:
        while True:
            if _ctrl_c.seen:  # a Ctrl-C whose KeyboardInterrupt Python dropped (see _CtrlC)
                raise KeyboardInterrupt
            before_read()
            try:
                piece = read()
            except OSError as exc:
                raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
            if not piece:
                return
            yield piece
    finally:
        if close is not None:
            close()


def _prepend(head: bytes, pieces: Generator[bytes, None, None]) -> Generator[bytes, None, None]:
    try:
        if head:
            yield head
        yield from pieces
    finally:
        pieces.close()


class Sniffer:
    """Tell SSE from JSON lines by the first non-blank bytes, in O(1) memory.

    Blank bytes before them (any amount: a keep-alive stream may start with many) are
    looked at once and not kept: only what they mean is — how many lines they end (for the
    line numbers of JSON lines), whether they end a line at all, and whether the first
    non-blank line is indented (for SSE, an indented ``data:`` is no field). :meth:`head`
    then gives bytes that read exactly as the skipped ones followed by what was kept.
    """

    __slots__ = (
        "_lead",
        "_started",
        "ended",
        "format",
        "indented",
        "kept",
        "name",
        "newlines",
        "scanned",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self._lead: bytes = b""  # the first bytes, while they may be a byte-order mark
        self._started: bool = False  # past the byte-order mark
        self.kept: bytes = b""  # the non-blank bytes read so far (a few while they do not tell)
        self.newlines: int = 0  # LFs in the blank start
        self.ended: bool = False  # the blank start ends a line
        self.indented: bool = False  # blanks after its last line end: the next line is indented
        self.format: Format | None = None
        self.scanned: int = 0  # bytes looked at: each byte of the input once, at most

    def feed(self, piece: bytes) -> Format | None:
        """Take the next piece; return the format once the bytes tell it.

        Raises :class:`InputError` when they start with something neither format starts with.
        """
        self.scanned += len(piece)
        if not self._started:
            piece = self._lead + piece
            if len(piece) < len(BOM) and BOM.startswith(piece):
                self._lead = piece
                return None
            self._started = True
            self._lead = b""
            piece = piece.removeprefix(BOM)
        if not self.kept:
            rest = piece.lstrip(_BLANKS)
            blank = len(piece) - len(rest)
            if blank:
                self.newlines += piece.count(b"\n", 0, blank)
                end = max(piece.rfind(b"\n", 0, blank), piece.rfind(b"\r", 0, blank))
                if end >= 0:
                    self.ended = True
                    self.indented = end < blank - 1
                else:
                    self.indented = True
            if not rest:
                return None
            piece = rest
        self.kept += piece  # only while it is a few bytes that do not tell yet
        self.format = self._tell()
        return self.format

    def head(self, chosen: Format) -> bytes:
        """What to read before the rest of the input, in place of what was read."""
        if chosen == "jsonl":
            return self._lead + self.kept  # blank lines are skipped; `newlines` numbers them
        return (b"\n" if self.ended else b"") + (b" " if self.indented else b"") + self.kept

    def _tell(self) -> Format | None:
        start = self.kept
        if start[:1] in (b"{", b"["):
            return "jsonl"
        if start.startswith(_SSE_STARTS):
            return "sse"
        if not any(p.startswith(start) for p in _SSE_STARTS):
            raise InputError(
                f"{self.name}: cannot tell the format: it starts with {start[:20]!r}, neither "
                "SSE (data: …) nor JSON lines ({…}); pass --format"
            )
        return None


# -- output ---------------------------------------------------------------------------------


class Output:
    """Where a command prints: plain text, or rich when it is installed and wanted."""

    def __init__(self, color: str, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.console: Console | None = None
        reconfigure = getattr(self.stream, "reconfigure", None)
        if reconfigure is not None and getattr(self.stream, "errors", None) == "strict":
            # A terminal that cannot show a character gets an escape, not a traceback.
            reconfigure(errors="backslashreplace")
        if color == "never":
            return
        if color == "auto" and not (_isatty(self.stream) or os.environ.get("FORCE_COLOR")):
            return
        try:
            from rich.console import Console
        except ImportError:
            if color == "always":
                _warn("rich is not installed (pip install 'typedstream[cli]'): plain output")
            return
        self.console = Console(
            file=self.stream,
            highlight=False,
            soft_wrap=True,
            force_terminal=True if color == "always" else None,
        )

    def line(self, text: str, style: str = "") -> None:
        """Print one line; control characters in it (from the stream) are escaped."""
        text = safe(text)
        if self.console is not None:
            from rich.text import Text

            self.console.print(Text(text, style=style))
        else:
            self.stream.write(text + "\n")

    def event(self, event: StreamEvent) -> None:
        if self.console is not None:
            self.console.print(event_text(event))
        else:
            self.stream.write(repr(event) + "\n")

    def flush(self) -> None:
        self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (ValueError, OSError):
        return False


def safe(text: str) -> str:
    """``text`` with every control character escaped (``\\x1b``, ``\\n``, ``\\u202e``):
    what came from the stream can neither drive the terminal nor span lines."""
    return text.translate(_ESCAPES)


def _escape(code: int) -> str:
    return {9: "\\t", 10: "\\n", 13: "\\r"}.get(
        code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    )


# C0, DEL, C1, and the bidirectional overrides and isolates, which reorder what is shown.
_ESCAPES: Final = {
    code: _escape(code)
    for code in (*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


# C1 and bidirectional controls left raw in JSON (``ensure_ascii=False``): UTF-8 sequences
# that occur only inside JSON strings, where a \\u escape means the same.
_RAW_IN_JSON: Final = re.compile(rb"\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def safe_json(data: bytes) -> bytes:
    """JSON text (UTF-8) with the control characters JSON leaves raw written as escapes:
    the same JSON value, and nothing that drives a terminal."""
    if b"\xc2" not in data and b"\xe2" not in data:
        return data
    return _RAW_IN_JSON.sub(lambda m: b"\\u%04x" % ord(m.group().decode()), data)


def _warn(message: str) -> None:
    print(f"typedstream: {safe(message)}", file=sys.stderr, flush=True)


def _fail(name: str, message: str) -> None:
    _warn(f"{name}: {message}")  # one line, whatever the message holds


def _stream_error_code(exc: TypedStreamError) -> int:
    if isinstance(exc, ProviderError):
        return EXIT_PROVIDER_ERROR
    if isinstance(exc, IncompleteStreamError):
        return EXIT_CUT_OFF
    return EXIT_INPUT  # ChunkError: the input is malformed


# -- events ---------------------------------------------------------------------------------


def _events_of(
    source: Source, args: argparse.Namespace, *, raw: bool = False, done_events: bool = False
) -> Iterator[StreamEvent]:
    """The events of ``source``: the library's decoder and normalizer, as ``events()`` runs
    them (the file is the transport: a choice it leaves open was cut off, in either format)."""
    options = ReadOptions(
        strict=args.strict,
        assume_complete=args.assume_complete,
        expect_done=True,
        defer_tool_call_done=args.defer_tool_call_done,
        raw=raw,
        done_events=done_events,
        max_chunk_bytes=args.max_chunk_bytes,
        protocol=args.protocol,
    )
    feeder = Feeder(options, decoder=source.decoder(options.max_chunk_bytes))
    for piece in source.pieces:
        yield from feeder.item(piece)
        if feeder.done:
            break
    yield from feeder.close()


def run_events(args: argparse.Namespace) -> int:
    """``typedstream events``: print the typed events of FILE as they arrive."""
    if args.json:
        from ._events import event_to_json

        out = sys.stdout.buffer
        flush = out.flush
        source = open_source(args.file, args.format, flush)

        def show(event: StreamEvent) -> None:
            out.write(safe_json(event_to_json(event).encode()) + b"\n")

    else:
        output = Output(args.color)
        flush = output.flush
        source = open_source(args.file, args.format, flush)
        show = output.event
    try:
        for event in _events_of(source, args, raw=args.raw, done_events=args.done_events):
            show(event)
    except TypedStreamError as exc:
        flush()
        _fail(source.name, str(exc))
        return _stream_error_code(exc)
    finally:
        source.close()
    flush()
    return EXIT_OK


# -- normalize ------------------------------------------------------------------------------


def run_normalize(args: argparse.Namespace) -> int:
    """``typedstream normalize``: write the exact SSE of FILE in the ``--to`` protocol, frame
    by frame."""
    out = sys.stdout.buffer
    source = open_source(args.file, args.format, out.flush)
    frames = _frames(_events_of(source, args), args)
    try:
        for frame in frames:
            out.write(safe_json(frame))
            out.flush()
    except TypedStreamError as exc:
        _fail(source.name, str(exc))
        return _stream_error_code(exc)
    finally:
        source.close()
    return EXIT_OK


def _frames(events: Iterator[StreamEvent], args: argparse.Namespace) -> Iterator[bytes]:
    if args.to == "anthropic":
        from ._anthropic_out import to_anthropic_sse

        # An error ends the body with Anthropic's error event (always: rule B8).
        return to_anthropic_sse(events, id=args.id, model=args.model)
    if args.to == "responses":
        from ._responses_out import to_responses_sse

        # An error ends the body with `error` and `response.failed` (rules R6, R9).
        return to_responses_sse(events, id=args.id, model=args.model, created_at=args.created)
    from ._openai_out import to_sse

    return to_sse(
        events,
        error_frame=args.error_frame,
        keep_extensions=args.keep_extensions,
        include_usage=args.usage,
        id=args.id,
        model=args.model,
        created=args.created,
    )


# -- check ----------------------------------------------------------------------------------


@dataclass
class Group:
    """The deviations of one rule in one input: how many, and the first few."""

    rule: str
    chunk: int  # the first chunk that broke it (0: the end of the stream)
    count: int = 0
    first: list[Deviation] = field(default_factory=list[Deviation])


@dataclass
class Report:
    """What ``check`` found in one input: the deviations by rule, and how the stream ended.

    The ending is what :func:`typedstream.events` makes of the same input (the command
    reads it through the same decoder and normalizer), so ``events``, ``normalize`` and
    ``check`` never disagree on it.
    """

    name: str
    format: Format
    partial: bool = False
    examples: int = 3  # deviations kept (and printed) per rule
    rules: frozenset[str] | None = None  # report only these rules (None: all)
    ignore: frozenset[str] = frozenset()
    chunks: int = 0
    done: bool = False
    error: ProviderError | None = None
    cut: IncompleteStreamError | None = None
    bad: ChunkError | None = None
    count: int = 0  # deviations reported
    ignored: int = 0  # deviations filtered out
    groups: dict[str, Group] = field(default_factory=dict[str, Group])
    protocol: Protocol = "chat"  # whose rules: the chat ones, or ANTHROPIC_RULES per event

    def add(self, deviation: Deviation) -> None:
        """Count a deviation (unless filtered out), keeping the first few of its rule."""
        rule = deviation.rule
        if rule in self.ignore or (self.rules is not None and rule not in self.rules):
            self.ignored += 1
            return
        self.count += 1
        group = self.groups.get(rule)
        if group is None:
            group = self.groups[rule] = Group(rule, deviation.chunk)
        group.count += 1
        if len(group.first) < self.examples:
            group.first.append(deviation)

    @property
    def ending(self) -> int:
        """How the stream ended, as the exit code of ``events`` on the same input."""
        if self.bad is not None:
            return EXIT_INPUT
        if self.error is not None:
            return EXIT_PROVIDER_ERROR
        return EXIT_CUT_OFF if self.cut is not None else EXIT_OK

    @property
    def code(self) -> int:
        """The exit code of ``check`` for this input."""
        if self.bad is None and self.count:
            return EXIT_DEVIATES
        return self.ending


def check_source(
    source: Source,
    *,
    partial: bool = False,
    max_chunk_bytes: int | None = MAX_CHUNK_BYTES,
    examples: int = 3,
    rules: frozenset[str] | None = None,
    ignore: frozenset[str] = frozenset(),
) -> Report:
    """Read ``source`` through the library's decoder and check each chunk as it comes.

    Nothing is kept per chunk: each is checked (:class:`typedstream._check.Checker`) and fed
    to a :class:`~typedstream.Normalizer`, which decides how the stream ends exactly as
    :func:`typedstream.events` does. An error payload is reported, not checked, and ends the
    stream; so does a chunk typedstream cannot read (after it was checked). The chunks
    before such an end, or before a cut, are checked as a prefix.
    """
    report = Report(source.name, source.format, partial, examples, rules, ignore)
    checker = Checker(report.add)
    normalizer = ChatReader(expect_done=True)
    decoder = source.decoder(max_chunk_bytes)
    feed = normalizer.feed

    def sink(chunk: object) -> list[object]:
        try:
            feed(chunk)
        except ChunkError:
            checker.chunk(chunk)
            raise
        if normalizer.error is not None:  # an error payload ends the stream, unchecked
            raise normalizer.error
        checker.chunk(chunk)
        return _NOTHING

    checked = 0
    try:
        _read_to_the_end(source, decoder, sink, normalizer, report)
    except ProviderError as exc:
        report.error = exc
    except IncompleteStreamError as exc:
        if not partial:
            report.cut = exc
    except ChunkError as exc:
        report.bad = exc
    else:
        checked = checker.n
        if not partial:
            checker.end()
            if source.format == "sse" and not report.done:
                checker.n = 0
                checker.flag("missing-done", "", None, "the body ends without data: [DONE]")
    if report.bad is not None and report.bad.chunk:
        report.chunks = report.bad.chunk - 1
    else:
        report.chunks = checked or checker.n
    return report


@dataclass(frozen=True)
class _EventProtocol:
    """How ``check`` reads one event protocol: its checker, rules and complete ending."""

    name: Protocol
    rules: Mapping[str, str]
    exact: str  # what a clean stream is called
    end: str  # the event that ends a complete stream
    cut_rules: frozenset[str]  # end-of-stream findings that only say "cut off"


_EVENT_PROTOCOLS: Final[Mapping[str, _EventProtocol]] = {
    "anthropic": _EventProtocol(
        "anthropic", ANTHROPIC_RULES, "Anthropic-exact", "message_stop", frozenset({"B1", "B6"})
    ),
    "responses": _EventProtocol(
        "responses",
        RESPONSES_RULES,
        "Responses-exact",
        "a terminal event",
        frozenset({"R5", "R6", "R24"}),
    ),
}


def check_events_source(
    source: Source,
    protocol: str,
    *,
    partial: bool = False,
    max_chunk_bytes: int | None = MAX_CHUNK_BYTES,
    examples: int = 3,
    rules: frozenset[str] | None = None,
    ignore: frozenset[str] = frozenset(),
) -> Report:
    """Check an Anthropic Messages or OpenAI Responses stream event by event.

    An SSE body goes to the protocol's checker as bytes, so its framing is checked too; JSON
    lines are decoded by the library's decoder and checked as events. An ``error`` event ends
    the stream as a provider error; a stream that ends without its complete ending was cut
    off (exit 4, as for chat) unless ``partial``, and is checked as a prefix either way.
    """
    spec = _EVENT_PROTOCOLS[protocol]
    report = Report(source.name, source.format, partial, examples, rules, ignore)
    report.protocol = spec.name
    held: list[Deviation] = []  # the end-of-stream findings, known only at the end
    watch = _Watch()
    checker = (
        _AnthropicWatch(report.add, watch)
        if spec.name == "anthropic"
        else _ResponsesWatch(report.add, watch)
    )
    try:
        if source.format == "sse":
            for piece in source.pieces:
                checker.feed_sse(piece)
        else:
            _decode_events(source, checker, max_chunk_bytes)
    except ChunkError as exc:
        report.bad = exc
    finally:
        source.close()
    checker.sink = held.append
    checker.close()
    report.chunks = checker.n
    if report.bad is not None:
        return report
    if watch.error is not None:
        report.error = ProviderError(watch.error, watch.at)
    ended = checker.ended is not None
    for deviation in held:
        if deviation.chunk == 0 and deviation.rule in spec.cut_rules and not ended:
            continue  # a stream cut off is checked as a prefix, not as a whole
        report.add(deviation)
    if not ended and not partial:
        report.cut = IncompleteStreamError(f"the stream ends without {spec.end}")
    return report


class _Watch:
    """The payload and number of the first ``error`` event, for the report."""

    __slots__ = ("at", "error")

    def __init__(self) -> None:
        self.error: object | None = None
        self.at = 0

    def see(self, data: object, number: int, ended: bool) -> None:
        if self.error is None and not ended and is_map(data) and data.get("type") == "error":
            self.error, self.at = data.get("error", data), number


class _AnthropicWatch(AnthropicChecker):
    __slots__ = ("watch",)

    def __init__(self, sink: Callable[[Deviation], object], watch: _Watch) -> None:
        super().__init__(sink)
        self.watch = watch

    def event(self, data: object) -> None:
        self.watch.see(data, self.n, self.ended is not None)
        super().event(data)


class _ResponsesWatch(ResponsesChecker):
    __slots__ = ("watch",)

    def __init__(self, sink: Callable[[Deviation], object], watch: _Watch) -> None:
        super().__init__(sink)
        self.watch = watch

    def event(self, data: object) -> None:
        self.watch.see(data, self.n, self.ended is not None)
        super().event(data)


def _decode_events(
    source: Source, checker: AnthropicChecker | ResponsesChecker, limit: int | None
) -> None:
    decoder = source.decoder(limit)
    out: list[object] = []

    def sink(item: object) -> list[object]:
        checker.feed(item)
        return _NOTHING

    for piece in source.pieces:
        decoder.feed(piece, sink, out)
    decoder.close(sink, out)


class _Found(Exception):
    """The first event was decoded (stops :func:`sniff_protocol`'s decoder)."""


def sniff_protocol(source: Source, max_chunk_bytes: int | None) -> tuple[Protocol, Source]:
    """Whose stream ``source`` is, by its first event; the source is given back unread.

    Anthropic when the first item the library's decoder gives is an object with a top-level
    ``type`` an Anthropic stream opens with (``message_start``, ``ping``, ``error``; a chat
    error chunk has no ``type``), else chat. Reads up to that item, at most 1 MiB; input the
    decoder cannot read is left to the chat check to report.
    """
    decoder = source.decoder(max_chunk_bytes)
    first: list[object] = []

    def sink(item: object) -> list[object]:
        first.append(item)
        raise _Found

    kept: list[bytes] = []
    size = 0
    pieces = source.pieces
    try:
        for piece in pieces:
            kept.append(piece)
            size += len(piece)
            decoder.feed(piece, sink, [])
            if size > _SNIFF_LIMIT:
                break
        else:
            decoder.close(sink, [])
    except (_Found, TypedStreamError):
        pass
    source.pieces = _prepend(b"".join(kept), pieces)
    item = first[0] if first else None
    if is_map(item) and "choices" not in item:
        kind = item.get("type")
        if isinstance(kind, str) and kind in _ANTHROPIC_FIRST:
            return "anthropic", source
        if isinstance(kind, str) and kind.startswith("response."):
            return "responses", source
    return "chat", source


def _read_to_the_end(
    source: Source,
    decoder: Decoder,
    sink: Callable[[object], list[object]],
    normalizer: ChatReader,
    report: Report,
) -> None:
    """Decode ``source`` into ``sink`` up to ``[DONE]`` or its end, then end the stream
    (unless the input is only a prefix); the source is closed whatever happens."""
    out: list[object] = []
    try:
        for piece in source.pieces:
            decoder.feed(piece, sink, out)
            if decoder.done:
                break
        else:
            decoder.close(sink, out)
        if decoder.done:
            report.done = True
            normalizer.feed(DONE)
        elif not report.partial:
            normalizer.close()
    finally:
        source.close()  # what follows [DONE] or the error is not read


def run_check(args: argparse.Namespace) -> int:
    """``typedstream check``: report how each FILE deviates from OpenAI's stream semantics."""
    output = Output(args.color)
    codes: list[int] = []
    anthropic = False  # some input was an event protocol's (the summary says "exact")
    for path in args.files:
        try:
            report = _check_one(path, args, output)
            anthropic = anthropic or report.protocol != "chat"
        except InputError as exc:
            output.flush()
            _warn(str(exc))
            codes.append(EXIT_INPUT)
            continue
        if len(codes) > codes.count(EXIT_INPUT):
            output.line("")  # between reports
        _print_report(output, report)
        codes.append(report.code)
    if len(codes) > 1:
        exact = codes.count(EXIT_OK)
        output.line("")
        output.line(
            f"{len(codes)} files: {exact} {'exact' if anthropic else 'OpenAI-exact'}, "
            f"{len(codes) - exact} not",
            "bold green" if exact == len(codes) else "bold red",
        )
    output.flush()
    return min(codes, key=_SEVERITY.index)


def _check_one(path: str, args: argparse.Namespace, output: Output) -> Report:
    source = open_source(path, args.format, output.flush)
    protocol: str = args.protocol
    if protocol == "auto":
        protocol, source = sniff_protocol(source, args.max_chunk_bytes)
    rules = frozenset(args.rule) if args.rule else None
    ignore = frozenset(args.ignore)
    if protocol == "chat":
        return check_source(
            source,
            partial=args.partial,
            max_chunk_bytes=args.max_chunk_bytes,
            examples=args.limit,
            rules=rules,
            ignore=ignore,
        )
    return check_events_source(
        source,
        protocol,
        partial=args.partial,
        max_chunk_bytes=args.max_chunk_bytes,
        examples=args.limit,
        rules=rules,
        ignore=ignore,
    )


def _print_report(output: Output, report: Report) -> None:
    groups = sorted(report.groups.values(), key=lambda g: g.chunk or 1 << 62)
    for group in groups:
        output.line(_group_line(group), "bold red")
        for deviation in group.first:
            output.line("  " + _deviation_line(deviation), "red")
        if group.count > len(group.first):
            output.line(f"  … {group.count - len(group.first)} more", "dim")
    if report.bad is not None:
        output.flush()
        _fail(report.name, str(report.bad))
    elif report.error is not None:
        unit = "chunk" if report.protocol == "chat" else "event"
        message = str(report.error).replace("chunk", unit, 1)
        output.line(
            f"{message} (the stream ended here; the {unit}s before it are checked as a "
            "stream cut off there)",
            "yellow",
        )
    elif report.cut is not None:
        output.line(
            f"end of input: {report.cut} (the stream was cut off; its chunks are checked as "
            "a prefix)",
            "yellow",
        )
    output.line(_verdict(report), "bold green" if report.code == EXIT_OK else "bold red")


def _group_line(group: Group) -> str:
    unit = group.first[0].unit if group.first else "chunk"
    where = f"first in {unit} {group.chunk}" if group.chunk else "at the end of the stream"
    count = f"{group.count} deviation{'' if group.count == 1 else 's'}"
    if unit == "event":
        meaning = _EVENT_PROTOCOLS[group.first[0].protocol].rules[group.rule]
    else:
        meaning = RULES.get(group.rule) or SSE_RULES[group.rule]
    return f"{group.rule}: {count}, {where}: {meaning}"


def _deviation_line(deviation: Deviation) -> str:
    place = f"{deviation.unit} {deviation.chunk}" if deviation.chunk else "end of stream"
    where = f" at {deviation.path}" if deviation.path else ""
    return f"{place}{where}: {deviation.message}"


def _verdict(report: Report) -> str:
    spec = _EVENT_PROTOCOLS.get(report.protocol)
    unit = "chunk" if spec is None else "event"
    exact = "OpenAI-exact" if spec is None else spec.exact
    chunks = f"{report.chunks} {unit}{'' if report.chunks == 1 else 's'}"
    ignored = f" ({report.ignored} more ignored)" if report.ignored else ""
    end = ""
    if report.bad is not None:
        end = f"; then {unit} {report.bad.chunk} could not be read"
    elif report.error is not None:
        end = f"; then a provider error at {unit} {report.error.chunk}"
    elif report.cut is not None:
        end = "; the stream was cut off"
    count = report.count
    if count:
        rules = len(report.groups)
        return (
            f"{report.name}: not {exact}: {count} deviation{'' if count == 1 else 's'} "
            f"({rules} rule{'' if rules == 1 else 's'}) in {chunks}{ignored}{end}"
        )
    if report.bad is not None:
        return (
            f"{report.name}: no deviations in the {chunks} before {unit} {report.bad.chunk}, "
            f"which could not be read{ignored}"
        )
    if report.error is not None:
        return (
            f"{report.name}: no deviations in the {chunks} before the provider error "
            f"at {unit} {report.error.chunk}{ignored}"
        )
    if report.cut is not None:
        return f"{report.name}: no deviations in {chunks}{ignored}, but the stream was cut off"
    if report.partial:
        return f"{report.name}: {exact} so far ({chunks}, checked as a prefix){ignored}"
    return f"{report.name}: {exact} ({chunks}){ignored}"


# -- the parser -----------------------------------------------------------------------------


def _exit_help(precisely: Mapping[int, str] | None = None) -> str:
    """The exit-code table of a help page: ``EXIT_CODES``, some said more precisely ("": none)."""
    lines = ["exit codes:"]
    for code, general in EXIT_CODES.items():
        meaning = (precisely or {}).get(code, general)
        if meaning:
            lines.append(f"  {code:<3}  {meaning}")
    return "\n".join(lines)


_EXIT_HELP: Final = _exit_help()
_STREAM_EXIT_HELP: Final = _exit_help(
    {
        0: "the stream completed",
        1: "",
        2: "usage or input error: a missing or unreadable file, malformed JSON, a chunk\n"
        "       typedstream cannot read, more than --max-chunk-bytes (ChunkError)",
        3: "the stream ended with a provider error (ProviderError)",
        4: "the stream was cut off before it completed, in either format: a choice left\n"
        "       open, no chunks, a JSON line cut in the middle (IncompleteStreamError)",
    }
)
_CHECK_EXIT_HELP: Final = _exit_help(
    {
        0: "the stream is OpenAI-exact",
        1: "it deviates from OpenAI's stream semantics",
        2: "usage or input error: a missing or unreadable file, malformed JSON, a chunk\n"
        "       typedstream cannot read, more than --max-chunk-bytes",
        3: "no deviations before the provider error that ended the stream",
        4: "no deviations, but the stream was cut off (a choice left open, no chunks, a\n"
        "       JSON line cut in the middle)",
    }
)

_MAIN_EPILOG: Final = f"""\
examples:
  typedstream events recording.sse          the typed events, one per line
  curl -N … | typedstream events -          …as the chunks arrive
  typedstream check proxy_output.sse        is it exactly what OpenAI sends?
  typedstream normalize litellm.jsonl       the exact OpenAI SSE of any stream
  typedstream demo                          a real LiteLLM stream, offline

Input: an SSE body (.sse), JSON lines (.jsonl: one chunk per line), or - for standard
input; told apart by the first bytes when the name does not say.

{_EXIT_HELP}
"""

_EVENTS_EPILOG: Final = f"""\
examples:
  typedstream events recording.sse
  typedstream events --json chunks.jsonl | jq -c 'select(.kind == "tool_call_done")'
  curl -sN https://… -d @request.json | typedstream events -

With --json every line is one event as JSON with its "kind"; pydantic rebuilds it:
  TypeAdapter(typedstream.StreamEvent).validate_json(line)

{_STREAM_EXIT_HELP}
"""

_CHECK_EPILOG: Final = f"""\
examples:
  typedstream check recording.sse
  typedstream check *.jsonl --limit 20
  typedstream check --ignore non-openai-key --ignore null-key litellm.jsonl
  curl -sN http://127.0.0.1:4000/v1/chat/completions … | typedstream check -

The findings are grouped by rule: a line with the rule id, how many times it was broken, the
first chunk that broke it and what the rule means, then the first deviations (--limit, 3 by
default), each with its chunk number (1-based), where in the chunk, and what is there. The
chunks are checked up to data: [DONE]. The stream ends as it ends for `typedstream events`:
a provider error payload (a chunk with a top-level "error", or an SSE "event: error") is
reported, not checked, and the chunks before it are checked as a stream cut off there (exit 3
when they conform); so are the chunks of a stream cut off (exit 4 when they conform); a chunk
typedstream cannot read is an input error (exit 2). An SSE body whose choices all finished but
that lacks data: [DONE] breaks the rule missing-done. Several files: the exit code is that of
the worst one (2, 1, 3, 4, 0 from worst to best).

{_CHECK_EXIT_HELP}
"""

_NORMALIZE_EPILOG: Final = f"""\
examples:
  typedstream normalize litellm_stream.jsonl > exact.sse
  typedstream normalize --keep-extensions deepseek.sse
  typedstream normalize recording.sse | typedstream check -

Frames are written as they are made. When the stream fails (a provider error, a cut-off
stream), what came before is on standard output, no data: [DONE] is written, the error is one
line on standard error, and the exit code says which (3, 4; 2 for unreadable input).

{_STREAM_EXIT_HELP}
"""


def _choice(flag: str, choices: tuple[str, ...], help: str) -> argparse.ArgumentParser:
    """A parent parser with one option taking one of ``choices`` (the first by default)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(flag, choices=choices, default=choices[0], help=help)
    return parent


def _protocol_option() -> argparse.ArgumentParser:
    """The `--from` option (also spelled `--protocol`): the input's wire protocol."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--from",
        "--protocol",
        dest="protocol",
        choices=_PROTOCOLS,
        default="auto",
        help="the input's wire protocol: chat (OpenAI chunks), anthropic (Messages events) or "
        "responses (Responses events); auto (the default) tells them by the first event",
    )
    return parent


def _stream_arguments() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("how the stream is read (typedstream.events options)")
    group.add_argument(
        "--strict",
        action="store_true",
        help="a changed role, an id change without a name, an unknown finish reason: errors",
    )
    group.add_argument(
        "--assume-complete",
        action="store_true",
        help="the end of the input is a complete end, even without finish reasons or [DONE]",
    )
    group.add_argument(
        "--defer-tool-call-done",
        action="store_true",
        help="report each ToolCallDone at its choice's finish (providers interleaving calls)",
    )
    return parent


def _normalize_options(normalize: argparse.ArgumentParser) -> None:
    """What `normalize` writes: the target protocol and the writer's options."""
    normalize.add_argument(
        "--to",
        choices=_TARGETS,
        default="chat",
        help="the wire protocol written: chat (OpenAI chunks, the default), anthropic "
        "(Messages events) or responses (Responses events)",
    )
    out = normalize.add_argument_group("what is written (typedstream.to_sse options)")
    out.add_argument(
        "--keep-extensions",
        action="store_true",
        help="keep what OpenAI does not send (reasoning_content, provider data, usage extras)",
    )
    out.add_argument(
        "--no-usage",
        dest="usage",
        action="store_false",
        help="leave out the final choices: [] usage chunk",
    )
    out.add_argument("--id", help="the response id on every chunk (default: the stream's)")
    out.add_argument("--model", help="the model on every chunk (default: the stream's)")
    out.add_argument("--created", type=int, metavar="UNIX_TIME", help="created on every chunk")
    out.add_argument(
        "--error-frame",
        action="store_true",
        help='when the stream fails, first write a data: {"error": {...}} frame',
    )


def _parser(demo: bool) -> argparse.ArgumentParser:
    """The command's parser; ``demo``: configure the demo subcommand (imports the demo)."""
    from ._version import __version__

    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="typedstream",
        description="See a chat-completion stream as typed events, check whether it is "
        "exactly what OpenAI sends, and turn it into exactly that.",
        epilog=_MAIN_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"typedstream {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    inputs = _choice(
        "--format",
        ("auto", "sse", "jsonl"),
        "the input format (default: from the file name, else from the first bytes)",
    )
    inputs.add_argument(
        "--max-chunk-bytes",
        type=_positive,
        default=MAX_CHUNK_BYTES,
        metavar="N",
        help="the most bytes one line, SSE event or JSON chunk may hold; more is an input "
        f"error at once (default: {MAX_CHUNK_BYTES} = 16 MiB)",
    )
    color = _choice(
        "--color",
        ("auto", "always", "never"),
        "colour with rich: auto (when installed and printing to a terminal), always, never",
    )
    stream = _stream_arguments()
    file_help = "an SSE body (.sse), JSON lines (.jsonl), or - for standard input"

    protocol = _protocol_option()
    events = commands.add_parser(
        "events",
        parents=[inputs, color, protocol, stream],
        help="print the typed events of a stream, as they arrive",
        description="Print the typed events of a stream (typedstream.events), one per line, "
        "as the chunks arrive.",
        epilog=_EVENTS_EPILOG,
        formatter_class=formatter,
    )
    events.add_argument("file", metavar="FILE", help=file_help)
    events.add_argument(
        "--json", action="store_true", help="one JSON object per event per line (with its kind)"
    )
    events.add_argument(
        "--raw", action="store_true", help="also a RawChunk event with each chunk as received"
    )
    events.add_argument(
        "--done-events",
        action="store_true",
        help="also TextDone, ReasoningDone and RefusalDone when a choice finishes",
    )
    events.set_defaults(run=run_events)

    check = commands.add_parser(
        "check",
        parents=[inputs, color, protocol],
        help="report every deviation from OpenAI's stream semantics",
        description="Check a stream against OpenAI's delta semantics "
        "(typedstream.check_openai_chunks) and report every deviation.",
        epilog=_CHECK_EPILOG,
        formatter_class=formatter,
    )
    check.add_argument("files", metavar="FILE", nargs="+", help=file_help)
    check.add_argument(
        "--partial",
        action="store_true",
        help="the input is the start of a stream: no [DONE] or finished choices required",
    )
    check.add_argument(
        "--limit",
        type=_count,
        default=3,
        metavar="N",
        help="print the first N deviations of each rule (default: 3; the counts count all)",
    )
    every_rule = ", ".join([*RULES, *SSE_RULES, *ANTHROPIC_RULES, *RESPONSES_RULES])
    check.add_argument(
        "--rule",
        action="append",
        default=[],
        type=_rule,
        metavar="RULE",
        help="report only this rule (repeatable)",
    )
    check.add_argument(
        "--ignore",
        action="append",
        default=[],
        type=_rule,
        metavar="RULE",
        help=f"do not report this rule (repeatable). Rules: {every_rule}",
    )
    check.set_defaults(run=run_check)

    normalize = commands.add_parser(
        "normalize",
        parents=[inputs, protocol, stream],
        help="write the exact OpenAI (or Anthropic) SSE of a stream",
        description="Write the SSE body OpenAI would have sent for the stream "
        "(typedstream.to_sse), or with --to anthropic the one Anthropic's Messages API would "
        "have sent (typedstream.to_anthropic_sse), frame by frame.",
        epilog=_NORMALIZE_EPILOG,
        formatter_class=formatter,
    )
    normalize.add_argument("file", metavar="FILE", help=file_help)
    _normalize_options(normalize)
    normalize.set_defaults(run=run_normalize)

    if demo:
        from . import _demo  # only when run: the demo brings a loopback HTTP server

        _demo.configure(commands.add_parser("demo", help="stream a real LiteLLM call with tools"))
    else:
        commands.add_parser("demo", help="stream a real LiteLLM call with tools")
    return parser


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number (0 or more), got {text!r}")
    return value


def _rule(text: str) -> str:
    if not any(text in rules for rules in (RULES, SSE_RULES, ANTHROPIC_RULES, RESPONSES_RULES)):
        raise argparse.ArgumentTypeError(
            f"unknown rule {text!r} (see the rules in typedstream check --help)"
        )
    return text


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


class _CtrlC:
    """Whether Ctrl-C was pressed while the command ran.

    Python drops a ``KeyboardInterrupt`` raised while a finalizer runs (the garbage collector
    closing a generator prints "Exception ignored" and goes on), so the command would read
    on and exit as if the input had ended. The flag is checked before every read and at the
    end, so Ctrl-C always ends the command quietly with exit code 130.
    """

    __slots__ = ("hook", "seen")

    def __init__(self) -> None:
        self.seen = False
        self.hook = sys.unraisablehook

    def handler(self, signum: int, frame: object) -> None:
        self.seen = True
        raise KeyboardInterrupt

    def unraisable(self, info: Any) -> None:
        if not (self.seen and isinstance(info.exc_value, KeyboardInterrupt)):
            self.hook(info)  # only our own dropped interrupt is not worth a traceback

    def install(self) -> Any:
        """Take over SIGINT while it raises KeyboardInterrupt (not where the caller ignores it
        or handles it, nor off the main thread); return the handler to put back, or None."""
        self.seen = False
        try:
            previous = signal.getsignal(signal.SIGINT)
            if previous is not signal.default_int_handler:
                return None
            signal.signal(signal.SIGINT, self.handler)
        except ValueError:  # not the main thread: signals are not ours to handle
            return None
        self.hook, sys.unraisablehook = sys.unraisablehook, self.unraisable
        return previous

    def uninstall(self, previous: Any) -> None:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = self.hook


_ctrl_c: Final = _CtrlC()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``typedstream`` command; return its exit code (see :data:`EXIT_CODES`)."""
    previous = _ctrl_c.install()
    try:
        code = _main(argv)
    finally:
        if previous is not None:
            _ctrl_c.uninstall(previous)
    return EXIT_INTERRUPTED if _ctrl_c.seen else code


def _main(argv: Sequence[str] | None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(demo=_command(arguments) == "demo")
    try:
        try:
            args = parser.parse_args(arguments)
        except SystemExit as exc:  # --help, --version, usage errors
            return exc.code if isinstance(exc.code, int) else EXIT_INPUT
        result: int = args.run(args)
        return result
    except InputError as exc:
        _warn(str(exc))
        return EXIT_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _command(arguments: list[str]) -> str | None:
    return next((a for a in arguments if not a.startswith("-")), None)


def _silence_stdout() -> None:
    # The reader went away: later flushes (at exit too) must not raise again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
