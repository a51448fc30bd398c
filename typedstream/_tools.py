"""The typed tool registry.

How it works. Arguments are parsed by ``_arguments.parse_arguments`` (behind
:meth:`ToolCallDone.parse_arguments <typedstream.ToolCallDone.parse_arguments>`); every
failure is a :class:`~typedstream.ToolArgumentsError` carrying the text, the call id and the
name (:class:`~typedstream.UnknownToolError` when the registry has no tool of that name).

The registry is three small generic classes. A :class:`Tool` pairs a tool name with the
type of its arguments (a pydantic model, usually); :class:`Tools` holds several and turns a
:class:`~typedstream.ToolCallDone` into a :class:`ToolCall` whose ``args`` is the validated
arguments object. The registry's type parameter is the union of its tools' argument types,
so ``tools.parse(event).args`` has the static type ``WeatherArgs | TimeArgs`` and a
``match`` on it is checked. Both produce the ``tools=[...]`` definitions for the OpenAI
(and LiteLLM) request from the same types, so the schema sent and the validation applied
cannot drift apart. pydantic and openai are imported on first use only.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ._arguments import adapter, parse_arguments
from ._errors import ToolArgumentsError, UnknownToolError, UsageError

if TYPE_CHECKING:
    from openai.types.chat import (
        ChatCompletionFunctionToolParam,
        ChatCompletionToolMessageParam,
    )
    from typing_extensions import Never

    from ._events import ToolCallDone

__all__ = ["Tool", "ToolCall", "Tools", "UnknownToolError", "parse_arguments"]

_T = TypeVar("_T")
ArgsT = TypeVar("ArgsT", covariant=True)
_A1 = TypeVar("_A1")
_A2 = TypeVar("_A2")
_A3 = TypeVar("_A3")
_A4 = TypeVar("_A4")
_A5 = TypeVar("_A5")
_A6 = TypeVar("_A6")
_A7 = TypeVar("_A7")
_A8 = TypeVar("_A8")
_A9 = TypeVar("_A9")
_A10 = TypeVar("_A10")


@dataclasses.dataclass(frozen=True, slots=True)
class ToolCall(Generic[ArgsT]):
    """A finished tool call with validated arguments, as :meth:`Tools.parse` returns it."""

    id: str
    """The call id (send it back as ``tool_call_id``)."""
    name: str
    """The tool name."""
    args: ArgsT
    """The validated arguments: an instance of the tool's arguments type."""
    arguments: str
    """The arguments JSON text exactly as streamed."""
    index: int = 0
    """Dense index of the call within its choice."""
    choice: int = 0
    """The choice the call belongs to."""

    def tool_message(self, content: str) -> ChatCompletionToolMessageParam:
        """The ``{"role": "tool", "tool_call_id", "content"}`` message answering this call."""
        return {"role": "tool", "tool_call_id": self.id, "content": content}


