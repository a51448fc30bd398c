"""`POST /v1/messages` of examples/openai_proxy.py, and the request translation behind it.

The chain is real: the `anthropic` SDK -> uvicorn -> Starlette -> messages_request ->
LiteLLM (`anthropic/...`) -> the loopback provider, which records what LiteLLM sent upstream.
The expected values are written out from the loopback scenarios (the provider's own events).

The tests of the answer need typedstream's Anthropic writer (`ato_anthropic_sse`) and
`Accumulator.message()`, which are being built for issue 15: they are skipped until both exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import httpx
import pytest
from litellm_cases import ANTHROPIC_SIGNATURE
from messages_request import completion_kwargs
from test_live_proxy import serve

from typedstream import check_anthropic_events
from typedstream.testing import TOOLS, LoopbackProvider, Reply, http_error

# A test extra: `nox -s tests_min` collects this module without it (and runs no live test).
anthropic = pytest.importorskip("anthropic")

pytestmark = pytest.mark.live

MODEL = "anthropic/claude-sonnet-4-5"
QUESTION = {"role": "user", "content": "What are the weather and the time in San Francisco?"}
ANTHROPIC_TOOLS = [
    {
        "name": tool["function"]["name"],
        "description": tool["function"]["description"],
        "input_schema": tool["function"]["parameters"],
    }
    for tool in TOOLS
]
THINKING = {"type": "enabled", "budget_tokens": 1024}
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
TURN_ONE_CONTENT = [
    TURN_ONE_THINKING,
    {"type": "text", "text": TURN_ONE_TEXT},
    *({"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in TURN_ONE_CALLS),
]
RESULTS = [
    {"type": "tool_result", "tool_use_id": "toolu_01B", "content": "09:14"},
    {
        "type": "tool_result",
        "tool_use_id": "toolu_01A",
        "content": [{"type": "text", "text": "18 C"}],
    },
]


def text_reply(*words: str, interval: float = 0.0) -> Reply:
    """An Anthropic stream answering ``words`` as one text block, ``interval`` s apart."""
    start = {
        "id": "msg_02Txt",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 530, "output_tokens": 1},
    }
    deltas = [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}}
        for w in words
    ]
    events = [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *deltas,
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 12},
        },
        {"type": "message_stop"},
    ]
    return Reply.from_objects(events, name="text").delayed(between=interval)


def second_turn(first_content: list[Any], results: list[dict[str, Any]]) -> list[Any]:
    return [
        QUESTION,
        {"role": "assistant", "content": first_content},
        {"role": "user", "content": results},
    ]


@pytest.fixture(scope="module")
def proxy_module(litellm: Any) -> ModuleType:
    import openai_proxy  # examples/ is on the tests' path; LiteLLM was imported once before

    return openai_proxy


@contextmanager
def anthropic_client(app: Any) -> Iterator[anthropic.Anthropic]:
    """The real ``anthropic`` client, talking to ``app`` served on 127.0.0.1."""
    with (
        serve(app) as url,
        anthropic.Anthropic(
            base_url=url.removesuffix("/v1"), api_key="unused", max_retries=0
        ) as client,
    ):
        yield client


def upstream_messages(provider: LoopbackProvider, number: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = provider.requests[number].json["messages"]
    return messages


# -- the next turn, translated and sent upstream by LiteLLM ---------------------------------------


async def test_the_next_turn_reaches_anthropic_with_the_signature_byte_identical(
    litellm: Any, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond(text_reply("Sunny."))
    body = {"model": MODEL, "max_tokens": 2048, "thinking": THINKING}
    body["messages"] = second_turn(TURN_ONE_CONTENT, RESULTS)
    stream = await litellm.acompletion(
        **completion_kwargs(body), stream=True, api_base=loopback_provider.root, api_key="k"
    )
    async for _ in stream:
        pass
    _, assistant, user = upstream_messages(loopback_provider, 0)
    assert assistant == {"role": "assistant", "content": TURN_ONE_CONTENT}
    assert assistant["content"][0]["signature"].encode() == ANTHROPIC_SIGNATURE.encode()
    assert user == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01B", "content": "09:14"},
            {
                "type": "tool_result",
                "tool_use_id": "toolu_01A",
                "content": [{"type": "text", "text": "18 C"}],
            },
        ],
    }


async def test_the_request_options_reach_anthropic(
    litellm: Any, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond(text_reply("Sunny."))
    body = {
        "model": MODEL,
        "max_tokens": 2048,
        "messages": [QUESTION],
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "tools": ANTHROPIC_TOOLS,
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "stop_sequences": ["END"],
        "thinking": THINKING,
        "metadata": {"user_id": "user-42"},
        "top_k": 5,
    }
    stream = await litellm.acompletion(
        **completion_kwargs(body), stream=True, api_base=loopback_provider.root, api_key="k"
    )
    async for _ in stream:
        pass
    sent = loopback_provider.last.json
    assert sent["system"] == body["system"]
    assert [(t["name"], t["input_schema"]) for t in sent["tools"]] == [
        (t["name"], t["input_schema"]) for t in ANTHROPIC_TOOLS
    ]
    assert sent["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert sent["stop_sequences"] == ["END"]
    assert sent["thinking"] == THINKING
    assert sent["metadata"] == {"user_id": "user-42"}
    assert (sent["top_k"], sent["max_tokens"]) == (5, 2048)


# -- answers the proxy gives before any byte of the reply ----------------------------------------


def test_a_request_the_translation_refuses_gets_anthropics_400(
    proxy_module: ModuleType, loopback_provider: LoopbackProvider
) -> None:
    app = proxy_module.create_app(api_base=loopback_provider.root, api_key="k")
    with anthropic_client(app) as client, pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(
            model=MODEL,
            max_tokens=100,
            messages=[QUESTION],
            extra_body={"service_tier": "auto"},
        )
    assert caught.value.body == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "request: unsupported key(s) 'service_tier'",
        },
    }
    assert loopback_provider.requests == []


@pytest.mark.parametrize(
    ("status", "kind", "answered"),
    [
        (429, "rate_limit_error", 429),
        (529, "overloaded_error", 529),
        (401, "authentication_error", 401),
        (400, "invalid_request_error", 400),
        (500, "api_error", 500),
    ],
)
def test_a_provider_error_before_the_reply_is_anthropics_error_with_its_status(
    proxy_module: ModuleType,
    loopback_provider: LoopbackProvider,
    status: int,
    kind: str,
    answered: int,
) -> None:
    loopback_provider.respond(http_error(status, "upstream says no"))
    app = proxy_module.create_app(api_base=loopback_provider.root, api_key="k")
    with anthropic_client(app) as client, pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(model=MODEL, max_tokens=100, messages=[QUESTION], stream=True)
    assert caught.value.status_code == answered
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["type"] == "error"
    assert body["error"]["type"] == kind
    assert "upstream says no" in body["error"]["message"]


# -- the answer, written by typedstream ----------------------------------------------------------


def test_two_turns_through_the_proxy_carry_the_signature_and_the_tool_results(
    proxy_module: ModuleType, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond_in_turn("anthropic_thinking", text_reply("Sunny, ", "18 C."))
    app = proxy_module.create_app(api_base=loopback_provider.root, api_key="k")
    ask: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 2048,
        "thinking": THINKING,
        "tools": ANTHROPIC_TOOLS,
    }
    with anthropic_client(app) as client:
        with client.messages.stream(messages=[QUESTION], **ask) as stream:
            first = stream.get_final_message()
        thinking, text, *calls = first.content
        assert thinking.type == "thinking"
        assert thinking.signature == ANTHROPIC_SIGNATURE
        assert text.type == "text"
        assert text.text == TURN_ONE_TEXT
        assert [(c.id, c.name, c.input) for c in calls if c.type == "tool_use"] == TURN_ONE_CALLS
        assert first.stop_reason == "tool_use"
        with client.messages.stream(messages=second_turn(first.content, RESULTS), **ask) as stream:
            second = stream.get_final_message()
    (answer,) = second.content
    assert answer.type == "text"
    assert answer.text == "Sunny, 18 C."
    _, assistant, user = upstream_messages(loopback_provider, 1)
    assert assistant["content"][0] == TURN_ONE_THINKING  # the signature, byte for byte
    assert [b["id"] for b in assistant["content"] if b["type"] == "tool_use"] == [
        "toolu_01A",
        "toolu_01B",
    ]
    assert [(b["tool_use_id"], b["content"]) for b in user["content"]] == [
        ("toolu_01B", "09:14"),
        ("toolu_01A", [{"type": "text", "text": "18 C"}]),
    ]


def test_a_non_streaming_request_gets_the_whole_message(
    proxy_module: ModuleType, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond("anthropic_thinking")
    app = proxy_module.create_app(api_base=loopback_provider.root, api_key="k")
    with anthropic_client(app) as client:
        message = client.messages.create(
            model=MODEL, max_tokens=2048, messages=[QUESTION], tools=ANTHROPIC_TOOLS
        )
    assert message.type == "message"
    assert message.role == "assistant"
    assert [block.model_dump(exclude_none=True) for block in message.content] == TURN_ONE_CONTENT
    assert message.stop_reason == "tool_use"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (472, 89)
    assert loopback_provider.last.json["stream"] is True  # the provider is always streamed


def test_pings_keep_the_client_waiting_while_the_provider_is_silent(
    proxy_module: ModuleType, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond(text_reply("slow ", "but ", "sure.", interval=0.4))
    app = proxy_module.create_app(api_base=loopback_provider.root, api_key="k", ping_interval=0.1)
    with serve(app) as url:
        request = {"model": MODEL, "max_tokens": 100, "messages": [QUESTION], "stream": True}
        body = httpx.post(url + "/messages", json=request, timeout=10).content
    assert check_anthropic_events(body) == []
    assert body.count(b"event: ping\n") >= 3


def test_a_provider_error_mid_stream_ends_in_an_error_event(
    proxy_module: ModuleType, loopback_provider: LoopbackProvider
) -> None:
    loopback_provider.respond("anthropic_error")
    app = proxy_module.create_app(api_base=loopback_provider.root, api_key="k")
    with serve(app) as url:
        request = {"model": MODEL, "max_tokens": 100, "messages": [QUESTION], "stream": True}
        body = httpx.post(url + "/messages", json=request, timeout=10).content
    assert check_anthropic_events(body) == []
    last = body.rstrip(b"\n").split(b"\n\n")[-1]
    assert last.startswith(b"event: error\n")
    assert json.loads(last.split(b"data: ", 1)[1])["type"] == "error"
