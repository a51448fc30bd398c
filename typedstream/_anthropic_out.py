"""Exact Anthropic Messages streams from typed events: ``to_anthropic_sse()``,
``to_anthropic_events()`` and async twins.

How it works. :class:`AnthropicWriter` is a sans-IO state machine: ``write(event)`` takes one
:data:`~typedstream.StreamEvent` and returns the Anthropic events (plain JSON-ready dicts,
``type`` first) it completes; ``close()`` returns the end of the message; ``fail(exc)`` the
``error`` event that ends a stream whose source raised. It keeps one content block open at a
time and numbers blocks itself, so the output obeys the block rules (docs/anthropic.md,
B2-B5) whatever the source was.

Structure comes from two places (docs/event-model.md §5.1). Explicit ``BlockStarted`` /
``BlockDone`` of the Anthropic protocol (an Anthropic source) are put back as they were: the
``content_block_start`` is held for one event, because the event after it completes the block
(a tool's name, a result's content, redacted data, a text block's ``"citations": []``).
Every other source gets implicit structure: a run of text is a text block, each client call
a ``tool_use`` block, and a run of reasoning a thinking block only when Anthropic-issued
state signs it; its text is held until then and dropped without it, since an unsigned or
falsely signed thinking block fails the next turn. State of another origin travels in the
opaque envelope (§7): as the signature of the reasoning it came with, else as a
``redacted_thinking`` block. Nothing is invented: no signature, no call id that the source
had (a foreign id passes through, rule C4), no usage.

``message_delta`` waits for the usage that chat and Anthropic sources send after the finish,
and is written at ``close()`` without it. A source that raises ends the output with one
``error`` event (rule B8) and the exception propagates; the async SSE writer can send a
``ping`` while the source is silent. The typed-event functions build the ``anthropic`` SDK's
raw event models, importing ``anthropic`` on first use only.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from contextlib import aclosing, closing, suppress
from typing import TYPE_CHECKING, Any, Final

from ._anthropic_vocab import STOP_WRITTEN, anthropic_usage, error_type
from ._envelope import wrap
from ._errors import UnwritableEventError, UsageError
from ._events import (
    ArgumentsDelta,
    BlockDone,
    BlockStarted,
    ChoiceFinished,
    Citation,
    CustomToolCallDone,
    CustomToolCallIncomplete,
    CustomToolCallStarted,
    CustomToolInputDelta,
    Extension,
    OpaqueState,
    PartDone,
    PartStarted,
    ReasoningDelta,
    RefusalDelta,
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
)
from ._json import dumps
from ._openai_out import error_payload
from ._writing import WireEvent, aconvert, convert
from ._writing import awire as _awire
from ._writing import wire as _wire

if TYPE_CHECKING:
    from anthropic.types import RawMessageStreamEvent

__all__ = [
    "AnthropicWriter",
    "ato_anthropic_events",
    "ato_anthropic_sse",
    "to_anthropic_events",
    "to_anthropic_sse",
]

"""One Anthropic stream event as sent: a JSON-ready dict, ``type`` first."""

PING_FRAME: Final = b'event: ping\ndata: {"type": "ping"}\n\n'
"""A ``ping`` exactly as Anthropic sends it (the one event with a space after its colon)."""

_TOOL_BLOCKS: Final = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
# LiteLLM reports Anthropic's server tool calls (web search…) as ordinary chat tool calls with
# their `srvtoolu_` ids (docs/provider-quirks.md): such a call is written back as the
# server_tool_use block it was, never as a tool_use the client would have to answer.
_SERVER_ID: Final = "srvtoolu_"
_CALL_BLOCKS: Final = frozenset({"tool_use", "server_tool_use"})
# message_start usage keys that describe the request, never repeated by message_delta.
_START_ONLY: Final = frozenset({"service_tier", "inference_geo", "cache_creation"})
_UNSET: Final = object()


def _call_block(tool_id: str) -> str:
    return "server_tool_use" if tool_id.startswith(_SERVER_ID) else "tool_use"


# Cut calls whose block is left unstopped: the one cut B5 allows, and cuts an error ends (B8).
_LEFT_OPEN: Final = frozenset({"length", "max_tokens", "error", "end_of_input"})
_CUSTOM_CALL_EVENTS: Final = (
    CustomToolCallStarted,
    CustomToolInputDelta,
    CustomToolCallDone,
    CustomToolCallIncomplete,
)
_SKELETONS: Final[Mapping[str, Mapping[str, Any]]] = {
    "text": {"text": ""},
    "thinking": {"thinking": "", "signature": ""},
    "redacted_thinking": {"data": ""},
    "tool_use": {"id": "", "name": "", "input": {}},
    "server_tool_use": {"id": "", "name": "", "input": {}},
    "mcp_tool_use": {"id": "", "name": "", "input": {}, "server_name": ""},
    "compaction": {"content": None},
}
"""The ``content_block`` each known block type starts with, after its ``type``."""


class _Block:
    """The content block being written."""

    __slots__ = ("cited", "explicit", "index", "start", "texted", "wire_type")

    def __init__(self, index: int, wire_type: str, explicit: bool) -> None:
        self.index = index
        self.wire_type = wire_type
        self.explicit = explicit  # opened by a BlockStarted, stopped by its BlockDone
        self.start: WireEvent | None = None  # the content_block_start, while held
        self.cited = False  # started with "citations": []
        self.texted = False  # a text_delta was written


class _Call:
    """One client tool call written as an implicit ``tool_use`` block."""

    __slots__ = ("block", "done", "pending")

    def __init__(self) -> None:
        self.block: _Block | None = None
        self.done = False
        # What the call wrote while an earlier call still streamed; None once it is written.
        self.pending: list[WireEvent] | None = None


class AnthropicWriter:
    """Sans-IO writer: typed events in, Anthropic Messages stream events (dicts) out.

    Feed it the events of one stream in order with :meth:`write`, then call :meth:`close`; if
    the events cannot be read to their end, call :meth:`fail` instead. Each returns the wire
    events it completes. :func:`to_anthropic_sse` and :func:`to_anthropic_events` drive one for
    you.

    Args:
        id: Message id for ``message_start``, instead of the source's.
        model: Model name for ``message_start``, instead of the source's.

    A message without an id gets ``msg_`` + a hash of its
    :class:`~typedstream.StreamStarted` and the event after it, so writing the same events
    twice gives the same stream; a missing model is written as ``""``.

    Raises:
        UnwritableEventError: from :meth:`write`, for a choice other than 0 or a custom
            (free-text) tool call, which Anthropic cannot express.
        UsageError: from :meth:`write`, for events that break the event contract (a second
            :class:`~typedstream.StreamStarted`, a fragment for a call that never started).
    """

    __slots__ = (
        "_basis",
        "_block",
        "_calls",
        "_client_tools",
        "_ended",
        "_finish",
        "_held_events",
        "_keys",
        "_next_index",
        "_override_id",
        "_override_model",
        "_queue",
        "_reasoning",
        "_start_usage",
        "_started",
        "_state",
        "_usage",
        "_waiting",
        "_wrote_delta",
    )

    def __init__(self, *, id: str | None = None, model: str | None = None) -> None:
        self._override_id = id
        self._override_model = model
        self._started = False  # a StreamStarted came (or was assumed)
        self._basis: StreamStarted | None = None  # waiting for the event that seeds the id
        self._ended = False  # message_stop or error written: nothing more
        self._keys: dict[str, dict[str, Any]] = {}  # held Extension(keys) by object name
        self._block: _Block | None = None
        self._next_index = 0
        self._calls: dict[int, _Call] = {}  # event index -> implicit call
        self._queue: deque[_Call] = deque()  # calls waiting for an earlier one to finish
        self._client_tools = 0
        self._reasoning: list[str] | None = None  # held text of an implicit reasoning run
        self._state: OpaqueState | None = None  # foreign state of that run
        self._waiting: list[str] = []  # envelopes written once the open block stops
        self._finish: tuple[str, str | None] | None = None  # held (stop_reason, stop_sequence)
        self._usage: Usage | None = None
        self._start_usage: dict[str, Any] = {}  # message_start's usage, as written
        self._wrote_delta = False
        self._held_events: list[WireEvent] = []  # extension events after the finish

    @property
    def pingable(self) -> bool:
        """A ``ping`` may be sent now: ``message_start`` is out and the stream has not ended."""
        return self._started and self._basis is None and not self._ended

    # -- public interface ------------------------------------------------------------------

    def write(self, event: StreamEvent) -> list[WireEvent]:
        """Take the next event; return the wire events it completes (often one, maybe none)."""
        out: list[WireEvent] = []
        if self._ended:
            return out
        if getattr(event, "choice", 0) != 0:
            raise UnwritableEventError(
                f"Anthropic messages have one choice; cannot write {event!r}", event
            )
        if isinstance(event, StreamStarted):
            if self._started:
                raise UsageError("a second StreamStarted: one writer serializes one stream")
            self._begin(event, out)
            return out
        if event.kind in ("raw_chunk", "logprobs", "provider_data", "moderation"):
            return out  # no Anthropic field (docs/event-model.md §11)
        if isinstance(event, Extension) and event.where == "keys":
            # Held for the object it names; the reader sends the message's before StreamStarted.
            self._extension(event, out)
            return out
        if not self._started:  # events made by hand may omit StreamStarted
            self._begin(StreamStarted(None, None, None), out)
        if self._basis is not None:
            out.append(self._message_start(self._basis, _generated("msg_", self._basis, event)))
            self._basis = None
        if isinstance(event, Extension):
            self._extension(event, out)
            return out
        self._release(event, out)
        if isinstance(event, (TextDelta, RefusalDelta)):
            self._text(event.text, out)
        elif isinstance(event, ArgumentsDelta):
            self._arguments(event, out)
        elif isinstance(event, ReasoningDelta):
            self._reasoning_text(event.text, out)
        else:
            self._write_rare(event, out)
        return out

    def close(self) -> list[WireEvent]:
        """The events ended: return the end of the message (``message_delta`` if still held,
        ``message_stop``), or nothing after an error."""
        out: list[WireEvent] = []
        if self._ended:
            return out
        if not self._started:
            self._begin(StreamStarted(None, None, None), out)
        if self._basis is not None:
            out.append(self._message_start(self._basis, _generated("msg_", self._basis, None)))
            self._basis = None
        self._release(None, out)
        if not self._wrote_delta:
            if self._finish is None:  # events made by hand may omit the finish
                self._end_runs(out)
                self._finish = ("tool_use" if self._client_tools else "end_turn", None)
            self._message_delta(out)
        out.append({"type": "message_stop", **self._keys.pop("message_stop", {})})
        self._ended = True
        return out

    def fail(self, exc: BaseException) -> list[WireEvent]:
        """The events could not be read to their end: return the ``error`` event that ends the
        stream (nothing after an ``error`` or ``message_stop`` already written).

        The error's type is mapped to Anthropic's (``overloaded_error``, ``api_error``…); an
        exception that is not typedstream's gives only its class name, so nothing internal
        reaches the client.
        """
        if self._ended:
            return []
        payload = error_payload(exc)
        message = payload.get("message")
        kind, code = payload.get("type"), payload.get("code")
        error = {
            "type": error_type(
                kind if isinstance(kind, str) else None, code if isinstance(code, str) else None
            ),
            "message": message if isinstance(message, str) else str(exc),
        }
        return self._error(error, [])

    # -- the message -----------------------------------------------------------------------

    def _begin(self, event: StreamStarted, out: list[WireEvent]) -> None:
        self._started = True
        if self._override_id is None and not event.id:
            self._basis = event  # the id is made when the next event arrives
        else:
            out.append(self._message_start(event, self._override_id or event.id or ""))

    def _message_start(self, event: StreamStarted, message_id: str) -> WireEvent:
        initial = event.initial_usage
        if initial is None:
            usage: dict[str, Any] = {"input_tokens": 0, "output_tokens": 0}
        else:
            usage = anthropic_usage(initial, final=False)
        self._start_usage = usage
        message: dict[str, Any] = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": self._override_model or event.model or "",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            **self._keys.pop("message", {}),
            "usage": usage,
        }
        return {"type": "message_start", "message": message}

    def _extension(self, event: Extension, out: list[WireEvent]) -> None:
        if event.protocol != "anthropic":
            return  # another protocol's extension has no place here (§5.2)
        if event.where == "keys":
            self._keys.setdefault(event.name, {}).update(event.data)
            return
        self._release(event, out)
        data = {k: v for k, v in event.data.items() if k != "type"}
        if event.where == "delta":
            block = self._block
            if block is None:
                raise UsageError(f"an extension delta outside any block: {event!r}")
            delta = {"type": event.name, **data}
            out.append({"type": "content_block_delta", "index": block.index, "delta": delta})
        elif self._finish is not None and not self._wrote_delta:
            self._held_events.append({"type": event.name, **data})
        else:
            out.append({"type": event.name, **data})

    def _finished(self, event: ChoiceFinished, out: list[WireEvent]) -> None:
        self._end_runs(out)
        self._stop_open_calls(out)
        stop_reason = STOP_WRITTEN[event.stop_reason]
        stop_sequence = event.stop_sequence if stop_reason == "stop_sequence" else None
        if stop_reason == "stop_sequence" and not stop_sequence:
            stop_reason = "end_turn"
        if stop_reason == "tool_use" and not self._client_tools:
            stop_reason = "end_turn"  # no call was written (rule D2)
        self._finish = (stop_reason, stop_sequence)
        if self._usage is not None:
            self._message_delta(out)

    def _message_delta(self, out: list[WireEvent]) -> None:
        assert self._finish is not None
        stop_reason, stop_sequence = self._finish
        if self._usage is None:  # cumulative (D3): nothing more than message_start said
            usage: dict[str, Any] = {"output_tokens": self._start_usage.get("output_tokens", 0)}
        elif self._usage.protocol == "anthropic":
            # The reader's usage is message_start's overlaid by message_delta's: leave out
            # the keys Anthropic's message_delta never repeats, when message_start said them.
            start = self._start_usage
            usage = {
                k: v
                for k, v in self._usage.usage.items()
                if k not in _START_ONLY or start.get(k, _UNSET) != v
            }
        else:
            usage = anthropic_usage(self._usage)
        delta = {
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            **self._keys.pop("message_delta.delta", {}),
        }
        extra = self._keys.pop("message_delta", {})
        out.append({"type": "message_delta", "delta": delta, "usage": usage, **extra})
        self._wrote_delta = True
        out.extend(self._held_events)
        self._held_events.clear()

    def _error(self, error: dict[str, Any], out: list[WireEvent]) -> list[WireEvent]:
        out.append({"type": "error", "error": error, **self._keys.pop("error", {})})
        self._ended = True
        return out

    # -- dispatch of the rarer events --------------------------------------------------------

    def _write_rare(self, event: StreamEvent, out: list[WireEvent]) -> None:
        if isinstance(event, ToolCallStarted):
            self._call_started(event, out)
        elif isinstance(event, (ToolCallDone, ToolCallIncomplete)):
            self._call_done(event, out)
        elif isinstance(event, BlockStarted):
            self._block_started(event, out)
        elif isinstance(event, BlockDone):
            self._block_done(event, out)
        elif isinstance(event, OpaqueState):
            self._opaque(event, out)
        elif isinstance(event, Citation):
            self._citation(event, out)
        elif isinstance(event, ChoiceFinished):
            self._finished(event, out)
        elif isinstance(event, Usage):
            self._usage = event
            if self._finish is not None and not self._wrote_delta:
                self._message_delta(out)
        elif isinstance(event, StreamError):
            self._stream_error(event, out)
        elif isinstance(event, _CUSTOM_CALL_EVENTS):
            raise UnwritableEventError(
                f"a custom (free-text) tool call cannot be written as an Anthropic block: "
                f"{event!r}",
                event,
            )
        elif isinstance(event, (PartStarted, PartDone)):
            self._end_runs(out)  # another protocol's part: one text block per part
        else:
            self._server_tool(event, out)
        # TextDone, ReasoningDone, RefusalDone: the deltas carried the text.

    def _stream_error(self, event: StreamError, out: list[WireEvent]) -> None:
        if event.protocol == "anthropic":
            self._error(dict(event.data), out)
        else:
            self._error({"type": error_type(event.type, event.code), "message": event.message}, out)

    # -- blocks ----------------------------------------------------------------------------

    def _open(
        self, wire_type: str, out: list[WireEvent] | None, explicit: bool = False, **fields: Any
    ) -> _Block:
        """Open the next block; its start is written to ``out``, or held when ``out`` is None."""
        block = _Block(self._next_index, wire_type, explicit)
        self._next_index += 1
        self._block = block
        content = {"type": wire_type, **_SKELETONS.get(wire_type, {}), **fields}
        start = {"type": "content_block_start", "index": block.index, "content_block": content}
        if out is None:
            block.start = start
        else:
            self._write_start(block, start, out)
        return block

    def _write_start(self, block: _Block, start: WireEvent, out: list[WireEvent]) -> None:
        block.start = None
        content: dict[str, Any] = start["content_block"]
        held = self._keys.pop("content_block", None)
        if held:
            content.update(held)
        out.append(start)
        if block.wire_type in _TOOL_BLOCKS:  # Anthropic always opens tool input with ""
            out.append(_delta(block, {"type": "input_json_delta", "partial_json": ""}))

    def _release(self, event: object, out: list[WireEvent]) -> None:
        """Write a held block start, unless ``event`` is the one that completes it."""
        block = self._block
        if block is None or block.start is None:
            return
        if isinstance(event, (ToolCallStarted, ServerToolCallStarted, ServerToolResult)):
            return
        if isinstance(event, OpaqueState) and event.type == "redacted_thinking":
            return
        if isinstance(event, Citation) and event.protocol == "anthropic":
            return
        self._write_start(block, block.start, out)

    def _stop(self, out: list[WireEvent]) -> None:
        block = self._block
        if block is not None:
            if block.start is not None:
                self._write_start(block, block.start, out)
            out.append({"type": "content_block_stop", "index": block.index})
            self._block = None

    def _block_started(self, event: BlockStarted, out: list[WireEvent]) -> None:
        self._end_runs(out)
        if event.protocol != "anthropic":
            return  # another protocol's block: the content makes implicit blocks
        self._stop_open_calls(out)
        if self._block is not None:
            raise UsageError(f"{event!r} while block {self._block.index} is open")
        fields: dict[str, Any] = {}
        if event.wire_type in _TOOL_BLOCKS:
            fields["id"] = event.id or ""
        elif event.type == "server_tool_result":
            fields["tool_use_id"] = event.id or ""
        self._open(event.wire_type, None, explicit=True, **fields)

    def _block_done(self, event: BlockDone, out: list[WireEvent]) -> None:
        if event.protocol != "anthropic":
            self._end_runs(out)
            return
        block = self._block
        if block is None or not block.explicit:
            raise UsageError(f"BlockDone for a block that is not open: {event!r}")
        if event.status == "cut":  # never stopped by the wire: left open (B5, B8)
            if block.start is not None:
                self._write_start(block, block.start, out)
            self._block = None
        else:
            self._stop(out)
        self._flush_waiting(out)

    def _explicit(self, *wire_types: str) -> _Block | None:
        block = self._block
        if block is not None and block.explicit and block.wire_type in wire_types:
            return block
        return None

    # -- text and citations ----------------------------------------------------------------

    def _text(self, text: str, out: list[WireEvent]) -> None:
        if not text:
            return
        block = self._block
        if block is None or (not block.explicit and block.wire_type != "text"):
            self._end_runs(out)
            self._stop_open_calls(out)
            block = self._open("text", out)
        elif block.wire_type != "text":
            raise UsageError(f"text inside a {block.wire_type} block: {text!r}")
        block.texted = True
        out.append(_delta(block, {"type": "text_delta", "text": text}))

    def _citation(self, event: Citation, out: list[WireEvent]) -> None:
        if event.protocol != "anthropic":
            return  # Anthropic cites before the text, with its own fields (§11)
        block = self._block
        if block is not None and block.wire_type == "text" and block.start is not None:
            block.start["content_block"] = {"citations": [], **block.start["content_block"]}
            block.cited = True
            self._write_start(block, block.start, out)
        elif block is None or block.wire_type != "text" or block.texted or not block.cited:
            # A citation belongs before its block's text: a new cited block.
            explicit = block is not None and block.explicit and block.wire_type == "text"
            self._end_runs(out)
            self._stop_open_calls(out)
            if explicit:
                self._stop(out)
            block = self._open("text", None, explicit=explicit)
            assert block.start is not None
            block.start["content_block"] = {"citations": [], **block.start["content_block"]}
            block.cited = True
            self._write_start(block, block.start, out)
        out.append(_delta(block, {"type": "citations_delta", "citation": event.data}))

    # -- reasoning and opaque state --------------------------------------------------------

    def _reasoning_text(self, text: str, out: list[WireEvent]) -> None:
        if self._explicit("thinking") is not None:
            if text:
                out.append(_delta(self._block, {"type": "thinking_delta", "thinking": text}))
            return
        block = self._block
        if block is not None and not block.explicit and block.wire_type == "text":
            self._stop(out)
        if self._reasoning is None:
            self._reasoning = []
        if text:
            self._reasoning.append(text)

    def _opaque(self, event: OpaqueState, out: list[WireEvent]) -> None:
        block = self._block
        if event.origin == "anthropic" and block is not None and block.explicit:
            self._opaque_in_block(event, block, out)
        elif event.origin == "anthropic":
            self._opaque_implicit(event, out)
        elif self._reasoning is not None and event.tool_id is None:
            self._state = event  # decided at the end of the run (the last one wins)
        elif block is not None and (block.explicit or block.wire_type != "text"):
            # A call's state arrives while its block streams: written right after that block.
            self._waiting.append(wrap(event))
        else:
            self._end_runs(out)
            self._redacted(wrap(event), out)

    def _flush_waiting(self, out: list[WireEvent]) -> None:
        while self._waiting and self._block is None:
            self._redacted(self._waiting.pop(0), out)

    def _opaque_in_block(self, event: OpaqueState, block: _Block, out: list[WireEvent]) -> None:
        if event.type == "thinking_signature":
            out.append(_delta(block, {"type": "signature_delta", "signature": event.data}))
        elif event.type == "compaction":
            out.append(_delta(block, {"type": "compaction_delta", "content": event.data}))
        elif block.start is not None:
            block.start["content_block"]["data"] = event.data
            self._write_start(block, block.start, out)
        else:
            raise UsageError(f"redacted thinking after its block started: {event!r}")

    def _opaque_implicit(self, event: OpaqueState, out: list[WireEvent]) -> None:
        if event.type == "thinking_signature":
            text = "".join(self._reasoning or ())
            self._reasoning, self._state = None, None
            self._thinking(text, event.data, out)
        elif event.type == "redacted_thinking":
            self._end_runs(out)
            self._redacted(event.data, out)
        else:
            self._end_runs(out)
            self._stop_open_calls(out)
            block = self._open("compaction", out)
            out.append(_delta(block, {"type": "compaction_delta", "content": event.data}))
            self._stop(out)

    def _thinking(self, text: str, signature: str, out: list[WireEvent]) -> None:
        self._stop_open_calls(out)
        self._stop(out)
        block = self._open("thinking", out)
        if text:
            out.append(_delta(block, {"type": "thinking_delta", "thinking": text}))
        out.append(_delta(block, {"type": "signature_delta", "signature": signature}))
        self._stop(out)

    def _redacted(self, data: str, out: list[WireEvent]) -> None:
        self._stop_open_calls(out)
        self._stop(out)
        self._open("redacted_thinking", out, data=data)
        self._stop(out)

    def _end_runs(self, out: list[WireEvent]) -> None:
        """End the implicit run in progress: stop a text block, write or drop held reasoning."""
        block = self._block
        if block is not None and not block.explicit and block.wire_type == "text":
            self._stop(out)
        if self._reasoning is None:
            return
        text = "".join(self._reasoning)
        state, self._reasoning, self._state = self._state, None, None
        if state is None:
            return  # unsigned reasoning is never written (docs/event-model.md §11)
        if text:
            self._thinking(text, wrap(state), out)
        else:
            self._redacted(wrap(state), out)

    # -- client tool calls -----------------------------------------------------------------

    def _call_started(self, event: ToolCallStarted, out: list[WireEvent]) -> None:
        if event.index in self._calls:
            raise UsageError(f"tool call {event.index} started twice")
        explicit = self._explicit("tool_use")
        if explicit is not None or not event.id.startswith(_SERVER_ID):
            self._client_tools += 1
        if explicit is not None and explicit.start is not None:
            explicit.start["content_block"]["name"] = event.name
            self._write_start(explicit, explicit.start, out)
            return
        call = self._calls[event.index] = _Call()
        tool_id = event.id or _generated("toolu_", event, None)
        if self._queue or self._current() is not None:
            call.pending = []  # an earlier call still streams: wait for its turn
            self._queue.append(call)
            self._pending_start(call, tool_id, event.name)
            return
        self._end_runs(out)
        self._stop(out)
        call.block = self._open(_call_block(tool_id), out, id=tool_id, name=event.name)

    def _pending_start(self, call: _Call, tool_id: str, name: str) -> None:
        assert call.pending is not None
        call.pending.append({"id": tool_id, "name": name})  # opened when its turn comes

    def _current(self) -> _Call | None:
        """The implicit call whose block is open."""
        block = self._block
        for call in self._calls.values():
            if call.block is block and block is not None and not call.done:
                return call
        return None

    def _arguments(self, event: ArgumentsDelta, out: list[WireEvent]) -> None:
        if not event.delta:
            return
        explicit = self._explicit("tool_use")
        if explicit is not None:
            out.append(_delta(explicit, {"type": "input_json_delta", "partial_json": event.delta}))
            return
        call = self._calls.get(event.index)
        if call is None or call.done:
            raise UsageError(f"ArgumentsDelta for tool call {event.index}, which is not open")
        delta = {"type": "input_json_delta", "partial_json": event.delta}
        if call.pending is not None:
            call.pending.append(delta)
        elif call.block is not None and call.block is self._block:
            out.append(_delta(call.block, delta))
        else:
            raise UnwritableEventError(
                f"arguments of tool call {event.index} after other content: Anthropic streams "
                "one block at a time",
                event,
            )

    def _call_done(self, event: ToolCallDone | ToolCallIncomplete, out: list[WireEvent]) -> None:
        call = self._calls.get(event.index)
        if call is None:
            return  # an explicit block: its BlockDone stops it
        call.done = True
        if call.pending is not None:
            return  # written, and stopped, when its turn comes
        if call.block is self._block:
            cut = isinstance(event, ToolCallIncomplete) and event.reason in _LEFT_OPEN
            # A cut block must be the last one (B5): with more to write after it, it is stopped.
            if cut and not self._queue and not self._waiting:
                self._block = None  # left open: B5's one cut, or an error follows (B8)
            else:
                self._stop(out)
        while self._queue and self._block is None:
            self._next_call(out)
        self._flush_waiting(out)

    def _next_call(self, out: list[WireEvent]) -> None:
        call = self._queue.popleft()
        pending, call.pending = call.pending or [], None
        header, *deltas = pending
        call.block = self._open(
            _call_block(header["id"]), out, id=header["id"], name=header["name"]
        )
        out.extend(_delta(call.block, delta) for delta in deltas)
        if call.done:
            self._stop(out)

    def _stop_open_calls(self, out: list[WireEvent]) -> None:
        """Something else comes: the open implicit call's block is stopped, queued calls
        written (a call whose done event never came is written as far as it came)."""
        block = self._block
        if block is not None and not block.explicit and block.wire_type in _CALL_BLOCKS:
            self._stop(out)
        while self._queue:
            self._next_call(out)
            if self._block is not None:
                self._stop(out)
        self._flush_waiting(out)

    # -- server tools (Anthropic sources only) ---------------------------------------------

    def _server_tool(self, event: StreamEvent, out: list[WireEvent]) -> None:
        block = self._explicit("server_tool_use", "mcp_tool_use")
        if isinstance(event, ServerToolCallStarted) and block is not None and block.start:
            content = block.start["content_block"]
            content["name"] = event.name
            if block.wire_type == "mcp_tool_use":
                content["server_name"] = event.server or ""
            self._write_start(block, block.start, out)
        elif isinstance(event, ServerToolInputDelta) and block is not None and event.delta:
            out.append(_delta(block, {"type": "input_json_delta", "partial_json": event.delta}))
        elif isinstance(event, ServerToolResult):
            result = self._block
            if result is None or not result.explicit or result.start is None:
                return  # another protocol's result: no Anthropic block to put it in
            content = result.start["content_block"]
            if result.wire_type == "mcp_tool_result":
                content["is_error"] = event.is_error
            content["content"] = event.content
            self._write_start(result, result.start, out)
        # ServerToolCallDone: the block's BlockDone stops it; ServerToolProgress is lost.


def _delta(block: _Block | None, delta: dict[str, Any]) -> WireEvent:
    assert block is not None
    return {"type": "content_block_delta", "index": block.index, "delta": delta}


def _generated(prefix: str, basis: StreamEvent, following: StreamEvent | None) -> str:
    # Seeded by the event and the one after it: deterministic (the same events give the same
    # id) without looking further ahead.
    try:
        seed = f"{basis!r}\n{following!r}".encode()
    except RecursionError:  # a value nested too deep to show (docs/errors.md): its kind instead
        seed = f"{basis.kind}\n{following and following.kind}".encode()
    return prefix + hashlib.sha256(seed).hexdigest()[:24]


# -- sinks -----------------------------------------------------------------------------------


def _frame(wire: WireEvent) -> bytes:
    name: str = wire["type"]
    if name == "content_block_delta" and len(wire) == 3:
        delta = wire["delta"]
        field = _BULK_FIELDS.get(delta["type"])
        index = wire["index"]
        if field is not None and len(delta) == 2 and index.__class__ is int:
            value = delta.get(field)
            if value.__class__ is str:
                # The usual frame: its bytes around the one string are the same every time.
                head = _HEADS.get((index, field))
                if head is None:
                    head = _head(index, delta["type"], field)
                return head + dumps(value) + b"}}\n\n"
    return b"event: " + name.encode() + b"\ndata: " + dumps(wire) + b"\n\n"


# The deltas written for nearly every event, and their one string field.
_BULK_FIELDS: Final = {
    "text_delta": "text",
    "thinking_delta": "thinking",
    "input_json_delta": "partial_json",
}
_HEADS: Final[dict[tuple[int, str], bytes]] = {}


def _head(index: int, kind: str, field: str) -> bytes:
    """A bulk delta's frame up to its string: what ``dumps`` writes before it, framed."""
    head = (
        b"event: content_block_delta\ndata: "
        + dumps({"type": "content_block_delta", "index": index, "delta": {"type": kind}})[:-2]
        + b',"'
        + field.encode()
        + b'":'
    )
    if len(_HEADS) < 1024:  # the blocks of a few streams, not every index a stream could have
        _HEADS[index, field] = head
    return head


