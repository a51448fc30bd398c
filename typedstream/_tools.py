"""Parsing and validating tool-call arguments.

``json.loads`` semantics for the plain form (the arguments are the model's JSON text as
streamed); pydantic ``TypeAdapter`` validation, one adapter per type built on first use and
cached, for the typed form. pydantic is imported only when a type is given.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeVar

from ._errors import ToolArgumentsError

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = ["parse_arguments"]

_T = TypeVar("_T")


def parse_arguments(arguments: str, id: str, name: str, model: type[_T] | None) -> Any:
    """Parse ``arguments`` (``""`` means ``{}``); validate into ``model`` when given."""
    text = arguments if arguments.strip() else "{}"
    if model is None:
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ToolArgumentsError(
                f"arguments are not valid JSON: {exc}", arguments=arguments, id=id, name=name
            ) from exc
        if not isinstance(value, dict):
            raise ToolArgumentsError(
                f"arguments are not a JSON object but {type(value).__name__}",
                arguments=arguments,
                id=id,
                name=name,
            )
        return value
    from pydantic import ValidationError

    try:
        return _adapter(model).validate_json(text)
    except ValidationError as exc:
        raise ToolArgumentsError(
            f"arguments do not validate as {getattr(model, '__name__', model)}: {exc}",
            arguments=arguments,
            id=id,
            name=name,
        ) from exc


_adapters: dict[object, Any] = {}


def _adapter(model: type[_T]) -> TypeAdapter[_T]:
    adapter: TypeAdapter[_T] | None = _adapters.get(model)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = _adapters[model] = TypeAdapter(model)
    return adapter
