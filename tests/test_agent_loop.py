"""`examples/agent_loop.py`: a real LiteLLM agent loop against the loopback provider.

The loopback provider replays recorded OpenAI traffic: the first request gets a sentence and
two tool calls (`get_weather`, then `get_time`), a request that carries tool results gets a
text answer.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    ProviderError,
    StreamEvent,
    StreamStarted,
    ToolCallDone,
    ToolCallStarted,
)
from typedstream.testing import LoopbackProvider

pytestmark = pytest.mark.live

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "agent_loop.py"
QUESTION = [{"role": "user", "content": "What's the weather and time in Paris?"}]
FINAL_ANSWER = (
    "I'm unable to provide real-time weather updates. To get the current weather in San "
    "Francisco, I recommend checking a reliable weather website or a weather app."
)


@pytest.fixture(scope="module")
def agent(litellm: Any) -> ModuleType:
    """The example, imported as a module (LiteLLM is already imported, once)."""
    spec = importlib.util.spec_from_file_location("agent_loop", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def completion(loopback: LoopbackProvider, litellm: Any) -> Any:
    """`litellm.acompletion` against the loopback: tool calls first, then a text answer."""

    async def complete(**request: Any) -> Any:
        answering = request["messages"][-1]["role"] == "tool"
        base = loopback.api_base("openai_text_usage" if answering else "openai_tools")
        return await litellm.acompletion(api_base=base, api_key="sk-loopback", **request)

    return complete


@pytest.fixture
def timeline(agent: ModuleType, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Events as the loop receives them, and ("tool", name) when a tool starts running."""
    seen: list[Any] = []
    run_tool = agent.run_tool

    async def observed(call: Any) -> str:
        seen.append(("tool", call.name))
        result: str = await run_tool(call)
        return result

    monkeypatch.setattr(agent, "run_tool", observed)
    return seen


async def test_the_first_tool_starts_before_the_streams_last_event_arrives(
    agent: ModuleType, completion: Any, timeline: list[Any]
) -> None:
    await agent.run_agent(
        list(QUESTION), model="openai/gpt-4o", completion=completion, on_event=timeline.append
    )
    starts = [i for i, item in enumerate(timeline) if isinstance(item, StreamStarted)]
    assert len(starts) == 2  # two turns
    first_turn = timeline[: starts[1]]
    last_event = max(i for i, item in enumerate(first_turn) if not isinstance(item, tuple))
    assert isinstance(first_turn[last_event], ChoiceFinished)
    weather = first_turn.index(("tool", "get_weather"))
    assert weather < last_event
    # Started as soon as its ToolCallDone arrived, while the model was still streaming the
    # next call: before that call's header and before any of its fragments.
    done = first_turn.index(next(e for e in first_turn if isinstance(e, ToolCallDone)))
    next_call = first_turn.index(
        next(e for e in first_turn if isinstance(e, ToolCallStarted) and e.index == 1)
    )
    fragments = [
        i for i, e in enumerate(first_turn) if isinstance(e, ArgumentsDelta) and e.index == 1
    ]
    assert done < weather < next_call < fragments[0]
    assert first_turn.index(("tool", "get_time")) < last_event


async def test_the_conversation_goes_back_to_the_provider_with_both_results(
    agent: ModuleType, completion: Any, loopback: LoopbackProvider
) -> None:
    before = len(loopback.requests)
    messages: list[dict[str, Any]] = list(QUESTION)
    answer = await agent.run_agent(messages, model="openai/gpt-4o", completion=completion)
    assert answer == FINAL_ANSWER
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "tool", "assistant"]
    assistant = messages[1]
    assert assistant["content"] == "Let me check both."
    assert [
        (c["id"], c["type"], c["function"]["name"], c["function"]["arguments"])
        for c in assistant["tool_calls"]
    ] == [
        ("call_Aa1", "function", "get_weather", '{"location": "Paris"}'),
        ("call_Bb2", "function", "get_time", '{"tz": "Europe/Paris"}'),
    ]
    assert messages[2]["tool_call_id"] == "call_Aa1"
    assert json.loads(messages[2]["content"]) == {
        "location": "Paris",
        "temperature_c": 18,
        "sky": "sunny",
    }
    assert messages[3]["tool_call_id"] == "call_Bb2"
    assert json.loads(messages[3]["content"]) == {"tz": "Europe/Paris", "time": "14:05"}
    assert messages[4] == {"role": "assistant", "content": FINAL_ANSWER}

    # What LiteLLM really sent on the second turn: the whole conversation, tool calls paired
    # with their results, and the tools offered again.
    sent = [e.body for e in loopback.requests[before:]]
    assert len(sent) == 2
    second = sent[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "tool", "tool"]
    assert [c["id"] for c in second[1]["tool_calls"]] == ["call_Aa1", "call_Bb2"]
    assert [m["tool_call_id"] for m in second[2:]] == ["call_Aa1", "call_Bb2"]
    assert [t["function"]["name"] for t in sent[0]["tools"]] == ["get_weather", "get_time"]


