"""The public event vocabulary.

Every event is a frozen, slotted dataclass with a ``kind`` tag (a ``Literal``), so a
``match`` over :data:`StreamEvent` is checked exhaustive by mypy and pyright, and
``event.kind == "..."`` narrows as well as ``isinstance`` does. Events are small and
immutable: none carries a growing snapshot (the :class:`~typedstream.Accumulator` computes
snapshots on request), and none holds a reference back to the normalizer.

``kind`` is a keyword-only field with a default, so it never has to be passed and is not
part of ``__match_args__``; it is still an ``__init__`` parameter so that JSON produced by
:func:`event_to_json` (or ``dataclasses.asdict``) validates back into the same class.

JSON support needs pydantic; it is imported on first use, never by ``import typedstream``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, Union, cast, overload

from ._arguments import parse_arguments
from ._json import dumps_text, loads

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = [
    "ArgumentsDelta",
    "BlockDone",
    "BlockStarted",
    "BlockStatus",
    "BlockType",
    "ChoiceFinished",
    "Citation",
    "CustomToolCallDone",
    "CustomToolCallIncomplete",
    "CustomToolCallStarted",
    "CustomToolInputDelta",
    "Extension",
    "FinishReason",
    "Logprobs",
    "Moderation",
    "OpaqueKind",
    "OpaqueOrigin",
    "OpaqueState",
    "PartDone",
    "PartStarted",
    "PartType",
    "ProviderData",
    "RawChunk",
    "ReasoningDelta",
    "ReasoningDone",
    "RefusalDelta",
    "RefusalDone",
    "ServerTool",
    "ServerToolCallDone",
    "ServerToolCallStarted",
    "ServerToolInputDelta",
    "ServerToolProgress",
    "ServerToolResult",
    "StopReason",
    "StreamError",
    "StreamEvent",
    "StreamStarted",
    "TextDelta",
    "TextDone",
    "ToolCallDone",
    "ToolCallIncomplete",
    "ToolCallStarted",
    "Usage",
    "WireProtocol",
    "event_from_json",
    "event_to_json",
]

FinishReason: TypeAlias = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
"""A finish reason normalized to OpenAI's vocabulary."""

WireProtocol: TypeAlias = Literal["chat", "anthropic", "responses"]
"""A wire protocol: OpenAI-style chat chunks, Anthropic Messages events, OpenAI Responses events."""

OpaqueOrigin: TypeAlias = Literal["anthropic", "responses", "gemini"]
"""The API that issued opaque state, and the only one that accepts it back."""

OpaqueKind: TypeAlias = Literal[
    "thinking_signature",
    "redacted_thinking",
    "encrypted_reasoning",
    "thought_signature",
    "compaction",
]
"""What a piece of opaque state is (see "Opaque continuation state" in the event model)."""

StopReason: TypeAlias = Literal[
    "end",
    "stop_sequence",
    "max_tokens",
    "tool_calls",
    "pause",
    "refusal",
    "content_filter",
    "context_window",
    "other",
]
"""Why a choice stopped, in a vocabulary every protocol maps into (see "Stop reasons")."""

BlockType: TypeAlias = Literal[
    "message",
    "text",
    "reasoning",
    "tool_call",
    "server_tool_call",
    "server_tool_result",
    "compaction",
    "extension",
]
"""The neutral type of a block (an Anthropic content block or a Responses output item)."""

PartType: TypeAlias = Literal["text", "refusal", "reasoning_summary", "reasoning_text", "extension"]
"""The neutral type of a part (a Responses content part or reasoning summary part)."""

ServerTool: TypeAlias = Literal[
    "web_search",
    "web_fetch",
    "file_search",
    "code_execution",
    "tool_search",
    "image_generation",
    "mcp",
    "mcp_list_tools",
    "other",
]
"""The kind of a provider-executed tool."""

BlockStatus: TypeAlias = Literal["completed", "incomplete", "cut"]
"""How a block ended: closed by the wire, closed as incomplete, or never closed (cut off)."""

