"""A loopback LLM provider: replays recorded provider streams on 127.0.0.1.

How it works. :class:`LoopbackProvider` is a small threaded HTTP/1.1 server (standard library
only) bound to ``127.0.0.1`` on an ephemeral port. It speaks three streaming wire formats, so
LiteLLM and the ``openai`` client can be pointed at it with ``api_base``/``base_url`` and run
their real code paths without any network:

* OpenAI chat completions: ``POST …/chat/completions`` answers ``data: {chunk}`` frames and
  ``data: [DONE]``;
* Anthropic Messages: ``POST …/v1/messages`` answers ``event: <type>`` + ``data: {event}``
  frames;
* Gemini: ``POST …/models/<model>:streamGenerateContent?alt=sse`` answers ``data: {response}``
  frames separated by CRLF CRLF, as Google sends them.

What is replayed is a :class:`Scenario`: the provider's own wire objects, in order. The
scenario is chosen by the first path segment (``http://127.0.0.1:PORT/<scenario>/v1/…``, see
:meth:`LoopbackProvider.url` and :meth:`LoopbackProvider.api_base`); without one, each
endpoint replays its default tools scenario. Shipped scenarios live in
``typedstream/_data/loopback/<wire>_<name>.jsonl`` (recorded traffic); the ``*_slow`` ones
are generated: long text streams with a pause between frames, for early-close tests.

Every request is recorded as an :class:`Exchange` (path, headers, JSON body, frames sent).
While streaming, the server watches its socket: a client that closes the connection before
the end is observed (EOF or a failed write) and recorded as ``disconnected``, so tests can
assert that leaving an event iterator early really closed the HTTP connection.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import select
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import TracebackType
from typing import Any, Final, Literal, TypeAlias, cast
from urllib.parse import parse_qs, urlsplit

__all__ = ["SCENARIOS", "TOOLS", "Exchange", "LoopbackProvider", "Scenario", "Wire", "scenario"]

Wire: TypeAlias = Literal["openai", "anthropic", "gemini"]

_DEFAULTS: Final[dict[Wire, str]] = {
    "openai": "openai_tools",
    "anthropic": "anthropic_tools",
    "gemini": "gemini_tools",
}
_SLOW_FRAMES: Final = 200
_SLOW_DELAY: Final = 0.02  # seconds between frames: a 4 s stream, left early by tests
_POLL: Final = 0.05  # how often a pause re-checks that the server is still running


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
"""OpenAI tool definitions of the functions the shipped scenarios call."""


@dataclass(frozen=True)
class Scenario:
    """One provider reply: the wire objects the server sends, in order."""

    name: str
    """The name used in URLs, ``<wire>_<what>`` (e.g. ``"anthropic_thinking"``)."""
    wire: Wire
    """The wire format the objects are in."""
    frames: tuple[dict[str, Any], ...]
    """The provider's JSON objects (chunks, Messages events, Gemini responses)."""
    delay: float = 0.0
    """Seconds to pause before each frame after the first."""


@dataclass
class Exchange:
    """One request the provider answered, recorded for assertions."""

    method: str
    path: str
    """The request path without the query string."""
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Request headers, names lower-cased."""
    body: Any
    """The request body decoded as JSON (``None`` when there was none)."""
    scenario: str | None = None
    """The scenario replayed, or ``None`` when the request was refused."""
    status: int = 0
    frames_sent: int = 0
    """Frames written to the socket."""
    completed: bool = False
    """Every frame and the end of the stream were written."""
    disconnected: bool = False
    """The client closed the connection before the stream's end."""
    _ended: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def ended(self) -> bool:
        """The response is over, one way or the other."""
        return self._ended.is_set()

    def end(self) -> None:
        """Mark the response over (called by the server)."""
        self._ended.set()

    def wait(self, timeout: float = 5.0) -> bool:
        """Wait until the response is over (completed, disconnected or stopped)."""
        return self._ended.wait(timeout)


def _load(name: str) -> Scenario:
    wire, _, _ = name.partition("_")
    if wire not in _DEFAULTS:
        raise ValueError(f"scenario {name!r} does not start with a wire format")
    text = resources.files("typedstream").joinpath(f"_data/loopback/{name}.jsonl").read_text()
    frames = tuple(json.loads(line) for line in text.splitlines() if line.strip())
    return Scenario(name, wire, frames)


def _slow(wire: Wire) -> Scenario:
    words = [f"word{i} " for i in range(_SLOW_FRAMES)]
    frames: list[dict[str, Any]]
    if wire == "openai":
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
    return Scenario(f"{wire}_slow", wire, tuple(frames), delay=_SLOW_DELAY)


@cache
def _scenarios() -> dict[str, Scenario]:
    folder = resources.files("typedstream").joinpath("_data/loopback")
    names = sorted(p.name[: -len(".jsonl")] for p in folder.iterdir() if p.name.endswith(".jsonl"))
    found = {name: _load(name) for name in names}
    for wire in _DEFAULTS:
        found[f"{wire}_slow"] = _slow(wire)
    return found


class _Scenarios:
    """The shipped scenarios by name (loaded on first use)."""

    def __contains__(self, name: object) -> bool:
        return name in _scenarios()

    def __getitem__(self, name: str) -> Scenario:
        return _scenarios()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_scenarios())

    def __len__(self) -> int:
        return len(_scenarios())


