"""The ``typedstream`` command: ``events``, ``check``, ``normalize`` and ``demo``.

How it works. Every input command reads its FILE (or ``-``, standard input) in pieces as they
arrive (``os.read`` on the file descriptor: never the whole input at once) and tells SSE from
JSON lines by the file name or, failing that, by the first non-blank bytes. Then:

* ``events`` and ``normalize`` hand the input to :func:`typedstream.events`: an SSE body as its
  raw bytes (the library's own SSE reader, so ``[DONE]`` and ``event: error`` mean exactly what
  they mean to ``events(body)``), JSON lines as one decoded chunk per line. ``events`` prints
  each event, ``normalize`` writes each frame of :func:`typedstream.to_sse`. Output is flushed
  before every read that may block, so ``curl -N … | typedstream events -`` shows events as
  chunks arrive.
* ``check`` decodes the chunks, stops at ``[DONE]`` or at an error payload, and hands them to
  :func:`typedstream.check_openai_chunks`, the one implementation of the rules; the command
  only reads input and prints the report.
* ``demo`` is ``typedstream._demo`` (imported only when run: it starts a loopback server).

Errors never end in a traceback: input that cannot be read is one line on standard error and
exit code 2; a stream that fails (a provider error, a cut-off stream) is one line and exit
code 3 or 4 (see ``EXIT_CODES``). rich, pydantic and ``openai`` are imported only by the
commands that need them; without rich the output is plain text.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, TextIO

import jiter

from ._check import RULES, Deviation, check_openai_chunks, is_map
from ._errors import IncompleteStreamError, ProviderError, TypedStreamError
from ._events import StreamEvent
from ._sse import SSEDecoder

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

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
_BOM: Final = b"\xef\xbb\xbf"
_SSE_STARTS: Final = (b"data:", b"event:", b"id:", b"retry:", b":")
_MAX_VALUE: Final = 160  # characters of an offending value shown in the report

Format = Literal["sse", "jsonl"]
_FORMATS: Final[Mapping[str, Format]] = {"sse": "sse", "jsonl": "jsonl"}
_SUFFIXES: Final[Mapping[str, Format]] = {".sse": "sse", ".jsonl": "jsonl", ".ndjson": "jsonl"}

_STYLES: Final = {
    "stream_started": "bold blue",
    "text_delta": "bold green",
    "reasoning_delta": "bold magenta",
    "refusal_delta": "bold red",
    "tool_call_started": "bold cyan",
    "arguments_delta": "cyan",
    "tool_call_done": "bold yellow",
    "tool_call_incomplete": "bold red",
    "text_done": "green",
    "reasoning_done": "magenta",
    "refusal_done": "red",
    "logprobs": "dim",
    "provider_data": "magenta",
    "choice_finished": "bold blue",
    "usage": "blue",
    "moderation": "blue",
    "raw_chunk": "dim",
}


class InputError(Exception):
    """Input that cannot be read as a chunk stream (exit code 2); the message names it."""


# -- input ----------------------------------------------------------------------------------


@dataclass
class Source:
    """One input: its name for messages, its format, and its bytes as they arrive."""

    name: str
    format: Format
    pieces: Generator[bytes, None, None]

    def close(self) -> None:
        """Stop reading and close the file (idempotent)."""
        self.pieces.close()


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
    head = b""
    if chosen is None:
        try:
            head, chosen = _sniff(name, pieces)
        except InputError:
            pieces.close()
            raise
    return Source(name, chosen, _prepend(head, pieces))


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
    if head:
        yield head
    yield from pieces


def _sniff(name: str, pieces: Iterator[bytes]) -> tuple[bytes, Format]:
    """Read until the first non-blank bytes tell SSE from JSON lines; return what was read."""
    head = b""
    for piece in pieces:
        head += piece
        start = head.removeprefix(_BOM).lstrip()
        if start[:1] in (b"{", b"["):
            return head, "jsonl"
        if start.startswith(_SSE_STARTS):
            return head, "sse"
        if start and not any(p.startswith(start) for p in _SSE_STARTS):
            raise InputError(
                f"{name}: cannot tell the format: it starts with {start[:20]!r}, neither SSE "
                "(data: …) nor JSON lines ({…}); pass --format"
            )
    return head, "jsonl"  # empty or blank: no chunks either way


def jsonl_items(source: Source) -> Iterator[object]:
    """The chunks of JSON lines, decoded, as lines complete; ``"[DONE]"`` ends them."""
    chunk = 0
    for number, line in enumerate(_lines(source.pieces), 1):
        if number == 1:
            line = line.removeprefix(_BOM)
        text = line.strip()
        if not text:
            continue
        chunk += 1
        if text == b"[DONE]":
            yield "[DONE]"
            return
        try:
            yield jiter.from_json(line)  # whitespace around it is fine, and columns stay true
        except ValueError as exc:
            raise InputError(
                f"{source.name}: line {number} (chunk {chunk}): malformed JSON ({exc}): "
                f"{_clip(text)}"
            ) from None


def _lines(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """Lines (without their LF) as they complete; the last one also without a final LF."""
    pending: list[bytes] = []
    for piece in pieces:
        pending.append(piece)
        if b"\n" in piece:
            lines = b"".join(pending).split(b"\n")
            pending[:] = [lines.pop()]
            yield from lines
    last = b"".join(pending)
    if last:
        yield last


def sse_items(source: Source) -> Iterator[object]:
    """The chunks of an SSE body, decoded; ``"[DONE]"`` ends them.

    An ``event: error`` event becomes ``{"error": payload}``, as :func:`typedstream.events`
    reads it.
    """
    decoder = SSEDecoder()

    def decoded() -> Iterator[tuple[str | None, bytes]]:
        for piece in source.pieces:
            yield from decoder.feed(piece)
        yield from decoder.close()

    for chunk, (event, data) in enumerate(decoded(), 1):
        if data.startswith(b"[DONE]"):
            yield "[DONE]"
            return
        try:
            item: Any = jiter.from_json(data)
        except ValueError as exc:
            if event != "error":
                raise InputError(
                    f"{source.name}: chunk {chunk}: malformed JSON ({exc}): {_clip(data)}"
                ) from None
            item = {"message": data.decode("utf-8", "replace")}  # a plain-text error event
        if event == "error" and not (is_map(item) and "error" in item):
            item = {"error": item}
        yield item


def _items(source: Source) -> Iterator[object]:
    return sse_items(source) if source.format == "sse" else jsonl_items(source)


def _clip(text: bytes | str, limit: int = 80) -> str:
    shown = text[:limit]
    return repr(shown) + ("…" if len(text) > limit else "")


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


def event_text(event: StreamEvent) -> Text:
    """An event as rich text: its class name styled by kind, its fields highlighted."""
    from rich.highlighter import ReprHighlighter
    from rich.text import Text

    name = type(event).__name__
    values = Text(repr(event)[len(name) + 1 : -1])  # the dataclass repr: `Name(field=…, …)`
    ReprHighlighter().highlight(values)
    style = _STYLES.get(event.kind, "bold")
    return Text.assemble((name, style), "(", values, ")")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (ValueError, OSError):
        return False


def _warn(message: str) -> None:
    print(f"typedstream: {message}", file=sys.stderr, flush=True)


def _fail(name: str, message: str) -> None:
    # One line, whatever the message holds (provider messages may span lines).
    one_line = message.replace("\r", "\\r").replace("\n", "\\n")
    _warn(f"{name}: {one_line}")


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
    from ._drivers import events

    # SSE goes in as raw bytes: the library's SSE reader, `[DONE]` and `event: error` included.
    items: Iterator[object] = source.pieces if source.format == "sse" else jsonl_items(source)
    return events(
        items,
        strict=args.strict,
        assume_complete=args.assume_complete,
        defer_tool_call_done=args.defer_tool_call_done,
        raw=raw,
        done_events=done_events,
    )


def run_events(args: argparse.Namespace) -> int:
    """``typedstream events``: print the typed events of FILE as they arrive."""
    if args.json:
        from ._events import event_to_json

        out = sys.stdout.buffer
        flush = out.flush
        source = open_source(args.file, args.format, flush)

        def show(event: StreamEvent) -> None:
            out.write(event_to_json(event).encode() + b"\n")

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
    """``typedstream normalize``: write the exact OpenAI SSE of FILE, frame by frame."""
    from ._openai_out import to_sse

    out = sys.stdout.buffer
    source = open_source(args.file, args.format, out.flush)
    frames = to_sse(
        _events_of(source, args),
        error_frame=args.error_frame,
        keep_extensions=args.keep_extensions,
        include_usage=args.usage,
        id=args.id,
        model=args.model,
        created=args.created,
    )
    try:
        for frame in frames:
            out.write(frame)
            out.flush()
    except TypedStreamError as exc:
        _fail(source.name, str(exc))
        return _stream_error_code(exc)
    finally:
        source.close()
    return EXIT_OK


# -- check ----------------------------------------------------------------------------------


@dataclass
class Report:
    """What ``check`` found in one input."""

    name: str
    format: Format
    chunks: int = 0
    done: bool = False
    error: ProviderError | None = None
    deviations: list[Deviation] = field(default_factory=list[Deviation])
    partial: bool = False

    @property
    def cut_off(self) -> bool:
        """The stream neither completed nor ended with an error (SSE: no ``[DONE]``)."""
        if self.partial or self.error is not None:
            return False
        return self.chunks == 0 or (self.format == "sse" and not self.done)

    @property
    def code(self) -> int:
        if self.deviations:
            return EXIT_DEVIATES
        if self.error is not None:
            return EXIT_PROVIDER_ERROR
        return EXIT_CUT_OFF if self.cut_off else EXIT_OK


def check_source(source: Source, *, partial: bool = False) -> Report:
    """Read every chunk of ``source`` up to ``[DONE]`` or an error payload and check them.

    An error payload (a JSON object with a truthy ``error``, or an SSE ``event: error``) ends
    the stream, as it ends it for the ``openai`` client and :func:`typedstream.events`: it is
    reported, not checked, and the chunks before it are checked as a stream cut off there.
    """
    report = Report(source.name, source.format, partial=partial)
    chunks: list[object] = []
    try:
        for item in _items(source):
            if item == "[DONE]":
                report.done = True
                break
            if is_map(item) and item.get("error"):
                report.error = ProviderError(item["error"], len(chunks) + 1)
                break
            chunks.append(item)
    finally:
        source.close()  # what follows [DONE] or the error is not read
    report.chunks = len(chunks)
    complete = not partial and report.error is None and not report.cut_off
    report.deviations = check_openai_chunks(chunks, complete=complete)
    return report


def run_check(args: argparse.Namespace) -> int:
    """``typedstream check``: report how each FILE deviates from OpenAI's stream semantics."""
    output = Output(args.color)
    codes: list[int] = []
    for path in args.files:
        try:
            report = check_source(
                open_source(path, args.format, output.flush), partial=args.partial
            )
        except InputError as exc:
            output.flush()
            _warn(str(exc))
            codes.append(EXIT_INPUT)
            continue
        if len(codes) > codes.count(EXIT_INPUT):
            output.line("")  # between reports
        _print_report(output, report, args.limit)
        codes.append(report.code)
    if len(codes) > 1:
        exact = codes.count(EXIT_OK)
        output.line("")
        output.line(
            f"{len(codes)} files: {exact} OpenAI-exact, {len(codes) - exact} not",
            "bold green" if exact == len(codes) else "bold red",
        )
    output.flush()
    return min(codes, key=_SEVERITY.index)


