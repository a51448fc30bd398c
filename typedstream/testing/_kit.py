"""An offline test kit: a loopback LLM provider that replays streams on 127.0.0.1.

How it works. :class:`LoopbackProvider` is a small threaded HTTP/1.1 server (standard library
only) bound to ``127.0.0.1`` on an ephemeral port. It speaks four streaming wire formats, so
LiteLLM and the ``openai`` client run their real code paths against it, without any network:

* OpenAI chat completions: ``POST …/chat/completions`` answers ``data: {chunk}`` frames and
  ``data: [DONE]``;
* OpenAI Responses: ``POST …/responses`` answers ``event: <type>`` + ``data: {event}`` frames,
  ending with the terminal event (no ``[DONE]``);
* Anthropic Messages: ``POST …/v1/messages`` answers ``event: <type>`` + ``data: {event}``
  frames;
* Gemini: ``POST …/models/<model>:streamGenerateContent?alt=sse`` answers ``data: {response}``
  frames separated by CRLF CRLF, as Google sends them.

What it answers is a :class:`Reply`: the encoded SSE frames of one response in one wire
format, plus the faults to inject (a delay, a pause between frames, a connection cut after
some frames, an in-band error; or an HTTP error status instead of a stream). Replies come
from a built-in scenario (:func:`scenario`), a recorded file (:meth:`Reply.from_file`), wire
objects (:meth:`Reply.from_objects`), typed events (:meth:`Reply.from_events`) or
:func:`http_error`. Anything :data:`Source` lists is turned into a reply for you.

Which reply a request gets: a scenario named in the URL's first segment
(:meth:`LoopbackProvider.api_base`, :meth:`LoopbackProvider.url`) wins; then the next of the
replies queued with :meth:`LoopbackProvider.respond_in_turn` (one per request, so a
multi-turn agent can be tested); then the reply set with :meth:`LoopbackProvider.respond`
(a fixed reply, or a function of the :class:`Request`); without any, each endpoint replays
its built-in tools scenario.

Every request is recorded as a :class:`Request` (path, headers, JSON body, and what was sent
back). While streaming, the server watches its socket: a client that closes the connection
before the end is observed (EOF or a failed write) and recorded as ``disconnected``, so tests
can assert that leaving an event iterator early really closed the HTTP connection.

Nothing here imports LiteLLM, and ``import typedstream`` never imports this module.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import select
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, TypeAlias, cast, get_args
from urllib.parse import parse_qs, urlsplit

from typedstream._errors import TypedStreamError
from typedstream._events import StreamEvent

__all__ = [
    "SCENARIOS",
    "TOOLS",
    "LoopbackError",
    "LoopbackProvider",
    "Reply",
    "Request",
    "Responder",
    "Source",
    "Wire",
    "http_error",
    "scenario",
]

Wire: TypeAlias = Literal["openai", "anthropic", "gemini", "responses"]
"""The wire formats the loopback provider speaks."""

_WIRES: Final[tuple[Wire, ...]] = get_args(Wire)
_DEFAULTS: Final[dict[Wire, str]] = {
    "openai": "openai_tools",
    "anthropic": "anthropic_tools",
    "gemini": "gemini_tools",
    "responses": "responses_tools",
}
_OPENAI_WIRES: Final = frozenset({"openai", "responses"})  # served under /v1
_SLOW_FRAMES: Final = 200
_SLOW_INTERVAL: Final = 0.02  # seconds between frames: a 4 s stream, left early by tests
_POLL: Final = 0.05  # how often a pause re-checks that the client and the server are still there
_DONE: Final = b"data: [DONE]\n\n"
# One SSE event per piece: the separator (LF LF or CRLF CRLF) stays with the event before it.
_EVENT_END: Final = re.compile(rb"(?<=\r\n\r\n)|(?<=\n\n)")
_ANTHROPIC_TYPES: Final = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    }
)


class LoopbackError(TypedStreamError):
    """A reply the loopback provider cannot build or serve: an unknown scenario, a file in an
    unknown format, a source of the wrong type, a request with no reply left for it."""


TOOLS: Final[list[dict[str, Any]]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a place.",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["location"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Current time in a time zone.",
            "parameters": {
                "type": "object",
                "properties": {"tz": {"type": "string"}},
                "required": ["tz"],
            },
        },
    },
]
"""OpenAI tool definitions of the functions the built-in scenarios call."""


# -- replies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One response of the loopback provider: SSE frames in one wire format, and faults.

    Build one with :func:`scenario`, :meth:`from_file`, :meth:`from_objects`,
    :meth:`from_events` or :func:`http_error`; add faults with :meth:`delayed`,
    :meth:`cut_after` and :meth:`error_after` (each returns a new reply).
    """

    wire: Wire | None
    """The wire format of the frames; ``None`` for an :func:`http_error`, which any endpoint
    answers in its own format."""
    frames: tuple[bytes, ...] = ()
    """The SSE events to send, each encoded with its blank-line separator (OpenAI's
    ``data: [DONE]`` included)."""
    name: str = "reply"
    """What the reply is, for :attr:`Request.reply` and messages (a scenario or file name)."""
    status: int = 200
    """The HTTP status; anything but 200 answers the :attr:`error` as a JSON body."""
    error: tuple[str, str] | None = None
    """``(message, type)`` of the error an HTTP error status answers."""
    delay: float = 0.0
    """Seconds to wait before answering (before the status line)."""
    interval: float = 0.0
    """Seconds to wait between frames."""
    cut: int | None = None
    """Hang up after this many frames: the connection closes without the end of the body."""

    @classmethod
    def from_objects(
        cls, objects: Iterable[Mapping[str, Any]], *, wire: Wire | None = None, name: str = ""
    ) -> Reply:
        """A stream of the provider's own JSON objects: OpenAI chunks, Anthropic Messages
        events, Gemini responses or OpenAI Responses events (``"type": "response.…"``).
        ``wire`` is inferred from the first object when not given; OpenAI chat streams end
        with ``data: [DONE]``, Responses streams with their terminal event."""
        items = [dict(obj) for obj in objects]
        found: Wire = wire or (_infer_wire(items[0]) if items else "openai")
        frames = [_frame(found, obj) for obj in items]
        if found == "openai":
            frames.append(_DONE)
        return cls(found, tuple(frames), name=name or f"{found} objects")

    @classmethod
    def from_events(
        cls, events: Iterable[StreamEvent], *, wire: Wire = "openai", name: str = "events"
    ) -> Reply:
        """Typed events, written in ``wire`` by typedstream's exact writers: OpenAI chunks
        (:func:`typedstream.to_sse`), Anthropic Messages events
        (:func:`typedstream.to_anthropic_sse`) or OpenAI Responses events
        (:func:`typedstream.to_responses_sse`). Events of any protocol can be written in any
        of the three; there is no Gemini writer."""
        if wire == "openai":
            from typedstream._openai_out import to_sse

            return cls(wire, tuple(to_sse(events)), name=name)
        if wire == "anthropic":
            from typedstream._anthropic_out import to_anthropic_sse

            return cls(wire, tuple(to_anthropic_sse(events)), name=name)
        if wire == "responses":
            from typedstream._responses_out import to_responses_sse

            return cls(wire, tuple(to_responses_sse(events)), name=name)
        raise LoopbackError(f"typed events cannot be written as {wire} (no writer for it)")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, wire: Wire | None = None) -> Reply:
        """A recorded stream: an ``.sse`` body (replayed byte for byte, event by event) or a
        ``.jsonl`` file with one wire object per line. ``wire`` is inferred from the content
        when not given."""
        where = Path(path)
        if where.suffix == ".jsonl":
            lines = where.read_text(encoding="utf-8").splitlines()
            try:
                objects = [json.loads(line) for line in lines if line.strip()]
            except ValueError as exc:
                raise LoopbackError(f"{where.name}: not one JSON object per line: {exc}") from None
            return cls.from_objects(objects, wire=wire, name=where.name)
        if where.suffix == ".sse":
            frames = tuple(piece for piece in _EVENT_END.split(where.read_bytes()) if piece)
            found = wire or _infer_sse_wire(frames)
            return cls(found, frames, name=where.name)
        raise LoopbackError(f"{where.name}: a recorded stream is an .sse or a .jsonl file")

    def delayed(self, before: float = 0.0, *, between: float | None = None) -> Reply:
        """This reply ``before`` seconds late, and (when given) ``between`` seconds between
        frames: for timeouts and for clients that leave mid-stream."""
        interval = self.interval if between is None else between
        return replace(self, delay=before, interval=interval)

    def cut_after(self, frames: int) -> Reply:
        """This reply, hanging up after ``frames`` frames (a dropped connection)."""
        if self.wire is None:
            raise LoopbackError(f"{self.name}: an HTTP error has no frames to cut")
        return replace(self, cut=frames)

    def error_after(
        self, frames: int, message: str = "overloaded", *, type: str | None = None
    ) -> Reply:
        """This reply with an in-band error after ``frames`` frames, in the provider's own
        error frame, and nothing after it (no ``data: [DONE]``). A Responses stream ends as
        OpenAI ends one: an ``error`` event, then ``response.failed`` with the response so
        far (its ``error`` set, ``status`` ``"failed"``), numbered on from the kept frames."""
        if self.wire is None:
            raise LoopbackError(f"{self.name}: an HTTP error has no stream to fail")
        kept = [frame for frame in self.frames if frame != _DONE][:frames]
        ending: tuple[bytes, ...]
        if self.wire == "responses":
            ending = _responses_failure(_payloads(kept), message, type)
        else:
            ending = (_error_frame(self.wire, message, type),)
        return replace(self, frames=(*kept, *ending), name=f"{self.name} failing")

    def payloads(self) -> list[Any]:
        """The JSON data of each frame, decoded (``data: [DONE]`` and comments left out)."""
        return _payloads(self.frames)


