"""The `openai` client's own streams from the loopback provider, through typedstream.

For OpenAI-shaped streams the round trip events -> to_openai_chunks() is lossless as
docs/openai-exact.md ("Lossless for OpenAI sources") defines it: the trace read from what the
server sent equals the trace read from what typedstream gives back (the trace reader is the one
of ``tests/test_exact_consumers.py``).
"""

from __future__ import annotations

import httpx
import openai
import pytest
from litellm_cases import MESSAGES
from test_exact_consumers import trace

import typedstream
from typedstream import ToolCallDone, ato_openai_chunks, check_openai_chunks, to_openai_chunks
from typedstream.testing import LoopbackProvider, scenario

pytestmark = pytest.mark.live

OPENAI_SHAPED = (
    "openai_parallel",
    "openai_text_usage",
    "openai_tools_usage",
    "openai_toolsonly_usage",
    "openai_anthropic_twin",
)


def sent(name: str) -> list[dict[str, object]]:
    return scenario(name).payloads()


@pytest.mark.parametrize("name", OPENAI_SHAPED)
def test_an_openai_stream_re_serializes_losslessly(loopback: LoopbackProvider, name: str) -> None:
    with openai.OpenAI(
        base_url=loopback.api_base(name), api_key="sk-loopback", max_retries=0
    ) as client:
        stream = client.chat.completions.create(
            model="gpt-4o",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        out = [
            chunk.model_dump(mode="json", exclude_unset=True)
            for chunk in to_openai_chunks(typedstream.events(stream))
        ]
    assert check_openai_chunks(out) == []
    assert trace(out) == trace(sent(name))


@pytest.mark.parametrize("name", OPENAI_SHAPED)
async def test_an_openai_async_stream_re_serializes_losslessly(
    loopback: LoopbackProvider, name: str
) -> None:
    async with openai.AsyncOpenAI(
        base_url=loopback.api_base(name), api_key="sk-loopback", max_retries=0
    ) as client:
        stream = await client.chat.completions.create(
            model="gpt-4o",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        out = [
            chunk.model_dump(mode="json", exclude_unset=True)
            async for chunk in ato_openai_chunks(typedstream.aevents(stream))
        ]
    assert check_openai_chunks(out) == []
    assert trace(out) == trace(sent(name))


def test_the_openai_client_and_the_raw_sse_bytes_give_the_same_events(
    loopback: LoopbackProvider,
) -> None:
    url = loopback.api_base("openai_parallel")
    request = {"model": "gpt-4o", "messages": MESSAGES, "stream": True}
    with openai.OpenAI(base_url=url, api_key="sk-loopback", max_retries=0) as client:
        from_client = list(typedstream.events(client.chat.completions.create(**request)))
    with httpx.stream("POST", url + "/chat/completions", json=request) as response:
        from_bytes = list(typedstream.events(response.iter_bytes()))
    with httpx.stream("POST", url + "/chat/completions", json=request) as response:
        from_lines = list(typedstream.events(response.iter_lines(), lines=True))
    assert from_client == from_bytes == from_lines
    assert [e.name for e in from_client if isinstance(e, ToolCallDone)] == [
        "GetWeatherArgs",
        "get_stock_price",
    ]
