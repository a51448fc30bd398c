"""The reading options, in one frozen object passed from the entry points (``events()``,
``aevents()``, the CLI) through the feeder to the reader.

Each option is documented once, on :func:`typedstream.events` and
:class:`typedstream.Normalizer`; this object only carries them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from ._errors import UsageError
from ._state import IdFactory

__all__ = ["MAX_CHUNK_BYTES", "IdFactory", "ReadOptions", "ReadProtocol"]

ReadProtocol: TypeAlias = Literal["auto", "chat", "anthropic", "responses"]
"""The wire protocol a source is read as; ``"auto"``: decided by its first item."""

MAX_CHUNK_BYTES: Final = 16 * 1024 * 1024
"""The default limit on one SSE line, one SSE event's data and one JSON line, in bytes."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How one stream is read (see :func:`typedstream.events` for each option)."""

    strict: bool = False
    assume_complete: bool = False
    expect_done: bool = False
    """The transport marks its end with ``[DONE]`` (known before the first item)."""
    defer_tool_call_done: bool = False
    done_events: bool = False
    raw: bool = False
    id_factory: IdFactory | None = None
    lines: bool = False
    max_chunk_bytes: int | None = MAX_CHUNK_BYTES
    protocol: ReadProtocol = "auto"

    def __post_init__(self) -> None:
        check_limit(self.max_chunk_bytes)


def check_limit(max_chunk_bytes: int | None) -> None:
    """Refuse a limit that no chunk could meet."""
    if max_chunk_bytes is not None and max_chunk_bytes < 1:
        raise UsageError(f"max_chunk_bytes must be positive, got {max_chunk_bytes}")
