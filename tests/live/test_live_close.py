"""Leaving events()/aevents() early closes the real HTTP connection, once.

The ``*_slow`` scenarios stream 200 frames 20 ms apart; each test leaves after a few events
and asserts that the loopback provider saw the client hang up mid-stream.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import openai
import pytest
from litellm_cases import MESSAGES

import typedstream
from typedstream.testing import LoopbackProvider, Request, scenario

pytestmark = pytest.mark.live

MODELS = {
    "openai": "openai/gpt-4o",
    "anthropic": "anthropic/claude-3-5-sonnet-20241022",
    "gemini": "gemini/gemini-1.5-pro",
}
LEAVE_AFTER = 3  # events


def spy(obj: object, name: str) -> list[int]:
    """Count calls of ``obj.name`` (sync or async); returns the list it appends to."""
    calls: list[int] = []
    original: Callable[..., Any] = getattr(obj, name)
    if inspect.iscoroutinefunction(original):

        async def counted_async(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return await original(*args, **kwargs)

        setattr(obj, name, counted_async)
    else:

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return original(*args, **kwargs)

        setattr(obj, name, counted)
    return calls


def assert_hung_up(exchange: Request, name: str) -> None:
    assert exchange.wait(2), "the server is still streaming: the connection was not closed"
    assert exchange.disconnected
    assert not exchange.completed
    assert exchange.frames_sent < len(scenario(name).frames)


def new_exchanges(loopback: LoopbackProvider, before: int) -> list[Request]:
    return loopback.requests[before:]


# -- the openai client --------------------------------------------------------------------------


@pytest.fixture
def client(loopback: LoopbackProvider) -> Iterator[openai.OpenAI]:
    url = loopback.api_base("openai_slow")
    with openai.OpenAI(base_url=url, api_key="sk-loopback", max_retries=0) as client:
        yield client


@pytest.fixture
async def aclient(loopback: LoopbackProvider) -> AsyncIterator[openai.AsyncOpenAI]:
    url = loopback.api_base("openai_slow")
    async with openai.AsyncOpenAI(base_url=url, api_key="sk-loopback", max_retries=0) as client:
        yield client


def test_leaving_events_over_an_openai_stream_closes_its_connection_once(
    loopback: LoopbackProvider, client: openai.OpenAI
) -> None:
    before = len(loopback.requests)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    with typedstream.events(stream) as events:
        for number, _ in enumerate(events, 1):
            if number == LEAVE_AFTER:
                break
    assert closes == [1]
    (exchange,) = new_exchanges(loopback, before)
    assert_hung_up(exchange, "openai_slow")


def test_breaking_out_of_a_plain_for_loop_closes_the_openai_stream(
    loopback: LoopbackProvider, client: openai.OpenAI
) -> None:
    before = len(loopback.requests)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    for number, _ in enumerate(typedstream.events(stream), 1):
        if number == LEAVE_AFTER:
            break
    gc.collect()  # only needed on interpreters without reference counting
    assert closes == [1]
    assert_hung_up(new_exchanges(loopback, before)[0], "openai_slow")


async def test_leaving_aevents_over_an_openai_async_stream_closes_its_connection_once(
    loopback: LoopbackProvider, aclient: openai.AsyncOpenAI
) -> None:
    before = len(loopback.requests)
    stream = await aclient.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    async with typedstream.aevents(stream) as events:
        number = 0
        async for _ in events:
            number += 1
            if number == LEAVE_AFTER:
                break
    assert closes == [1]
    (exchange,) = new_exchanges(loopback, before)
    await asyncio.to_thread(assert_hung_up, exchange, "openai_slow")


# -- LiteLLM ------------------------------------------------------------------------------------


@pytest.mark.parametrize("wire", list(MODELS))
def test_leaving_events_over_a_litellm_stream_closes_the_provider_connection(
    litellm: Any, loopback: LoopbackProvider, wire: str
) -> None:
    name = f"{wire}_slow"
    before = len(loopback.requests)
    stream = litellm.completion(
        model=MODELS[wire],
        messages=MESSAGES,
        stream=True,
        api_base=loopback.api_base(name),
        api_key="sk-loopback",
    )
    with typedstream.events(stream) as events:
        for number, _ in enumerate(events, 1):
            if number == LEAVE_AFTER:
                break
        # LiteLLM 1.106's sync wrapper has no close(): typedstream closes what it wraps
        # (newer LiteLLM versions add a close(), which typedstream then calls).
    (exchange,) = new_exchanges(loopback, before)
    assert_hung_up(exchange, name)
    del stream, events
    gc.collect()
    assert len(new_exchanges(loopback, before)) == 1


def test_leaving_events_over_litellm_openai_closes_the_wrapped_openai_stream_once(
    litellm: Any, loopback: LoopbackProvider
) -> None:
    stream = litellm.completion(
        model=MODELS["openai"],
        messages=MESSAGES,
        stream=True,
        api_base=loopback.api_base("openai_slow"),
        api_key="sk-loopback",
    )
    assert isinstance(stream.completion_stream, openai.Stream)
    closes = spy(stream.completion_stream, "close")
    with typedstream.events(stream) as events:
        next(events)
    assert closes == [1]


@pytest.mark.parametrize("wire", list(MODELS))
async def test_leaving_aevents_over_a_litellm_stream_closes_the_provider_connection_once(
    litellm: Any, loopback: LoopbackProvider, wire: str
) -> None:
    name = f"{wire}_slow"
    before = len(loopback.requests)
    stream = await litellm.acompletion(
        model=MODELS[wire],
        messages=MESSAGES,
        stream=True,
        api_base=loopback.api_base(name),
        api_key="sk-loopback",
    )
    closes = spy(stream, "aclose")
    async with typedstream.aevents(stream) as events:
        number = 0
        async for _ in events:
            number += 1
            if number == LEAVE_AFTER:
                break
    assert closes == [1]
    (exchange,) = new_exchanges(loopback, before)
    await asyncio.to_thread(assert_hung_up, exchange, name)