def _payloads(frames: Iterable[bytes]) -> list[Any]:
    out: list[Any] = []
    for frame in frames:
        data = [
            line[5:].lstrip(" ")
            for line in frame.decode("utf-8").replace("\r\n", "\n").split("\n")
            if line.startswith("data:")
        ]
        if data and "\n".join(data) != "[DONE]":
            out.append(json.loads("\n".join(data)))
    return out


_STATUS_TYPES: Final = {
    400: ("invalid_request_error", "INVALID_ARGUMENT"),
    401: ("authentication_error", "UNAUTHENTICATED"),
    403: ("permission_error", "PERMISSION_DENIED"),
    404: ("not_found_error", "NOT_FOUND"),
    429: ("rate_limit_error", "RESOURCE_EXHAUSTED"),
    500: ("api_error", "INTERNAL"),
    503: ("overloaded_error", "UNAVAILABLE"),
    529: ("overloaded_error", "UNAVAILABLE"),
}


def http_error(status: int, message: str = "", *, type: str | None = None) -> Reply:
    """An HTTP error response instead of a stream, e.g. ``http_error(429, "slow down")``.

    Each endpoint answers it with the JSON body its provider sends (OpenAI's -- chat and
    Responses alike -- and Gemini's ``{"error": {…}}``, Anthropic's
    ``{"type": "error", "error": {…}}``); ``type`` is the error type (by default the
    provider's usual one for the status).
    """
    if not 400 <= status <= 599:
        raise LoopbackError(f"HTTP error status {status} is not in 400-599")
    kind = type or _STATUS_TYPES.get(status, ("api_error", ""))[0]
    if not message:
        with contextlib.suppress(ValueError):  # a status without a standard phrase
            message = http.HTTPStatus(status).phrase
    return Reply(None, name=f"HTTP {status}", status=status, error=(message or "error", kind))