# Which stop reasons cut a client tool call that is still open (docs/event-model.md §8).
CUTTING_STOPS: frozenset[str] = frozenset(
    {"max_tokens", "content_filter", "refusal", "context_window", "other"}
)
_PROJECTED_STOP: dict[str | None, StopReason] = {
    "stop": "end",
    "length": "max_tokens",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def projected_stop(reason: FinishReason | None) -> StopReason:
    """The neutral stop reason of an OpenAI finish reason (``None``, unknown: ``"other"``)."""
    return _PROJECTED_STOP.get(reason, "other")


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class StreamStarted:
    """The stream's metadata, sent once before any other event of the stream.

    Taken from the first chat-completion chunk (an Azure ``prompt_filter_results`` preamble
    does not count). Empty strings are reported as ``None``.
    """

    id: str | None
    """The response id (``chatcmpl-…``), or ``None`` when the provider sent none or ``""``."""
    model: str | None
    """The model name the provider reported."""
    created: int | None
    """Unix timestamp of the response, as the provider reported it."""
    system_fingerprint: str | None = None
    """Backend configuration fingerprint, when the provider sent one."""
    service_tier: str | None = None
    """The service tier that served the request (``"default"``, ``"flex"``…), when sent."""
    protocol: WireProtocol = "chat"
    """The wire protocol the stream was read from."""
    initial_usage: Usage | None = None
    """The provisional usage a protocol reports at the start (Anthropic
    ``message_start.message.usage``), or ``None``; the final figures come in :class:`Usage`."""
    kind: Literal["stream_started"] = field(default="stream_started", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"stream_started"``."""


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A non-empty fragment of the assistant's text (``delta.content``)."""

    text: str
    """The fragment; never empty."""
    choice: int = 0
    """The choice it belongs to (0 unless the request asked for ``n > 1``)."""
    kind: Literal["text_delta"] = field(default="text_delta", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"text_delta"``."""


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A non-empty fragment of the model's reasoning.

    Read from ``reasoning_content`` (DeepSeek, xAI, Qwen, LiteLLM), ``reasoning`` (Groq,
    OpenRouter, vLLM) or ``thinking`` content parts (Mistral Magistral).
    """

    text: str
    """The fragment; never empty."""
    choice: int = 0
    """The choice it belongs to."""
    summary: bool = False
    """True for a summary of the reasoning (Responses ``summary_text``), False for the
    reasoning itself."""
    kind: Literal["reasoning_delta"] = field(default="reasoning_delta", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"reasoning_delta"``."""


@dataclass(frozen=True, slots=True)
class RefusalDelta:
    """A non-empty fragment of a refusal (``delta.refusal``)."""

    text: str
    """The fragment; never empty."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["refusal_delta"] = field(default="refusal_delta", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"refusal_delta"``."""


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    """A tool call begins; sent once per call, before any of its arguments."""

    index: int
    """Dense 0-based position of the call within its choice, in order of appearance,
    whatever index the provider used."""
    id: str
    """The call id. Synthesized deterministically when the provider sent none."""
    name: str
    """The function name, complete."""
    choice: int = 0
    """The choice it belongs to."""
    legacy: bool = False
    """True when the provider used the deprecated ``delta.function_call`` form."""
    kind: Literal["tool_call_started"] = field(
        default="tool_call_started", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"tool_call_started"``."""


@dataclass(frozen=True, slots=True)
class ArgumentsDelta:
    """A non-empty fragment of a tool call's JSON arguments, in order."""

    index: int
    """Dense index of the call within its choice (as in :class:`ToolCallStarted`)."""
    id: str
    """The call id (the same in every event of the call)."""
    delta: str
    """The fragment; never empty. Fragments are arbitrary cuts of the JSON text."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["arguments_delta"] = field(default="arguments_delta", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"arguments_delta"``."""


@dataclass(frozen=True, slots=True)
class ToolCallDone:
    """A tool call is complete: sent once per call, after its last fragment.

    Only sent when the stream says the call is complete: the next call of its choice
    started, its choice finished with ``tool_calls``, ``stop`` or ``function_call``, or the
    stream ended completely (``[DONE]``, or ``assume_complete=True``). A call cut off by a
    dropped connection is never reported done, and one cut off by a ``length``,
    ``content_filter`` or unknown finish is reported as :class:`ToolCallIncomplete`.
    """

    index: int
    """Dense index of the call within its choice."""
    id: str
    """The call id."""
    name: str
    """The function name."""
    arguments: str
    """The whole JSON text exactly as streamed (not re-formatted; ``""`` if none came)."""
    choice: int = 0
    """The choice it belongs to."""
    legacy: bool = False
    """True when the provider used the deprecated ``delta.function_call`` form."""
    kind: Literal["tool_call_done"] = field(default="tool_call_done", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"tool_call_done"``."""

    @overload
    def parse_arguments(self) -> dict[str, Any]: ...
    @overload
    def parse_arguments(self, model: type[_T]) -> _T: ...
    def parse_arguments(self, model: type[_T] | None = None) -> dict[str, Any] | _T:
        """Parse :attr:`arguments` as JSON, optionally validated into ``model``.

        Without ``model``: the JSON object as a ``dict`` (``json.loads`` semantics; empty
        arguments mean ``{}``). With a pydantic model, dataclass or any other type pydantic
        can validate: an instance of it. Invalid JSON, a non-object, or failed validation
        raise :class:`~typedstream.ToolArgumentsError` carrying the text, id and name.
        """
        result: dict[str, Any] | _T = parse_arguments(self.arguments, self.id, self.name, model)
        return result


@dataclass(frozen=True, slots=True)
class ToolCallIncomplete:
    """A tool call the stream ended without completing: sent instead of :class:`ToolCallDone`.

    Sent when the call's choice finishes with a reason that cuts it off -- ``length``
    (``max_tokens``), ``content_filter`` (``safety``) or a reason typedstream does not
    recognize -- while the call was still open; it comes just before that choice's
    :class:`ChoiceFinished`. The arguments are whatever arrived, usually a prefix of the JSON
    the model meant to send: never run the call (tell the model it was cut off instead).
    """

    index: int
    """Dense index of the call within its choice."""
    id: str
    """The call id."""
    name: str
    """The function name."""
    arguments: str
    """The JSON text as far as it came, exactly as streamed (``""`` if none came)."""
    reason: str
    """The finish reason that cut the call off, as the provider sent it (``"length"``,
    ``"max_tokens"``, ``"content_filter"``, ``"error"``...): the ``raw_reason`` of the
    :class:`ChoiceFinished` that follows."""
    choice: int = 0
    """The choice it belongs to."""
    legacy: bool = False
    """True when the provider used the deprecated ``delta.function_call`` form."""
    kind: Literal["tool_call_incomplete"] = field(
        default="tool_call_incomplete", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"tool_call_incomplete"``."""


@dataclass(frozen=True, slots=True)
class TextDone:
    """The whole text of a choice, sent when the choice finishes.

    Only sent with ``events(..., done_events=True)`` and only when some text came; the
    :class:`TextDelta` fragments of the choice join to exactly this text.
    """

    text: str
    """The complete text."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["text_done"] = field(default="text_done", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"text_done"``."""


@dataclass(frozen=True, slots=True)
class ReasoningDone:
    """The whole reasoning of a choice, sent when the choice finishes (``done_events=True``)."""

    text: str
    """The complete reasoning text."""
    choice: int = 0
    """The choice it belongs to."""
    summary: bool = False
    """As on :class:`ReasoningDelta`; a choice with both kinds gets two ``ReasoningDone``."""
    kind: Literal["reasoning_done"] = field(default="reasoning_done", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"reasoning_done"``."""


@dataclass(frozen=True, slots=True)
class RefusalDone:
    """The whole refusal of a choice, sent when the choice finishes (``done_events=True``)."""

    text: str
    """The complete refusal text."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["refusal_done"] = field(default="refusal_done", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"refusal_done"``."""


@dataclass(frozen=True, slots=True)
class Logprobs:
    """Token log probabilities of the fragment that follows.

    Sent just before the :class:`TextDelta` or :class:`RefusalDelta` of the same chunk, so a
    consumer (and :func:`~typedstream.to_openai_chunks`) can attach it to that fragment.
    Entries are the provider's JSON objects (``token``, ``logprob``, ``bytes``,
    ``top_logprobs``). Chunks whose lists are empty or null produce no event.
    """

    content: list[dict[str, Any]] | None
    """Entries for content tokens, or ``None``."""
    refusal: list[dict[str, Any]] | None = None
    """Entries for refusal tokens, or ``None``."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["logprobs"] = field(default="logprobs", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"logprobs"``."""


@dataclass(frozen=True, slots=True)
class ProviderData:
    """Provider data that must go back to the provider on the next turn.

    Anthropic thinking blocks with their signatures (LiteLLM's ``thinking_blocks``), OpenRouter
    ``reasoning_details``, LiteLLM's ``provider_specific_fields`` and Gemini's
    ``extra_content`` (thought signatures) on tool calls. The value is passed on unchanged,
    one event per non-empty occurrence; :class:`~typedstream.Accumulator` merges them onto the
    message the way LiteLLM reads them back.
    """

    key: str
    """The key it arrived under, e.g. ``"thinking_blocks"`` or ``"reasoning_details"``."""
    value: Any
    """The JSON value exactly as received."""
    choice: int = 0
    """The choice it belongs to."""
    tool_index: int | None = None
    """Dense index of the tool call it was attached to, or ``None`` for the message."""
    kind: Literal["provider_data"] = field(default="provider_data", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"provider_data"``."""


@dataclass(frozen=True, slots=True)
class ChoiceFinished:
    """A choice is finished; nothing more will be sent for it."""

    reason: FinishReason
    """The finish reason normalized to OpenAI's vocabulary (see the merge policy)."""
    raw_reason: str | None
    """The provider's own string, or ``None`` when it sent none and the reason was inferred."""
    choice: int = 0
    """The choice that finished."""
    stop_reason: StopReason = None  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    """The protocol-neutral reason. When not given, the projection of :attr:`reason`
    (``stop`` → ``end``, ``length`` → ``max_tokens``, ``tool_calls`` and ``function_call`` →
    ``tool_calls``, ``content_filter`` → ``content_filter``)."""
    stop_sequence: str | None = None
    """The stop sequence that matched (Anthropic ``stop_sequence``), when one did."""
    kind: Literal["choice_finished"] = field(default="choice_finished", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"choice_finished"``."""

    def __post_init__(self) -> None:
        if self.stop_reason is None:  # pyright: ignore[reportUnnecessaryComparison]
            object.__setattr__(self, "stop_reason", projected_stop(self.reason))

    @property
    def cuts_calls(self) -> bool:
        """Whether this finish cuts a client tool call that is still open."""
        return self.stop_reason in CUTTING_STOPS


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage, sent once at the complete end of the stream when the provider sent any.

    The last non-null ``usage`` object of the stream wins, wherever it appeared (own chunk,
    finish chunk, every chunk).
    """

    usage: dict[str, Any]
    """The usage object as received, provider extensions (``cost``…) included. For Anthropic:
    ``message_start``'s usage overlaid with the non-null keys of ``message_delta``'s."""
    protocol: WireProtocol = "chat"
    """Whose field names :attr:`usage` uses; the typed properties read it accordingly."""
    kind: Literal["usage"] = field(default="usage", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"usage"``."""

    @property
    def input_tokens(self) -> int | None:
        """Every input token, cached or not (chat ``prompt_tokens``; Anthropic the sum of
        ``input_tokens`` and both cache counts; Responses ``input_tokens``)."""
        u = self.usage
        if self.protocol == "anthropic":
            parts = [
                u.get(k)
                for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
            ]
            if not any(isinstance(p, int) for p in parts):
                return None
            return sum(p for p in parts if isinstance(p, int))
        return _int(u.get("prompt_tokens" if self.protocol == "chat" else "input_tokens"))

    @property
    def output_tokens(self) -> int | None:
        """Every output token, reasoning included (chat ``completion_tokens``)."""
        key = "completion_tokens" if self.protocol == "chat" else "output_tokens"
        return _int(self.usage.get(key))

    @property
    def cache_read_tokens(self) -> int | None:
        """Of :attr:`input_tokens`, those read from a prompt cache."""
        u = self.usage
        if self.protocol == "anthropic":
            return _int(u.get("cache_read_input_tokens"))
        if self.protocol == "responses":
            return _int(_get(u, "input_tokens_details", "cached_tokens"))
        value = _int(_get(u, "prompt_tokens_details", "cached_tokens"))
        if value is None:
            value = _int(u.get("prompt_cache_hit_tokens"))  # DeepSeek
        return value if value is not None else _int(u.get("cached_tokens"))  # Together

    @property
    def cache_write_tokens(self) -> int | None:
        """Of :attr:`input_tokens`, those written to a prompt cache."""
        u = self.usage
        if self.protocol == "anthropic":
            return _int(u.get("cache_creation_input_tokens"))
        details = "prompt_tokens_details" if self.protocol == "chat" else "input_tokens_details"
        return _int(_get(u, details, "cache_write_tokens"))

    @property
    def reasoning_tokens(self) -> int | None:
        """Of :attr:`output_tokens`, those spent on reasoning."""
        u = self.usage
        if self.protocol == "anthropic":
            return _int(_get(u, "output_tokens_details", "thinking_tokens"))
        if self.protocol == "responses":
            return _int(_get(u, "output_tokens_details", "reasoning_tokens"))
        value = _int(_get(u, "completion_tokens_details", "reasoning_tokens"))
        return value if value is not None else _int(u.get("reasoning_tokens"))  # Azure DeepSeek

    @property
    def prompt_tokens(self) -> int | None:
        """Alias of :attr:`input_tokens` (chat: ``usage["prompt_tokens"]``)."""
        return self.input_tokens

    @property
    def completion_tokens(self) -> int | None:
        """Alias of :attr:`output_tokens` (chat: ``usage["completion_tokens"]``)."""
        return self.output_tokens

    @property
    def total_tokens(self) -> int | None:
        """``total_tokens`` as reported, else input plus output when both are known."""
        if self.protocol != "anthropic":
            value = _int(self.usage.get("total_tokens"))
            if value is not None:
                return value
        inp, out = self.input_tokens, self.output_tokens
        return None if inp is None or out is None else inp + out


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _get(mapping: dict[str, Any], outer: str, inner: str) -> object:
    value: object = mapping.get(outer)
    return cast("dict[str, object]", value).get(inner) if isinstance(value, dict) else None


@dataclass(frozen=True, slots=True)
class Moderation:
    """OpenAI moderation results (requests with ``moderation``), sent after :class:`Usage`."""

    moderation: dict[str, Any]
    """The ``moderation`` object as received (``input`` and ``output`` results)."""
    kind: Literal["moderation"] = field(default="moderation", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"moderation"``."""


@dataclass(frozen=True, slots=True)
class RawChunk:
    """A source chunk exactly as received (opt-in: ``events(..., raw=True)``).

    Sent before the events made from that chunk, including chunks that make none
    (preambles, chunks of unknown shape that were skipped).
    """

    chunk: Any
    """The item the source yielded (an ``openai`` or LiteLLM object, or the decoded JSON)."""
    number: int
    """1-based position of the chunk in the stream, as used in error messages."""
    kind: Literal["raw_chunk"] = field(default="raw_chunk", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"raw_chunk"``."""


# -- structure, citations, provider-executed tools, opaque state, errors, extensions ----------
#
# The events below carry what the chat wire cannot: they come from Anthropic and Responses
# readers (and a few from chat extensions, with ``via`` naming the carrier). See
# docs/event-model.md for which reader emits each and where.


@dataclass(frozen=True, slots=True)
class BlockStarted:
    """A block opens: an Anthropic content block or a Responses output item.

    Chat streams have no blocks and never yield this; writers derive blocks from runs of
    events when it is absent.
    """

    index: int
    """Position in the content array (Anthropic ``index``) or output list (``output_index``),
    dense from 0."""
    type: BlockType
    """The neutral block type."""
    wire_type: str
    """The protocol's own type string (``"thinking"``, ``"server_tool_use"``, ``"message"``…)."""
    id: str | None
    """The block's id: Anthropic tool-block id or a result's ``tool_use_id``; Responses item id;
    else ``None``."""
    protocol: WireProtocol
    """Whose :attr:`wire_type` it is."""
    phase: str | None = None
    """Responses message ``phase`` (``"commentary"``, ``"final_answer"``), when sent."""
    choice: int = 0
    """The choice it belongs to (always 0 for Anthropic and Responses)."""
    kind: Literal["block_started"] = field(default="block_started", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"block_started"``."""


@dataclass(frozen=True, slots=True)
class BlockDone:
    """A block closes; its events all came before."""

    index: int
    """As on :class:`BlockStarted`."""
    type: BlockType
    """As on :class:`BlockStarted`."""
    wire_type: str
    """As on :class:`BlockStarted`."""
    id: str | None
    """As on :class:`BlockStarted`."""
    protocol: WireProtocol
    """As on :class:`BlockStarted`."""
    status: BlockStatus
    """``"completed"``: closed by the wire; ``"incomplete"``: closed as incomplete (Responses);
    ``"cut"``: never closed by the wire, closed at the finish, an error or the end of input."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["block_done"] = field(default="block_done", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"block_done"``."""


@dataclass(frozen=True, slots=True)
class PartStarted:
    """A part opens inside a block (a Responses content part or reasoning summary part)."""

    block: int
    """Index of the enclosing block."""
    index: int
    """``content_index``, or ``summary_index`` for ``reasoning_summary`` parts."""
    type: PartType
    """The neutral part type."""
    wire_type: str
    """The part's ``type`` as sent (``"output_text"``, ``"summary_text"``…)."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["part_started"] = field(default="part_started", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"part_started"``."""


@dataclass(frozen=True, slots=True)
class PartDone:
    """A part closes."""

    block: int
    """Index of the enclosing block."""
    index: int
    """As on :class:`PartStarted`."""
    type: PartType
    """As on :class:`PartStarted`."""
    wire_type: str
    """As on :class:`PartStarted`."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["part_done"] = field(default="part_done", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"part_done"``."""


@dataclass(frozen=True, slots=True)
class Citation:
    """A citation of a source for the text around it, in wire order.

    Anthropic sends a block's citations before its text; Responses sends an annotation when
    the text reaches its end index.
    """

    type: str
    """The citation's wire type (``"web_search_result_location"``, ``"url_citation"``…)."""
    url: str | None
    """The cited URL, when the citation has one."""
    title: str | None
    """The cited page's title, when sent."""
    cited_text: str | None
    """The quoted source text (Anthropic ``cited_text``), when sent."""
    start: int | None
    """Start of the cited range in the output text of the enclosing part (Responses);
    ``None`` for Anthropic, whose citations cover their whole block."""
    end: int | None
    """End of the cited range, as :attr:`start`."""
    data: dict[str, Any]
    """The citation object exactly as received (``encrypted_index``, ``file_id``… included)."""
    protocol: WireProtocol
    """Whose citation format :attr:`data` is in."""
    via: str | None = None
    """Chat only: the :class:`ProviderData` key whose value carried it."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["citation"] = field(default="citation", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"citation"``."""


@dataclass(frozen=True, slots=True)
class CustomToolCallStarted:
    """A free-text (custom) tool call starts (Responses ``custom_tool_call``)."""

    index: int
    """Dense index over all client calls of the choice (JSON and custom)."""
    id: str
    """The call id (``call_id``)."""
    name: str
    """The tool name."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["custom_tool_call_started"] = field(
        default="custom_tool_call_started", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"custom_tool_call_started"``."""


@dataclass(frozen=True, slots=True)
class CustomToolInputDelta:
    """A non-empty fragment of a custom tool call's input text."""

    index: int
    """The call's index."""
    id: str
    """The call id."""
    delta: str
    """The fragment; never empty."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["custom_tool_input_delta"] = field(
        default="custom_tool_input_delta", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"custom_tool_input_delta"``."""


@dataclass(frozen=True, slots=True)
class CustomToolCallDone:
    """A custom tool call is complete; :attr:`input` is the whole text."""

    index: int
    """The call's index."""
    id: str
    """The call id."""
    name: str
    """The tool name."""
    input: str
    """The whole input text exactly as streamed."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["custom_tool_call_done"] = field(
        default="custom_tool_call_done", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"custom_tool_call_done"``."""


@dataclass(frozen=True, slots=True)
class CustomToolCallIncomplete:
    """A custom tool call the stream ended without completing: never run it."""

    index: int
    """The call's index."""
    id: str
    """The call id."""
    name: str
    """The tool name."""
    input: str
    """The input text as far as it came."""
    reason: str
    """What cut it off (the item status, the terminal event, ``"error"``, ``"end_of_input"``)."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["custom_tool_call_incomplete"] = field(
        default="custom_tool_call_incomplete", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"custom_tool_call_incomplete"``."""


@dataclass(frozen=True, slots=True)
class ServerToolCallStarted:
    """A provider-executed tool call starts (web search, code execution, MCP…).

    Never a client call: the provider runs it and may send its result in the stream.
    """

    id: str
    """The call id (Anthropic ``srvtoolu_…``/``mcptoolu_…``; Responses item id)."""
    tool: ServerTool
    """The neutral tool kind."""
    name: str
    """The tool name as the provider gave it."""
    server: str | None = None
    """The MCP server (Anthropic ``server_name``, Responses ``server_label``), if any."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["server_tool_call_started"] = field(
        default="server_tool_call_started", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"server_tool_call_started"``."""


@dataclass(frozen=True, slots=True)
class ServerToolInputDelta:
    """A non-empty fragment of a provider-executed call's input as it streams."""

    id: str
    """The call id."""
    delta: str
    """The fragment; never empty."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["server_tool_input_delta"] = field(
        default="server_tool_input_delta", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"server_tool_input_delta"``."""


@dataclass(frozen=True, slots=True)
class ServerToolProgress:
    """A progress report of a provider-executed call (Responses ``…_call.searching``…)."""

    id: str
    """The call id."""
    stage: str
    """The event name's last segment (``"searching"``, ``"partial_image"``…)."""
    data: dict[str, Any] | None
    """The payload beyond the framing keys, or ``None``."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["server_tool_progress"] = field(
        default="server_tool_progress", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"server_tool_progress"``."""


@dataclass(frozen=True, slots=True)
class ServerToolCallDone:
    """A provider-executed call's input is complete."""

    id: str
    """The call id."""
    tool: ServerTool
    """The neutral tool kind."""
    name: str
    """The tool name."""
    input: str
    """The whole input as text (JSON, or code for ``input_format="code"``)."""
    input_format: Literal["json", "code"] = "json"
    """How :attr:`input` is written."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["server_tool_call_done"] = field(
        default="server_tool_call_done", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"server_tool_call_done"``."""


@dataclass(frozen=True, slots=True)
class ServerToolResult:
    """The result of a provider-executed call."""

    id: str
    """The call it answers (Anthropic ``tool_use_id``; Responses item id)."""
    tool: ServerTool
    """The neutral tool kind."""
    wire_type: str
    """The result's wire type (``"web_search_tool_result"``, ``"mcp_call"``…)."""
    is_error: bool
    """Whether the tool failed."""
    text: str | None
    """The result as text where the tool returns text (MCP), else ``None``."""
    content: Any
    """The result content as received (per tool and protocol)."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["server_tool_result"] = field(
        default="server_tool_result", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"server_tool_result"``."""


@dataclass(frozen=True, slots=True)
class OpaqueState:
    """State only its origin API understands, kept byte-identical for the next turn.

    Anthropic thinking signatures, redacted thinking and compaction; Responses encrypted
    reasoning; Gemini thought signatures. Written natively only to its origin; elsewhere in
    the documented envelope, or listed as lost. Never empty.
    """

    origin: OpaqueOrigin
    """The API that issued it."""
    type: OpaqueKind
    """What it is (``kind`` is the event's tag, so the envelope's name ``type`` is used)."""
    data: str
    """The value exactly as received; never empty."""
    block: int | None = None
    """The block it belongs to (Anthropic index, Responses output index); ``None`` in chat."""
    tool_id: str | None = None
    """The client call it is attached to (Gemini thought signatures), if any."""
    via: str | None = None
    """Chat only: the :class:`ProviderData` key whose value carried it."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["opaque_state"] = field(default="opaque_state", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"opaque_state"``."""


@dataclass(frozen=True, slots=True)
class StreamError:
    """An error the provider sent in the stream; the stream ends with it.

    The drivers then raise :class:`~typedstream.ProviderError`. Open client calls got
    :class:`ToolCallIncomplete` (reason ``"error"``) and open blocks :class:`BlockDone`
    (``"cut"``) before it.
    """

    message: str
    """The error's message (``""`` if none was sent)."""
    type: str | None
    """The error type (``"overloaded_error"``, ``"api_error"``…), when sent."""
    code: str | None
    """The error code (a number is kept as its decimal string), when sent."""
    data: dict[str, Any]
    """The error object exactly as received."""
    source: Literal["event", "response"]
    """``"event"``: an in-band error event; ``"response"``: the response's final status
    (Responses ``response.failed``)."""
    protocol: WireProtocol
    """The protocol it was read from."""
    kind: Literal["stream_error"] = field(default="stream_error", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"stream_error"``."""


@dataclass(frozen=True, slots=True)
class Extension:
    """Wire data the model does not type, kept so a same-protocol writer can put it back.

    ``where="keys"`` comes immediately before the event whose wire object it extends;
    ``"event"`` and ``"delta"`` come where the wire put them. Chat streams never yield it.
    """

    where: Literal["event", "delta", "keys"]
    """``event``: an event of unknown type; ``delta``: a delta of unknown type; ``keys``:
    keys of a known wire object that the model does not type."""
    name: str
    """The event type, the delta type, or the name of the object the keys belong to."""
    data: dict[str, Any]
    """The unknown event's payload, the unknown delta, or the extra keys in wire order."""
    block: int | None
    """The enclosing block, if any."""
    protocol: WireProtocol
    """The protocol it was read from."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["extension"] = field(default="extension", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"extension"``."""


StreamEvent: TypeAlias = Union[  # noqa: UP007 (a typing.Union, as documented)
    StreamStarted,
    TextDelta,
    ReasoningDelta,
    RefusalDelta,
    ToolCallStarted,
    ArgumentsDelta,
    ToolCallDone,
    ToolCallIncomplete,
    TextDone,
    ReasoningDone,
    RefusalDone,
    Logprobs,
    ProviderData,
    ChoiceFinished,
    Usage,
    Moderation,
    RawChunk,
    BlockStarted,
    BlockDone,
    PartStarted,
    PartDone,
    Citation,
    CustomToolCallStarted,
    CustomToolInputDelta,
    CustomToolCallDone,
    CustomToolCallIncomplete,
    ServerToolCallStarted,
    ServerToolInputDelta,
    ServerToolProgress,
    ServerToolCallDone,
    ServerToolResult,
    OpaqueState,
    StreamError,
    Extension,
]
"""Every event :func:`typedstream.events` can yield. A plain ``Union``: ``match`` over it."""

_adapter: TypeAdapter[StreamEvent] | None = None


def _event_adapter() -> TypeAdapter[StreamEvent]:
    # Built on first use: pydantic is not imported by `import typedstream`.
    global _adapter
    if _adapter is None:
        from typing import Annotated

        from pydantic import Field, TypeAdapter

        _adapter = TypeAdapter(Annotated[StreamEvent, Field(discriminator="kind")])
    return _adapter


def event_to_json(event: StreamEvent) -> str:
    """Serialize an event to compact JSON, ``kind`` included.

    Always JSON: ``NaN`` and ``Infinity`` are written as ``null``, lone surrogates as
    ``\\udXXX`` escapes; a value nested deeper than 200 levels, or that JSON cannot hold,
    raises :class:`~typedstream.ChunkError` (see "Values JSON cannot hold" in the docs).
    """
    try:
        return _event_adapter().dump_json(event).decode()
    except ValueError:  # pydantic's serialization error: clean the fields, the slow way
        return dumps_text({f.name: getattr(event, f.name) for f in fields(event)})


def event_from_json(data: str | bytes) -> StreamEvent:
    """Rebuild an event from :func:`event_to_json` output (validated by its ``kind``)."""
    from pydantic import ValidationError

    try:
        return _event_adapter().validate_json(data)
    except ValidationError as exc:
        try:  # lone surrogate escapes, which pydantic's JSON parser refuses
            value = loads(
                data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
            )
        except ValueError:
            raise exc from None
        return _event_adapter().validate_python(value)


# -- fast construction (for the normalizer) --------------------------------------------------
#
# The ``__init__`` of a frozen dataclass assigns every field through ``object.__setattr__``,
# two to three times the cost of plain attribute stores. The normalizer builds one of the
# events below for nearly every chunk, so it builds them with a builder class instead: a
# plain class with the very same slots whose ``__init__`` stores the fields and then sets
# ``__class__`` to the event class. Python allows that between classes of identical layout
# (the same slots over the same base; it raises ``TypeError`` otherwise, so a field added to
# an event cannot be missed), and what comes out is an ordinary instance of the event class:
# equal, hashable, frozen and picklable like a constructed one, ``kind`` included
# (tests/test_event_construction.py checks all of it). Like ``__init__``, they check nothing.

_TextEvent = TypeVar("_TextEvent", TextDelta, RefusalDelta)


def _text_event_builder(cls: type[_TextEvent]) -> Callable[[str, int], _TextEvent]:
    kind = next(f.default for f in fields(cls) if f.name == "kind")

    class Builder:
        __slots__ = ("choice", "kind", "text")

        def __init__(self, text: str, choice: int) -> None:
            self.text = text
            self.choice = choice
            self.kind = kind
            self.__class__ = cls  # type: ignore[assignment]

    builder: Callable[[str, int], _TextEvent] = Builder  # type: ignore[assignment]
    return builder


class _ReasoningDeltaBuilder:
    __slots__ = ("choice", "kind", "summary", "text")

    def __init__(self, text: str, choice: int, summary: bool = False) -> None:
        self.text = text
        self.choice = choice
        self.summary = summary
        self.kind = "reasoning_delta"
        self.__class__ = ReasoningDelta  # type: ignore[assignment]


class _ArgumentsDeltaBuilder:
    __slots__ = ("choice", "delta", "id", "index", "kind")

    def __init__(self, index: int, id: str, delta: str, choice: int) -> None:
        self.index = index
        self.id = id
        self.delta = delta
        self.choice = choice
        self.kind = "arguments_delta"
        self.__class__ = ArgumentsDelta  # type: ignore[assignment]


new_text_delta = _text_event_builder(TextDelta)
"""``TextDelta(text, choice)``, built without the dataclass ``__init__``."""
new_reasoning_delta: Callable[[str, int], ReasoningDelta] = _ReasoningDeltaBuilder  # type: ignore[assignment]
"""``ReasoningDelta(text, choice)``, built without the dataclass ``__init__``."""
new_summary_delta: Callable[[str, int, bool], ReasoningDelta] = _ReasoningDeltaBuilder  # type: ignore[assignment]
"""``ReasoningDelta(text, choice, summary)``, built without the dataclass ``__init__``."""
new_refusal_delta = _text_event_builder(RefusalDelta)
"""``RefusalDelta(text, choice)``, built without the dataclass ``__init__``."""
new_arguments_delta: Callable[[int, str, str, int], ArgumentsDelta] = _ArgumentsDeltaBuilder  # type: ignore[assignment]
"""``ArgumentsDelta(index, id, delta, choice)``, built without the dataclass ``__init__``."""
