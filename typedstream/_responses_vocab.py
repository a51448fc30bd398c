"""The OpenAI Responses vocabulary every Responses reader, writer and checker shares.

How it works: plain tables and small pure functions, no state. Stop reasons are written as a
terminal event (docs/event-model.md §8); usage is written from :class:`~typedstream.Usage`'s
typed properties, never from another protocol's raw keys (§6); built-in tool item types map to
:data:`~typedstream.ServerTool` both ways (§3.5); the response object's echo fields default to
what OpenAI sends for a request that sets none of them (docs/responses.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ._events import ServerTool, StopReason, Usage

__all__ = [
    "DEFAULT_ECHO",
    "ITEM_PREFIXES",
    "LIFECYCLE_KEYS",
    "SERVER_TOOL_ITEMS",
    "STOP_WRITTEN",
    "item_type",
    "responses_usage",
    "server_tool",
]

STOP_WRITTEN: Final[Mapping[StopReason, tuple[str, str | None]]] = {
    "end": ("response.completed", None),
    "stop_sequence": ("response.completed", None),
    "tool_calls": ("response.completed", None),
    "max_tokens": ("response.incomplete", "max_output_tokens"),
    "content_filter": ("response.incomplete", "content_filter"),
    "refusal": ("response.incomplete", "content_filter"),
    "pause": ("response.completed", None),
    "context_window": ("response.incomplete", "max_output_tokens"),
    "other": ("response.completed", None),
}
"""Neutral stop reason → (terminal event type, ``incomplete_details.reason`` or ``None``)."""

SERVER_TOOL_ITEMS: Final[Mapping[str, ServerTool]] = {
    "web_search_call": "web_search",
    "file_search_call": "file_search",
    "code_interpreter_call": "code_execution",
    "mcp_call": "mcp",
    "mcp_list_tools": "mcp_list_tools",
    "image_generation_call": "image_generation",
}
"""Built-in tool item type → the neutral tool kind (docs/event-model.md §3.5)."""

_ITEM_OF_TOOL: Final[Mapping[ServerTool, str]] = {v: k for k, v in SERVER_TOOL_ITEMS.items()}

ITEM_PREFIXES: Final[Mapping[str, str]] = {
    "message": "msg_",
    "reasoning": "rs_",
    "function_call": "fc_",
    "custom_tool_call": "ctc_",
    "web_search_call": "ws_",
    "file_search_call": "fs_",
    "code_interpreter_call": "ci_",
    "mcp_call": "mcp_",
    "mcp_list_tools": "mcpl_",
    "image_generation_call": "ig_",
}
"""The id prefix OpenAI gives each item type (a generated id uses it)."""

LIFECYCLE_KEYS: Final = frozenset(
    {"id", "object", "created_at", "status", "output", "usage", "error", "incomplete_details"}
)
"""Response keys the writer owns: an echo option may not set them."""

DEFAULT_ECHO: Final[Mapping[str, Any]] = {
    "background": False,
    "instructions": None,
    "max_output_tokens": None,
    "max_tool_calls": None,
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "prompt_cache_key": None,
    "reasoning": {"effort": None, "summary": None},
    "safety_identifier": None,
    "service_tier": "auto",
    "store": True,
    "temperature": 1.0,
    "text": {"format": {"type": "text"}, "verbosity": "medium"},
    "tool_choice": "auto",
    "tools": [],
    "top_logprobs": 0,
    "top_p": 1.0,
    "truncation": "disabled",
    "user": None,
    "metadata": {},
}
"""The echo fields of a response whose request set none of them, as OpenAI sends them
(``model`` comes from the stream, ``service_tier`` from it when known)."""


def server_tool(item: str) -> ServerTool | None:
    """The neutral tool kind of a built-in tool item type, ``None`` for any other item."""
    return SERVER_TOOL_ITEMS.get(item)


def item_type(tool: ServerTool) -> str | None:
    """The Responses item type of a neutral tool kind, ``None`` when Responses has none."""
    return _ITEM_OF_TOOL.get(tool)


def responses_usage(usage: Usage) -> dict[str, Any]:
    """``response.usage`` from a :class:`~typedstream.Usage` of any protocol (§6).

    Same protocol: the raw object, unchanged. Otherwise every count is written from the typed
    properties (0 where the provider reported none, since the object's counts are required);
    ``cache_write_tokens`` only when known.
    """
    if usage.protocol == "responses":
        return dict(usage.usage)
    inp, out = usage.input_tokens or 0, usage.output_tokens or 0
    details: dict[str, int] = {"cached_tokens": usage.cache_read_tokens or 0}
    write = usage.cache_write_tokens
    if write is not None:
        details["cache_write_tokens"] = write
    total = usage.total_tokens
    return {
        "input_tokens": inp,
        "input_tokens_details": details,
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens or 0},
        "total_tokens": total if total is not None else inp + out,
    }