def _error_body(wire: Wire, status: int, message: str, kind: str) -> dict[str, Any]:
    if wire == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    if wire == "gemini":
        google = _STATUS_TYPES.get(status, ("", "UNKNOWN"))[1]
        return {"error": {"code": status, "message": message, "status": google}}
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _error_frame(wire: Wire, message: str, kind: str | None) -> bytes:
    """The provider's in-band error frame (``kind``: its error type, or Gemini's status)."""
    error: dict[str, Any]
    if wire == "anthropic":
        error = {"type": "error", "error": {"type": kind or "overloaded_error", "message": message}}
    elif wire == "gemini":
        error = {"error": {"code": 500, "message": message, "status": kind or "INTERNAL"}}
    else:
        error = {"error": {"message": message, "type": kind or "server_error", "code": None}}
    return _frame(wire, error)


def _responses_failure(kept: Sequence[Any], message: str, kind: str | None) -> tuple[bytes, bytes]:
    """OpenAI's end of a failed Responses stream: ``error``, then ``response.failed`` carrying
    the last response the kept frames sent (or a bare one) with the items they added (each as
    its ``output_item.done`` left it, else as added), numbered after them."""
    numbers = [obj.get("sequence_number") for obj in kept]
    number = max((n for n in numbers if isinstance(n, int)), default=-1) + 1
    response: dict[str, Any] = {"id": "resp_loopback", "object": "response"}
    items: dict[int, Any] = {}
    for obj in kept:
        if isinstance(obj.get("response"), dict):
            response = dict(obj["response"])
        elif obj.get("type") in ("response.output_item.added", "response.output_item.done"):
            items[obj.get("output_index", len(items))] = obj.get("item")
    code = kind or "server_error"
    error = {"type": code, "code": code, "message": message, "param": None}
    response.update(status="failed", error={"code": code, "message": message})
    response["output"] = [items[index] for index in sorted(items)]
    failed = {"type": "response.failed", "sequence_number": number + 1, "response": response}
    event = {"type": "error", "sequence_number": number, "error": error}
    return _frame("responses", event), _frame("responses", failed)


