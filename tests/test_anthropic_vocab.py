"""The shared Anthropic vocabulary: stop reasons both ways, usage written from typed figures,
block and server-tool types, error types (docs/event-model.md §6, §8)."""

from __future__ import annotations

import pytest

from typedstream import Usage
from typedstream._anthropic_vocab import (
    STOP_READ,
    STOP_WRITTEN,
    anthropic_usage,
    block_type,
    error_type,
    server_tool,
)


@pytest.mark.parametrize("raw", sorted(STOP_READ))
def test_every_anthropic_stop_reason_is_written_back_as_itself(raw: str) -> None:
    _, stop = STOP_READ[raw]
    assert STOP_WRITTEN[stop] == raw


def test_chat_only_stops_are_written_as_anthropic_reasons() -> None:
    assert STOP_WRITTEN["content_filter"] == "refusal"
    assert STOP_WRITTEN["other"] == "end_turn"


def test_same_protocol_usage_is_written_unchanged() -> None:
    raw = {"input_tokens": 3, "output_tokens": 9, "server_tool_use": {"web_search_requests": 1}}
    assert anthropic_usage(Usage(raw, "anthropic")) == raw


def test_chat_usage_is_split_into_uncached_and_cached_input() -> None:
    usage = Usage(
        {
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "total_tokens": 120,
            "prompt_tokens_details": {"cached_tokens": 60},
            "completion_tokens_details": {"reasoning_tokens": 5},
        }
    )
    assert anthropic_usage(usage) == {
        "input_tokens": 40,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 60,
        "output_tokens": 20,
        "output_tokens_details": {"thinking_tokens": 5},
    }


def test_anthropic_input_tokens_count_both_caches() -> None:
    usage = Usage(
        {"input_tokens": 5, "cache_creation_input_tokens": 10, "cache_read_input_tokens": 20},
        "anthropic",
    )
    assert (usage.input_tokens, usage.cache_write_tokens, usage.cache_read_tokens) == (35, 10, 20)
    assert usage.total_tokens is None  # no output figure yet


@pytest.mark.parametrize(
    ("wire", "neutral"),
    [
        ("text", "text"),
        ("thinking", "reasoning"),
        ("redacted_thinking", "reasoning"),
        ("tool_use", "tool_call"),
        ("server_tool_use", "server_tool_call"),
        ("web_search_tool_result", "server_tool_result"),
        ("advisor_tool_result", "server_tool_result"),
        ("compaction", "compaction"),
        ("container_upload", "extension"),
    ],
)
def test_block_types_map_to_the_neutral_types(wire: str, neutral: str) -> None:
    assert block_type(wire) == neutral


@pytest.mark.parametrize(
    ("name", "tool"),
    [
        ("web_search", "web_search"),
        ("web_fetch_tool_result", "web_fetch"),
        ("bash_code_execution", "code_execution"),
        ("tool_search_tool_regex", "tool_search"),
        ("mcp_tool_result", "mcp"),
        ("advisor", "other"),
    ],
)
def test_server_tool_names_map_to_the_neutral_kinds(name: str, tool: str) -> None:
    assert server_tool(name) == tool


@pytest.mark.parametrize(
    ("kind", "code", "expected"),
    [
        ("overloaded_error", None, "overloaded_error"),
        ("rate_limit_exceeded", None, "rate_limit_error"),
        (None, "insufficient_quota", "billing_error"),
        ("server_error", None, "api_error"),
        ("something_new", None, "api_error"),
        (None, None, "api_error"),
    ],
)
def test_foreign_error_types_map_to_anthropic_types(
    kind: str | None, code: str | None, expected: str
) -> None:
    assert error_type(kind, code) == expected