@dataclasses.dataclass(frozen=True, slots=True)
class Tool(Generic[ArgsT]):
    """A tool: its name and the type its arguments validate into.

    ``Tool("get_weather", WeatherArgs)``. ``args`` is usually a pydantic model; any type
    pydantic can validate (a dataclass, a ``TypedDict``) works too. ``description`` defaults
    to the type's own docstring. ``strict=True`` sends the tool with OpenAI structured
    outputs (``strict: true`` and the strict JSON schema; needs a pydantic model).
    """

    name: str
    """The function name the model calls."""
    args: type[ArgsT]
    """The arguments type."""
    description: str | None = None
    """What the tool does, for the model; defaults to the docstring of :attr:`args`."""
    strict: bool = False
    """Send the definition with ``strict: true`` (OpenAI structured outputs)."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise UsageError(f"a tool name must be a non-empty string, got {self.name!r}")
        if self.description is None:
            object.__setattr__(self, "description", _docstring(self.args))

    def parse(self, call: ToolCallDone) -> ToolCall[ArgsT]:
        """Validate a finished call of this tool into a :class:`ToolCall`.

        Raises:
            ToolArgumentsError: the call is for another tool, the stream cut it off (a
                :class:`~typedstream.ToolCallIncomplete` passed by untyped code), or its
                arguments are not valid JSON or do not validate.
        """
        _refuse_incomplete(call)
        if call.name != self.name:
            raise ToolArgumentsError(
                f"the call is for {call.name!r}, not for the tool {self.name!r}",
                arguments=call.arguments,
                id=call.id,
                name=call.name,
            )
        args: ArgsT = parse_arguments(call.arguments, call.id, call.name, self.args)
        return ToolCall(call.id, call.name, args, call.arguments, call.index, call.choice)

    def to_openai(self) -> ChatCompletionFunctionToolParam:
        """The definition to send in ``tools=[...]`` (OpenAI and LiteLLM format)."""
        if self.strict:
            import openai
            from pydantic import BaseModel

            model: object = self.args
            if not (inspect.isclass(model) and issubclass(model, BaseModel)):
                raise TypeError(
                    f"tool {self.name!r}: strict=True needs a pydantic model, got {self.args!r}"
                )
            definition = openai.pydantic_function_tool(
                model, name=self.name, description=self.description
            )
            if self.description is None:  # openai falls back to the raw docstring
                definition["function"].pop("description", None)
            return definition
        function: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            function["description"] = self.description
        function["parameters"] = adapter(self.args).json_schema()
        return {"type": "function", "function": function}  # type: ignore[typeddict-item]


def _refuse_incomplete(call: ToolCallDone) -> None:
    # The signature takes only ToolCallDone; this guards callers the checkers do not see.
    kind: str = call.kind
    if kind != "tool_call_done":
        reason = getattr(call, "reason", None)
        raise ToolArgumentsError(
            f"the stream cut the call off (finish reason {reason!r}) before its arguments "
            "were complete; it must not be run",
            arguments=call.arguments,
            id=call.id,
            name=call.name,
        )


def _docstring(args: object) -> str | None:
    if not isinstance(args, type):
        return None
    doc = vars(args).get("__doc__")  # its own docstring, not an inherited one
    if not isinstance(doc, str) or not doc.strip():
        return None
    if dataclasses.is_dataclass(args) and doc.startswith(f"{args.__name__}("):
        return None  # the signature dataclasses writes when a class has no docstring
    return inspect.cleandoc(doc)


class Tools(Mapping[str, "Tool[Any]"], Generic[ArgsT]):
    """A registry of tools that turns finished calls into typed :class:`ToolCall` objects.

    ::

        tools = Tools(Tool("get_weather", WeatherArgs), Tool("get_time", TimeArgs))
        stream = client.chat.completions.create(..., tools=tools.to_openai(), stream=True)
        for event in typedstream.events(stream):
            if isinstance(event, typedstream.ToolCallDone):
                call = tools.parse(event)      # ToolCall[WeatherArgs | TimeArgs]
                match call.args:
                    case WeatherArgs(city=city): ...
                    case TimeArgs(tz=tz): ...

    The type parameter is the union of the tools' argument types (inferred for up to ten
    tools passed to the constructor; with more the checkers see ``Tools[Any]``). A
    ``Mapping`` from tool name to :class:`Tool`.
    """

    __slots__ = ("_tools",)

    @overload
    def __init__(self: Tools[Never]) -> None: ...
    @overload
    def __init__(self: Tools[_A1], t1: Tool[_A1], /) -> None: ...
    @overload
    def __init__(self: Tools[_A1 | _A2], t1: Tool[_A1], t2: Tool[_A2], /) -> None: ...
    @overload
    def __init__(
        self: Tools[_A1 | _A2 | _A3], t1: Tool[_A1], t2: Tool[_A2], t3: Tool[_A3], /
    ) -> None: ...
    @overload
    def __init__(
        self: Tools[_A1 | _A2 | _A3 | _A4],
        t1: Tool[_A1],
        t2: Tool[_A2],
        t3: Tool[_A3],
        t4: Tool[_A4],
        /,
    ) -> None: ...
    @overload
    def __init__(
        self: Tools[_A1 | _A2 | _A3 | _A4 | _A5],
        t1: Tool[_A1],
        t2: Tool[_A2],
        t3: Tool[_A3],
        t4: Tool[_A4],
        t5: Tool[_A5],
        /,
    ) -> None: ...
    @overload
    def __init__(
        self: Tools[_A1 | _A2 | _A3 | _A4 | _A5 | _A6],
        t1: Tool[_A1],
        t2: Tool[_A2],
        t3: Tool[_A3],
        t4: Tool[_A4],
        t5: Tool[_A5],
        t6: Tool[_A6],
        /,
    ) -> None: ...
    @overload
    def __init__(
        self: Tools[_A1 | _A2 | _A3 | _A4 | _A5 | _A6 | _A7],
        t1: Tool[_A1],
        t2: Tool[_A2],
        t3: Tool[_A3],
        t4: Tool[_A4],
        t5: Tool[_A5],
        t6: Tool[_A6],
        t7: Tool[_A7],
        /,
    ) -> None: ...
    @overload
    def __init__(
        self: Tools[_A1 | _A2 | _A3 | _A4 | _A5 | _A6 | _A7 | _A8],
        t1: Tool[_A1],
        t2: Tool[_A2],
        t3: Tool[_A3],
        t4: Tool[_A4],
        t5: Tool[_A5],
        t6: Tool[_A6],
        t7: Tool[_A7],
        t8: Tool[_A8],
        /,
    ) -> None: ...
    @overload
    def __init__(
        self: Tools[_A1 | _A2 | _A3 | _A4 | _A5 | _A6 | _A7 | _A8 | _A9],
        t1: Tool[_A1],
        t2: Tool[_A2],
        t3: Tool[_A3],
        t4: Tool[_A4],
        t5: Tool[_A5],
        t6: Tool[_A6],
        t7: Tool[_A7],
        t8: Tool[_A8],
        t9: Tool[_A9],
        /,
    ) -> None: ...
    @overload
    def __init__(
        self: Tools[_A1 | _A2 | _A3 | _A4 | _A5 | _A6 | _A7 | _A8 | _A9 | _A10],
        t1: Tool[_A1],
        t2: Tool[_A2],
        t3: Tool[_A3],
        t4: Tool[_A4],
        t5: Tool[_A5],
        t6: Tool[_A6],
        t7: Tool[_A7],
        t8: Tool[_A8],
        t9: Tool[_A9],
        t10: Tool[_A10],
        /,
    ) -> None: ...
    @overload
    def __init__(self: Tools[Any], *tools: Tool[Any]) -> None: ...
    def __init__(self, *tools: Tool[Any]) -> None:
        by_name: dict[str, Tool[Any]] = {}
        for tool in tools:
            if not isinstance(tool, Tool):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise TypeError(f"Tools() takes Tool objects, got {type(tool).__name__}")
            if tool.name in by_name:
                raise UsageError(f"two tools are named {tool.name!r}")
            by_name[tool.name] = tool
        self._tools = by_name

    def parse(self, call: ToolCallDone) -> ToolCall[ArgsT]:
        """Validate a finished call with the tool it names.

        Raises:
            UnknownToolError: no tool has the call's name.
            ToolArgumentsError: the stream cut the call off (a
                :class:`~typedstream.ToolCallIncomplete` passed by untyped code), or the
                arguments are not valid JSON or do not validate.
        """
        _refuse_incomplete(call)
        tool = self._tools.get(call.name)
        if tool is None:
            raise UnknownToolError(
                arguments=call.arguments, id=call.id, name=call.name, known=tuple(self._tools)
            )
        parsed: ToolCall[ArgsT] = tool.parse(call)
        return parsed

    def to_openai(self) -> list[ChatCompletionFunctionToolParam]:
        """The ``tools=[...]`` list for the request, in registration order."""
        return [tool.to_openai() for tool in self._tools.values()]

    def __getitem__(self, name: str) -> Tool[Any]:
        return self._tools[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tools)

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        return f"Tools({', '.join(repr(tool) for tool in self._tools.values())})"
