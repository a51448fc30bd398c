"""A real downstream consumer: OpenAI Agents' chat-completions stream handler.

``agents.models.chatcmpl_stream_handler.ChatCmplStreamHandler.handle_stream`` (openai-agents
0.20) turns chat-completion chunks into Responses events, the way ``OpenAIChatCompletionsModel``
runs it. Fed with ``ato_openai_chunks()`` of a LiteLLM Anthropic stream, it must produce the
same items as from the equivalent OpenAI stream read by the ``openai`` client
(``openai_anthropic_twin`` is ``anthropic_tools`` in OpenAI's wire format).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
from litellm_cases import MESSAGES, SAN_FRANCISCO

import typedstream
from typedstream.testing import LoopbackProvider

pytestmark = pytest.mark.live


async def run_handler(chunks: AsyncIterator[Any]) -> tuple[list[str], Any]:
    """The event types the handler yields and its final response."""
    from agents.models.chatcmpl_stream_handler import ChatCmplStreamHandler
    from agents.models.fake_id import FAKE_RESPONSES_ID
    from openai.types.responses import Response

    response = Response(  # as OpenAIChatCompletionsModel builds it
        id=FAKE_RESPONSES_ID,
        created_at=time.time(),
        model="loopback",
        object="response",
        output=[],
        tool_choice="auto",
        top_p=None,
        temperature=None,
        tools=[],
        parallel_tool_calls=True,
        reasoning=None,
    )
    kinds: list[str] = []
    final = None
    async for event in ChatCmplStreamHandler.handle_stream(response, chunks):
        kinds.append(event.type)
        if event.type == "response.completed":
            final = event.response
    assert final is not None
    return kinds, final


def function_calls(response: Any) -> list[tuple[str, str, str, str]]:
    return [
        (item.type, item.call_id, item.name, item.arguments)
        for item in response.output
        if item.type == "function_call"
    ]


def texts(response: Any) -> list[str]:
    return [
        part.text for item in response.output if item.type == "message" for part in item.content
    ]


async def test_agents_get_the_same_function_calls_from_litellm_anthropic_as_from_openai(
    litellm: Any, loopback: LoopbackProvider
) -> None:
    async with openai.AsyncOpenAI(
        base_url=loopback.api_base("openai_anthropic_twin"),
        api_key="sk-loopback",
        max_retries=0,
    ) as client:
        reference = await client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        openai_kinds, from_openai = await run_handler(reference)

    stream = await litellm.acompletion(
        model="anthropic/claude-3-5-sonnet-20241022",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        api_base=loopback.api_base("anthropic_tools"),
        api_key="sk-loopback",
    )
    litellm_kinds, from_litellm = await run_handler(
        typedstream.ato_openai_chunks(typedstream.aevents(stream))
    )

    expected = [("function_call", *call) for call in SAN_FRANCISCO]
    assert function_calls(from_openai) == expected
    assert function_calls(from_litellm) == expected
    assert texts(from_litellm) == texts(from_openai) == ["Okay, let me check that."]
    assert litellm_kinds == openai_kinds  # the same Responses events, in the same order
    assert from_litellm.usage.input_tokens == from_openai.usage.input_tokens == 472
    assert from_litellm.usage.output_tokens == from_openai.usage.output_tokens == 89
