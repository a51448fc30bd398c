"""Tool arguments: `ToolCallDone.parse_arguments()` and the typed registry (`Tool`, `Tools`).

Recorded calls are compared with `json.loads` of their text; schemas with pydantic's and the
`openai` SDK's own output; the expected objects are written by hand.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Literal

import pytest
from corpus import Recording, ids, recording, recordings
from pydantic import BaseModel, ConfigDict, ValidationError

import typedstream
from typedstream import (
    Tool,
    ToolArgumentsError,
    ToolCall,
    ToolCallDone,
    Tools,
    TypedStreamError,
    UnknownToolError,
)

WITH_CALLS = tuple(
    r
    for r in recordings()
    if not r.is_error and any(isinstance(e, ToolCallDone) for e in typedstream.events(r.chunks()))
)


def done_calls(rec: Recording) -> list[ToolCallDone]:
    return [e for e in typedstream.events(rec.chunks()) if isinstance(e, ToolCallDone)]


class Loose(BaseModel):
    """Any JSON object, kept as it is."""

    model_config = ConfigDict(extra="allow")


class GetWeatherArgs(BaseModel):
    city: str
    country: str
    units: Literal["c", "f"] = "c"


class StockArgs(BaseModel):
    """Latest price of a stock."""

    ticker: str
    exchange: str


@dataclasses.dataclass
class TimeArgs:
    tz: str


def done(arguments: str, name: str = "get_weather", id: str = "call_1") -> ToolCallDone:
    return ToolCallDone(0, id, name, arguments)


# -- parse_arguments on recorded calls ----------------------------------------------------


def test_recordings_with_calls_are_found() -> None:
    assert len(WITH_CALLS) >= 20


@pytest.mark.parametrize("rec", WITH_CALLS, ids=ids(WITH_CALLS))
def test_parse_arguments_equals_json_loads_on_every_recorded_call(rec: Recording) -> None:
    for call in done_calls(rec):
        assert call.arguments.strip(), "recorded calls all carry arguments"
        assert call.parse_arguments() == json.loads(call.arguments)


@pytest.mark.parametrize("rec", WITH_CALLS, ids=ids(WITH_CALLS))
def test_model_overload_validates_every_recorded_call(rec: Recording) -> None:
    for call in done_calls(rec):
        parsed = call.parse_arguments(Loose)
        assert isinstance(parsed, Loose)
        assert parsed.model_dump() == json.loads(call.arguments)


def test_model_overload_gives_the_typed_arguments_of_a_recorded_call() -> None:
    (call,) = done_calls(recording("openai_gpt4o_tool_call_pydantic.sse"))
    assert call.parse_arguments(GetWeatherArgs) == GetWeatherArgs(
        city="Edinburgh", country="UK", units="c"
    )


def test_model_overload_takes_dataclasses_too() -> None:
    assert done('{"tz": "UTC"}').parse_arguments(TimeArgs) == TimeArgs(tz="UTC")


# -- parse_arguments errors ----------------------------------------------------------------


@pytest.mark.parametrize("arguments", ["", "   ", "\n"])
def test_empty_arguments_are_an_empty_object(arguments: str) -> None:
    assert done(arguments).parse_arguments() == {}


def test_invalid_json_is_a_tool_arguments_error_with_the_text() -> None:
    with pytest.raises(ToolArgumentsError, match="not valid JSON") as info:
        done('{"city": "Par', id="call_9").parse_arguments()
    error = info.value
    assert (error.arguments, error.id, error.name) == ('{"city": "Par', "call_9", "get_weather")
    assert isinstance(error.__cause__, json.JSONDecodeError)
    assert isinstance(error, TypedStreamError)
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("arguments", "kind"),
    [("[1, 2]", "an array"), ('"x"', "a string"), ("3", "a number"), ("null", "null")],
)
def test_a_json_value_that_is_not_an_object_is_an_error(arguments: str, kind: str) -> None:
    with pytest.raises(ToolArgumentsError, match=f"not a JSON object but {kind}") as info:
        done(arguments).parse_arguments()
    assert info.value.arguments == arguments


def test_failed_validation_is_a_tool_arguments_error_naming_the_model() -> None:
    with pytest.raises(ToolArgumentsError, match="do not validate as GetWeatherArgs") as info:
        done('{"city": "Paris", "units": "k"}').parse_arguments(GetWeatherArgs)
    assert info.value.arguments == '{"city": "Paris", "units": "k"}'
    assert isinstance(info.value.__cause__, ValidationError)
    assert "country" in str(info.value)


def test_invalid_json_with_a_model_is_a_tool_arguments_error() -> None:
    with pytest.raises(ToolArgumentsError, match="do not validate"):
        done('{"city": ').parse_arguments(GetWeatherArgs)


# -- Tool ----------------------------------------------------------------------------------

WEATHER = Tool("GetWeatherArgs", GetWeatherArgs)
STOCK = Tool("get_stock_price", StockArgs)


def test_tool_parse_gives_a_typed_call() -> None:
    event = ToolCallDone(2, "call_7", "get_stock_price", '{"ticker": "AAPL", "exchange": "X"}', 1)
    call = STOCK.parse(event)
    assert call == ToolCall(
        "call_7",
        "get_stock_price",
        StockArgs(ticker="AAPL", exchange="X"),
        '{"ticker": "AAPL", "exchange": "X"}',
        index=2,
        choice=1,
    )


def test_tool_parse_of_another_tools_call_is_an_error() -> None:
    with pytest.raises(ToolArgumentsError, match="not for the tool 'get_stock_price'"):
        STOCK.parse(done("{}", name="get_weather"))


def test_tool_description_defaults_to_the_models_own_docstring() -> None:
    assert STOCK.description == "Latest price of a stock."
    assert WEATHER.description is None  # no docstring of its own (BaseModel's is not used)
    assert Tool("t", TimeArgs).description is None  # not the signature dataclasses writes
    assert Tool("s", StockArgs, description="Mine.").description == "Mine."


def test_tool_name_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        Tool("", StockArgs)


def test_tool_to_openai_uses_the_models_json_schema() -> None:
    assert STOCK.to_openai() == {
        "type": "function",
        "function": {
            "name": "get_stock_price",
            "description": "Latest price of a stock.",
            "parameters": StockArgs.model_json_schema(),
        },
    }
    assert "description" not in WEATHER.to_openai()["function"]


def test_strict_tool_to_openai_is_what_the_openai_sdk_builds() -> None:
    import openai

    strict = Tool("get_stock_price", StockArgs, strict=True)
    assert strict.to_openai() == openai.pydantic_function_tool(StockArgs, name="get_stock_price")
    assert strict.to_openai()["function"].get("strict") is True
    weather = Tool("GetWeatherArgs", GetWeatherArgs, strict=True).to_openai()
    assert "description" not in weather["function"]


def test_strict_tool_needs_a_pydantic_model() -> None:
    with pytest.raises(TypeError, match="needs a pydantic model"):
        Tool("t", TimeArgs, strict=True).to_openai()


def test_dataclass_tool_schema() -> None:
    schema = Tool("get_time", TimeArgs).to_openai()["function"].get("parameters")
    assert schema == {
        "type": "object",
        "title": "TimeArgs",
        "properties": {"tz": {"title": "Tz", "type": "string"}},
        "required": ["tz"],
    }


def test_tool_call_answers_with_a_tool_message() -> None:
    call = STOCK.parse(done('{"ticker": "A", "exchange": "B"}', name="get_stock_price"))
    assert call.tool_message("42") == {"role": "tool", "tool_call_id": "call_1", "content": "42"}


# -- Tools ---------------------------------------------------------------------------------

TOOLS = Tools(WEATHER, STOCK, Tool("get_time", TimeArgs))


def test_tools_parse_every_call_of_a_recorded_parallel_stream() -> None:
    calls = [TOOLS.parse(e) for e in done_calls(recording("openai_gpt4o_parallel_tool_calls.sse"))]
    assert [c.args for c in calls] == [
        GetWeatherArgs(city="Edinburgh", country="GB", units="c"),
        StockArgs(ticker="AAPL", exchange="NASDAQ"),
    ]
    assert [(c.index, c.name) for c in calls] == [(0, "GetWeatherArgs"), (1, "get_stock_price")]


def test_tools_dispatch_by_matching_on_the_arguments() -> None:
    def run(call: ToolCall[GetWeatherArgs | StockArgs | TimeArgs]) -> str:
        match call.args:
            case GetWeatherArgs(city=city):
                return f"weather in {city}"
            case StockArgs(ticker=ticker):
                return f"price of {ticker}"
            case TimeArgs(tz=tz):
                return f"time in {tz}"

    assert run(TOOLS.parse(done('{"tz": "UTC"}', name="get_time"))) == "time in UTC"


def test_unknown_tool_is_an_unknown_tool_error() -> None:
    with pytest.raises(UnknownToolError) as info:
        TOOLS.parse(done('{"q": 1}', name="search", id="call_3"))
    error = info.value
    assert isinstance(error, ToolArgumentsError)
    assert (error.arguments, error.id, error.name) == ('{"q": 1}', "call_3", "search")
    assert error.known == ("GetWeatherArgs", "get_stock_price", "get_time")
    assert "no tool named 'search'" in str(error)


def test_an_empty_registry_knows_no_tool() -> None:
    with pytest.raises(UnknownToolError, match=r"known: none"):
        Tools().parse(done("{}"))


def test_invalid_arguments_through_the_registry_are_a_tool_arguments_error() -> None:
    with pytest.raises(ToolArgumentsError) as info:
        TOOLS.parse(done('{"tz": 5}', name="get_time"))
    assert not isinstance(info.value, UnknownToolError)


def test_tools_to_openai_lists_every_tool_in_order() -> None:
    assert TOOLS.to_openai() == [tool.to_openai() for tool in TOOLS.values()]
    assert [t["function"]["name"] for t in TOOLS.to_openai()] == list(TOOLS)


def test_tools_is_a_mapping_from_name_to_tool() -> None:
    assert len(TOOLS) == 3
    assert TOOLS["get_stock_price"] is STOCK
    assert "get_time" in TOOLS
    assert "nope" not in TOOLS
    assert list(TOOLS) == ["GetWeatherArgs", "get_stock_price", "get_time"]


def test_two_tools_with_one_name_are_rejected() -> None:
    with pytest.raises(ValueError, match="two tools are named 'get_stock_price'"):
        Tools(STOCK, Tool("get_stock_price", TimeArgs))


def test_tools_take_tool_objects_only() -> None:
    with pytest.raises(TypeError, match="takes Tool objects"):
        Tools(StockArgs)  # type: ignore[call-overload]


def test_more_than_ten_tools_work_at_runtime() -> None:
    many: Tools[Any] = Tools(*(Tool(f"t{i}", TimeArgs) for i in range(12)))
    assert many.parse(done('{"tz": "x"}', name="t11")).args == TimeArgs(tz="x")


def test_tool_arguments_error_is_exported_with_its_subclass() -> None:
    assert typedstream.UnknownToolError is UnknownToolError
    assert issubclass(UnknownToolError, typedstream.ToolArgumentsError)
