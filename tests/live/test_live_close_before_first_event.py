"""Leaving ``with events()`` / ``async with aevents()`` before the first event hangs up too.

The openai client returns its stream once the response headers arrived; the loopback
provider is then streaming ``openai_slow`` (200 frames, 20 ms apart). Leaving the block
before iterating must close the stream, and the server must see the client hang up.
"""

from __future__ import annotations

import asyncio

import openai
import pytest
from litellm_cases import MESSAGES
from test_live_close import aclient, assert_hung_up, client, new_exchanges, spy

import typedstream
from typedstream.testing import LoopbackProvider

pytestmark = pytest.mark.live

__all__ = ["aclient", "client"]  # fixtures, shared with test_live_close


def test_an_empty_with_block_over_an_openai_stream_closes_its_connection_once(
    loopback: LoopbackProvider, client: openai.OpenAI
) -> None:
    before = len(loopback.requests)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    with typedstream.events(stream):
        pass
    assert closes == [1]
    (exchange,) = new_exchanges(loopback, before)
    assert_hung_up(exchange, "openai_slow")


def test_an_exception_before_the_first_event_closes_the_openai_connection_once(
    loopback: LoopbackProvider, client: openai.OpenAI
) -> None:
    before = len(loopback.requests)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    with pytest.raises(RuntimeError), typedstream.events(stream):
        raise RuntimeError("failed before iterating")
    assert closes == [1]
    assert_hung_up(new_exchanges(loopback, before)[0], "openai_slow")


async def test_cancelling_inside_async_with_before_the_first_event_closes_the_connection(
    loopback: LoopbackProvider, aclient: openai.AsyncOpenAI
) -> None:
    before = len(loopback.requests)
    stream = await aclient.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    entered = asyncio.Event()

    async def consume() -> None:
        async with typedstream.aevents(stream):
            entered.set()
            await asyncio.Event().wait()  # never set: waits until cancelled

    task = asyncio.create_task(consume())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closes == [1]
    (exchange,) = new_exchanges(loopback, before)
    await asyncio.to_thread(assert_hung_up, exchange, "openai_slow")


async def test_aclose_before_iterating_an_openai_async_stream_closes_its_connection(
    loopback: LoopbackProvider, aclient: openai.AsyncOpenAI
) -> None:
    before = len(loopback.requests)
    stream = await aclient.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    closes = spy(stream, "close")
    await typedstream.aevents(stream).aclose()
    assert closes == [1]
    (exchange,) = new_exchanges(loopback, before)
    await asyncio.to_thread(assert_hung_up, exchange, "openai_slow")