def _writer(id: str | None, model: str | None, /) -> AnthropicWriter:
    return AnthropicWriter(id=id, model=model)


def to_anthropic_sse(
    events: Iterable[StreamEvent], *, id: str | None = None, model: str | None = None
) -> Iterator[bytes]:
    """Write typed events as the exact SSE body Anthropic's Messages API would send.

    Yields one ``event: <type>\\ndata: <compact JSON>\\n\\n`` frame per Anthropic event:
    ``message_start``, each content block (start, deltas, stop), ``message_delta`` with the
    stop reason and usage, ``message_stop``. Any source works: an Anthropic stream is written
    back block for block; a chat stream (OpenAI, LiteLLM…) gets the blocks Anthropic would
    have sent (docs/anthropic.md, "Writing Anthropic streams").

    If reading the events raises (a provider error, a cut stream, any exception), the last
    frame is an Anthropic ``error`` event with the error's type mapped (``overloaded_error``,
    ``api_error``…), and the exception propagates.

    Args:
        events: The events of one stream, normally ``typedstream.events(source)``.
        id: Message id for ``message_start`` (default: the source's; a generated
            deterministic ``msg_…`` id when it had none).
        model: Model name for ``message_start`` (default: the source's).

    Raises:
        UnwritableEventError: a choice other than 0, or a custom tool call (after the
            ``error`` frame).

    Leaving the loop early closes ``events``.
    """
    return convert(_wire(events, _writer(id, model)), _frame)


