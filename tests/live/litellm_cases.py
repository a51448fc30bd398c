"""What the loopback scenarios say, written out by hand, and how LiteLLM is called for them.

Expected values come from the scenario files (the provider's own wire objects), read by a
person: they are never produced by typedstream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from naive import naive_merge

from typedstream.testing import TOOLS, LoopbackProvider, scenario

MESSAGES = [{"role": "user", "content": "What are the weather and the time in Paris?"}]

ANTHROPIC_SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"
GEMINI_SIGNATURE = "CiQBVKhc7vJ3sT9lZ2VtaW5pLXNpZ25hdHVyZS0x"


@dataclass(frozen=True)
class Case:
    """One scenario replayed through LiteLLM, and what it must amount to."""

    scenario: str
    model: str
    text: str
    calls: tuple[tuple[str | None, str, str], ...]
    """(id, name, arguments); id ``None`` where LiteLLM makes the id up (Gemini)."""
    usage: tuple[int, int, int]
    """(prompt, completion, total) tokens, as the provider reported them."""
    reasoning: str = ""
    extra: tuple[tuple[str, Any], ...] = ()
    """Extra LiteLLM keyword arguments."""

    @property
    def wire(self) -> str:
        return self.scenario.split("_")[0]

    def kwargs(self, loopback: LoopbackProvider) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": MESSAGES,
            "tools": TOOLS,
            "stream": True,
            "stream_options": {"include_usage": True},
            "api_base": loopback.api_base(self.scenario),
            "api_key": "sk-loopback",
            **dict(self.extra),
        }


PARIS = (
    ("call_Aa1", "get_weather", '{"location": "Paris"}'),
    ("call_Bb2", "get_time", '{"tz": "Europe/Paris"}'),
)
SAN_FRANCISCO = (
    ("toolu_01A", "get_weather", '{"location": "San Francisco, CA", "unit": "celsius"}'),
    ("toolu_01B", "get_time", '{"tz": "America/Los_Angeles"}'),
)


def _deepseek() -> Case:
    # A long DeepSeek recording: its reasoning is folded from the wire by the naive merger.
    messages, usage = naive_merge(list(scenario("openai_reasoning").payloads()))
    message = messages[0]
    assert usage is not None
    return Case(
        "openai_reasoning",
        "openai/deepseek-reasoner",
        message.content,
        tuple((c["id"], str(c["name"]), str(c["arguments"])) for c in message.tool_calls),
        (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]),
        reasoning=message.reasoning,
    )


CASES = (
    Case("openai_tools_usage", "openai/gpt-4o", "Let me check both.", PARIS, (80, 40, 120)),
    Case(
        "openai_toolsonly_usage",
        "openai/gpt-4o",
        "",
        (("call_Cc3", "get_weather", '{"location":"Tokyo"}'),),
        (50, 15, 65),
    ),
    _deepseek(),
    Case(
        "anthropic_tools",
        "anthropic/claude-3-5-sonnet-20241022",
        "Okay, let me check that.",
        SAN_FRANCISCO,
        (472, 89, 561),
    ),
    Case(
        "anthropic_thinking",
        "anthropic/claude-3-7-sonnet-20250219",
        "Okay, let me check that.",
        SAN_FRANCISCO,
        (472, 89, 561),
        reasoning="The user wants weather.",
        extra=(("thinking", {"type": "enabled", "budget_tokens": 1024}),),
    ),
    Case(
        "gemini_tools",
        "gemini/gemini-1.5-pro",
        "Checking the weather.",
        (
            (None, "get_weather", json.dumps({"location": "Paris"})),
            (None, "get_time", json.dumps({"tz": "Europe/Paris"})),
        ),
        (30, 20, 50),
    ),
    Case(
        "gemini_thinking",
        "gemini/gemini-2.5-flash",
        "Let me check both.",
        (
            (None, "get_weather", json.dumps({"location": "Paris"})),
            (None, "get_time", json.dumps({"tz": "Europe/Paris"})),
        ),
        (42, 81, 123),  # LiteLLM counts Gemini's thought tokens as completion tokens
        reasoning="**Planning the lookup**\nThe user wants the weather and the time in Paris.",
        extra=(("reasoning_effort", "low"),),
    ),
)
BY_NAME = {case.scenario: case for case in CASES}