async def test_arguments_the_model_got_wrong_go_back_as_the_tools_answer(
    agent: ModuleType,
) -> None:
    bad = ToolCallDone(index=0, id="call_1", name="get_weather", arguments='{"location": 3}')
    answer = await agent.execute(bad)
    assert answer.startswith("error: tool call 'call_1' (get_weather): arguments do not validate")
    unknown = ToolCallDone(index=0, id="call_2", name="get_stock", arguments="{}")
    answer = await agent.execute(unknown)
    assert "no tool named 'get_stock' (known: get_weather, get_time)" in answer


async def test_a_reply_that_fails_cancels_the_tools_it_started(
    agent: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    async def slow_weather(args: Any) -> str:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(args.location)
            raise
        return "never"

    monkeypatch.setattr(agent, "get_weather", slow_weather)

    def chunk(delta: dict[str, Any]) -> dict[str, Any]:
        return {"id": "chatcmpl-x", "choices": [{"index": 0, "delta": delta}]}

    def call(index: int, call_id: str, name: str, arguments: str) -> dict[str, Any]:
        function = {"name": name, "arguments": arguments}
        return chunk({"tool_calls": [{"index": index, "id": call_id, "function": function}]})

    async def failing(**request: Any) -> AsyncIterator[dict[str, Any]]:
        async def stream() -> AsyncIterator[dict[str, Any]]:
            yield call(0, "call_1", "get_weather", '{"location": "Paris"}')
            yield call(1, "call_2", "get_time", "")  # call_1 is done: its tool starts
            await started.wait()
            yield {"error": {"message": "overloaded", "type": "server_error"}}

        return stream()

    events: list[StreamEvent] = []
    with pytest.raises(ProviderError, match="overloaded"):
        await agent.run_agent(
            list(QUESTION), model="any", completion=failing, on_event=events.append
        )
    await asyncio.sleep(0)  # let the cancellation be delivered
    assert cancelled == ["Paris"]
    assert any(isinstance(e, ToolCallDone) for e in events)


async def test_a_call_cut_by_a_length_finish_is_never_run_and_the_model_is_told(
    agent: ModuleType, timeline: list[Any]
) -> None:
    requests: list[list[dict[str, Any]]] = []

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-x",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    async def replies(**request: Any) -> AsyncIterator[dict[str, Any]]:
        requests.append(list(request["messages"]))
        first = len(requests) == 1

        async def stream() -> AsyncIterator[dict[str, Any]]:
            if first:  # parsable, but the stream says max_tokens cut it off
                function = {"name": "get_weather", "arguments": '{"location": "Paris"}'}
                entry = {"index": 0, "id": "call_1", "function": function}
                yield chunk({"role": "assistant", "tool_calls": [entry]})
                yield chunk({}, "length")
            else:
                yield chunk({"role": "assistant", "content": "Sorry, try again."}, "stop")

        return stream()

    messages = list(QUESTION)
    answer = await agent.run_agent(messages, model="any", completion=replies)
    assert answer == "Sorry, try again."
    assert not [item for item in timeline if isinstance(item, tuple)]  # no tool ran
    told = messages[2]
    assert told["role"] == "tool"
    assert told["tool_call_id"] == "call_1"
    assert told["content"].startswith("error: this call was cut off (finish_reason 'length')")
    assert messages[1]["tool_calls"][0]["id"] == "call_1"  # the call it answers is kept