def ato_anthropic_sse(
    events: AsyncIterable[StreamEvent] | Iterable[StreamEvent],
    *,
    ping_interval: float | None = None,
    id: str | None = None,
    model: str | None = None,
) -> AsyncIterator[bytes]:
    """The async twin of :func:`to_anthropic_sse` (same options, same bytes), normally over
    ``typedstream.aevents(source)``; e.g. the body of a Starlette ``StreamingResponse``.

    Args:
        ping_interval: Send a ``ping`` event whenever the source has been silent this many
            seconds (after ``message_start``, never after the end), as Anthropic does, so
            clients and load balancers do not time out while a model thinks. ``None``: no
            pings.
    """
    if ping_interval is not None and not ping_interval > 0:
        raise UsageError(f"ping_interval must be a positive number of seconds: {ping_interval!r}")
    writer = _writer(id, model)
    frames = aconvert(_awire(events, writer), _frame)
    if ping_interval is None:
        return frames
    return _pinged(frames, writer, ping_interval)


def to_anthropic_events(
    events: Iterable[StreamEvent], *, id: str | None = None, model: str | None = None
) -> Iterator[RawMessageStreamEvent]:
    """Write typed events as the ``anthropic`` SDK's raw stream events.

    The events of :func:`to_anthropic_sse` as ``anthropic.types.RawMessageStreamEvent``
    objects (``RawMessageStartEvent``, ``RawContentBlockStartEvent``…), the objects
    ``client.messages.create(stream=True)`` yields; ``event.model_dump(exclude_unset=True)``
    gives the wire dict back. Events outside that union (an unknown event type) are left out,
    as the SDK's own stream leaves them out; if reading the events raises, the exception
    propagates (the SDK raises for an ``error`` event too). Needs the ``anthropic`` package
    (``pip install 'typedstream[anthropic]'``).
    """
    adapter = _event_adapter()
    return _typed(_wire(events, _writer(id, model)), adapter)