def _frame(wire: Wire, obj: Mapping[str, Any]) -> bytes:
    data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    if wire in ("anthropic", "responses"):
        return f"event: {obj.get('type', 'message')}\ndata: {data}\n\n".encode()
    if wire == "gemini":
        return f"data: {data}\r\n\r\n".encode()
    return f"data: {data}\n\n".encode()


def _infer_wire(obj: Mapping[str, Any]) -> Wire:
    kind = obj.get("type")
    if (isinstance(kind, str) and kind.startswith("response.")) or (
        kind == "error" and "sequence_number" in obj  # Responses numbers its events
    ):
        return "responses"
    if kind in _ANTHROPIC_TYPES:
        return "anthropic"
    if "candidates" in obj or "usageMetadata" in obj:
        return "gemini"
    return "openai"


def _infer_sse_wire(frames: Sequence[bytes]) -> Wire:
    for frame in frames:
        if frame.startswith(b"event: "):
            name = frame[7:].split(b"\n")[0].strip()
            if name.startswith(b"response."):
                return "responses"
            if name in {t.encode() for t in _ANTHROPIC_TYPES}:
                return "anthropic"
        if frame.startswith(b"data: {"):
            with contextlib.suppress(ValueError):
                return _infer_wire(json.loads(frame[6:]))
    return "openai"


# -- the built-in scenarios --------------------------------------------------------------------


def _load(name: str) -> Reply:
    wire, _, _ = name.partition("_")
    if wire not in _WIRES:
        raise LoopbackError(f"scenario {name!r} does not start with a wire format")
    text = resources.files("typedstream").joinpath(f"_data/loopback/{name}.jsonl").read_text()
    objects = [json.loads(line) for line in text.splitlines() if line.strip()]
    return Reply.from_objects(objects, wire=wire, name=name)


