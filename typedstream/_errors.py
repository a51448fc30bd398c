"""One error tree, split by who is to blame.

``ChunkError``: the input is malformed (the provider's or the caller's fault). ``ProviderError``:
the provider reported an error inside the stream. ``IncompleteStreamError``: the stream ended
before it was complete. ``ToolArgumentsError``: a finished call's arguments do not parse or
validate (``UnknownToolError``: it names no known tool). ``UsageError``: the caller misused
the library. Every error raised while streaming comes after every event before it was delivered;
exceptions raised by the source itself are never wrapped.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from typing import Any, cast

__all__ = [
    "ChunkError",
    "IncompleteStreamError",
    "ProviderError",
    "ToolArgumentsError",
    "TypedStreamError",
    "UnknownToolError",
    "UnwritableEventError",
    "UsageError",
]


class TypedStreamError(Exception):
    """Base class of every error typedstream raises."""


class ChunkError(TypedStreamError):
    """A chunk is malformed or breaks the stream's rules.

    The message names the chunk and the problem, e.g.
    ``chunk 7: choice 0: tool call 1: 'function.arguments' must be a string, got int``.
    """

    chunk: int | None
    """1-based number of the offending chunk (``None`` when no single chunk is to blame)."""
    problem: str
    """What is wrong, without the chunk number."""

    def __init__(self, problem: str, chunk: int | None = None) -> None:
        self.chunk = chunk
        self.problem = problem
        super().__init__(problem if chunk is None else f"chunk {chunk}: {problem}")


class ProviderError(TypedStreamError):
    """The provider sent an error inside the stream (a top-level ``error`` or ``event: error``)."""

    payload: Any
    """The error object as sent (usually ``{"message", "type", "code", …}``)."""
    chunk: int
    """1-based number of the chunk that carried it."""

    def __init__(self, payload: Any, chunk: int) -> None:
        self.payload = payload
        self.chunk = chunk
        message = _field(payload, "message")
        detail = message if isinstance(message, str) and message else bounded_repr(payload)
        super().__init__(f"chunk {chunk}: provider error: {detail}")

    @property
    def message(self) -> str | None:
        """``payload["message"]`` when the payload has a string message."""
        message = _field(self.payload, "message")
        return message if isinstance(message, str) else None

    @property
    def code(self) -> Any:
        """``payload["code"]`` when present (a string or a number, as the provider sent it)."""
        return _field(self.payload, "code")


_shown = reprlib.Repr()
_shown.maxlevel = 10
_shown.maxdict = _shown.maxlist = _shown.maxtuple = _shown.maxstring = _shown.maxother = 10_000


def bounded_repr(value: Any) -> str:
    """``repr(value)`` for messages, ten levels deep at most: the ``repr()`` of a value nested
    a thousand deep is a ``RecursionError``."""
    try:
        return _shown.repr(value)
    except RecursionError:  # a type of the caller's whose own __repr__ recurses
        return f"<a {type(value).__name__}>"


def _field(payload: Any, key: str) -> Any:
    if isinstance(payload, Mapping):
        return cast("Mapping[str, Any]", payload).get(key)
    return None


class IncompleteStreamError(TypedStreamError):
    """The source ended before the stream was complete (see "Ordering and completion").

    Raised after every complete event was delivered. Tool calls that were still streaming
    are listed here and were never reported done: a parsable prefix is not a finished call.
    """

    unfinished_choices: tuple[int, ...]
    """Choices that had no finish reason when the source ended."""
    open_tool_calls: tuple[tuple[int, int, str | None, str], ...]
    """``(choice, index, name, arguments so far)`` of each call cut off."""

    def __init__(
        self,
        problem: str,
        unfinished_choices: tuple[int, ...] = (),
        open_tool_calls: tuple[tuple[int, int, str | None, str], ...] = (),
    ) -> None:
        self.unfinished_choices = unfinished_choices
        self.open_tool_calls = open_tool_calls
        super().__init__(problem)


class ToolArgumentsError(TypedStreamError, ValueError):
    """A tool call's arguments are not valid JSON, not an object, or fail validation."""

    arguments: str
    """The arguments text as streamed."""
    id: str
    """The call id."""
    name: str
    """The function name."""

    def __init__(self, problem: str, *, arguments: str, id: str, name: str) -> None:
        self.arguments = arguments
        self.id = id
        self.name = name
        super().__init__(f"tool call {id!r} ({name}): {problem}")


class UnknownToolError(ToolArgumentsError):
    """A tool call names a tool the registry does not have.

    A :class:`~typedstream.ToolArgumentsError` because, like bad arguments, it is a mistake
    of the model's that an agent reports back to it (``except ToolArgumentsError`` handles
    both); catch this subclass to tell the two apart.
    """

    known: tuple[str, ...]
    """The names the registry knows."""

    def __init__(self, *, arguments: str, id: str, name: str, known: tuple[str, ...]) -> None:
        self.known = known
        listed = ", ".join(known) if known else "none"
        super().__init__(
            f"no tool named {name!r} (known: {listed})", arguments=arguments, id=id, name=name
        )


class UsageError(TypedStreamError, ValueError):
    """The library was used in a way it does not allow: feeding a reader that failed or
    ended, an invalid option, events a writer cannot serialize in that order.

    A bug in the calling code, not in the stream; a ``ValueError`` too, as such misuse is.
    """


class UnwritableEventError(TypedStreamError):
    """A writer got an event its wire protocol cannot express without corrupting the reply.

    Raised for a client tool call a target cannot carry (a custom tool call in chat or
    Anthropic output) and for choices other than 0 in Anthropic or Responses output: dropping
    a call the model made would corrupt the conversation, unlike dropping a display fact.
    """

    def __init__(self, problem: str, event: object) -> None:
        super().__init__(problem)
        self.event = event
        """The event that could not be written."""
