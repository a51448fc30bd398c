"""Small builders for hand-written chunks in tests."""

from __future__ import annotations

from typing import Any

import typedstream
from typedstream import StreamEvent

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


def body(*payloads: Any, done: bool = True) -> bytes:
    """An SSE body with these payloads (dicts are JSON-encoded)."""
    import json

    frames = [f"data: {p if isinstance(p, str) else json.dumps(p)}\n\n" for p in payloads]
    if done:
        frames.append("data: [DONE]\n\n")
    return "".join(frames).encode()


def kinds(events: list[StreamEvent]) -> list[str]:
    return [e.kind for e in events]


def without_start(events: list[StreamEvent]) -> list[StreamEvent]:
    return [e for e in events if not isinstance(e, typedstream.StreamStarted)]
