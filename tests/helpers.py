"""The helpers the test modules share: one place, imported as `helpers` (pytest's `pythonpath`).

- Chunks by hand: `chunk`, `call`, `tools` (the `ENVELOPE` of every chunk) and `body`, the SSE
  body of any payloads.
- Reading a stream: `run` (every event, errors raise), `collect` / `acollect` (the events up to
  a typed error, and that error), `call_ids` (deterministic tool-call ids, so that two runs
  compare equal), `described` (an error as comparable text).
- Recordings: `recorded_sse`, a recording as an SSE body. Loading the recordings, and `ids`
  for their test ids, is `tests/corpus.py`.
- Looking at events: `kinds`, `without_start`.
- An `openai` client without a server: `mock_transport`, an httpx transport that streams a body.

Test doubles of one behaviour (the close protocol's sources, say) live with their tests.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from corpus import Recording

import typedstream
from typedstream import StreamEvent, TypedStreamError

ENVELOPE = {
    "id": "chatcmpl-test",
    "object": "chat.completion.chunk",
    "created": 1700000000,
    "model": "test-model",
}


def chunk(
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    *,
    choice: int = 0,
    **top: Any,
) -> dict[str, Any]:
    """A chunk with one choice (`delta`, `finish_reason`) and any top-level keys."""
    return {
        **ENVELOPE,
        "choices": [{"index": choice, "delta": delta or {}, "finish_reason": finish}],
        **top,
    }


def call(
    index: int | None = 0,
    id: str | None = None,
    name: str | None = None,
    arguments: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One `tool_calls` entry; `None` fields are left out."""
    entry: dict[str, Any] = {**extra}
    if index is not None:
        entry["index"] = index
    if id is not None:
        entry["id"] = id
    function = {k: v for k, v in (("name", name), ("arguments", arguments)) if v is not None}
    if function:
        entry["function"] = function
    return entry


def tools(*entries: dict[str, Any], finish: str | None = None, **delta: Any) -> dict[str, Any]:
    """A chunk whose delta carries these tool-call entries."""
    return chunk({"tool_calls": list(entries), **delta}, finish)


def run(*chunks: Any, **options: Any) -> list[StreamEvent]:
    """All events of these chunks (a complete stream unless the test says otherwise)."""
    return list(typedstream.events(list(chunks), **options))


def body(*payloads: Any, done: bool = True, ensure_ascii: bool = True) -> bytes:
    """An SSE body with these payloads: `str` and `bytes` as they are, the rest as JSON.

    `ensure_ascii=False` writes non-ASCII characters as raw UTF-8 instead of `\\u` escapes.
    """

    def data(payload: Any) -> bytes:
        if isinstance(payload, bytes):
            return payload
        if isinstance(payload, str):
            return payload.encode()
        return json.dumps(payload, ensure_ascii=ensure_ascii).encode()

    frames = [data(p) for p in payloads]
    if done:
        frames.append(b"[DONE]")
    return b"".join(b"data: " + f + b"\n\n" for f in frames)


def recorded_sse(rec: Recording) -> bytes:
    """The recording as an SSE body: as recorded, or its JSONL chunks as raw UTF-8 frames.

    Raw UTF-8 (no `\\u` escapes) puts multi-byte characters on the wire, to be cut in half.
    """
    if rec.is_sse:
        return rec.body()
    return body(*rec.chunks(), ensure_ascii=False)


def call_ids(choice: int, index: int) -> str:
    """A deterministic `id_factory`: two runs over the same calls give the same ids."""
    return f"call_{choice}_{index}"


def collect(source: Any, **options: Any) -> tuple[list[StreamEvent], TypedStreamError | None]:
    """The events of `events(source)` up to a typed error, and that error (None: none)."""
    out: list[StreamEvent] = []
    try:
        for event in typedstream.events(source, **options):
            out.append(event)
    except TypedStreamError as exc:
        return out, exc
    return out, None


async def acollect(
    source: Any, **options: Any
) -> tuple[list[StreamEvent], TypedStreamError | None]:
    """`collect` through `aevents`."""
    out: list[StreamEvent] = []
    try:
        async for event in typedstream.aevents(source, **options):
            out.append(event)
    except TypedStreamError as exc:
        return out, exc
    return out, None


def cut_off(events: list[StreamEvent]) -> tuple[list[StreamEvent], list[StreamEvent]]:
    """A stream's events split before the `ToolCallIncomplete("end_of_input")` events an
    incomplete end closes the open calls with (the events a longer stream would not have)."""
    n = len(events)
    while n:
        last = events[n - 1]
        if not (isinstance(last, typedstream.ToolCallIncomplete) and last.reason == "end_of_input"):
            break
        n -= 1
    return events[:n], events[n:]


def described(error: BaseException | None) -> str | None:
    """The error's type and message: errors compare by identity, their descriptions by value."""
    return None if error is None else f"{type(error).__name__}: {error}"


def mock_transport(body: bytes, closed: list[str]) -> httpx.MockTransport:
    """An httpx transport answering every request with this SSE body, in 50-byte pieces.

    Closing the response appends "close" or "aclose" to `closed`.
    """

    class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
        def __iter__(self) -> Any:
            yield from (body[i : i + 50] for i in range(0, len(body), 50))

        async def __aiter__(self) -> Any:
            for i in range(0, len(body), 50):
                yield body[i : i + 50]

        def close(self) -> None:
            closed.append("close")

        async def aclose(self) -> None:
            closed.append("aclose")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Body())

    return httpx.MockTransport(handler)


def kinds(events: list[StreamEvent]) -> list[str]:
    return [e.kind for e in events]


def without_start(events: list[StreamEvent]) -> list[StreamEvent]:
    return [e for e in events if not isinstance(e, typedstream.StreamStarted)]