def _slow(wire: Wire) -> Reply:
    words = [f"word{i} " for i in range(_SLOW_FRAMES)]
    frames: list[dict[str, Any]]
    if wire == "responses":  # the chat stream's events, as OpenAI's Responses API writes them
        from typedstream._drivers import events
        from typedstream._responses_out import ResponsesWriter

        writer = ResponsesWriter(id="resp_Slow1")
        source = events(_slow("openai").payloads())
        frames = [out for event in source for out in writer.write(event)] + writer.close()
    elif wire == "openai":
        envelope = {
            "id": "chatcmpl-Slow1",
            "object": "chat.completion.chunk",
            "created": 1738000000,
            "model": "gpt-4o-2024-08-06",
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {**envelope, "choices": [choice]}

        frames = [chunk({"role": "assistant", "content": "", "refusal": None})]
        frames += [chunk({"content": word}) for word in words]
        frames.append(chunk({}, "stop"))
    elif wire == "anthropic":
        frames = [
            {
                "type": "message_start",
                "message": {
                    "id": "msg_Slow1",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-3-5-sonnet-20241022",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 10, "output_tokens": 1},
                },
            },
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ]
        frames += [
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}}
            for w in words
        ]
        frames += [
            {"type": "content_block_stop", "index": 0},
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": _SLOW_FRAMES},
            },
            {"type": "message_stop"},
        ]
    else:
        frames = [
            {
                "candidates": [{"content": {"role": "model", "parts": [{"text": w}]}, "index": 0}],
                "modelVersion": "gemini-1.5-pro-002",
                "responseId": "resp_slow",
            }
            for w in words
        ]
        frames[-1]["candidates"][0]["finishReason"] = "STOP"
    reply = Reply.from_objects(frames, wire=wire, name=f"{wire}_slow")
    return reply.delayed(between=_SLOW_INTERVAL)


@cache
def _scenarios() -> dict[str, Reply]:
    folder = resources.files("typedstream").joinpath("_data/loopback")
    names = sorted(p.name[: -len(".jsonl")] for p in folder.iterdir() if p.name.endswith(".jsonl"))
    found = {name: _load(name) for name in names}
    for wire in _WIRES:
        found[f"{wire}_slow"] = _slow(wire)
    return found


class _Scenarios(Mapping[str, Reply]):
    """The built-in scenarios by name (loaded on first use)."""

    def __getitem__(self, name: str) -> Reply:
        return _scenarios()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_scenarios())

    def __len__(self) -> int:
        return len(_scenarios())


SCENARIOS: Final[Mapping[str, Reply]] = _Scenarios()
"""Every built-in scenario by name, ``<wire>_<what>``: ``openai_tools``, ``openai_parallel``,
``openai_reasoning``, ``openai_text_usage``, ``anthropic_tools``, ``anthropic_thinking``,
``anthropic_error``, ``gemini_tools``, ``gemini_thinking``, ``responses_tools``,
``responses_text``, …; the ``*_slow`` ones stream 200 words 20 ms apart."""


def scenario(name: str) -> Reply:
    """A built-in scenario by name; :class:`LoopbackError` lists the names that exist."""
    found = _scenarios().get(name)
    if found is None:
        raise LoopbackError(f"no scenario {name!r}; known: {', '.join(_scenarios())}")
    return found


# -- requests ----------------------------------------------------------------------------------


@dataclass(eq=False)
class Request:
    """One request the loopback provider received, and what it answered, for assertions."""

    method: str
    """``"POST"`` (or whatever the client sent)."""
    path: str
    """The request path without the query string."""
    query: dict[str, list[str]]
    """The query string, parsed."""
    headers: dict[str, str]
    """Request headers, names lower-cased."""
    body: Any
    """The request body decoded as JSON (``None`` when there was none or it was not JSON)."""
    wire: Wire | None = None
    """The wire format of the endpoint (``None`` for a path no provider has)."""
    reply: str | None = None
    """The name of the reply served (a scenario or file name, ``"HTTP 429"``, …), or ``None``
    when the request was refused."""
    status: int = 0
    """The HTTP status answered."""
    frames_sent: int = 0
    """SSE frames written to the socket."""
    completed: bool = False
    """Every frame and the end of the body were written. Set before the end of the body goes
    out, so it is already true when the client has read the whole stream."""
    disconnected: bool = False
    """The client closed the connection before the end of the stream."""
    _ended: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    @property
    def json(self) -> dict[str, Any]:
        """The body as a JSON object (``{}`` when it is not one): ``request.json["messages"]``."""
        body: object = self.body
        return cast(dict[str, Any], body) if isinstance(body, dict) else {}

    @property
    def ended(self) -> bool:
        """The response is over, one way or the other."""
        return self._ended.is_set()

    def end(self) -> None:
        """Mark the response over (called by the server)."""
        self._ended.set()

    def wait(self, timeout: float = 5.0) -> bool:
        """Wait until the response is over (completed, cut, disconnected or stopped); False if
        it is still going after ``timeout`` seconds."""
        return self._ended.wait(timeout)


