"""Static typing checks for tool arguments, the tool registry and the accumulator.

Type-checked by mypy --strict and pyright (`nox -s typing`); never executed as tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from openai.types.chat import ChatCompletion
from openai.types.responses import Response
from pydantic import BaseModel
from typing_extensions import Never, assert_never, assert_type

import typedstream
from typedstream import (
    Accumulator,
    StreamEvent,
    Tool,
    ToolCall,
    ToolCallDone,
    Tools,
    UnknownToolError,
)


class WeatherArgs(BaseModel):
    city: str


class TimeArgs(BaseModel):
    tz: str


@dataclass
class SearchArgs:
    query: str


def check_parse_arguments(done: ToolCallDone) -> None:
    assert_type(done.parse_arguments(), dict[str, Any])
    assert_type(done.parse_arguments(WeatherArgs), WeatherArgs)
    assert_type(done.parse_arguments(SearchArgs), SearchArgs)


def check_tool(done: ToolCallDone) -> None:
    weather = Tool("get_weather", WeatherArgs)
    assert_type(weather, Tool[WeatherArgs])
    call = weather.parse(done)
    assert_type(call, ToolCall[WeatherArgs])
    assert_type(call.args, WeatherArgs)
    assert_type(call.args.city, str)
    assert_type(call.id, str)
    assert_type(call.name, str)
    assert_type(call.arguments, str)
    assert_type(Tool("search", SearchArgs, strict=False).parse(done).args, SearchArgs)


def check_tools(done: ToolCallDone) -> None:
    tools = Tools(Tool("get_weather", WeatherArgs), Tool("get_time", TimeArgs))
    assert_type(tools, Tools[WeatherArgs | TimeArgs])
    call = tools.parse(done)
    assert_type(call, ToolCall[WeatherArgs | TimeArgs])
    match call.args:
        case WeatherArgs():
            assert_type(call.args, WeatherArgs)
        case TimeArgs():
            assert_type(call.args, TimeArgs)
        case _:
            assert_never(call.args)
    assert_type(tools["get_weather"], Tool[Any])
    assert_type(list(tools), list[str])
    definitions = tools.to_openai()
    assert_type(definitions[0]["function"]["name"], str)


def check_tools_of_one_and_of_none(done: ToolCallDone) -> None:
    assert_type(Tools(Tool("search", SearchArgs)).parse(done).args, SearchArgs)
    assert_type(Tools().parse(done).args, Never)


def check_tools_of_three(done: ToolCallDone) -> None:
    tools = Tools(
        Tool("get_weather", WeatherArgs), Tool("get_time", TimeArgs), Tool("search", SearchArgs)
    )
    assert_type(tools.parse(done).args, WeatherArgs | TimeArgs | SearchArgs)


def check_covariance(tools: Tools[WeatherArgs]) -> Tools[BaseModel]:
    return tools  # a registry of WeatherArgs is a registry of BaseModel arguments


def check_unknown_tool_error(error: UnknownToolError) -> None:
    assert_type(error.known, tuple[str, ...])
    assert_type(error.arguments, str)
    assert_type(error.id, str)
    assert_type(error.name, str)


def check_accumulate(events: Iterator[StreamEvent]) -> None:
    assert_type(typedstream.accumulate(events), ChatCompletion)
    assert_type(typedstream.accumulate(events, into="response"), dict[str, Any])


async def check_aaccumulate(events: AsyncIterator[StreamEvent]) -> None:
    assert_type(await typedstream.aaccumulate(events), ChatCompletion)
    assert_type(await typedstream.aaccumulate(events, into="response"), dict[str, Any])


def check_accumulator_response(event: StreamEvent) -> None:
    acc = Accumulator(response=True)
    acc.add(event)
    assert_type(acc.response(), dict[str, Any])
    assert_type(acc.response_model(), Response)
    writer = typedstream.ResponsesWriter(model="gpt-5", echo={"instructions": "Be brief."})
    assert_type(Accumulator(response=writer).response(), dict[str, Any])


def check_accumulator(event: StreamEvent) -> None:
    acc = Accumulator()
    acc.add(event)
    acc.extend([event])
    assert_type(acc.text(), str)
    assert_type(acc.reasoning(choice=1), str)
    assert_type(acc.refusal(), str)
    assert_type(acc.arguments(0, choice=0), str)
    assert_type(acc.partial_arguments(0, mode="on"), Any)
    assert_type(acc.completion(), ChatCompletion)
    assert_type(acc.choices, tuple[int, ...])
    assert_type(acc.finished(), bool)
    assert_type(acc.usage, dict[str, Any] | None)
    assert_type(acc.started, typedstream.StreamStarted | None)
