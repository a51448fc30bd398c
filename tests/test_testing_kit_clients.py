"""`typedstream.testing` with the real clients: the `openai` client and LiteLLM, sync and async,
pointed at a fresh loopback provider per test (the opt-in plugin's `loopback_provider`)."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

import typedstream
from typedstream import TextDelta, ToolCallDone
from typedstream.testing import TOOLS, LoopbackProvider, Reply, Request, http_error, scenario

pytestmark = pytest.mark.live

MESSAGES = [{"role": "user", "content": "What's the weather and the time in Paris?"}]


def calls(events: list[Any]) -> list[tuple[str, str]]:
    return [(e.name, e.arguments) for e in events if isinstance(e, ToolCallDone)]


def text(events: list[Any]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


# -- the openai client -------------------------------------------------------------------------


def test_the_openai_client_streams_a_reply_from_base_url(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond("openai_tools_usage")
    with openai.OpenAI(base_url=loopback_provider.base_url, api_key="sk-test") as client:
        stream = client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, tools=TOOLS, stream=True
        )
        got = list(typedstream.events(stream))
    assert calls(got) == [
        ("get_weather", '{"location": "Paris"}'),
        ("get_time", '{"tz": "Europe/Paris"}'),
    ]
    request = loopback_provider.last
    assert request.json["tools"] == TOOLS
    assert request.headers["authorization"] == "Bearer sk-test"


async def test_the_async_openai_client_streams_typed_events(
    loopback_provider: LoopbackProvider,
) -> None:
    source = list(typedstream.events(b"".join(scenario("openai_parallel").frames)))
    loopback_provider.respond(source)
    async with openai.AsyncOpenAI(base_url=loopback_provider.base_url, api_key="k") as client:
        stream = await client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True
        )
        got = [event async for event in typedstream.aevents(stream)]
    assert calls(got) == calls(source)


def test_the_openai_client_raises_the_http_error(loopback_provider: LoopbackProvider) -> None:
    loopback_provider.respond(http_error(429, "slow down"))
    client = openai.OpenAI(base_url=loopback_provider.base_url, api_key="k", max_retries=0)
    with client, pytest.raises(openai.RateLimitError, match="slow down"):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)


def test_the_openai_client_sees_a_cut_connection(loopback_provider: LoopbackProvider) -> None:
    loopback_provider.respond(scenario("openai_tools").cut_after(3))
    client = openai.OpenAI(base_url=loopback_provider.base_url, api_key="k", max_retries=0)
    received: list[Any] = []
    with client, pytest.raises((httpx.RemoteProtocolError, openai.APIConnectionError)):
        stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        received.extend(typedstream.events(stream))
    assert received  # the events of the frames before the cut came first


# -- LiteLLM -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "wire"),
    [
        ("openai/gpt-4o", "openai"),
        ("anthropic/claude-3-5-sonnet-20241022", "anthropic"),
        ("gemini/gemini-1.5-pro", "gemini"),
    ],
)
def test_litellm_streams_a_recorded_reply_from_api_base(
    litellm: Any, loopback_provider: LoopbackProvider, model: str, wire: str
) -> None:
    loopback_provider.respond(f"{wire}_tools")
    stream = litellm.completion(
        model=model,
        messages=MESSAGES,
        tools=TOOLS,
        stream=True,
        api_base=loopback_provider.api_base(wire),
        api_key="sk-test",
    )
    got = list(typedstream.events(stream))
    assert [name for name, _ in calls(got)] == ["get_weather", "get_time"]
    assert loopback_provider.last.wire == wire
    assert loopback_provider.last.completed


async def test_a_multi_turn_agent_gets_one_reply_per_request(
    litellm: Any, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond_in_turn("openai_tools", "openai_text_usage")
    messages: list[dict[str, Any]] = list(MESSAGES)
    for _ in range(2):
        stream = await litellm.acompletion(
            model="openai/gpt-4o",
            messages=messages,
            tools=TOOLS,
            stream=True,
            api_base=loopback_provider.api_base("openai"),
            api_key="sk-test",
        )
        acc = typedstream.Accumulator()
        async for event in typedstream.aevents(stream):
            acc.add(event)
        message = acc.completion().choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        messages.extend(
            {"role": "tool", "tool_call_id": call.id, "content": "sunny"}
            for call in message.tool_calls or ()
        )
    first, second = loopback_provider.requests
    assert len(first.json["messages"]) == 1
    assert [m["role"] for m in second.json["messages"]] == ["user", "assistant", "tool", "tool"]
    assert messages[-1]["role"] == "assistant"
    assert messages[-1]["content"]


def test_litellm_raises_an_in_band_anthropic_error_after_the_text_before_it(
    litellm: Any, loopback_provider: LoopbackProvider
) -> None:
    def answer(request: Request) -> Any:
        return scenario("anthropic_tools").error_after(5, "overloaded")

    loopback_provider.respond(answer)
    stream = litellm.completion(
        model="anthropic/claude-3-5-sonnet-20241022",
        messages=MESSAGES,
        stream=True,
        api_base=loopback_provider.api_base("anthropic"),
        api_key="sk-test",
    )
    received: list[Any] = []
    with pytest.raises(Exception, match="overloaded"):
        received.extend(typedstream.events(stream))
    assert text(received) == "Okay, let me check "


# -- the Responses API -------------------------------------------------------------------------

RESPONSES_TOOLS = [
    {"type": "function", "name": t["function"]["name"], "parameters": t["function"]["parameters"]}
    for t in TOOLS
]


def test_the_openai_client_streams_responses_events_from_base_url(
    loopback_provider: LoopbackProvider,
) -> None:
    with openai.OpenAI(base_url=loopback_provider.base_url, api_key="sk-test") as client:
        stream = client.responses.create(
            model="gpt-4o", input="weather and time?", tools=RESPONSES_TOOLS, stream=True
        )
        got = list(typedstream.events(stream))
    assert calls(got) == [
        ("get_weather", '{"location": "Paris"}'),
        ("get_time", '{"tz": "Europe/Paris"}'),
    ]
    request = loopback_provider.last
    assert (request.path, request.wire, request.reply) == (
        "/v1/responses",
        "responses",
        "responses_tools",
    )
    assert request.json["tools"] == RESPONSES_TOOLS
    assert request.completed


def test_the_openai_stream_helper_gets_the_final_response_of_a_scenario(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond("responses_text")
    with (
        openai.OpenAI(base_url=loopback_provider.base_url, api_key="k") as client,
        client.responses.stream(model="gpt-4o", input="hi") as stream,
    ):
        deltas = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert deltas == final.output_text
    got = final.model_dump(mode="json", exclude_unset=True)
    for item in got["output"]:
        for part in item["content"]:
            assert part.pop("parsed") is None  # the helper's structured-output slot
    assert got == scenario("responses_text").payloads()[-1]["response"]


def test_the_stream_helpers_final_response_is_the_accumulated_response(
    loopback_provider: LoopbackProvider,
) -> None:
    source = list(typedstream.events(scenario("anthropic_thinking").payloads()))
    loopback_provider.respond(Reply.from_events(source, wire="responses"))
    with (
        openai.OpenAI(base_url=loopback_provider.base_url, api_key="k") as client,
        client.responses.stream(model="claude", input="hi") as stream,
    ):
        final = stream.get_final_response().model_dump(mode="json", exclude_unset=True)
    for item in final["output"]:  # the structured-output helper's slots
        item.pop("parsed_arguments", None)
        for part in item.get("content") or ():
            part.pop("parsed", None)
    assert final == typedstream.accumulate(source, into="response")
    assert [item["type"] for item in final["output"]][:2] == ["reasoning", "message"]


async def test_the_async_openai_client_streams_typed_events_as_responses(
    loopback_provider: LoopbackProvider,
) -> None:
    source = list(typedstream.events(scenario("openai_parallel").payloads()))
    loopback_provider.respond(Reply.from_events(source, wire="responses"))
    async with openai.AsyncOpenAI(base_url=loopback_provider.base_url, api_key="k") as client:
        stream = await client.responses.create(model="gpt-4o", input="hi", stream=True)
        got = [event async for event in typedstream.aevents(stream)]
    assert calls(got) == calls(source)


def test_the_openai_stream_helper_raises_the_in_band_responses_error(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond(scenario("responses_text").error_after(6, "overloaded"))
    client = openai.OpenAI(base_url=loopback_provider.base_url, api_key="k", max_retries=0)
    received: list[str] = []
    with (
        client,
        pytest.raises(openai.APIError, match="overloaded"),
        client.responses.stream(model="gpt-4o", input="hi") as stream,
    ):
        received.extend(e.type for e in stream)
    assert "response.output_text.delta" in received


def test_the_openai_client_raises_the_http_error_of_the_responses_endpoint(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond(http_error(429, "slow down"))
    client = openai.OpenAI(base_url=loopback_provider.base_url, api_key="k", max_retries=0)
    with client, pytest.raises(openai.RateLimitError, match="slow down"):
        client.responses.create(model="gpt-4o", input="hi", stream=True)


def test_litellm_streams_responses_from_the_responses_endpoint(
    litellm: Any, loopback_provider: LoopbackProvider
) -> None:
    stream = litellm.responses(
        model="openai/gpt-4o",
        input="weather and time?",
        tools=RESPONSES_TOOLS,
        stream=True,
        api_base=loopback_provider.api_base("responses"),
        api_key="sk-test",
    )
    got = list(typedstream.events(stream))
    assert [name for name, _ in calls(got)] == ["get_weather", "get_time"]
    assert loopback_provider.last.path == "/v1/responses"
    assert loopback_provider.last.completed
