"""A complete agent loop over LiteLLM that starts each tool while the model is still talking.

When a model asks for several tools in one reply it streams the calls one after another.
typedstream reports a call done (``ToolCallDone``) as soon as the next one starts, so this
loop starts each tool right then, in its own task, instead of waiting for the end of the
reply: a slow tool runs while the model is still writing the next call. When the reply ends,
the loop appends the assistant message (rebuilt by an ``Accumulator`` from the same events)
and the tool results, and asks again, until the model answers without calling a tool.

A call the reply cut off (``finish_reason`` ``length``, ``content_filter``...) arrives as
``ToolCallIncomplete`` instead of ``ToolCallDone``, with the arguments as far as they came:
the loop never runs it, and answers it with an error that tells the model to call again.

Tool arguments are validated by a typed registry: ``TOOLS.parse(event)`` returns a
``ToolCall[GetWeather | GetTime]``, and the ``match`` in ``run_tool`` is checked exhaustive by
mypy and pyright. Arguments the model got wrong go back to it as the tool's answer, so it can
correct itself.

Run it with any LiteLLM model (provider keys come from the environment)::

    pip install 'typedstream[litellm]'
    python examples/agent_loop.py --model anthropic/claude-3-5-sonnet-20241022

or offline, against typedstream's built-in loopback provider (``--loopback``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, Field
from typing_extensions import assert_never

import typedstream
from typedstream import (
    StreamEvent,
    TextDelta,
    Tool,
    ToolArgumentsError,
    ToolCall,
    ToolCallDone,
    ToolCallIncomplete,
    Tools,
)

# LiteLLM fetches its model cost map from the internet on import unless told otherwise.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_MODE", "PRODUCTION")

import litellm

Message = dict[str, Any]
Completion = Callable[..., Awaitable[Any]]
"""``litellm.acompletion`` or anything called like it."""


class GetWeather(BaseModel):
    """Current weather at a location."""

    location: str = Field(description="City and country, e.g. 'Paris, France'")


class GetTime(BaseModel):
    """Current local time in a time zone."""

    tz: str = Field(description="IANA time zone, e.g. 'Europe/Paris'")


TOOLS = Tools(Tool("get_weather", GetWeather), Tool("get_time", GetTime))


# Stand-ins for real APIs: each takes a while, as a network call would.
async def get_weather(args: GetWeather) -> str:
    await asyncio.sleep(0.05)
    return json.dumps({"location": args.location, "temperature_c": 18, "sky": "sunny"})


async def get_time(args: GetTime) -> str:
    await asyncio.sleep(0.05)
    return json.dumps({"tz": args.tz, "time": "14:05"})


async def run_tool(call: ToolCall[GetWeather | GetTime]) -> str:
    """Run one validated call (the ``match`` is checked exhaustive)."""
    match call.args:
        case GetWeather():
            return await get_weather(call.args)
        case GetTime():
            return await get_time(call.args)
        case _:
            assert_never(call.args)


async def execute(done: ToolCallDone) -> str:
    """Validate a finished call and run it; mistakes go back to the model as the answer."""
    try:
        call = TOOLS.parse(done)
    except ToolArgumentsError as error:  # unknown tool, invalid JSON, failed validation
        return f"error: {error}"
    return await run_tool(call)


async def cut_off(call: ToolCallIncomplete) -> str:
    """The answer to a call the reply cut off: it is not run; the model is told why."""
    return (
        f"error: this call was cut off (finish_reason {call.reason!r}) before its arguments "
        "were complete, so it was not run. Call the tool again with complete arguments"
        + (", keeping them short." if call.reason in ("length", "max_tokens") else ".")
    )


async def run_agent(
    messages: list[Message],
    *,
    model: str,
    completion: Completion = litellm.acompletion,
    on_event: Callable[[StreamEvent], object] | None = None,
    max_turns: int = 8,
    **options: Any,
) -> str:
    """Talk to ``model`` until it answers without tools; return that answer.

    ``messages`` is extended in place with every assistant message and tool result.
    ``on_event`` sees each event as it arrives (to print text as it streams, say);
    ``options`` go to every ``completion`` call (``api_base``, ``temperature``…).
    """
    for _ in range(max_turns):
        stream = await completion(
            model=model, messages=messages, tools=TOOLS.to_openai(), stream=True, **options
        )
        reply = typedstream.Accumulator()
        running: dict[str, asyncio.Task[str]] = {}  # call id -> its tool, in call order
        try:
            async with typedstream.aevents(stream) as events:
                async for event in events:
                    reply.add(event)
                    if on_event is not None:
                        on_event(event)
                    if isinstance(event, ToolCallDone) and event.choice == 0:
                        running[event.id] = asyncio.create_task(execute(event))
                        await asyncio.sleep(0)  # let it start now, before reading on
                    elif isinstance(event, ToolCallIncomplete) and event.choice == 0:
                        # Never run: its arguments are a prefix of what the model meant.
                        running[event.id] = asyncio.create_task(cut_off(event))
        except BaseException:
            for task in running.values():  # the reply failed: its tools' results are moot
                task.cancel()
            raise
        message = reply.completion().choices[0].message
        # The assistant turn as the provider needs it back: content, tool calls, and any
        # reasoning or thinking blocks the accumulator kept for the next turn.
        messages.append(message.model_dump(exclude_none=True))
        if not running:
            return message.content or ""
        for call_id, task in running.items():
            messages.append({"role": "tool", "tool_call_id": call_id, "content": await task})
    raise RuntimeError(f"no final answer after {max_turns} turns")


def print_event(event: StreamEvent) -> None:
    """Show the reply as it streams, and each tool as it starts."""
    if isinstance(event, TextDelta):
        print(event.text, end="", flush=True)
    elif isinstance(event, ToolCallDone):
        print(f"\n  -> {event.name}({event.arguments})", end="", flush=True)
    elif isinstance(event, ToolCallIncomplete):
        print(f"\n  -> {event.name}({event.arguments}  [cut off: {event.reason}]", end="")
    elif event.kind == "choice_finished":
        print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="An agent loop over LiteLLM, with tools.")
    parser.add_argument("question", nargs="?", default="What's the weather and time in Paris?")
    parser.add_argument("--model", default="openai/gpt-4o", help="any LiteLLM model name")
    parser.add_argument(
        "--loopback", action="store_true", help="offline: replay recorded replies locally"
    )
    args = parser.parse_args(argv)
    litellm.suppress_debug_info = True
    messages: list[Message] = [{"role": "user", "content": args.question}]
    if not args.loopback:
        asyncio.run(run_agent(messages, model=args.model, on_event=print_event))
        return 0

    # typedstream's loopback provider replays a recorded reply per request: tool calls
    # first, then (once tool results come back) a text answer.
    from typedstream.testing import LoopbackProvider

    with LoopbackProvider() as provider:

        async def loopback_completion(**request: Any) -> Any:
            answering = request["messages"][-1]["role"] == "tool"
            base = provider.api_base("openai_text_usage" if answering else "openai_tools")
            return await litellm.acompletion(api_base=base, api_key="sk-loopback", **request)

        asyncio.run(
            run_agent(
                messages,
                model="openai/gpt-4o",
                completion=loopback_completion,
                on_event=print_event,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
