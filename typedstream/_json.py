"""JSON at the edges: what input may hold that JSON output cannot, handled in one place.

How it works. typedstream passes opaque values (usage, provider data, logprobs, moderation,
error payloads) on without looking inside them: a walk of every chunk would cost more than
reading it. Only where such a value is written as JSON or copied does it matter what is
inside, and there the fast path runs unchanged: :func:`dumps` tries the C encoder first and
only when that fails (``NaN``, a lone surrogate, a non-``dict`` mapping, a value nested
deeper than the interpreter's stack) cleans the value and tries again. Cleaning is the rule
written in docs/errors.md ("Values JSON cannot hold"):

* ``NaN`` and ``±Infinity`` become ``null``, as pydantic writes them;
* a lone surrogate is written as its ``\\udXXX`` escape, which every JSON parser (and the
  ``openai`` SDK) reads back as the same string;
* any mapping is an object, a tuple an array, a pydantic model its ``model_dump()``; keys
  that are not strings are written the way :func:`json.dumps` writes them (``1`` -> ``"1"``);
* a value nested deeper than :data:`MAX_DEPTH`, or of a type JSON has no form for, is a
  :class:`~typedstream.ChunkError` naming where it is.

:func:`copy` is the accumulator's deep copy with the same depth bound, and :func:`loads` the
raw-SSE reader's fallback for the one thing jiter refuses that JSON allows: lone surrogate
escapes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Final, cast

from ._errors import ChunkError

__all__ = ["MAX_DEPTH", "copy", "dumps", "dumps_text", "loads", "model_fields"]

MAX_DEPTH: Final = 200
"""Containers nested deeper than this are refused (jiter, which reads raw SSE, stops at 201)."""

# One encoder for every frame: json.dumps() would build a new one per call for these options.
# allow_nan=False sends NaN to the slow path instead of writing it out as non-JSON.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
_SURROGATE = re.compile("[\ud800-\udfff]")
# What the C encoder raises for values it cannot write: NaN (ValueError), unknown types and
# non-dict mappings (TypeError), deep nesting (RecursionError), lone surrogates (on .encode()).
_UNWRITABLE = (ValueError, TypeError, RecursionError)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON of ``value``; see the module docstring for what is cleaned."""
    try:
        return _encode(value).encode()
    except _UNWRITABLE:  # UnicodeEncodeError is a ValueError
        return dumps_text(value).encode()


def dumps_text(value: Any) -> str:
    """Compact JSON text of ``value``, cleaned first (the slow path of :func:`dumps`)."""
    text = _encode(_clean(value, MAX_DEPTH, "$"))
    # A lone surrogate can only stand inside a JSON string, where its escape means the same.
    return _SURROGATE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _clean(value: Any, depth: int, where: str) -> Any:
    cls = value.__class__
    if cls is str or cls is int or cls is bool or value is None:
        return value
    if cls is float:
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        if depth == 0:
            raise _too_deep(where)
        mapping: Mapping[Any, Any] = value  # pyright: ignore[reportUnknownVariableType]
        return {_key(k, where): _clean(v, depth - 1, f"{where}.{k}") for k, v in mapping.items()}
    if isinstance(value, (list, tuple)):
        if depth == 0:
            raise _too_deep(where)
        values: list[Any] | tuple[Any, ...] = value  # pyright: ignore[reportUnknownVariableType]
        return [_clean(v, depth - 1, f"{where}[{i}]") for i, v in enumerate(values)]
    if isinstance(value, (str, int)):  # subclasses (enums): written as their JSON value
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # a chunk object of the openai SDK or LiteLLM (a RawChunk's)
        return _clean(dump(exclude_unset=True, warnings=False), depth, where)
    raise ChunkError(f"{where} cannot be written as JSON: a {type(value).__name__} value")


def _key(key: object, where: str) -> str:
    if isinstance(key, str):
        return key
    if (
        key is None
        or isinstance(key, (bool, int))
        or (isinstance(key, float) and math.isfinite(key))
    ):
        return json.dumps(key)
    raise ChunkError(f"{where} cannot be written as JSON: a {type(key).__name__} key")


def _too_deep(where: str) -> ChunkError:
    shown = where if len(where) <= 60 else where[:60] + "…"
    return ChunkError(f"{shown} is nested deeper than {MAX_DEPTH} levels")


def copy(value: Any, where: str = "a value", depth: int = MAX_DEPTH) -> Any:
    """A deep copy of the mappings (as ``dict``) and lists in ``value`` (``where`` names it in
    the error for a value nested deeper than ``depth``)."""
    if isinstance(value, Mapping):
        if depth == 0:
            raise _too_deep(where)
        items = cast("Mapping[str, Any]", value).items()
        return {k: copy(v, where, depth - 1) for k, v in items}
    if isinstance(value, list):
        if depth == 0:
            raise _too_deep(where)
        values: list[Any] = value  # pyright: ignore[reportUnknownVariableType]
        return [copy(v, where, depth - 1) for v in values]
    return value


def loads(data: bytes) -> Any:
    """Parse what jiter refused: JSON with lone surrogate escapes, as ``json.loads`` reads it.

    Raises ``ValueError`` for anything else (malformed, too deep), so that the caller reports
    jiter's own message.
    """
    if b"\\u" not in data:
        raise ValueError("no escape: nothing jiter could have refused")
    try:
        value = json.loads(data)
        copy(value)  # the depth bound jiter applies
    except (ValueError, RecursionError, ChunkError) as exc:
        raise ValueError(str(exc)) from None
    return value


def model_fields(value: Any, where: str = "the chunk", depth: int = MAX_DEPTH) -> Any:
    """What ``model_dump(exclude_unset=True)`` gives, read from the models' own attributes.

    For the model objects whose ``model_dump()`` fails: pydantic 2.9 leaves a placeholder
    serializer on some ``openai`` models built with ``construct()`` (``TypeError: 'MockValSer'
    object cannot be converted to 'SchemaSerializer'``). Fields that were set, then extra keys,
    in order; containers are converted the same way, :data:`MAX_DEPTH` deep at most.
    """
    if depth < 0:
        raise _too_deep(where)
    fields_set = getattr(value, "model_fields_set", None)
    if isinstance(fields_set, (set, frozenset)):
        attributes = getattr(value, "__dict__", {})
        out = {
            k: model_fields(v, where, depth - 1) for k, v in attributes.items() if k in fields_set
        }
        extra: Mapping[str, Any] = getattr(value, "__pydantic_extra__", None) or {}
        out.update((k, model_fields(v, where, depth - 1)) for k, v in extra.items())
        return out
    if isinstance(value, Mapping):
        mapping = cast("Mapping[object, Any]", value)
        return {k: model_fields(v, where, depth - 1) for k, v in mapping.items()}
    if isinstance(value, (list, tuple)):
        return [model_fields(v, where, depth - 1) for v in cast("list[Any]", value)]
    return value