Source: TypeAlias = (
    "Reply | str | os.PathLike[str] | Sequence[Mapping[str, Any]] | Sequence[StreamEvent]"
)
"""What can be served: a :class:`Reply`, a scenario name, the path of a recorded ``.sse`` or
``.jsonl`` file (a ``pathlib.Path``), a list of wire objects (chunk dicts) or of typed events."""

Responder: TypeAlias = Callable[[Request], Source]
"""A function of each :class:`Request` giving what to answer it with."""


def _as_reply(source: object) -> Reply:
    """Any :data:`Source` as a :class:`Reply` (:class:`LoopbackError` for anything else)."""
    if isinstance(source, Reply):
        return source
    if isinstance(source, str):
        if source.endswith((".sse", ".jsonl")):
            raise LoopbackError(f"no scenario {source!r}; pass a pathlib.Path to replay a file")
        return scenario(source)
    if isinstance(source, os.PathLike):
        return Reply.from_file(cast("os.PathLike[str]", source))
    if isinstance(source, Sequence) and not isinstance(source, (bytes, bytearray)):
        items = list(cast(Sequence[object], source))
        if all(isinstance(item, Mapping) for item in items):
            return Reply.from_objects(cast(list[Mapping[str, Any]], items))
        if all(isinstance(getattr(item, "kind", None), str) for item in items):
            return Reply.from_events(cast(list[StreamEvent], items))
        raise LoopbackError("a list to serve holds either wire objects (dicts) or typed events")
    raise LoopbackError(
        f"cannot serve a {type(source).__name__}: give a Reply, a scenario name, a Path, "
        "a list of chunk dicts or typed events, or a function of the request"
    )