def ato_anthropic_events(
    events: AsyncIterable[StreamEvent] | Iterable[StreamEvent],
    *,
    id: str | None = None,
    model: str | None = None,
) -> AsyncIterator[RawMessageStreamEvent]:
    """The async twin of :func:`to_anthropic_events` (same options, same objects)."""
    adapter = _event_adapter()
    return _atyped(_awire(events, _writer(id, model)), adapter)


# The loops. One sync and one async generator drive the writer and end a failed stream with
# its error event; the sinks only convert what they yield, and close it (and so the events)
# when they are left early.


async def _pinged(
    frames: AsyncGenerator[bytes, None], writer: AnthropicWriter, interval: float
) -> AsyncGenerator[bytes, None]:
    # The next frame is awaited in a task that a timeout never cancels: a ping goes out while
    # it is pending, and the item the source is producing is not lost.
    async with aclosing(frames):
        pending: asyncio.Future[bytes] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(frames))
                done, _ = await asyncio.wait((pending,), timeout=interval)
                if not done:
                    if writer.pingable:
                        yield PING_FRAME
                    continue
                finished, pending = pending, None
                try:
                    frame = finished.result()
                except StopAsyncIteration:
                    return
                yield frame
        finally:
            if pending is not None:  # left early: stop the read before closing the frames
                pending.cancel()
                with suppress(BaseException):
                    await pending


