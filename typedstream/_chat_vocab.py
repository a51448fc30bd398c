"""The OpenAI chat-completion vocabulary: names and small JSON helpers every chat module
shares (the reader, the checker, the writer, the CLI), defined once.

Knows the wire's words, not its rules: those live in the chat reader (``_chat_reader.py``),
the checker (``_check.py``) and the writer (``_openai_out.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeGuard, get_args

from ._events import FinishReason, StopReason

__all__ = [
    "BOM",
    "CHUNK_OBJECT",
    "DICT",
    "DONE",
    "DONE_BYTES",
    "FINISH_REASONS",
    "LIST",
    "OPENAI_FINISH_REASONS",
    "STOP_REASONS",
    "is_done_marker",
    "is_list",
    "is_map",
    "type_name",
]

DONE: Final = "[DONE]"
"""The end-of-stream marker, as an item: ``normalizer.feed("[DONE]")``."""
DONE_BYTES: Final = b"[DONE]"
"""The end-of-stream marker as an SSE ``data:`` payload or a JSON line."""
BOM: Final = b"\xef\xbb\xbf"
"""The UTF-8 byte-order mark, skipped at the start of a body."""
CHUNK_OBJECT: Final = "chat.completion.chunk"
"""The ``object`` of every chat-completion chunk."""

OPENAI_FINISH_REASONS: Final[frozenset[str]] = frozenset(get_args(FinishReason))
"""The finish reasons OpenAI itself sends."""

FINISH_REASONS: Final[Mapping[str, FinishReason]] = {
    **{reason: reason for reason in get_args(FinishReason)},
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "safety": "content_filter",
}
"""Provider finish reasons (lower-cased) and the OpenAI reason each normalizes to."""

STOP_REASONS: Final[Mapping[str, StopReason]] = {
    "stop": "end",
    "end_turn": "end",
    "stop_sequence": "stop_sequence",
    "length": "max_tokens",
    "max_tokens": "max_tokens",
    "tool_calls": "tool_calls",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "safety": "content_filter",
}
"""Provider finish reasons (lower-cased) and the neutral stop reason of each; any other is
``"other"`` (docs/event-model.md §8)."""

# Hot paths test `type(value) is DICT` (`LIST`) before calling is_map (is_list): nearly
# every value is a dict (a list), and the call would cost more than the rest of the check.
# (`dict` and `list` typed the way JSON is read, so that the test narrows to that type.)
DICT: Final[type[dict[str, Any]]] = dict
LIST: Final[type[list[Any]]] = list


def is_map(value: object) -> TypeGuard[Mapping[str, Any]]:
    """``isinstance(value, Mapping)``, typed for JSON objects (a dict tested first)."""
    return type(value) is dict or isinstance(value, Mapping)


def is_list(value: object) -> TypeGuard[list[Any]]:
    """``isinstance(value, list)``, typed for JSON arrays."""
    return type(value) is list or isinstance(value, list)


def is_done_marker(item: object) -> bool:
    """Whether an item is the ``"[DONE]"`` marker (surrounding whitespace allowed)."""
    return isinstance(item, str) and item.strip() == DONE


def type_name(value: object) -> str:
    """How messages name the type of a value: ``null`` for ``None``, else the class name."""
    return "null" if value is None else type(value).__name__
