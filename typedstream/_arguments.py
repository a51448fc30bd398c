"""Tool-call arguments: parsing and validation (below the events, which offer it as
:meth:`ToolCallDone.parse_arguments <typedstream.ToolCallDone.parse_arguments>`).

How it works. :func:`parse_arguments` parses with ``json.loads`` semantics for the plain form
and validates with a pydantic ``TypeAdapter`` for the typed form -- one adapter per type, built
on first use and cached. Every failure is a :class:`~typedstream.ToolArgumentsError` carrying
the text, the call id and the name. pydantic is imported on first use only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeVar

from ._errors import ToolArgumentsError

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = ["adapter", "parse_arguments"]

_T = TypeVar("_T")


def parse_arguments(arguments: str, id: str, name: str, model: type[_T] | None) -> Any:
    """Parse ``arguments`` (empty or blank means ``{}``); validate into ``model`` when given.

    Without ``model``: ``json.loads`` of the text, which must be a JSON object. With a
    type: pydantic validation of the JSON text in its default (lax) mode.
    """
    text = arguments if arguments.strip() else "{}"
    if model is None:
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ToolArgumentsError(
                f"arguments are not valid JSON: {exc}", arguments=arguments, id=id, name=name
            ) from exc
        except RecursionError:
            raise ToolArgumentsError(
                "arguments are nested too deeply to parse", arguments=arguments, id=id, name=name
            ) from None
        if not isinstance(value, dict):
            raise ToolArgumentsError(
                f"arguments are not a JSON object but {_json_kind(value)}",
                arguments=arguments,
                id=id,
                name=name,
            )
        result: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
        return result
    from pydantic import ValidationError

    try:
        return adapter(model).validate_json(text)
    except ValidationError as exc:
        raise ToolArgumentsError(
            f"arguments do not validate as {getattr(model, '__name__', model)}: {exc}",
            arguments=arguments,
            id=id,
            name=name,
        ) from exc


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


_adapters: dict[object, Any] = {}


def adapter(model: type[_T]) -> TypeAdapter[_T]:
    """The pydantic adapter of ``model``, built on first use and cached."""
    cached: TypeAdapter[_T] | None = _adapters.get(model)
    if cached is None:
        from pydantic import TypeAdapter

        cached = _adapters[model] = TypeAdapter(model)
    return cached