# -- the server --------------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as real providers do
    server_version = "typedstream-loopback"
    timeout = 30  # an idle keep-alive connection is dropped after this

    @property
    def loopback(self) -> _Server:
        return cast(_Server, self.server)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests assert on recorded requests instead

    def setup(self) -> None:
        super().setup()
        self.loopback.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.loopback.track(self.connection, False)

    def do_GET(self) -> None:
        self._refuse(self._record(None), 404, "the loopback provider only answers POST")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = self._record(body)
        wire, named = self._route(request.path)
        request.wire = wire
        if wire is None:
            self._refuse(request, 404, f"no endpoint at {request.path}")
            return
        streaming = (
            request.query.get("alt") == ["sse"]
            if wire == "gemini"
            else request.json.get("stream") is True
        )
        if not streaming:
            self._refuse(request, 400, "the loopback provider only answers streaming requests")
            return
        try:
            chosen = SCENARIOS[named] if named else self.loopback.provider.reply_for(request)
        except Exception as exc:  # a responder failed, or no reply was left: a test bug
            self.loopback.provider.errors.append(exc)
            self._refuse(request, 500, f"the loopback provider has no reply: {exc}")
            return
        if chosen.wire is not None and chosen.wire != wire:
            message = f"reply {chosen.name!r} is not in the {wire} format ({chosen.wire})"
            self._refuse(request, 400, message)
            return
        request.reply = chosen.name
        if chosen.delay and not self._pause(chosen.delay):
            request.disconnected = True
            request.end()
            self.close_connection = True
            return
        if chosen.status != 200:
            message, kind = chosen.error or ("error", "api_error")
            self._answer(request, chosen.status, _error_body(wire, chosen.status, message, kind))
            return
        self._stream(request, chosen)

    def _record(self, body: Any) -> Request:
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        self.loopback.provider.record(request)
        return request

    @staticmethod
    def _route(path: str) -> tuple[Wire | None, str | None]:
        segments = [s for s in path.split("/") if s]
        named = segments[0] if segments and segments[0] in SCENARIOS else None
        if path.endswith("/chat/completions"):
            return "openai", named
        if path.endswith("/messages"):
            return "anthropic", named
        if path.endswith(":streamGenerateContent"):
            return "gemini", named
        if path.endswith("/responses"):
            return "responses", named
        return None, named

    def _refuse(self, request: Request, status: int, message: str) -> None:
        self._answer(request, status, {"error": {"message": message, "type": "loopback_error"}})

    def _answer(self, request: Request, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        request.status = status
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            request.completed = True
        finally:
            request.end()

    def _stream(self, request: Request, chosen: Reply) -> None:
        request.status = 200
        try:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream; charset=utf-8")
            self.send_header("cache-control", "no-cache")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            for number, frame in enumerate(chosen.frames):
                if number == chosen.cut:
                    self._hang_up()
                    return
                if (number and chosen.interval and not self._pause(chosen.interval)) or (
                    self._gone()
                ):
                    request.disconnected = True
                    self.close_connection = True
                    return
                # Counted before the write, so that a client which has read the frame (and a
                # test asserting right after it) never sees it uncounted; undone on failure.
                request.frames_sent += 1
                try:
                    self._chunk(frame)
                except OSError:
                    request.frames_sent -= 1
                    raise
            request.completed = True  # likewise before the client can see the end of the body
            try:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except OSError:
                request.completed = False
                raise
        except OSError:  # BrokenPipeError, ConnectionResetError: the client went away
            request.disconnected = True
            self.close_connection = True
        finally:
            request.end()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _hang_up(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may have left already
            self.connection.shutdown(socket.SHUT_RDWR)

    def _pause(self, seconds: float) -> bool:
        """Wait; False when the client left or the server stops."""
        remaining = seconds
        while remaining > 0:
            if self.loopback.stopping.is_set():
                return False
            step = min(remaining, _POLL)
            readable, _, _ = select.select([self.connection], [], [], step)
            if readable and self._eof():
                return False
            remaining -= step
        return True

    def _gone(self) -> bool:
        if self.loopback.stopping.is_set():
            return True
        readable, _, _ = select.select([self.connection], [], [], 0)
        return bool(readable) and self._eof()

    def _eof(self) -> bool:
        # Readable while a response is in progress: an HTTP/1.1 client sends nothing more
        # on this connection until the response ends, so this is EOF (or a reset).
        try:
            return bool(self.connection.recv(1, socket.MSG_PEEK) == b"")
        except OSError:
            return True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, provider: LoopbackProvider) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.provider = provider
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return  # a client dropped an idle keep-alive connection, or it timed out
        if error is not None:
            self.provider.errors.append(error)
        super().handle_error(request, client_address)

    def track(self, conn: socket.socket, opened: bool) -> None:
        with self._lock:
            if opened:
                self._open.add(conn)
                self.provider.connections_opened += 1
            elif conn in self._open:
                self._open.discard(conn)
                self.provider.connections_closed += 1

    def drop_all(self) -> None:
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)


