"""The Anthropic reader: Anthropic Messages streams into typed events (docs/event-model.md
§4.2, row by row).

Recorded streams first, their events spelled out; then one test per reading row on small
hand-made streams; then the errors, cut streams, every source shape (dicts, SSE bytes cut
anywhere, the ``anthropic`` SDK's ``Stream`` and ``MessageStream`` over HTTP, sync and async)
and closing.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from corpus import CORPUS, Recording

import typedstream
from typedstream import (
    ArgumentsDelta,
    BlockDone,
    BlockStarted,
    ChoiceFinished,
    ChunkError,
    Citation,
    Extension,
    IncompleteStreamError,
    OpaqueState,
    ProviderError,
    RawChunk,
    ReasoningDelta,
    ServerToolCallDone,
    ServerToolCallStarted,
    ServerToolInputDelta,
    ServerToolResult,
    StreamError,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
    UsageError,
)
from typedstream._anthropic_reader import AnthropicReader
from typedstream._anthropic_vocab import STOP_READ
from typedstream.testing import LoopbackProvider

ANTHROPIC = CORPUS / "anthropic"
P = "anthropic"


def wire(name: str) -> list[dict[str, Any]]:
    """The decoded events of a recording."""
    return Recording(ANTHROPIC / name).chunks()


def joined_input(events: list[dict[str, Any]]) -> str:
    """Every ``partial_json`` of a stream with one tool block, joined."""
    return "".join(
        e["delta"]["partial_json"]
        for e in events
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "input_json_delta"
    )


def read(source: Any, **options: Any) -> list[StreamEvent]:
    return list(typedstream.events(source, **options))


def sse(events: Iterable[dict[str, Any]]) -> bytes:
    """Events framed as Anthropic frames them."""
    return b"".join(
        f"event: {e['type']}\ndata: {json.dumps(e, ensure_ascii=False)}\n\n".encode()
        for e in events
    )


def outcome(source: Any, **options: Any) -> tuple[list[StreamEvent], BaseException | None]:
    out: list[StreamEvent] = []
    try:
        for event in typedstream.events(source, **options):
            out.append(event)
    except typedstream.TypedStreamError as exc:
        return out, exc
    return out, None


# -- recordings, spelled out --------------------------------------------------------------------


def test_a_bedrock_tool_use_is_done_at_its_tool_use_stop_and_keeps_bedrock_metrics() -> None:
    w = wire("kibana_bedrock_invoke_claude3sonnet_tool_use.jsonl")
    assert read(w) == [
        StreamStarted(
            "msg_bdrk_012EMKX9CWPtpmbxXLG51z2t",
            "claude-3-sonnet-20240229",
            None,
            None,
            None,
            "anthropic",
            Usage({"input_tokens": 365, "output_tokens": 1}, "anthropic"),
        ),
        BlockStarted(
            0, "tool_call", "tool_use", "toolu_bdrk_018QcdZZxZqKuheNsHQpbUjG", "anthropic"
        ),
        ToolCallStarted(0, "toolu_bdrk_018QcdZZxZqKuheNsHQpbUjG", "getOrderById"),
        ArgumentsDelta(0, "toolu_bdrk_018QcdZZxZqKuheNsHQpbUjG", '{"orderId'),
        ArgumentsDelta(0, "toolu_bdrk_018QcdZZxZqKuheNsHQpbUjG", '": "XF'),
        ArgumentsDelta(0, "toolu_bdrk_018QcdZZxZqKuheNsHQpbUjG", 'GHJ5678"}'),
        BlockDone(
            0,
            "tool_call",
            "tool_use",
            "toolu_bdrk_018QcdZZxZqKuheNsHQpbUjG",
            "anthropic",
            "completed",
        ),
        ToolCallDone(
            0, "toolu_bdrk_018QcdZZxZqKuheNsHQpbUjG", "getOrderById", '{"orderId": "XFGHJ5678"}'
        ),
        ChoiceFinished("tool_calls", "tool_use"),
        Extension(
            "keys",
            "message_stop",
            {
                "amazon-bedrock-invocationMetrics": {
                    "inputTokenCount": 365,
                    "outputTokenCount": 41,
                    "invocationLatency": 1181,
                    "firstByteLatency": 366,
                }
            },
            None,
            "anthropic",
        ),
        Usage({"input_tokens": 365, "output_tokens": 60}, "anthropic"),
    ]


def test_two_tool_uses_without_arguments_are_each_done_when_the_next_block_or_the_stop_comes() -> (
    None
):
    w = wire("llmanthropic_haiku45_parallel_tool_use_noargs.sse")
    assert read(w) == [
        Extension("keys", "message", {"stop_details": None}, None, "anthropic"),
        StreamStarted(
            "msg_01V2noLbAb2NgKnjaNw6Cn3w",
            "claude-haiku-4-5-20251001",
            None,
            None,
            None,
            "anthropic",
            Usage(
                {
                    "input_tokens": 542,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 0,
                        "ephemeral_1h_input_tokens": 0,
                    },
                    "output_tokens": 62,
                    "service_tier": "standard",
                    "inference_geo": "not_available",
                },
                "anthropic",
            ),
        ),
        Extension("keys", "content_block", {"caller": {"type": "direct"}}, 0, "anthropic"),
        BlockStarted(0, "tool_call", "tool_use", "toolu_01LtHJmixrs9NcWQkK8hu8hj", "anthropic"),
        ToolCallStarted(0, "toolu_01LtHJmixrs9NcWQkK8hu8hj", "pelican_name_generator"),
        BlockDone(
            0, "tool_call", "tool_use", "toolu_01LtHJmixrs9NcWQkK8hu8hj", "anthropic", "completed"
        ),
        ToolCallDone(0, "toolu_01LtHJmixrs9NcWQkK8hu8hj", "pelican_name_generator", ""),
        Extension("keys", "content_block", {"caller": {"type": "direct"}}, 1, "anthropic"),
        BlockStarted(1, "tool_call", "tool_use", "toolu_01N8a4jWyf116qKTMqKKmjyt", "anthropic"),
        ToolCallStarted(1, "toolu_01N8a4jWyf116qKTMqKKmjyt", "pelican_name_generator"),
        BlockDone(
            1, "tool_call", "tool_use", "toolu_01N8a4jWyf116qKTMqKKmjyt", "anthropic", "completed"
        ),
        ToolCallDone(1, "toolu_01N8a4jWyf116qKTMqKKmjyt", "pelican_name_generator", ""),
        Extension("keys", "message_delta.delta", {"stop_details": None}, None, "anthropic"),
        ChoiceFinished("tool_calls", "tool_use"),
        Usage(
            {
                "input_tokens": 542,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                "output_tokens": 62,
                "service_tier": "standard",
                "inference_geo": "not_available",
            },
            "anthropic",
        ),
    ]


def test_thinking_gives_reasoning_and_its_signature_as_opaque_state() -> None:
    w = wire("llmanthropic_opus46_adaptive_thinking_text_first.sse")
    assert read(w) == [
        StreamStarted(
            "msg_016xaB3rMXQHTBuAJvtvxaQx",
            "claude-opus-4-6",
            None,
            None,
            None,
            "anthropic",
            Usage(
                {
                    "input_tokens": 34,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 0,
                        "ephemeral_1h_input_tokens": 0,
                    },
                    "output_tokens": 0,
                    "service_tier": "standard",
                    "inference_geo": "global",
                },
                "anthropic",
            ),
        ),
        BlockStarted(0, "text", "text", None, "anthropic"),
        TextDelta("\n\n"),
        BlockDone(0, "text", "text", None, "anthropic", "completed"),
        BlockStarted(1, "reasoning", "thinking", None, "anthropic"),
        ReasoningDelta("Brief"),
        ReasoningDelta(" answer"),
        ReasoningDelta(" with"),
        ReasoningDelta(" two pet"),
        ReasoningDelta(" pel"),
        ReasoningDelta("ican"),
        ReasoningDelta(" names."),
        OpaqueState("anthropic", "thinking_signature", w[14]["delta"]["signature"], 1),
        BlockDone(1, "reasoning", "thinking", None, "anthropic", "completed"),
        BlockStarted(2, "text", "text", None, "anthropic"),
        TextDelta("1"),
        TextDelta(". **"),
        TextDelta("Captain"),
        TextDelta(" Sc"),
        TextDelta("oop"),
        TextDelta("**"),
        TextDelta("\n2. **Gul"),
        TextDelta("let"),
        TextDelta("**"),
        BlockDone(2, "text", "text", None, "anthropic", "completed"),
        ChoiceFinished("stop", "end_turn"),
        Usage(
            {
                "input_tokens": 34,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                "output_tokens": 44,
                "service_tier": "standard",
                "inference_geo": "global",
            },
            "anthropic",
        ),
    ]


def test_redacted_thinking_gives_opaque_state_from_its_block_start() -> None:
    w = wire("pydanticai_sonnet45_redacted_thinking.sse")
    assert read(w) == [
        StreamStarted(
            "msg_018XZkwvj9asBiffg3fXt88s",
            "claude-sonnet-4-5-20250929",
            None,
            None,
            None,
            "anthropic",
            Usage(
                {
                    "input_tokens": 92,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 0,
                        "ephemeral_1h_input_tokens": 0,
                    },
                    "output_tokens": 88,
                    "service_tier": "standard",
                },
                "anthropic",
            ),
        ),
        BlockStarted(0, "reasoning", "redacted_thinking", None, "anthropic"),
        OpaqueState("anthropic", "redacted_thinking", w[1]["content_block"]["data"], 0),
        BlockDone(0, "reasoning", "redacted_thinking", None, "anthropic", "completed"),
        BlockStarted(1, "reasoning", "redacted_thinking", None, "anthropic"),
        OpaqueState("anthropic", "redacted_thinking", w[3]["content_block"]["data"], 1),
        BlockDone(1, "reasoning", "redacted_thinking", None, "anthropic", "completed"),
        BlockStarted(2, "text", "text", None, "anthropic"),
        TextDelta("I notice that you've sent what"),
        TextDelta(" appears to be some"),
        TextDelta(" kind of test string"),
        TextDelta(" or command. I don't have"),
        TextDelta(' any special "magic string"'),
        TextDelta(" triggers or backdoor commands"),
        TextDelta(" that would expose internal systems or"),
        TextDelta(" change my behavior."),
        TextDelta("\n\nI'm Claude"),
        TextDelta(", an AI assistant create"),
        TextDelta("d by Anthropic to"),
        TextDelta(" be helpful, harmless"),
        TextDelta(", and honest. How"),
        TextDelta(" can I assist you today with"),
        TextDelta(" a legitimate task or question?"),
        BlockDone(2, "text", "text", None, "anthropic", "completed"),
        ChoiceFinished("stop", "end_turn"),
        Usage(
            {
                "input_tokens": 92,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                "output_tokens": 189,
                "service_tier": "standard",
            },
            "anthropic",
        ),
    ]


def test_a_tool_use_cut_by_max_tokens_is_incomplete_and_its_block_cut() -> None:
    w = wire("anthropicsdk_sonnet37_finegrained_tool_max_tokens_cut.sse")
    assert read(w) == [
        StreamStarted(
            "msg_01UdjYBBipA9omjYhicnevgq",
            "claude-3-7-sonnet-20250219",
            None,
            None,
            None,
            "anthropic",
            Usage(
                {
                    "input_tokens": 450,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": 1,
                    "service_tier": "standard",
                },
                "anthropic",
            ),
        ),
        BlockStarted(0, "text", "text", None, "anthropic"),
        TextDelta("I"),
        TextDelta("'ll create a comprehensive tax guide for"),
        TextDelta(" someone with multiple W2s an"),
        TextDelta("d save it in a file called taxes.txt. Let"),
        TextDelta(" me do that for you now."),
        BlockDone(0, "text", "text", None, "anthropic", "completed"),
        BlockStarted(1, "tool_call", "tool_use", "toolu_01EKqbqmZrGRXy18eN7m9kvY", "anthropic"),
        ToolCallStarted(0, "toolu_01EKqbqmZrGRXy18eN7m9kvY", "make_file"),
        ArgumentsDelta(0, "toolu_01EKqbqmZrGRXy18eN7m9kvY", '{"filename": "taxes.txt'),
        ArgumentsDelta(0, "toolu_01EKqbqmZrGRXy18eN7m9kvY", w[12]["delta"]["partial_json"]),
        ArgumentsDelta(0, "toolu_01EKqbqmZrGRXy18eN7m9kvY", '\n"Filing taxes'),
        ToolCallIncomplete(
            0,
            "toolu_01EKqbqmZrGRXy18eN7m9kvY",
            "make_file",
            joined_input(w),
            "max_tokens",
        ),
        BlockDone(1, "tool_call", "tool_use", "toolu_01EKqbqmZrGRXy18eN7m9kvY", "anthropic", "cut"),
        ChoiceFinished("length", "max_tokens"),
        Usage(
            {
                "input_tokens": 450,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": 124,
                "service_tier": "standard",
            },
            "anthropic",
        ),
    ]


def test_a_server_tool_call_and_its_result_are_typed_and_the_container_kept() -> None:
    w = wire("pydanticai_sonnet46_code_execution_bash.sse")
    assert read(w) == [
        Extension("keys", "message", {"stop_details": None}, None, "anthropic"),
        StreamStarted(
            "msg_01Js8aWE7YbmiaUPneGiCskE",
            "claude-sonnet-4-6",
            None,
            None,
            None,
            "anthropic",
            Usage(
                {
                    "input_tokens": 2293,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 0,
                        "ephemeral_1h_input_tokens": 0,
                    },
                    "output_tokens": 1,
                    "service_tier": "standard",
                    "inference_geo": "global",
                },
                "anthropic",
            ),
        ),
        BlockStarted(0, "reasoning", "thinking", None, "anthropic"),
        ReasoningDelta("Let"),
        ReasoningDelta(" me calculate this mathematical expression."),
        OpaqueState("anthropic", "thinking_signature", w[5]["delta"]["signature"], 0),
        BlockDone(0, "reasoning", "thinking", None, "anthropic", "completed"),
        BlockStarted(1, "text", "text", None, "anthropic"),
        TextDelta(w[8]["delta"]["text"]),
        BlockDone(1, "text", "text", None, "anthropic", "completed"),
        BlockStarted(
            2,
            "server_tool_call",
            "server_tool_use",
            "srvtoolu_01MwXaweAHve88x6s3Fc8x6Q",
            "anthropic",
        ),
        ServerToolCallStarted(
            "srvtoolu_01MwXaweAHve88x6s3Fc8x6Q", "code_execution", "bash_code_execution", None
        ),
        ServerToolInputDelta("srvtoolu_01MwXaweAHve88x6s3Fc8x6Q", '{"com'),
        ServerToolInputDelta("srvtoolu_01MwXaweAHve88x6s3Fc8x6Q", 'mand": "ec'),
        ServerToolInputDelta("srvtoolu_01MwXaweAHve88x6s3Fc8x6Q", 'ho \\"65465-'),
        ServerToolInputDelta("srvtoolu_01MwXaweAHve88x6s3Fc8x6Q", "6544 * 6"),
        ServerToolInputDelta("srvtoolu_01MwXaweAHve88x6s3Fc8x6Q", "54"),
        ServerToolInputDelta("srvtoolu_01MwXaweAHve88x6s3Fc8x6Q", "64-6+1.02"),
        ServerToolInputDelta("srvtoolu_01MwXaweAHve88x6s3Fc8x6Q", '255\\" | '),
        ServerToolInputDelta("srvtoolu_01MwXaweAHve88x6s3Fc8x6Q", 'bc -l"}'),
        ServerToolCallDone(
            "srvtoolu_01MwXaweAHve88x6s3Fc8x6Q",
            "code_execution",
            "bash_code_execution",
            '{"command": "echo \\"65465-6544 * 65464-6+1.02255\\" | bc -l"}',
        ),
        BlockDone(
            2,
            "server_tool_call",
            "server_tool_use",
            "srvtoolu_01MwXaweAHve88x6s3Fc8x6Q",
            "anthropic",
            "completed",
        ),
        BlockStarted(
            3,
            "server_tool_result",
            "bash_code_execution_tool_result",
            "srvtoolu_01MwXaweAHve88x6s3Fc8x6Q",
            "anthropic",
        ),
        ServerToolResult(
            "srvtoolu_01MwXaweAHve88x6s3Fc8x6Q",
            "code_execution",
            "bash_code_execution_tool_result",
            False,
            None,
            w[21]["content_block"]["content"],
        ),
        BlockDone(
            3,
            "server_tool_result",
            "bash_code_execution_tool_result",
            "srvtoolu_01MwXaweAHve88x6s3Fc8x6Q",
            "anthropic",
            "completed",
        ),
        BlockStarted(4, "text", "text", None, "anthropic"),
        TextDelta("Following"),
        TextDelta(w[25]["delta"]["text"]),
        TextDelta(w[26]["delta"]["text"]),
        TextDelta("⃣ | `6544 \u00d7 65464` | `428,394,416"),
        TextDelta(w[28]["delta"]["text"]),
        TextDelta(w[29]["delta"]["text"]),
        TextDelta(w[30]["delta"]["text"]),
        TextDelta("✅ Final Answer: **-428,330,955.97745**"),
        BlockDone(4, "text", "text", None, "anthropic", "completed"),
        Extension(
            "keys",
            "message_delta.delta",
            {
                "stop_details": None,
                "container": {
                    "id": "container_011CaNRFAbjdPf4rmBarZzqQ",
                    "expires_at": "2026-04-24T11:13:36.730129Z",
                },
            },
            None,
            "anthropic",
        ),
        ChoiceFinished("stop", "end_turn"),
        Usage(
            {
                "input_tokens": 4714,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                "output_tokens": 304,
                "service_tier": "standard",
                "inference_geo": "global",
                "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
            },
            "anthropic",
        ),
    ]


def test_compaction_gives_opaque_state_and_usage_is_the_final_overlay() -> None:
    w = wire("pydanticai_sonnet46_compaction.sse")
    assert read(w) == [
        Extension("keys", "message", {"stop_details": None}, None, "anthropic"),
        StreamStarted(
            "msg_011CduoCRono7pFKoTWpPAia",
            "claude-sonnet-4-6",
            None,
            None,
            None,
            "anthropic",
            Usage(
                {
                    "input_tokens": 100,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 55096,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 0,
                        "ephemeral_1h_input_tokens": 0,
                    },
                    "output_tokens": 7,
                    "service_tier": "standard",
                    "inference_geo": "global",
                },
                "anthropic",
            ),
        ),
        BlockStarted(0, "compaction", "compaction", None, "anthropic"),
        OpaqueState("anthropic", "compaction", w[3]["delta"]["content"], 0),
        BlockDone(0, "compaction", "compaction", None, "anthropic", "completed"),
        BlockStarted(1, "text", "text", None, "anthropic"),
        TextDelta("Hello!"),
        TextDelta(" "),
        TextDelta("👋"),
        BlockDone(1, "text", "text", None, "anthropic", "completed"),
        Extension(
            "keys",
            "message_delta",
            {"context_management": {"applied_edits": []}},
            None,
            "anthropic",
        ),
        Extension("keys", "message_delta.delta", {"stop_details": None}, None, "anthropic"),
        ChoiceFinished("stop", "end_turn"),
        Usage(
            {
                "input_tokens": 181,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                "output_tokens": 8,
                "service_tier": "standard",
                "inference_geo": "global",
                "iterations": [
                    {
                        "input_tokens": 100,
                        "output_tokens": 83,
                        "cache_read_input_tokens": 55096,
                        "cache_creation_input_tokens": 0,
                        "cache_creation": {
                            "ephemeral_5m_input_tokens": 0,
                            "ephemeral_1h_input_tokens": 0,
                        },
                        "type": "compaction",
                    },
                    {
                        "input_tokens": 181,
                        "output_tokens": 8,
                        "cache_read_input_tokens": 0,
                        "cache_creation_input_tokens": 0,
                        "cache_creation": {
                            "ephemeral_5m_input_tokens": 0,
                            "ephemeral_1h_input_tokens": 0,
                        },
                        "type": "message",
                    },
                ],
            },
            "anthropic",
        ),
    ]


def test_an_mcp_call_and_result_carry_server_and_text() -> None:
    w = wire("pydanticai_sonnet45_mcp_tool_use_result.sse")
    assert read(w) == [
        StreamStarted(
            "msg_01Xf6SmUVY1mDrSwFc5RsY3n",
            "claude-sonnet-4-5-20250929",
            None,
            None,
            None,
            "anthropic",
            Usage(
                {
                    "input_tokens": 690,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 0,
                        "ephemeral_1h_input_tokens": 0,
                    },
                    "output_tokens": 8,
                    "service_tier": "standard",
                },
                "anthropic",
            ),
        ),
        BlockStarted(0, "reasoning", "thinking", None, "anthropic"),
        ReasoningDelta("The user is asking about the p"),
        ReasoningDelta("ydantic/pydantic-ai"),
        ReasoningDelta(" repository. They want a short answer about"),
        ReasoningDelta(" the repo. I should use the deepwiki_ask_question"),
        ReasoningDelta(" function to get information about this repository."),
        OpaqueState("anthropic", "thinking_signature", w[8]["delta"]["signature"], 0),
        BlockDone(0, "reasoning", "thinking", None, "anthropic", "completed"),
        BlockStarted(
            1, "server_tool_call", "mcp_tool_use", "mcptoolu_01FZmJ5UspaX5BB9uU339UT1", "anthropic"
        ),
        ServerToolCallStarted(
            "mcptoolu_01FZmJ5UspaX5BB9uU339UT1", "mcp", "ask_question", "deepwiki"
        ),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", '{"repoName"'),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", ': "'),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", "pydantic"),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", "/pydantic-ai"),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", '"'),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", ', "question'),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", '": "What'),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", " is "),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", "this repo"),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", "sitory about"),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", "? Wha"),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", "t are i"),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", "ts main feat"),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", "ure"),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", "s and purpo"),
        ServerToolInputDelta("mcptoolu_01FZmJ5UspaX5BB9uU339UT1", 'se?"}'),
        ServerToolCallDone(
            "mcptoolu_01FZmJ5UspaX5BB9uU339UT1",
            "mcp",
            "ask_question",
            joined_input(w),
        ),
        BlockDone(
            1,
            "server_tool_call",
            "mcp_tool_use",
            "mcptoolu_01FZmJ5UspaX5BB9uU339UT1",
            "anthropic",
            "completed",
        ),
        BlockStarted(
            2,
            "server_tool_result",
            "mcp_tool_result",
            "mcptoolu_01FZmJ5UspaX5BB9uU339UT1",
            "anthropic",
        ),
        ServerToolResult(
            "mcptoolu_01FZmJ5UspaX5BB9uU339UT1",
            "mcp",
            "mcp_tool_result",
            False,
            w[29]["content_block"]["content"][0]["text"],
            w[29]["content_block"]["content"],
        ),
        BlockDone(
            2,
            "server_tool_result",
            "mcp_tool_result",
            "mcptoolu_01FZmJ5UspaX5BB9uU339UT1",
            "anthropic",
            "completed",
        ),
        BlockStarted(3, "text", "text", None, "anthropic"),
        TextDelta("**"),
        TextDelta("Pydantic-AI"),
        TextDelta("**"),
        TextDelta(" is"),
        TextDelta(" a framework for building"),
        TextDelta(" Generative AI applications with type"),
        TextDelta(" safety. It provides"),
        TextDelta(":\n\n-"),
        TextDelta(" **"),
        TextDelta("Unified L"),
        TextDelta("LM interface"),
        TextDelta("** - Works"),
        TextDelta(" with OpenAI, Anthropic, Google"),
        TextDelta(", Groq, Cohere, Mistral, AWS"),
        TextDelta(" Bedrock, and more"),
        TextDelta("\n- **Type-safe agents"),
        TextDelta("** - Uses Pydantic for validation and type"),
        TextDelta(w[49]["delta"]["text"]),
        TextDelta(w[50]["delta"]["text"]),
        TextDelta(w[51]["delta"]["text"]),
        TextDelta(w[52]["delta"]["text"]),
        TextDelta(w[53]["delta"]["text"]),
        TextDelta(w[54]["delta"]["text"]),
        TextDelta(w[55]["delta"]["text"]),
        TextDelta(" responses in real-time\n\nIt's designe"),
        TextDelta(w[58]["delta"]["text"]),
        TextDelta(w[59]["delta"]["text"]),
        BlockDone(3, "text", "text", None, "anthropic", "completed"),
        ChoiceFinished("stop", "end_turn"),
        Usage(
            {
                "input_tokens": 3042,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                "output_tokens": 354,
                "service_tier": "standard",
                "server_tool_use": {"web_search_requests": 0},
            },
            "anthropic",
        ),
    ]


def test_web_search_citations_come_before_their_text_in_cited_blocks() -> None:
    w = wire("llmanthropic_opus41_web_search_citations.sse")
    assert read(w) == [
        StreamStarted(
            "msg_01TRpkkgb2QsnyjsGSVdRtGr",
            "claude-opus-4-1-20250805",
            None,
            None,
            None,
            "anthropic",
            Usage(
                {
                    "input_tokens": 2039,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 0,
                        "ephemeral_1h_input_tokens": 0,
                    },
                    "output_tokens": 1,
                    "service_tier": "standard",
                },
                "anthropic",
            ),
        ),
        BlockStarted(
            0,
            "server_tool_call",
            "server_tool_use",
            "srvtoolu_01SPfvT38PDPAFnkcrMNGUrM",
            "anthropic",
        ),
        ServerToolCallStarted(
            "srvtoolu_01SPfvT38PDPAFnkcrMNGUrM", "web_search", "web_search", None
        ),
        ServerToolInputDelta("srvtoolu_01SPfvT38PDPAFnkcrMNGUrM", '{"query":'),
        ServerToolInputDelta("srvtoolu_01SPfvT38PDPAFnkcrMNGUrM", ' "San Fran'),
        ServerToolInputDelta("srvtoolu_01SPfvT38PDPAFnkcrMNGUrM", "cisco weat"),
        ServerToolInputDelta("srvtoolu_01SPfvT38PDPAFnkcrMNGUrM", "her"),
        ServerToolInputDelta("srvtoolu_01SPfvT38PDPAFnkcrMNGUrM", " t"),
        ServerToolInputDelta("srvtoolu_01SPfvT38PDPAFnkcrMNGUrM", 'oday"}'),
        ServerToolCallDone(
            "srvtoolu_01SPfvT38PDPAFnkcrMNGUrM",
            "web_search",
            "web_search",
            '{"query": "San Francisco weather today"}',
        ),
        BlockDone(
            0,
            "server_tool_call",
            "server_tool_use",
            "srvtoolu_01SPfvT38PDPAFnkcrMNGUrM",
            "anthropic",
            "completed",
        ),
        BlockStarted(
            1,
            "server_tool_result",
            "web_search_tool_result",
            "srvtoolu_01SPfvT38PDPAFnkcrMNGUrM",
            "anthropic",
        ),
        ServerToolResult(
            "srvtoolu_01SPfvT38PDPAFnkcrMNGUrM",
            "web_search",
            "web_search_tool_result",
            False,
            None,
            w[10]["content_block"]["content"],
        ),
        BlockDone(
            1,
            "server_tool_result",
            "web_search_tool_result",
            "srvtoolu_01SPfvT38PDPAFnkcrMNGUrM",
            "anthropic",
            "completed",
        ),
        BlockStarted(2, "text", "text", None, "anthropic"),
        TextDelta("Based on the search results, here"),
        TextDelta("'s"),
        TextDelta(" the"),
        TextDelta(" current"),
        TextDelta(" weather in"),
        TextDelta(" San Francisco:"),
        TextDelta("\n\n"),
        BlockDone(2, "text", "text", None, "anthropic", "completed"),
        BlockStarted(3, "text", "text", None, "anthropic"),
        Citation(
            "web_search_result_location",
            "https://www.wunderground.com/hourly/us/ca/san-francisco",
            "San Francisco, CA Hourly Weather Forecast | Weather Underground",
            w[22]["delta"]["citation"]["cited_text"],
            None,
            None,
            w[22]["delta"]["citation"],
            "anthropic",
        ),
        TextDelta("Today ("),
        TextDelta("November"),
        TextDelta(" 15"),
        TextDelta(", 2025) in San Francisco"),
        TextDelta(" is"),
        TextDelta(" over"),
        TextDelta("cast with a slight"),
        TextDelta(" chance of a"),
        TextDelta(" rain"),
        TextDelta(" shower,"),
        TextDelta(" with a"),
        TextDelta(" high of 63"),
        TextDelta("°F."),
        BlockDone(3, "text", "text", None, "anthropic", "completed"),
        BlockStarted(4, "text", "text", None, "anthropic"),
        TextDelta(" "),
        BlockDone(4, "text", "text", None, "anthropic", "completed"),
        BlockStarted(5, "text", "text", None, "anthropic"),
        Citation(
            "web_search_result_location",
            "https://www.wunderground.com/hourly/us/ca/san-francisco",
            "San Francisco, CA Hourly Weather Forecast | Weather Underground",
            "Winds W at 10 to 15 mph. ",
            None,
            None,
            w[41]["delta"]["citation"],
            "anthropic",
        ),
        TextDelta("Winds"),
        TextDelta(" are from"),
        TextDelta(" the west at"),
        TextDelta(" 10"),
        TextDelta(" to"),
        TextDelta(" 15 mph."),
        BlockDone(5, "text", "text", None, "anthropic", "completed"),
        BlockStarted(6, "text", "text", None, "anthropic"),
        TextDelta("\n\n"),
        BlockDone(6, "text", "text", None, "anthropic", "completed"),
        BlockStarted(7, "text", "text", None, "anthropic"),
        Citation(
            "web_search_result_location",
            "https://www.wunderground.com/hourly/us/ca/san-francisco",
            "San Francisco, CA Hourly Weather Forecast | Weather Underground",
            w[53]["delta"]["citation"]["cited_text"],
            None,
            None,
            w[53]["delta"]["citation"],
            "anthropic",
        ),
        TextDelta("Tonight,"),
        TextDelta(" it"),
        TextDelta(" will be clou"),
        TextDelta("dy with periods"),
        TextDelta(" of rain"),
        TextDelta(","),
        TextDelta(" with"),
        TextDelta(" a low aroun"),
        TextDelta("d 55"),
        TextDelta("°F an"),
        TextDelta("d southwest"),
        TextDelta(" winds at"),
        TextDelta(" 10 to 15 mph"),
        TextDelta("."),
        TextDelta(" The"),
        TextDelta(" chance of rain"),
        TextDelta(" is 80%,"),
        TextDelta(" with"),
        TextDelta(" rainfall"),
        TextDelta(" aroun"),
        TextDelta("d a"),
        TextDelta(" quarter of an inch expecte"),
        TextDelta("d."),
        BlockDone(7, "text", "text", None, "anthropic", "completed"),
        BlockStarted(8, "text", "text", None, "anthropic"),
        TextDelta("\n\n"),
        BlockDone(8, "text", "text", None, "anthropic", "completed"),
        BlockStarted(9, "text", "text", None, "anthropic"),
        Citation(
            "web_search_result_location",
            "https://www.wunderground.com/hourly/us/ca/san-francisco",
            "San Francisco, CA Hourly Weather Forecast | Weather Underground",
            w[82]["delta"]["citation"]["cited_text"],
            None,
            None,
            w[82]["delta"]["citation"],
            "anthropic",
        ),
        TextDelta("Current"),
        TextDelta(" conditions show"),
        TextDelta(" partly"),
        TextDelta(" cloudy skies with "),
        TextDelta("77"),
        TextDelta("%"),
        TextDelta(" humidity and a"),
        TextDelta(" "),
        TextDelta("dew point of 53"),
        TextDelta("°F,"),
        TextDelta(" with visibility"),
        TextDelta(" at"),
        TextDelta(" 9"),
        TextDelta(" miles."),
        BlockDone(9, "text", "text", None, "anthropic", "completed"),
        BlockStarted(10, "text", "text", None, "anthropic"),
        TextDelta("\n\nThe"),
        TextDelta(" weeken"),
        TextDelta("d forecast"),
        TextDelta(" indicates"),
        TextDelta(" continued rain"),
        TextDelta(","),
        TextDelta(" with "),
        BlockDone(10, "text", "text", None, "anthropic", "completed"),
        BlockStarted(11, "text", "text", None, "anthropic"),
        Citation(
            "web_search_result_location",
            "https://abc7news.com/weather/",
            "Live Doppler 7 | Bay Area Weather News - ABC7 San Francisco",
            w[108]["delta"]["citation"]["cited_text"],
            None,
            None,
            w[108]["delta"]["citation"],
            "anthropic",
        ),
        TextDelta("a Level"),
        TextDelta(" 1"),
        TextDelta(" storm"),
        TextDelta(" system"),
        TextDelta(" bringing periods"),
        TextDelta(" of rain"),
        TextDelta(" this"),
        TextDelta(" weekend."),
        BlockDone(11, "text", "text", None, "anthropic", "completed"),
        ChoiceFinished("stop", "end_turn"),
        Usage(
            {
                "input_tokens": 10423,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                "output_tokens": 341,
                "service_tier": "standard",
                "server_tool_use": {"web_search_requests": 1},
            },
            "anthropic",
        ),
    ]


# -- hand-made streams: one test per reading row ------------------------------------------------

USAGE = {"input_tokens": 5, "output_tokens": 1}
START: dict[str, Any] = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": USAGE,
    },
}
STARTED = StreamStarted("msg_1", "claude-x", None, None, None, P, Usage(USAGE, P))


def block(index: int, content_block: dict[str, Any], *deltas: dict[str, Any]) -> list[Any]:
    return [
        {"type": "content_block_start", "index": index, "content_block": content_block},
        *({"type": "content_block_delta", "index": index, "delta": d} for d in deltas),
        {"type": "content_block_stop", "index": index},
    ]


def finish(stop: str | None = "end_turn", **delta: Any) -> list[dict[str, Any]]:
    return [
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None, **delta},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
    ]


FINAL = Usage({"input_tokens": 5, "output_tokens": 9}, P)


def feed(*events: Any, **options: Any) -> list[StreamEvent]:
    """The events of a hand-made stream, fed to the sans-IO reader."""
    reader = AnthropicReader(**options)
    out: list[StreamEvent] = []
    for event in events:
        out += reader.feed(event)
    out += reader.close(out)
    return out


def body(*events: Any, **options: Any) -> list[StreamEvent]:
    """The events between StreamStarted and the finish of a whole hand-made stream."""
    out = feed(START, *events, *finish(), **options)
    assert out[0] == STARTED
    assert out[-2:] == [ChoiceFinished("stop", "end_turn", stop_reason="end"), FINAL]
    return out[1:-2]


TEXT = {"type": "text", "text": ""}
TOOL = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}
TOOL_STARTED = [
    BlockStarted(0, "tool_call", "tool_use", "toolu_1", P),
    ToolCallStarted(0, "toolu_1", "f"),
]


def text(t: str) -> dict[str, Any]:
    return {"type": "text_delta", "text": t}


def json_part(t: str) -> dict[str, Any]:
    return {"type": "input_json_delta", "partial_json": t}


def test_message_start_gives_stream_started_with_the_initial_usage() -> None:
    assert feed(START, *finish())[0] == STARTED


def test_extra_message_keys_come_as_an_extension_before_stream_started() -> None:
    start = {
        **START,
        "message": {**START["message"], "stop_details": None, "container": {"id": "c"}},
    }
    out = feed(start, *finish())
    assert out[:2] == [
        Extension("keys", "message", {"stop_details": None, "container": {"id": "c"}}, None, P),
        STARTED,
    ]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("content", [{"type": "text", "text": "x"}], "'message.content' must be empty"),
        ("role", "user", "'message.role' must be 'assistant'"),
        ("stop_reason", "end_turn", "'message.stop_reason' must be null"),
        ("usage", 3, "'message.usage' must be an object, got int"),
    ],
)
def test_a_message_start_that_would_lose_data_is_a_chunk_error(
    key: str, value: Any, problem: str
) -> None:
    start = {**START, "message": {**START["message"], key: value}}
    with pytest.raises(ChunkError, match=f"chunk 1: {problem}"):
        feed(start)


def test_ping_makes_no_event() -> None:
    assert body({"type": "ping"}) == []


def test_a_text_block_gives_its_text_and_an_empty_fragment_none() -> None:
    assert body(*block(0, TEXT, text("Hi"), text(""), text(" there"))) == [
        BlockStarted(0, "text", "text", None, P),
        TextDelta("Hi"),
        TextDelta(" there"),
        BlockDone(0, "text", "text", None, P, "completed"),
    ]


def test_citations_delta_gives_a_citation_before_the_text() -> None:
    citation = {
        "type": "web_search_result_location",
        "cited_text": "quoted",
        "url": "https://example.com",
        "title": "Example",
        "encrypted_index": "Eo8=",
    }
    events = body(
        *block(
            0,
            {"citations": [], **TEXT},
            {"type": "citations_delta", "citation": citation},
            text("x"),
        )
    )
    assert events[1:3] == [
        Citation(
            "web_search_result_location",
            "https://example.com",
            "Example",
            "quoted",
            None,
            None,
            citation,
            P,
        ),
        TextDelta("x"),
    ]


def test_thinking_gives_reasoning_then_its_signature_for_its_block() -> None:
    thinking = {"type": "thinking", "thinking": "", "signature": ""}
    deltas = [
        {"type": "thinking_delta", "thinking": "hm"},
        {"type": "thinking_delta", "thinking": ""},
        {"type": "signature_delta", "signature": "EuYB"},
    ]
    assert body(*block(0, thinking, *deltas)) == [
        BlockStarted(0, "reasoning", "thinking", None, P),
        ReasoningDelta("hm"),
        OpaqueState(P, "thinking_signature", "EuYB", 0),
        BlockDone(0, "reasoning", "thinking", None, P, "completed"),
    ]


def test_redacted_thinking_gives_its_data_as_opaque_state() -> None:
    assert body(*block(0, {"type": "redacted_thinking", "data": "EqkE"}))[1] == OpaqueState(
        P, "redacted_thinking", "EqkE", 0
    )


def test_a_tool_use_streams_its_input_and_the_first_empty_fragment_makes_none() -> None:
    out = feed(
        START,
        *block(0, TOOL, json_part(""), json_part('{"a"'), json_part(":1}")),
        *finish("tool_use"),
    )
    assert out[1:] == [
        *TOOL_STARTED,
        ArgumentsDelta(0, "toolu_1", '{"a"'),
        ArgumentsDelta(0, "toolu_1", ":1}"),
        BlockDone(0, "tool_call", "tool_use", "toolu_1", P, "completed"),
        ToolCallDone(0, "toolu_1", "f", '{"a":1}'),
        ChoiceFinished("tool_calls", "tool_use"),
        FINAL,
    ]


def test_a_tool_use_whose_start_carries_its_input_gives_it_as_one_compact_delta() -> None:
    out = feed(START, *block(0, {**TOOL, "input": {"city": "Zürich"}}), *finish("tool_use"))
    assert out[3] == ArgumentsDelta(0, "toolu_1", '{"city":"Zürich"}')


def test_a_stopped_tool_use_is_done_when_the_next_block_starts_before_that_block_s_keys() -> None:
    out = feed(START, *block(0, TOOL), *block(1, {**TEXT, "caller": {"type": "direct"}}), *finish())
    assert out[3:7] == [
        BlockDone(0, "tool_call", "tool_use", "toolu_1", P, "completed"),
        ToolCallDone(0, "toolu_1", "f", ""),
        Extension("keys", "content_block", {"caller": {"type": "direct"}}, 1, P),
        BlockStarted(1, "text", "text", None, P),
    ]


def test_a_server_tool_call_streams_its_input_and_is_done_at_its_stop() -> None:
    use = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    assert body(*block(0, use, json_part(""), json_part('{"q":"x"}'))) == [
        BlockStarted(0, "server_tool_call", "server_tool_use", "srvtoolu_1", P),
        ServerToolCallStarted("srvtoolu_1", "web_search", "web_search", None),
        ServerToolInputDelta("srvtoolu_1", '{"q":"x"}'),
        ServerToolCallDone("srvtoolu_1", "web_search", "web_search", '{"q":"x"}'),
        BlockDone(0, "server_tool_call", "server_tool_use", "srvtoolu_1", P, "completed"),
    ]


def test_a_server_tool_result_is_typed_and_an_error_content_marks_it_failed() -> None:
    use = {
        "type": "server_tool_use",
        "id": "srvtoolu_1",
        "name": "text_editor_code_execution",
        "input": {},
    }
    content = {"type": "text_editor_code_execution_tool_result_error", "error_code": "unavailable"}
    result = {
        "type": "text_editor_code_execution_tool_result",
        "tool_use_id": "srvtoolu_1",
        "content": content,
    }
    events = body(*block(0, use), *block(1, result))
    assert events[-3:] == [
        BlockStarted(
            1, "server_tool_result", "text_editor_code_execution_tool_result", "srvtoolu_1", P
        ),
        ServerToolResult(
            "srvtoolu_1",
            "code_execution",
            "text_editor_code_execution_tool_result",
            True,
            None,
            content,
        ),
        BlockDone(
            1,
            "server_tool_result",
            "text_editor_code_execution_tool_result",
            "srvtoolu_1",
            P,
            "completed",
        ),
    ]


def test_an_mcp_call_names_its_server_and_its_result_gives_its_text() -> None:
    use = {
        "type": "mcp_tool_use",
        "id": "mcptoolu_1",
        "name": "ask",
        "input": {},
        "server_name": "wiki",
    }
    result = {
        "type": "mcp_tool_result",
        "tool_use_id": "mcptoolu_1",
        "is_error": False,
        "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
    }
    events = body(*block(0, use), *block(1, result))
    assert events[1] == ServerToolCallStarted("mcptoolu_1", "mcp", "ask", "wiki")
    assert events[5] == ServerToolResult(
        "mcptoolu_1", "mcp", "mcp_tool_result", False, "ab", result["content"]
    )


def test_compaction_gives_its_content_as_opaque_state() -> None:
    compaction = {"type": "compaction", "content": None}
    assert body(*block(0, compaction, {"type": "compaction_delta", "content": "summary"})) == [
        BlockStarted(0, "compaction", "compaction", None, P),
        OpaqueState(P, "compaction", "summary", 0),
        BlockDone(0, "compaction", "compaction", None, P, "completed"),
    ]


def test_an_unknown_block_is_kept_whole_and_its_deltas_as_extensions() -> None:
    upload = {"type": "container_upload", "file_id": "f1"}
    assert body(*block(0, upload, {"type": "text_delta", "text": "x"})) == [
        Extension("keys", "content_block", upload, 0, P),
        BlockStarted(0, "extension", "container_upload", None, P),
        Extension("delta", "text_delta", {"type": "text_delta", "text": "x"}, 0, P),
        BlockDone(0, "extension", "container_upload", None, P, "completed"),
    ]


def test_an_unknown_delta_in_a_known_block_is_an_extension() -> None:
    delta = {"type": "sparkle_delta", "sparkle": 1}
    assert body(*block(0, TEXT, delta))[1] == Extension("delta", "sparkle_delta", delta, 0, P)


def test_extra_delta_keys_come_before_the_delta_s_event() -> None:
    events = body(*block(0, TEXT, {**text("x"), "index_hint": 3}))
    assert events[1:3] == [Extension("keys", "delta", {"index_hint": 3}, 0, P), TextDelta("x")]


def test_a_delta_with_another_key_in_place_of_its_field_keeps_that_key() -> None:
    # Two keys, as the usual delta has, but not the two it names.
    events = body(*block(0, TEXT, {"type": "text_delta", "txt": "x"}))
    assert events[1:-1] == [Extension("keys", "delta", {"txt": "x"}, 0, P)]


def test_a_delta_named_only_by_its_sse_event_keeps_its_third_key() -> None:
    # Three keys, as the usual delta event has, but no type (the SSE name gives it).
    delta = {"index": 0, "delta": text("x"), "hint": 1}
    frame = b"event: content_block_delta\ndata: " + json.dumps(delta).encode() + b"\n\n"
    start, stop = block(0, TEXT)
    events = read([sse([START, start]), frame, sse([stop, *finish()])])
    assert events[2:4] == [
        Extension("keys", "content_block_delta", {"hint": 1}, 0, P),
        TextDelta("x"),
    ]


def test_a_delta_to_a_block_that_is_not_open_is_a_chunk_error_whatever_its_shape() -> None:
    with pytest.raises(ChunkError, match="chunk 3: content_block_delta for block 1, but block 0"):
        feed(
            START,
            block(0, TEXT)[0],
            {"type": "content_block_delta", "index": 1, "delta": text("x")},
        )


def test_a_known_delta_in_the_wrong_block_is_a_chunk_error() -> None:
    with pytest.raises(ChunkError, match="chunk 3: a text_delta in block 0, a tool_use block"):
        feed(START, *block(0, TOOL, text("x")))


@pytest.mark.parametrize(("raw", "projected"), sorted(STOP_READ.items()))
def test_every_stop_reason_maps_to_its_finish(raw: str, projected: tuple[str, str]) -> None:
    out = feed(START, *finish(raw))
    assert out[-2] == ChoiceFinished(projected[0], raw, stop_reason=projected[1])  # type: ignore[arg-type]


def test_a_stop_sequence_is_carried_on_the_finish() -> None:
    out = feed(START, *finish("stop_sequence", stop_sequence="```"))
    assert out[-2] == ChoiceFinished(
        "stop", "stop_sequence", stop_reason="stop_sequence", stop_sequence="```"
    )


def test_an_unknown_stop_reason_is_other_or_strictly_a_chunk_error() -> None:
    assert feed(START, *finish("nap_time"))[-2] == ChoiceFinished(
        "stop", "nap_time", stop_reason="other"
    )
    with pytest.raises(
        ChunkError, match="chunk 2: unknown stop_reason 'nap_time' \\(strict mode\\)"
    ):
        feed(START, *finish("nap_time"), strict=True)


def test_extra_message_delta_keys_come_immediately_before_the_finish() -> None:
    delta, stop = finish("end_turn", stop_details=None)
    delta["context_management"] = {"applied_edits": []}
    out = feed(START, *block(0, TOOL), delta, stop)
    assert out[-4:] == [
        Extension("keys", "message_delta", {"context_management": {"applied_edits": []}}, None, P),
        Extension("keys", "message_delta.delta", {"stop_details": None}, None, P),
        ChoiceFinished("stop", "end_turn", stop_reason="end"),
        FINAL,
    ]
    assert out[-5] == ToolCallDone(0, "toolu_1", "f", "")  # the calls close first


def test_final_usage_overlays_the_start_usage_with_non_null_message_delta_keys() -> None:
    start = {
        **START,
        "message": {
            **START["message"],
            "usage": {"input_tokens": 5, "cache_read_input_tokens": 7, "output_tokens": 1},
        },
    }
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn"},
        "usage": {"input_tokens": 8, "cache_read_input_tokens": None, "output_tokens": 20},
    }
    out = feed(start, delta, {"type": "message_stop"})
    assert out[-1] == Usage(
        {"input_tokens": 8, "cache_read_input_tokens": 7, "output_tokens": 20}, P
    )
    assert out[-1].input_tokens == 15


def test_message_stop_keys_come_before_the_usage() -> None:
    delta, _ = finish()
    out = feed(
        START,
        delta,
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": {"outputTokenCount": 3}},
    )
    assert out[-2:] == [
        Extension(
            "keys",
            "message_stop",
            {"amazon-bedrock-invocationMetrics": {"outputTokenCount": 3}},
            None,
            P,
        ),
        FINAL,
    ]


ERROR = {
    "type": "error",
    "error": {"details": None, "type": "overloaded_error", "message": "Overloaded"},
    "request_id": "req_1",
}


def test_an_error_cuts_the_open_call_and_block_then_gives_a_stream_error() -> None:
    reader = AnthropicReader()
    out: list[StreamEvent] = []
    for event in [START, *block(0, TOOL, json_part('{"a'))[:-1], ERROR]:
        out += reader.feed(event)
    assert out[-5:] == [
        ArgumentsDelta(0, "toolu_1", '{"a'),
        ToolCallIncomplete(0, "toolu_1", "f", '{"a', "error"),
        BlockDone(0, "tool_call", "tool_use", "toolu_1", P, "cut"),
        Extension("keys", "error", {"request_id": "req_1"}, None, P),
        StreamError("Overloaded", "overloaded_error", None, ERROR["error"], "event", P),
    ]
    assert reader.error is not None
    with pytest.raises(ProviderError, match="chunk 4: provider error: Overloaded") as raised:
        reader.close()
    assert raised.value.payload == ERROR["error"]


def test_events_delivers_the_stream_error_then_raises_provider_error() -> None:
    out, error = outcome(sse([START, *block(0, TEXT, text("a"))[:-1], ERROR]))
    assert isinstance(error, ProviderError)
    assert out[-3:] == [BlockDone(0, "text", "text", None, P, "cut"), out[-2], out[-1]]
    assert isinstance(out[-1], StreamError)


def test_a_lone_first_error_is_read_as_anthropic() -> None:
    out, error = outcome([ERROR])
    assert isinstance(error, ProviderError)
    assert isinstance(out[-1], StreamError)
    assert out[-1].protocol == P


def test_an_event_after_the_error_is_a_chunk_error() -> None:
    reader = AnthropicReader()
    reader.feed(START)
    reader.feed(ERROR)
    with pytest.raises(ChunkError, match="chunk 3: event after the error event"):
        reader.feed({"type": "ping"})


def test_an_unknown_event_is_kept_where_it_came() -> None:
    event = {"type": "agent_note", "text": "x"}
    assert body(*block(0, TEXT, text("a"))[:2], event, block(0, TEXT)[-1])[2] == Extension(
        "event", "agent_note", event, 0, P
    )


def test_the_end_without_message_stop_cuts_calls_and_blocks_then_raises() -> None:
    out, error = outcome([START, *block(0, TOOL, json_part("{"))[:-1]])
    assert isinstance(error, IncompleteStreamError)
    assert out[-2:] == [
        ToolCallIncomplete(0, "toolu_1", "f", "{", "end_of_input"),
        BlockDone(0, "tool_call", "tool_use", "toolu_1", P, "cut"),
    ]


def test_assume_complete_accepts_an_end_after_message_delta() -> None:
    out = read([START, finish()[0]], assume_complete=True)
    assert out[-1] == FINAL
    with pytest.raises(
        IncompleteStreamError, match="after its finish but without its message_stop"
    ):
        read([START, finish()[0]])


def test_only_a_tool_block_cut_by_max_tokens_may_stay_open_at_message_delta() -> None:
    out = feed(START, *block(0, TOOL, json_part("{"))[:-1], *finish("max_tokens"))
    assert out[-4:-1] == [
        ToolCallIncomplete(0, "toolu_1", "f", "{", "max_tokens"),
        BlockDone(0, "tool_call", "tool_use", "toolu_1", P, "cut"),
        ChoiceFinished("length", "max_tokens"),
    ]
    with pytest.raises(
        ChunkError, match="chunk 4: block 0 \\(text\\) was not stopped before message_delta"
    ):
        feed(START, *block(0, TEXT, text("a"))[:-1], *finish("max_tokens"))


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        (
            [{"type": "content_block_stop", "index": 0}],
            "chunk 1: content_block_stop before message_start",
        ),
        (
            [START, {"type": "content_block_stop", "index": 0}],
            "chunk 2: content_block_stop for block 0, but no block is open",
        ),
        ([START, *block(1, TEXT)], "chunk 2: block index 1 out of order: expected 0"),
        ([START, START], "chunk 2: the stream started twice"),
        (
            [START, {"type": "content_block_start", "index": "0", "content_block": TEXT}],
            "chunk 2: 'index' must be a non-negative integer, got str",
        ),
        (
            [
                START,
                {"type": "content_block_start", "index": 0, "content_block": TEXT},
                {"type": "content_block_delta", "index": 0, "delta": "x"},
            ],
            "chunk 3: 'delta' must be an object, got str",
        ),
        ([START, *block(0, TEXT, text(3))], "chunk 3: 'text' must be a string, got int"),  # type: ignore[arg-type]
        (
            [START, *block(0, {**TOOL, "id": ""})],
            "chunk 2: 'content_block.id' must be a non-empty string",
        ),
        (
            [START, ["not", "an", "event"]],
            "chunk 2: expected an event \\(a mapping or a model\\), got list",
        ),
        ([START, {"index": 0}], "chunk 2: an Anthropic event needs a string 'type', got null"),
        (
            [START, *finish(), {"type": "ping"}],
            "chunk 4: event after the end of the stream \\(message_stop\\)",
        ),
        ([START, {"type": "message_stop"}], "chunk 2: message_stop before any message_delta"),
    ],
)
def test_bad_shapes_and_orders_are_chunk_errors_naming_the_event(
    events: list[Any], problem: str
) -> None:
    with pytest.raises(ChunkError, match=problem):
        feed(*events)


def test_a_ping_before_message_start_is_framing_too() -> None:
    assert feed({"type": "ping"}, START, *finish())[0] == STARTED


def test_the_sse_event_name_must_equal_the_data_type() -> None:
    frame = b'event: message_start\ndata: {"type":"ping"}\n\n'
    with pytest.raises(
        ChunkError,
        match="chunk 1: the SSE event name 'message_start' does not match the data's type 'ping'",
    ):
        read(frame)


def test_raw_gives_each_event_before_its_events() -> None:
    out = read([START, *finish()], raw=True)
    assert out[0] == RawChunk(START, 1)
    assert [e.number for e in out if isinstance(e, RawChunk)] == [1, 2, 3]


def test_the_reader_is_atomic_and_refuses_input_after_a_chunk_error() -> None:
    reader = AnthropicReader()
    reader.feed(START)
    with pytest.raises(ChunkError):
        reader.feed({"type": "content_block_stop", "index": 0})
    with pytest.raises(UsageError):
        reader.feed({"type": "ping"})


# -- protocols ----------------------------------------------------------------------------------


def test_protocol_responses_reads_an_anthropic_start_as_a_responses_event() -> None:
    with pytest.raises(ChunkError, match=r"message_start before response\.created"):
        read([START], protocol="responses")


def test_protocol_anthropic_reads_even_an_event_auto_would_call_chat() -> None:
    with pytest.raises(ChunkError, match="chunk 1: an Anthropic event needs a string 'type'"):
        read([{"choices": []}], protocol="anthropic")


def test_protocol_chat_reads_anthropic_events_as_chat() -> None:
    with pytest.raises(ChunkError, match="not a chat-completion chunk"):
        read([START], protocol="chat")


@pytest.mark.parametrize(
    ("item", "protocol"),
    [
        (START, "anthropic"),
        ({"type": "ping"}, "anthropic"),
        (ERROR, "anthropic"),
        ({"object": "chat.completion.chunk", "choices": []}, "chat"),
        ({"error": {"message": "x"}}, "chat"),
        ({"type": "response.created"}, "responses"),
    ],
)
def test_auto_detection_reads_the_first_item(item: dict[str, Any], protocol: str) -> None:
    assert typedstream._reader.detect_protocol(item) == protocol


def test_a_chat_sse_error_event_stays_a_chat_provider_error() -> None:
    body_ = b'event: error\ndata: {"message":"boom"}\n\n'
    with pytest.raises(ProviderError, match="boom"):
        read(body_)


# -- cut streams and source shapes --------------------------------------------------------------

COMPLETE = sorted(
    p.name for p in ANTHROPIC.iterdir() if p.suffix == ".sse" and p.read_bytes().endswith(b"\n\n")
)
CUT_EVENTS = (ToolCallIncomplete, BlockDone)


def _without_cut_tail(out: list[StreamEvent]) -> list[StreamEvent]:
    while out and (
        (isinstance(out[-1], ToolCallIncomplete) and out[-1].reason == "end_of_input")
        or (isinstance(out[-1], BlockDone) and out[-1].status == "cut")
    ):
        out = out[:-1]
    return out


@pytest.mark.parametrize("name", COMPLETE)
def test_every_event_prefix_gives_a_prefix_of_the_events_then_incomplete(name: str) -> None:
    events = wire(name)
    full = read(events)
    for k in range(len(events)):
        out, error = outcome(events[:k])
        assert isinstance(error, IncompleteStreamError), (k, error)
        kept = _without_cut_tail(out)
        assert kept == full[: len(kept)], k


@pytest.mark.parametrize(
    "name",
    ["crewai_haiku35_text_then_tool_use.sse", "llmanthropic_haiku45_parallel_tool_use_noargs.sse"],
)
def test_every_byte_prefix_gives_a_prefix_of_the_events_or_all_of_them(name: str) -> None:
    raw = (ANTHROPIC / name).read_bytes()
    full = read(raw)
    for k in range(0, len(raw), 7):
        out, error = outcome(raw[:k])
        if error is None:
            assert out == full
        else:
            assert isinstance(error, IncompleteStreamError), (k, error)
            kept = _without_cut_tail(out)
            assert kept == full[: len(kept)], k


def _pieces(raw: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(raw)), min(40, len(raw) - 1)))
    return [raw[i:j] for i, j in zip([0, *cuts], [*cuts, len(raw)], strict=True)]


@pytest.mark.parametrize("name", COMPLETE)
def test_dicts_and_sse_bytes_in_any_pieces_give_the_same_events(name: str) -> None:
    raw = (ANTHROPIC / name).read_bytes()
    expected = read(wire(name))
    assert read(raw) == expected
    assert read([raw[i : i + 1] for i in range(len(raw))]) == expected
    assert read(_pieces(raw, 7)) == expected
    assert read(raw.decode().splitlines(), lines=True) == expected


@pytest.mark.parametrize("name", COMPLETE)
async def test_aevents_gives_the_same_events(name: str) -> None:
    raw = (ANTHROPIC / name).read_bytes()

    async def pieces() -> Any:
        for piece in _pieces(raw, 3):
            yield piece

    assert [e async for e in typedstream.aevents(pieces())] == read(raw)


def test_sdk_event_objects_give_the_same_events_as_dicts() -> None:
    pytest.importorskip("anthropic")
    from anthropic._models import construct_type  # how the SDK's Stream builds them
    from anthropic.types import RawMessageStreamEvent

    for name in COMPLETE:
        events = wire(name)
        objects = [
            construct_type(type_=RawMessageStreamEvent, value=e)
            for e in events
            if e["type"] != "ping"
        ]
        assert read(objects) == read([e for e in events if e["type"] != "ping"]), name


# -- the anthropic SDK over HTTP ----------------------------------------------------------------

SDK_RECORDINGS = [
    "pydanticai_sonnet4_thinking_signature.sse",
    "crewai_haiku35_text_then_tool_use.sse",
    "pydanticai_sonnet45_mcp_tool_use_result.sse",
]
REQUEST: dict[str, Any] = {
    "model": "claude-x",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "hi"}],
}


def _anthropic() -> Any:
    # A test extra: `nox -s tests_min` runs this module's other tests without it.
    return pytest.importorskip("anthropic")


def _client(provider: LoopbackProvider) -> Any:
    return _anthropic().Anthropic(base_url=provider.root, api_key="k", max_retries=0)


def _aclient(provider: LoopbackProvider) -> Any:
    return _anthropic().AsyncAnthropic(base_url=provider.root, api_key="k", max_retries=0)


def _without_ping(name: str) -> list[StreamEvent]:
    return read([e for e in wire(name) if e["type"] != "ping"])


@pytest.mark.parametrize("name", SDK_RECORDINGS)
def test_the_sdk_stream_of_raw_events_gives_the_recording_s_events(
    loopback_provider: LoopbackProvider, name: str
) -> None:
    loopback_provider.respond(ANTHROPIC / name)
    with _client(loopback_provider) as client:
        stream = client.messages.create(**REQUEST, stream=True)
        assert read(stream) == _without_ping(name)


@pytest.mark.parametrize("name", SDK_RECORDINGS)
def test_a_message_stream_gives_its_raw_events_and_keeps_its_final_message(
    loopback_provider: LoopbackProvider, name: str
) -> None:
    loopback_provider.respond(ANTHROPIC / name)
    with _client(loopback_provider) as client, client.messages.stream(**REQUEST) as stream:
        assert read(stream) == _without_ping(name)
        final = stream.get_final_message()
    assert final.id == _without_ping(name)[0].id  # type: ignore[union-attr]


@pytest.mark.parametrize("name", SDK_RECORDINGS)
async def test_the_async_sdk_streams_give_the_same_events(
    loopback_provider: LoopbackProvider, name: str
) -> None:
    loopback_provider.respond(ANTHROPIC / name)
    async with _aclient(loopback_provider) as client:
        stream = await client.messages.create(**REQUEST, stream=True)
        assert [e async for e in typedstream.aevents(stream)] == _without_ping(name)
    loopback_provider.respond(ANTHROPIC / name)
    async with _aclient(loopback_provider) as client, client.messages.stream(**REQUEST) as mstream:
        assert [e async for e in typedstream.aevents(mstream)] == _without_ping(name)
        await mstream.get_final_message()


# -- closing ------------------------------------------------------------------------------------


def test_leaving_early_closes_the_sdk_stream_and_the_provider_sees_the_hang_up(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond("anthropic_slow")
    with _client(loopback_provider) as client:
        stream = client.messages.create(**REQUEST, stream=True)
        with typedstream.events(stream) as events:
            for event in events:
                if isinstance(event, TextDelta):
                    break
        assert stream.response.is_closed
    assert loopback_provider.last.wait()


def test_leaving_a_message_stream_early_closes_it(loopback_provider: LoopbackProvider) -> None:
    loopback_provider.respond("anthropic_slow")
    with _client(loopback_provider) as client, client.messages.stream(**REQUEST) as stream:
        with typedstream.events(stream) as events:
            next(iter(events))
        assert stream.response.is_closed


async def test_leaving_an_async_message_stream_early_closes_it(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond("anthropic_slow")
    async with _aclient(loopback_provider) as client, client.messages.stream(**REQUEST) as stream:
        async with typedstream.aevents(stream) as events:
            await events.__anext__()
        assert stream.response.is_closed


class _Closing:
    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.closed = 0

    def __iter__(self) -> Iterator[Any]:
        yield from self.items

    def close(self) -> None:
        self.closed += 1


@pytest.mark.parametrize(
    "items",
    [
        [START, *finish()],
        [START, ERROR],
        [START],
        [START, {"type": "content_block_stop", "index": 0}],
    ],
)
def test_the_source_is_closed_once_however_the_stream_ends(items: list[Any]) -> None:
    source = _Closing(items)
    outcome(source)
    assert source.closed == 1
