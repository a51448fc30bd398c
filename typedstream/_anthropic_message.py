"""The final Anthropic ``Message`` a stream's events add up to (``Accumulator.message()``).

How it works. :class:`MessageRecord` is what the :class:`~typedstream.Accumulator` keeps
beyond the chat completion: one small record per explicit block (its :class:`BlockStarted`,
the extra keys of its wire object, where its text and reasoning start and end in the choice's
text, its citations, its opaque state, its server call and result), the message-level
extension keys, the stream error, and, for chat sources, the opaque state and citations that
arrive outside any block. Text, reasoning and tool arguments are not copied here: the
accumulator already keeps them once per choice, and a block's text is the slice between its
offsets. :func:`build_message` turns the record into the Message as JSON on request.

A stream with explicit Anthropic blocks gives its blocks as they came, completed the way the
``anthropic`` SDK's ``accumulate_event`` completes them (docs/anthropic.md, "The final
Message"). A chat source (no blocks) gets the blocks the Anthropic writer derives
(docs/event-model.md §5.1): signed thinking, then the text, then the tool calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ._anthropic_vocab import STOP_WRITTEN, anthropic_usage
from ._envelope import wrap
from ._errors import ToolArgumentsError, UnwritableEventError
from ._events import (
    BlockDone,
    BlockStarted,
    ChoiceFinished,
    Citation,
    Extension,
    OpaqueState,
    ServerToolCallDone,
    ServerToolCallStarted,
    ServerToolInputDelta,
    ServerToolResult,
    StreamError,
    StreamStarted,
    Usage,
)
from ._json import copy as bounded_copy

__all__ = ["CallText", "ChoiceText", "MessageRecord", "build_message"]

# The usage keys the SDK's `accumulate_event` takes from `message_delta` (when not null):
# every other key keeps its `message_start` value.
_FINAL_USAGE_KEYS: Final = (
    "output_tokens",
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "server_tool_use",
    "output_tokens_details",
    "iterations",  # these two: the beta accumulator only
    "fallback_credit",
)
# The message_delta keys (beyond delta and usage) the SDK's beta accumulator keeps.
_FINAL_MESSAGE_KEYS: Final = ("context_management", "input_transformations")
_NO_USAGE: Final[Mapping[str, int]] = {"input_tokens": 0, "output_tokens": 0}
# Opaque state that signs reasoning text (written as a thinking block's signature, §7).
_SIGNS_TEXT: Final = frozenset({"thinking_signature", "encrypted_reasoning"})


def _copy(value: Any) -> Any:
    return bounded_copy(value, "a value the stream carried")


class _Block:
    """One explicit block, as far as it came."""

    __slots__ = (
        "citations",
        "delta_keys",
        "input",
        "keys",
        "name",
        "reasoning",
        "result",
        "server",
        "start",
        "states",
        "text",
        "tool_call",
    )

    def __init__(
        self, start: BlockStarted, keys: dict[str, Any], text: int, reasoning: int, call: int
    ) -> None:
        self.start = start
        self.keys = keys  # extra keys of the content block (Extension "content_block")
        self.text = [text, -1]  # offsets in the choice's text; -1: not ended yet
        self.reasoning = [reasoning, -1]
        self.tool_call = call  # the dense index of the client call a tool_call block holds
        self.citations: list[dict[str, Any]] | None = None
        self.states: list[OpaqueState] = []
        self.delta_keys: dict[str, Any] = {}  # extra keys of its deltas (compaction)
        self.name = ""
        self.server: str | None = None
        self.input: list[str] = []
        self.result: ServerToolResult | None = None


class MessageRecord:
    """The facts of one stream that only the Anthropic Message has a place for."""

    __slots__ = (
        "blocks",
        "calls",
        "chat_citations",
        "chat_states",
        "delta_keys",
        "error",
        "extensions",
        "final_keys",
        "message_keys",
        "open",
        "pending",
    )

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.open: _Block | None = None
        self.pending: dict[str, Any] = {}  # content_block keys waiting for their block
        self.calls = 0  # tool_call blocks seen (the next one holds this call index)
        self.message_keys: dict[str, Any] = {}
        self.delta_keys: dict[str, Any] = {}  # message_delta.delta keys (stop_details...)
        self.final_keys: dict[str, Any] = {}  # message_delta keys (context_management...)
        self.extensions: list[Extension] = []
        self.error: StreamError | None = None
        self.chat_states: list[tuple[OpaqueState, int]] = []  # with the reasoning offset
        self.chat_citations: list[dict[str, Any]] = []

    def started(self, event: BlockStarted, text: int, reasoning: int) -> None:
        block = _Block(event, self.pending, text, reasoning, self.calls)
        self.pending = {}
        if event.type == "tool_call":
            self.calls += 1
        self.blocks.append(block)
        self.open = block

    def done(self, event: BlockDone, text: int, reasoning: int) -> None:
        for block in reversed(self.blocks):
            if block.start.index == event.index:
                block.text[1], block.reasoning[1] = text, reasoning
                break
        self.open = None

    def state(self, event: OpaqueState, reasoning: int) -> None:
        block = self._block(event.block)
        if block is None:
            self.chat_states.append((event, reasoning))
        else:
            block.states.append(event)

    def add(self, event: object) -> None:
        """Take one of the other events the Message needs (the accumulator routes them)."""
        block = self.open
        if isinstance(event, Citation):
            if block is None or event.via is not None:
                self.chat_citations.append(_copy(event.data))
            elif block.citations is None:
                block.citations = [_copy(event.data)]
            else:
                block.citations.append(_copy(event.data))
        elif isinstance(event, Extension):
            self._extension(event)
        elif isinstance(event, StreamError):
            if self.error is None:
                self.error = event
        elif block is not None:
            if isinstance(event, ServerToolCallStarted):
                block.name, block.server = event.name, event.server
            elif isinstance(event, ServerToolInputDelta):
                block.input.append(event.delta)
            elif isinstance(event, ServerToolCallDone):
                block.input = [event.input]
            elif isinstance(event, ServerToolResult):
                block.result = event

    def _extension(self, event: Extension) -> None:
        self.extensions.append(event)
        if event.where != "keys":
            return
        data = _copy(event.data)
        if event.name == "content_block":
            self.pending.update(data)
        elif event.name == "message":
            self.message_keys.update(data)
        elif event.name == "message_delta.delta":
            self.delta_keys.update(data)
        elif event.name == "message_delta":
            self.final_keys.update(data)
        elif event.name == "delta":
            block = self._block(event.block) or self.open
            if block is not None:
                block.delta_keys.update(data)

    def _block(self, index: int | None) -> _Block | None:
        if index is None:
            return None
        for block in reversed(self.blocks):
            if block.start.index == index:
                return block
        return None


@dataclass(frozen=True)
class CallText:
    """One client call of choice 0, as the accumulator has it."""

    index: int
    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ChoiceText:
    """What the accumulator keeps for choice 0 that the Message is built from."""

    text: str
    reasoning: str
    refusal: str
    calls: Sequence[CallText]
    thinking_blocks: Sequence[Mapping[str, Any]] | None  # LiteLLM's, from ProviderData
    finish: ChoiceFinished | None


def build_message(
    record: MessageRecord | None,
    started: StreamStarted | None,
    usage: Usage | None,
    choice: ChoiceText,
) -> dict[str, Any]:
    """The Anthropic Message (JSON) of the stream so far."""
    record = record or MessageRecord()
    if record.blocks:
        content = [_explicit(block, choice) for block in record.blocks]
        blocks = [block for block in content if block is not None]
    else:
        blocks = _derived(record, choice)
    message: dict[str, Any] = {
        "id": "",
        "type": "message",
        "role": "assistant",
        "model": "",
        "content": blocks,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage(started, usage),
    }
    if started is not None:
        message["id"] = started.id or ""
        message["model"] = started.model or ""
    for key, value in record.message_keys.items():
        message.setdefault(key, value)
    finish = choice.finish
    if finish is not None:
        message["stop_reason"] = _stop_reason(finish, started)
        message["stop_sequence"] = finish.stop_sequence
        # What the SDK takes from message_delta.delta beyond the stop: other keys stay in
        # Accumulator.extensions.
        message["stop_details"] = record.delta_keys.get("stop_details")
        container = record.delta_keys.get("container")
        if container is not None:
            message["container"] = container
        for key in _FINAL_MESSAGE_KEYS:
            value = record.final_keys.get(key)
            if value is not None:
                message[key] = value
    return message


def _stop_reason(finish: ChoiceFinished, started: StreamStarted | None) -> str:
    if started is not None and started.protocol == "anthropic" and finish.raw_reason:
        return finish.raw_reason  # the wire's own string, an unknown one included
    if finish.stop_reason == "stop_sequence" and finish.stop_sequence is None:
        return "end_turn"  # Anthropic sends stop_sequence only with the matched string
    return STOP_WRITTEN[finish.stop_reason]


def _usage(started: StreamStarted | None, final: Usage | None) -> dict[str, Any]:
    """``message_start`` usage overlaid with the final figures, key by key as the SDK does."""
    initial = None if started is None else started.initial_usage
    usage = dict(_NO_USAGE) if initial is None else _copy(anthropic_usage(initial, final=False))
    if final is not None:
        figures = anthropic_usage(final)
        for key in _FINAL_USAGE_KEYS:
            value = figures.get(key)
            if value is not None:
                usage[key] = _copy(value)
    return usage


def _input(text: str, id: str, name: str) -> Any:
    """Tool input parsed as the SDK parses it: partial JSON, an unfinished string left out."""
    if not text:
        return {}
    import jiter

    try:
        return jiter.from_json(text.encode(), partial_mode=True)
    except ValueError as exc:
        raise ToolArgumentsError(
            f"input is not valid JSON: {exc}", arguments=text, id=id, name=name
        ) from exc


def _slice(text: str, span: list[int]) -> str:
    return text[span[0] : None if span[1] < 0 else span[1]]


def _explicit(block: _Block, choice: ChoiceText) -> dict[str, Any] | None:
    start = block.start
    if start.protocol != "anthropic":
        return _foreign(block, choice)
    wire = start.wire_type
    out: dict[str, Any] = {"type": wire}
    if wire == "text":
        out["text"] = _slice(choice.text, block.text)
        if block.citations is not None:
            out["citations"] = block.citations
    elif wire == "thinking":
        signature = [s.data for s in block.states if s.type == "thinking_signature"]
        out["thinking"] = _slice(choice.reasoning, block.reasoning)
        out["signature"] = signature[-1] if signature else ""
    elif wire == "redacted_thinking":
        out["data"] = block.states[-1].data if block.states else ""
    elif start.type == "tool_call":
        out.update(_tool_use(block, choice))
    elif start.type == "server_tool_call":
        text = "".join(block.input)
        out.update(id=start.id, name=block.name, input=_input(text, start.id or "", block.name))
        if block.server is not None:
            out["server_name"] = block.server
    elif start.type == "server_tool_result" and block.result is not None:
        out.update(tool_use_id=start.id, content=_copy(block.result.content))
        if wire == "mcp_tool_result":
            out["is_error"] = block.result.is_error
    elif wire == "compaction":
        out["content"] = block.states[-1].data if block.states else None
        if block.states:  # the SDK copies the delta's encrypted_content, null when absent
            out["encrypted_content"] = block.delta_keys.get("encrypted_content")
    for key, value in block.keys.items():
        out.setdefault(key, value)
    return out


def _tool_use(block: _Block, choice: ChoiceText) -> dict[str, Any]:
    if block.start.wire_type == "custom_tool_call":
        raise UnwritableEventError(
            "a custom (free-text) tool call has no Anthropic form", block.start
        )
    for call in choice.calls:
        if call.index == block.tool_call:
            return _call_block(call)
    return {"id": block.start.id, "name": "", "input": {}}


def _call_block(call: CallText) -> dict[str, Any]:
    return {
        "type": "tool_use",
        "id": call.id,
        "name": call.name,
        "input": _input(call.arguments, call.id, call.name),
    }


def _foreign(block: _Block, choice: ChoiceText) -> dict[str, Any] | None:
    """A block of another protocol (Responses), mapped as the Anthropic writer maps it."""
    kind = block.start.type
    if kind in ("message", "text"):
        text = _slice(choice.text, block.text)
        return {"type": "text", "text": text} if text else None
    if kind == "tool_call":
        return _tool_use(block, choice)
    if kind == "reasoning" and block.states:
        text = _slice(choice.reasoning, block.reasoning)
        return _state_block(block.states[-1], text)
    return None  # server tools, compaction and extensions of another protocol are lost


def _state_block(state: OpaqueState, text: str) -> dict[str, Any]:
    """The block that carries ``state``: native for Anthropic's own, else an envelope (§7)."""
    native = state.origin == "anthropic"
    data = state.data if native else wrap(state)
    if state.type == "compaction" and native:
        return {"type": "compaction", "content": data}
    if state.type in _SIGNS_TEXT and (text or native):
        return {"type": "thinking", "thinking": text, "signature": data}
    return {"type": "redacted_thinking", "data": data}