def _print_report(output: Output, report: Report, limit: int | None) -> None:
    shown = report.deviations if limit is None else report.deviations[:limit]
    for deviation in shown:
        output.line(_deviation_line(deviation), "red" if deviation.chunk else "bold red")
    if len(shown) < len(report.deviations):
        output.line(f"… {len(report.deviations) - len(shown)} more (--limit {limit})", "dim")
    if report.error is not None:
        output.line(
            f"{report.error} (the stream ended here; the chunks before it are checked as a "
            "stream cut off there)",
            "yellow",
        )
    elif report.cut_off:
        if report.chunks == 0:
            output.line("end of input: no chunks (the stream ended before its first chunk)")
        else:
            output.line(
                "end of input: the SSE body ends without data: [DONE] (OpenAI always sends "
                "it): the stream was cut off; its chunks are checked as a prefix",
                "yellow",
            )
    if report.deviations:
        _print_summary(output, report.deviations)
    output.line(_verdict(report), "bold green" if report.code == EXIT_OK else "bold red")


def _deviation_line(deviation: Deviation) -> str:
    place = f"chunk {deviation.chunk}" if deviation.chunk else "end of stream"
    where = f" at {deviation.path}" if deviation.path else ""
    value = repr(deviation.value)
    if len(value) > _MAX_VALUE:
        value = value[: _MAX_VALUE - 1] + "…"
    return f"{place}: {deviation.message} [{deviation.rule}]{where}: {value}"


