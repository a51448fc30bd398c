"""The opaque envelope: continuation state carried through a protocol that is not its origin.

How it works. :func:`wrap` serializes an :class:`~typedstream.OpaqueState` as one compact JSON
string with exactly five keys in a fixed order (docs/event-model.md §7); :func:`unwrap`
recognizes such a string and gives the state back, byte-identical. Native values cannot be
mistaken for an envelope: Anthropic signatures and redacted data are base64, OpenAI
``encrypted_content`` is a Fernet token, and neither starts with ``{``.
"""

from __future__ import annotations

import json
from typing import Final, cast, get_args

from ._errors import ChunkError
from ._events import OpaqueKind, OpaqueOrigin, OpaqueState

__all__ = ["ENVELOPE_VERSION", "unwrap", "wrap"]

ENVELOPE_VERSION: Final = 1
_KEYS: Final = ("typedstream", "origin", "type", "data", "tool_id")
_ORIGINS: Final = frozenset(get_args(OpaqueOrigin))
_KINDS: Final = frozenset(get_args(OpaqueKind))


def wrap(state: OpaqueState) -> str:
    """The envelope string of ``state``: compact JSON, keys in the documented order."""
    return json.dumps(
        {
            "typedstream": ENVELOPE_VERSION,
            "origin": state.origin,
            "type": state.type,
            "data": state.data,
            "tool_id": state.tool_id,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def unwrap(
    value: str, *, block: int | None = None, choice: int = 0, chunk: int | None = None
) -> OpaqueState | None:
    """The state an envelope string carries, or ``None`` when ``value`` is not an envelope.

    Raises:
        ChunkError: an envelope of an unknown version, origin or kind (numbered ``chunk``).
    """
    if not value.startswith("{"):
        return None
    try:
        parsed: object = json.loads(value)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    fields = cast("dict[str, object]", parsed)
    if tuple(fields) != _KEYS:
        return None
    version, origin, kind, data, tool_id = (fields[k] for k in _KEYS)
    if version != ENVELOPE_VERSION:
        raise ChunkError(f"typedstream envelope of unknown version {version!r}", chunk)
    if origin not in _ORIGINS or kind not in _KINDS:
        raise ChunkError(f"typedstream envelope of unknown origin or type: {origin!r}", chunk)
    if not isinstance(data, str) or not data or not (tool_id is None or isinstance(tool_id, str)):
        raise ChunkError("typedstream envelope whose data is not a non-empty string", chunk)
    return OpaqueState(
        cast("OpaqueOrigin", origin), cast("OpaqueKind", kind), data, block, tool_id, None, choice
    )