def _derived(record: MessageRecord, choice: ChoiceText) -> list[dict[str, Any]]:
    """The blocks the Anthropic writer derives from a chat stream (docs/event-model.md §5.1)."""
    blocks: list[dict[str, Any]] = []
    if choice.thinking_blocks:
        blocks.extend(_copy(dict(block)) for block in choice.thinking_blocks)
    by_tool: dict[str, list[dict[str, Any]]] = {}
    signed = 0  # reasoning text before this offset belongs to a block already written
    for state, at in record.chat_states:
        if state.origin == "anthropic" and state.via is not None and choice.thinking_blocks:
            continue  # LiteLLM's thinking_blocks, already written from the container
        block = _state_block(state, choice.reasoning[signed:at])
        if block["type"] == "thinking":
            signed = at
        if state.tool_id is not None:
            by_tool.setdefault(state.tool_id, []).append(block)
        else:
            blocks.append(block)
    blocks.extend({"type": "text", "text": text} for text in (choice.text, choice.refusal) if text)
    if record.chat_citations:
        for block in blocks:
            if block["type"] == "text":
                block["citations"] = record.chat_citations
                break
    for call in choice.calls:
        blocks.extend(by_tool.pop(call.id, ()))
        blocks.append(_call_block(call))
    for rest in by_tool.values():
        blocks.extend(rest)
    return blocks