SCENARIOS: Final = _Scenarios()
"""Every shipped scenario by name (``"openai_tools"``, ``"anthropic_thinking"``, …)."""


def scenario(name: str) -> Scenario:
    """A shipped scenario by name; ``KeyError`` lists the names that exist."""
    found = _scenarios().get(name)
    if found is None:
        raise KeyError(f"no scenario {name!r}; known: {', '.join(_scenarios())}")
    return found


def _frame(wire: Wire, obj: dict[str, Any]) -> bytes:
    data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    if wire == "anthropic":
        return f"event: {obj.get('type', 'message')}\ndata: {data}\n\n".encode()
    if wire == "gemini":
        return f"data: {data}\r\n\r\n".encode()
    return f"data: {data}\n\n".encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as real providers do
    server_version = "typedstream-loopback"
    timeout = 30  # an idle keep-alive connection is dropped after this

    @property
    def loopback(self) -> _Server:
        return cast(_Server, self.server)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests assert on recorded exchanges instead

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
        exchange = self._record(body)
        wire, name = self._route(exchange.path)
        if wire is None:
            self._refuse(exchange, 404, f"no endpoint at {exchange.path}")
            return
        chosen = SCENARIOS[name] if name is not None else SCENARIOS[_DEFAULTS[wire]]
        if chosen.wire != wire:
            self._refuse(exchange, 400, f"scenario {chosen.name!r} is not in the {wire} format")
            return
        streaming = (
            exchange.query.get("alt") == ["sse"]
            if wire == "gemini"
            else isinstance(body, dict) and cast(dict[str, Any], body).get("stream") is True
        )
        if not streaming:
            self._refuse(exchange, 400, "the loopback provider only answers streaming requests")
            return
        exchange.scenario = chosen.name
        self._stream(exchange, chosen)

    def _record(self, body: Any) -> Exchange:
        parts = urlsplit(self.path)
        exchange = Exchange(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        self.loopback.provider.record(exchange)
        return exchange

    @staticmethod
    def _route(path: str) -> tuple[Wire | None, str | None]:
        segments = [s for s in path.split("/") if s]
        name = segments[0] if segments and segments[0] in SCENARIOS else None
        if path.endswith("/chat/completions"):
            return "openai", name
        if path.endswith("/messages"):
            return "anthropic", name
        if path.endswith(":streamGenerateContent"):
            return "gemini", name
        return None, name

    def _refuse(self, exchange: Exchange, status: int, message: str) -> None:
        payload = json.dumps({"error": {"message": message, "type": "invalid_request_error"}})
        data = payload.encode()
        exchange.status = status
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            exchange.end()

    def _stream(self, exchange: Exchange, chosen: Scenario) -> None:
        exchange.status = 200
        try:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream; charset=utf-8")
            self.send_header("cache-control", "no-cache")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            for number, obj in enumerate(chosen.frames):
                if (number and chosen.delay and not self._pause(chosen.delay)) or self._gone():
                    exchange.disconnected = True
                    self.close_connection = True
                    return
                self._chunk(_frame(chosen.wire, obj))
                exchange.frames_sent += 1
            if chosen.wire == "openai":
                self._chunk(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            exchange.completed = True
        except OSError:  # BrokenPipeError, ConnectionResetError: the client went away
            exchange.disconnected = True
            self.close_connection = True
        finally:
            exchange.end()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _pause(self, seconds: float) -> bool:
        """Wait between frames; False when the client left or the server stops."""
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
    """A local provider server replaying :class:`Scenario` streams; use it as a context manager.

    ``with LoopbackProvider() as provider:`` starts it on ``127.0.0.1`` with an ephemeral
    port; leaving the block stops it and drops open connections. Point clients at it with
    :meth:`api_base` (LiteLLM's ``api_base``) or :meth:`url` (the ``openai`` client's
    ``base_url`` is ``provider.url("openai_tools") + "/v1"``).
    """

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        """Every request answered so far, in order of arrival."""
        self.errors: list[BaseException] = []
        """Unexpected errors raised while answering (a bug in the server if not empty)."""
        self.connections_opened = 0
        self.connections_closed = 0
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port the server listens on (started servers only)."""
        if self._server is None:
            raise RuntimeError("the loopback provider is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, scenario: str) -> str:
        """The root URL that replays ``scenario``: ``http://127.0.0.1:<port>/<scenario>``."""
        if scenario not in SCENARIOS:
            raise KeyError(f"no scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        return f"{self.base_url}/{scenario}"

    def api_base(self, scenario: str) -> str:
        """LiteLLM's ``api_base`` for ``scenario`` with the provider prefix of its wire format.

        ``openai/…`` models get ``…/<scenario>/v1``; ``anthropic/…`` and ``gemini/…`` models
        get ``…/<scenario>`` (LiteLLM appends ``/v1/messages`` and ``/models/…`` itself).
        """
        root = self.url(scenario)
        return f"{root}/v1" if SCENARIOS[scenario].wire == "openai" else root

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

    def last(self) -> Exchange:
        """The most recent exchange."""
        with self._lock:
            if not self.exchanges:
                raise LookupError("the loopback provider has not received a request")
            return self.exchanges[-1]

    def record(self, exchange: Exchange) -> None:
        """Add an exchange to :attr:`exchanges` (called by the server)."""
        with self._lock:
            self.exchanges.append(exchange)

    def __enter__(self) -> LoopbackProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