def _print_summary(output: Output, deviations: list[Deviation]) -> None:
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for deviation in deviations:
        counts[deviation.rule] = counts.get(deviation.rule, 0) + 1
        first.setdefault(deviation.rule, deviation.chunk)
    rows = [
        (rule, str(count), str(first[rule]) if first[rule] else "end", RULES[rule])
        for rule, count in sorted(counts.items(), key=lambda item: first[item[0]] or 1 << 62)
    ]
    header = ("rule", "count", "first chunk", "meaning")
    if output.console is not None:
        from rich.table import Table

        table = Table(*header, box=None, pad_edge=False, header_style="bold")
        table.columns[1].justify = table.columns[2].justify = "right"
        for rule, count, at, meaning in rows:
            table.add_row(rule, count, at, meaning)
        output.line("")
        output.console.print(table)
        return
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    output.line("")
    for row in [header, *rows]:
        output.line(
            f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}"
        )


def _verdict(report: Report) -> str:
    chunks = f"{report.chunks} chunk{'' if report.chunks == 1 else 's'}"
    count = len(report.deviations)
    if count:
        rules = len({d.rule for d in report.deviations})
        return (
            f"{report.name}: not OpenAI-exact: {count} deviation{'' if count == 1 else 's'} "
            f"({rules} rule{'' if rules == 1 else 's'}) in {chunks}"
        )
    if report.error is not None:
        return (
            f"{report.name}: no deviations in the {chunks} before the provider error "
            f"at chunk {report.error.chunk}"
        )
    if report.cut_off:
        return f"{report.name}: no deviations in {chunks}, but the stream was cut off"
    if report.partial:
        return f"{report.name}: OpenAI-exact so far ({chunks}, checked as a prefix)"
    return f"{report.name}: OpenAI-exact ({chunks})"


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
        "       typedstream cannot read (ChunkError)",
        3: "the stream ended with a provider error (ProviderError)",
        4: "the stream was cut off before it completed (IncompleteStreamError)",
    }
)
_CHECK_EXIT_HELP: Final = _exit_help(
    {
        0: "the stream is OpenAI-exact",
        1: "it deviates from OpenAI's stream semantics",
        2: "usage or input error: a missing or unreadable file, malformed JSON",
        3: "no deviations before the provider error that ended the stream",
        4: "no deviations, but the stream was cut off (SSE without data: [DONE], no chunks)",
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
  curl -sN http://127.0.0.1:4000/v1/chat/completions … | typedstream check -

Every deviation is one line: the chunk number (1-based), what is wrong, the rule id, where in
the chunk and the offending value; a table of the rules broken ends the report. The chunks are
checked up to data: [DONE]. A provider error payload (a chunk with a top-level "error", or an
SSE "event: error") ends the stream as it ends it for the openai client: it is reported, not
checked, and the chunks before it are checked as a stream cut off there (exit 3 when they
conform). An SSE body without data: [DONE] was cut off (exit 4 when its chunks conform).
Several files: the exit code is that of the worst one (2, 1, 3, 4, 0 from worst to best).

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


def _parser(demo: bool) -> argparse.ArgumentParser:
    """The command's parser; ``demo``: configure the demo subcommand (imports the demo)."""
    from . import __version__

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
    color = _choice(
        "--color",
        ("auto", "always", "never"),
        "colour with rich: auto (when installed and printing to a terminal), always, never",
    )
    stream = _stream_arguments()
    file_help = "an SSE body (.sse), JSON lines (.jsonl), or - for standard input"

    events = commands.add_parser(
        "events",
        parents=[inputs, color, stream],
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
        parents=[inputs, color],
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
        type=_positive,
        metavar="N",
        help="print at most N deviations per file (the summary still counts all)",
    )
    check.set_defaults(run=run_check)

    normalize = commands.add_parser(
        "normalize",
        parents=[inputs, stream],
        help="write the exact OpenAI SSE of a stream",
        description="Write the SSE body OpenAI would have sent for the stream "
        "(typedstream.to_sse), frame by frame.",
        epilog=_NORMALIZE_EPILOG,
        formatter_class=formatter,
    )
    normalize.add_argument("file", metavar="FILE", help=file_help)
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
    normalize.set_defaults(run=run_normalize)

    if demo:
        from . import _demo  # only when run: the demo brings a loopback HTTP server

        _demo.configure(commands.add_parser("demo", help="stream a real LiteLLM call with tools"))
    else:
        commands.add_parser("demo", help="stream a real LiteLLM call with tools")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``typedstream`` command; return its exit code (see :data:`EXIT_CODES`)."""
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