_adapter: Any = None


def _event_adapter() -> Any:
    # anthropic (and pydantic) are imported on first use only (never by `import typedstream`).
    global _adapter
    if _adapter is None:
        from anthropic.types import RawMessageStreamEvent
        from pydantic import TypeAdapter

        _adapter = TypeAdapter(RawMessageStreamEvent)
    return _adapter


_RAW_TYPES: Final = frozenset(
    {
        "message_start",
        "message_delta",
        "message_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
    }
)


def _as_event(adapter: Any, wire: WireEvent) -> RawMessageStreamEvent:
    from pydantic import ValidationError

    try:
        event: RawMessageStreamEvent = adapter.validate_python(wire)
    except ValidationError:  # a block or delta type the SDK does not know: built leniently
        from anthropic._models import construct_type
        from anthropic.types import RawMessageStreamEvent

        event = construct_type(value=wire, type_=RawMessageStreamEvent)  # type: ignore[assignment]
    return event


def _typed(
    wires: Generator[WireEvent, None, None], adapter: Any
) -> Generator[RawMessageStreamEvent, None, None]:
    with closing(wires):
        for wire in wires:
            if wire["type"] in _RAW_TYPES:
                yield _as_event(adapter, wire)


async def _atyped(
    wires: AsyncGenerator[WireEvent, None], adapter: Any
) -> AsyncGenerator[RawMessageStreamEvent, None]:
    async with aclosing(wires):
        async for wire in wires:
            if wire["type"] in _RAW_TYPES:
                yield _as_event(adapter, wire)
