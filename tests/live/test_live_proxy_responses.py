"""`POST /v1/responses` of examples/openai_proxy.py, with openai-agents and the openai client.

The chain is real: openai-agents' `OpenAIResponsesModel` (or the `openai` client) -> uvicorn ->
Starlette -> responses_request -> LiteLLM (`anthropic/...`) -> the loopback provider, which
records what LiteLLM sent upstream. The expected values are written out from the loopback
scenarios (the provider's own events): turn 1 of `anthropic_thinking` is a thinking block with
its signature, a text and two tool_use blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import httpx
import openai
import pytest
from litellm_cases import ANTHROPIC_SIGNATURE
from test_live_proxy import serve
from test_live_proxy_messages import text_reply

from typedstream import check_responses_events
from typedstream.testing import LoopbackProvider, http_error

# A test extra: `nox -s tests_min` collects this module without it (and runs no live test).
agents = pytest.importorskip("agents")

pytestmark = pytest.mark.live

MODEL = "anthropic/claude-sonnet-4-5"
QUESTION = "What are the weather and the time in San Francisco?"
INSTRUCTIONS = "Answer in one line."
# What the anthropic_thinking scenario answers, read off its events.
TURN_ONE_THINKING = {
    "type": "thinking",
    "thinking": "The user wants weather.",
    "signature": ANTHROPIC_SIGNATURE,
}
TURN_ONE_TEXT = "Okay, let me check that."
TURN_ONE_CALLS = [
    ("toolu_01A", "get_weather", {"location": "San Francisco, CA", "unit": "celsius"}),
    ("toolu_01B", "get_time", {"tz": "America/Los_Angeles"}),
]
WEATHER = "18 C"
TIME = "09:14"
ANSWER = ("Sunny, ", "18 C.")
FLAT_TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "The weather now.",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
        "strict": False,
    }
]


@pytest.fixture(scope="module")
def proxy_module(litellm: Any) -> ModuleType:
    import openai_proxy  # examples/ is on the tests' path; LiteLLM was imported once before

    return openai_proxy


@pytest.fixture
def proxy_url(proxy_module: ModuleType, loopback_provider: LoopbackProvider) -> Iterator[str]:
    app = proxy_module.create_app(api_base=loopback_provider.root, api_key="k")
    with serve(app) as url:
        yield url


@contextmanager
def openai_client(url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=url, api_key="unused", max_retries=0) as client:
        yield client


# -- openai-agents: a two-tool agent, two turns --------------------------------------------------


def weather_agent(client: openai.AsyncOpenAI, called: list[tuple[str, dict[str, str]]]) -> Any:
    """An agent with get_weather and get_time on OpenAIResponsesModel, its client ``client``."""

    @agents.function_tool
    def get_weather(location: str, unit: str) -> str:
        """The weather now at ``location``."""
        called.append(("get_weather", {"location": location, "unit": unit}))
        return WEATHER

    @agents.function_tool
    def get_time(tz: str) -> str:
        """The time now in the time zone ``tz``."""
        called.append(("get_time", {"tz": tz}))
        return TIME

    model = agents.OpenAIResponsesModel(MODEL, openai_client=client)
    return agents.Agent(
        name="weather", instructions=INSTRUCTIONS, tools=[get_weather, get_time], model=model
    )


def assert_turn_two_carries_turn_one(provider: LoopbackProvider) -> None:
    """The second upstream request: turn 1's thinking (signature byte for byte) and calls,
    then both tool outputs, each matched by its tool_use_id."""
    first, second = provider.requests
    assert first.json["system"][0]["text"] == INSTRUCTIONS
    assert [tool["name"] for tool in first.json["tools"]] == ["get_weather", "get_time"]
    _, assistant, results = second.json["messages"]
    thinking, text, *calls = assistant["content"]
    assert thinking == TURN_ONE_THINKING
    assert thinking["signature"].encode() == ANTHROPIC_SIGNATURE.encode()
    assert text == {"type": "text", "text": TURN_ONE_TEXT}
    assert [(c["type"], c["id"], c["name"], c["input"]) for c in calls] == [
        ("tool_use", *call) for call in TURN_ONE_CALLS
    ]
    assert results["role"] == "user"
    assert [(r["type"], r["tool_use_id"], r["content"]) for r in results["content"]] == [
        ("tool_result", "toolu_01A", WEATHER),
        ("tool_result", "toolu_01B", TIME),
    ]


async def test_an_agent_runs_two_tools_to_completion_through_the_proxy(
    proxy_url: str, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond_in_turn("anthropic_thinking", text_reply(*ANSWER))
    called: list[tuple[str, dict[str, str]]] = []
    async with openai.AsyncOpenAI(base_url=proxy_url, api_key="unused", max_retries=0) as client:
        result = await agents.Runner.run(
            weather_agent(client, called),
            QUESTION,
            run_config=agents.RunConfig(tracing_disabled=True),
        )
    assert result.final_output == "".join(ANSWER)
    assert called == [(name, arguments) for _, name, arguments in TURN_ONE_CALLS]
    assert_turn_two_carries_turn_one(loopback_provider)


async def test_a_streamed_agent_run_gets_the_deltas_and_the_same_upstream_turns(
    proxy_url: str, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond_in_turn("anthropic_thinking", text_reply(*ANSWER))
    called: list[tuple[str, dict[str, str]]] = []
    deltas: list[str] = []
    async with openai.AsyncOpenAI(base_url=proxy_url, api_key="unused", max_retries=0) as client:
        result = agents.Runner.run_streamed(
            weather_agent(client, called),
            QUESTION,
            run_config=agents.RunConfig(tracing_disabled=True),
        )
        async for event in result.stream_events():
            data = event.data if event.type == "raw_response_event" else None
            if data is not None and data.type == "response.output_text.delta":
                deltas.append(data.delta)
    assert result.final_output == "".join(ANSWER)
    assert "".join(deltas) == TURN_ONE_TEXT + "".join(ANSWER)  # both turns' text, streamed
    assert deltas[-len(ANSWER) :] == list(ANSWER)
    assert [name for name, _ in called] == ["get_weather", "get_time"]
    assert_turn_two_carries_turn_one(loopback_provider)


# -- the openai client ---------------------------------------------------------------------------


def test_the_openai_client_streams_the_deltas_and_the_final_response(
    proxy_url: str, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond(text_reply(*ANSWER))
    with (
        openai_client(proxy_url) as client,
        client.responses.stream(
            model=MODEL,
            input=QUESTION,
            instructions=INSTRUCTIONS,
            tools=FLAT_TOOLS,  # type: ignore[arg-type]
            temperature=0.5,
            store=False,
        ) as stream,
    ):
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert deltas == list(ANSWER)
    assert final.status == "completed"
    assert final.output_text == "".join(ANSWER)
    assert final.model == MODEL
    assert (final.instructions, final.temperature, final.store) == (INSTRUCTIONS, 0.5, False)
    assert [tool.model_dump(exclude_none=True) for tool in final.tools] == FLAT_TOOLS
    sent = loopback_provider.last.json
    assert sent["stream"] is True
    assert sent["temperature"] == 0.5
    assert sent["system"][0]["text"] == INSTRUCTIONS
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": QUESTION}]}]


def test_the_streamed_reply_passes_the_responses_checker(
    proxy_url: str, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond("anthropic_thinking")
    body = {"model": MODEL, "input": QUESTION, "stream": True}
    reply = httpx.post(proxy_url + "/responses", json=body, timeout=10)
    assert reply.headers["content-type"].startswith("text/event-stream")
    assert check_responses_events(reply.content) == []
    assert reply.content.count(b"event: response.function_call_arguments.done\n") == 2


def test_a_non_streaming_request_gets_the_final_response(
    proxy_url: str, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond("anthropic_thinking")
    with openai_client(proxy_url) as client:
        response = client.responses.create(model=MODEL, input=QUESTION)
    reasoning, message, *calls = response.output
    assert reasoning.type == "reasoning"
    assert reasoning.encrypted_content is not None
    assert ANTHROPIC_SIGNATURE in reasoning.encrypted_content  # in the envelope
    assert message.type == "message"
    assert response.output_text == TURN_ONE_TEXT
    assert [(c.call_id, c.name) for c in calls if c.type == "function_call"] == [
        (call_id, name) for call_id, name, _ in TURN_ONE_CALLS
    ]
    assert loopback_provider.last.json["stream"] is True  # the provider is always streamed


# -- answers before any byte of the reply --------------------------------------------------------


def test_a_request_the_translation_refuses_gets_openais_400(
    proxy_url: str, loopback_provider: LoopbackProvider
) -> None:
    with openai_client(proxy_url) as client, pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input=QUESTION, tools=[{"type": "web_search"}])
    assert caught.value.param == "tools.0.type"
    assert caught.value.type == "invalid_request_error"
    assert "'web_search' is not supported" in caught.value.message
    assert loopback_provider.requests == []


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, openai.RateLimitError),
        (401, openai.AuthenticationError),
        (400, openai.BadRequestError),
        (500, openai.InternalServerError),
    ],
)
def test_a_provider_error_before_the_reply_is_openais_error_with_its_status(
    proxy_url: str, loopback_provider: LoopbackProvider, status: int, error: type[Exception]
) -> None:
    loopback_provider.respond(http_error(status, "upstream says no"))
    with openai_client(proxy_url) as client, pytest.raises(error) as caught:
        client.responses.create(model=MODEL, input=QUESTION, stream=True)
    assert isinstance(caught.value, openai.APIStatusError)
    assert caught.value.status_code == status
    assert "upstream says no" in caught.value.message


def test_a_provider_error_mid_stream_ends_in_error_then_response_failed(
    proxy_url: str, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond("anthropic_error")
    body = {"model": MODEL, "input": QUESTION, "stream": True}
    reply = httpx.post(proxy_url + "/responses", json=body, timeout=10).content
    assert check_responses_events(reply) == []
    *_, error, failed = reply.rstrip(b"\n").split(b"\n\n")
    assert error.startswith(b"event: error\n")
    assert failed.startswith(b"event: response.failed\n")
