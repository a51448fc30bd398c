"""The Anthropic Messages vocabulary every Anthropic reader, writer and checker shares.

How it works: plain tables and small pure functions, no state. Stop reasons map both ways
through the neutral :data:`~typedstream.StopReason` (docs/event-model.md §8); usage is written
from :class:`~typedstream.Usage`'s typed properties, never from another protocol's raw keys
(§6); block types map to the neutral :data:`~typedstream.BlockType` and server tool names to
:data:`~typedstream.ServerTool` (§3.2, §3.5); error types follow Anthropic's list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ._events import BlockType, FinishReason, ServerTool, StopReason, Usage

__all__ = [
    "ANTHROPIC_STOP_REASONS",
    "BLOCK_TYPES",
    "ERROR_TYPES",
    "SERVER_TOOLS",
    "STOP_READ",
    "STOP_WRITTEN",
    "anthropic_usage",
    "error_type",
    "server_tool",
]

STOP_READ: Final[Mapping[str, tuple[FinishReason, StopReason]]] = {
    "end_turn": ("stop", "end"),
    "stop_sequence": ("stop", "stop_sequence"),
    "tool_use": ("tool_calls", "tool_calls"),
    "max_tokens": ("length", "max_tokens"),
    "refusal": ("content_filter", "refusal"),
    "pause_turn": ("length", "pause"),
    "model_context_window_exceeded": ("length", "context_window"),
}
"""Anthropic ``stop_reason`` → (OpenAI finish reason, neutral stop reason). Any other string
is ``("stop", "other")`` (lenient) or a ``ChunkError`` (strict)."""

ANTHROPIC_STOP_REASONS: Final = frozenset(STOP_READ)
"""Every ``stop_reason`` Anthropic documents."""

STOP_WRITTEN: Final[Mapping[StopReason, str]] = {
    "end": "end_turn",
    "stop_sequence": "stop_sequence",
    "tool_calls": "tool_use",
    "max_tokens": "max_tokens",
    "content_filter": "refusal",
    "refusal": "refusal",
    "pause": "pause_turn",
    "context_window": "model_context_window_exceeded",
    "other": "end_turn",
}
"""Neutral stop reason → the Anthropic ``stop_reason`` a writer sends (``stop_sequence``
falls back to ``end_turn`` when the matched sequence is unknown)."""

BLOCK_TYPES: Final[Mapping[str, BlockType]] = {
    "text": "text",
    "thinking": "reasoning",
    "redacted_thinking": "reasoning",
    "tool_use": "tool_call",
    "server_tool_use": "server_tool_call",
    "mcp_tool_use": "server_tool_call",
    "compaction": "compaction",
    "mcp_tool_result": "server_tool_result",
}
"""Anthropic content block type → neutral block type; any type ending in ``_tool_result``
is ``server_tool_result``, any other ``extension``."""

SERVER_TOOLS: Final[Mapping[str, ServerTool]] = {
    "web_search": "web_search",
    "web_fetch": "web_fetch",
    "code_execution": "code_execution",
    "bash_code_execution": "code_execution",
    "text_editor_code_execution": "code_execution",
    "tool_search_tool_bm25": "tool_search",
    "tool_search_tool_regex": "tool_search",
}
"""``server_tool_use`` name (or a result type without ``_tool_result``) → neutral tool."""

ERROR_TYPES: Final = frozenset(
    {
        "invalid_request_error",
        "authentication_error",
        "billing_error",
        "permission_error",
        "not_found_error",
        "request_too_large",
        "rate_limit_error",
        "timeout_error",
        "api_error",
        "overloaded_error",
    }
)
"""The error ``type`` values Anthropic sends."""

_ERROR_ALIASES: Final[Mapping[str, str]] = {
    # OpenAI / LiteLLM error types and codes, and what Anthropic calls the same failure.
    "invalid_request": "invalid_request_error",
    "authentication": "authentication_error",
    "permission_denied": "permission_error",
    "not_found": "not_found_error",
    "rate_limit_exceeded": "rate_limit_error",
    "rate_limit": "rate_limit_error",
    "insufficient_quota": "billing_error",
    "server_error": "api_error",
    "timeout": "timeout_error",
    "overloaded": "overloaded_error",
    "service_unavailable": "overloaded_error",
}


def block_type(wire_type: str) -> BlockType:
    """The neutral type of an Anthropic content block type."""
    found = BLOCK_TYPES.get(wire_type)
    if found is not None:
        return found
    return "server_tool_result" if wire_type.endswith("_tool_result") else "extension"


def server_tool(name: str) -> ServerTool:
    """The neutral kind of a server tool, from its ``name`` or its result's block type."""
    if name.endswith("_tool_result"):
        name = name[: -len("_tool_result")]
    if name.startswith("mcp"):
        return "mcp"
    return SERVER_TOOLS.get(name, "other")


def error_type(kind: str | None, code: str | None = None) -> str:
    """The Anthropic error ``type`` for an error of another protocol: its own when it is
    one of Anthropic's, else the alias of its type or code, else ``api_error``."""
    for value in (kind, code):
        if value is None:
            continue
        if value in ERROR_TYPES:
            return value
        alias = _ERROR_ALIASES.get(value.removesuffix("_error"))
        if alias is not None:
            return alias
    return "api_error"


def anthropic_usage(usage: Usage, *, final: bool = True) -> dict[str, Any]:
    """``message_delta.usage`` (``final``) or ``message_start.message.usage`` from a
    :class:`~typedstream.Usage` of any protocol (docs/event-model.md §6).

    Same protocol: the raw object, unchanged. Otherwise ``input_tokens`` counts the
    uncached input only, as Anthropic does, and both cache counts are written (0 when
    unknown).
    """
    if usage.protocol == "anthropic":
        return dict(usage.usage)
    total_in = usage.input_tokens or 0
    read = usage.cache_read_tokens or 0
    write = usage.cache_write_tokens or 0
    out: dict[str, Any] = {
        "input_tokens": max(total_in - read - write, 0),
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
        "output_tokens": usage.output_tokens or 0,
    }
    reasoning = usage.reasoning_tokens
    if final and reasoning is not None:
        out["output_tokens_details"] = {"thinking_tokens": reasoning}
    return out