class LoopbackProvider:
    """A local LLM provider on ``127.0.0.1``; use it as a context manager.

    ``with LoopbackProvider(reply) as provider:`` starts it on an ephemeral port; leaving the
    block stops it and drops open connections. Point LiteLLM at it with
    ``api_base=provider.api_base("anthropic")`` (or ``"openai"``, ``"gemini"``,
    ``"responses"``) and the ``openai`` client (chat completions or Responses) with
    ``base_url=provider.base_url``; then assert on
    :attr:`requests` and :attr:`last`.

    Args:
        reply: What every request is answered with (a :data:`Source`, or a
            :data:`Responder` called with each :class:`Request`). Without one, each endpoint
            replays its built-in tools scenario.
        in_turn: Replies for the next requests, one each, before ``reply`` applies. Without
            ``reply``, a request after the last of them is answered with HTTP 500 and the
            failure is recorded in :attr:`errors`.
    """

    def __init__(
        self, reply: Source | Responder | None = None, *, in_turn: Sequence[Source] = ()
    ) -> None:
        self.requests: list[Request] = []
        """Every request received so far, in order of arrival."""
        self.errors: list[BaseException] = []
        """What went wrong while answering: a responder that raised, a request with no reply
        left, a bug in the server. Empty in a test that went as planned."""
        self.connections_opened = 0
        """TCP connections accepted so far."""
        self.connections_closed = 0
        """TCP connections closed so far."""
        self._lock = threading.Lock()
        self._reply: Reply | Responder | None = None
        self._queue: deque[Reply] = deque()
        self._queued = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        if reply is not None:
            self.respond(reply)
        if in_turn:
            self.respond_in_turn(*in_turn)

    # -- what to answer --

    def respond(self, reply: Source | Responder | None) -> LoopbackProvider:
        """Answer every following request with ``reply`` (``None``: the built-in defaults);
        a callable is called with each :class:`Request` and returns what to answer."""
        fixed: Reply | Responder | None
        if reply is None or isinstance(reply, Reply) or not callable(reply):
            fixed = None if reply is None else _as_reply(reply)
        else:
            fixed = reply
        with self._lock:
            self._reply = fixed
        return self

    def respond_in_turn(self, *replies: Source) -> LoopbackProvider:
        """Answer the next requests with ``replies``, one each, in order (then :meth:`respond`
        applies again): a multi-turn conversation."""
        built = [_as_reply(reply) for reply in replies]
        with self._lock:
            self._queue.extend(built)
            self._queued += len(built)
        return self

    def reply_for(self, request: Request) -> Reply:
        """The reply for ``request`` (called by the server for each request)."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            fixed, queued = self._reply, self._queued
        if fixed is None:
            if queued:
                raise LoopbackError(
                    f"no reply left for {request.method} {request.path}: "
                    f"all {queued} replies given in turn were served"
                )
            return SCENARIOS[_DEFAULTS[cast(Wire, request.wire)]]
        if isinstance(fixed, Reply):
            return fixed
        return _as_reply(fixed(request))

    def reset(self) -> None:
        """Forget the requests, errors and replies (the server keeps running)."""
        with self._lock:
            self.requests.clear()
            self.errors.clear()
            self._reply = None
            self._queue.clear()
            self._queued = 0

    # -- where it is --

    @property
    def port(self) -> int:
        """The port the server listens on (started servers only)."""
        if self._server is None:
            raise LoopbackError("the loopback provider is not running")
        return int(self._server.server_address[1])

    @property
    def root(self) -> str:
        """``http://127.0.0.1:<port>``: Anthropic's and Gemini's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``: the ``openai`` client's ``base_url``."""
        return f"{self.root}/v1"

    def url(self, scenario: str) -> str:
        """The root URL that always replays built-in ``scenario``, whatever :meth:`respond`
        set: ``http://127.0.0.1:<port>/<scenario>``."""
        if scenario not in SCENARIOS:
            raise LoopbackError(f"no scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        return f"{self.root}/{scenario}"

    def api_base(self, target: Wire | str = "openai") -> str:
        """LiteLLM's ``api_base`` for a wire format, or for a built-in scenario by name.

        ``api_base("openai")`` and ``api_base("responses")`` are ``…/v1`` (for ``openai/…``
        models, and the ``openai`` client's ``base_url``); ``"anthropic"`` and ``"gemini"``
        give the root (LiteLLM appends ``/v1/messages`` and ``/models/…`` itself). A scenario
        name (``"anthropic_thinking"``) gives the same for its wire format, under a path that
        replays that scenario.
        """
        if target in _WIRES:
            return self.base_url if target in _OPENAI_WIRES else self.root
        root = self.url(target)
        return f"{root}/v1" if SCENARIOS[target].wire in _OPENAI_WIRES else root

    @property
    def last(self) -> Request:
        """The most recent request (:class:`LoopbackError` when there was none)."""
        with self._lock:
            if not self.requests:
                raise LoopbackError("the loopback provider has not received a request")
            return self.requests[-1]

    def record(self, request: Request) -> None:
        """Add a request to :attr:`requests` (called by the server)."""
        with self._lock:
            self.requests.append(request)

    # -- running --

    def start(self) -> LoopbackProvider:
        """Start serving in a background thread (idempotent)."""
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": _POLL},
                name=f"typedstream-loopback-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop every open connection (idempotent)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.stopping.set()
        server.shutdown()
        server.drop_all()
        server.server_close()
        if thread is not None:
            thread.join(5)

    def __enter__(self) -> LoopbackProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
