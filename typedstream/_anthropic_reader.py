"""The Anthropic Messages reader: Anthropic stream events in, typed events out (sans-IO).

How it works. :class:`AnthropicReader` is fed one decoded event at a time (a mapping, or an
``anthropic`` SDK event object), with the SSE ``event:`` name when the wire had one, and
returns the events it completes; :meth:`~AnthropicReader.close` says the source ended. Each
event type has one handler, which reads its wire object row by row as docs/event-model.md §4.2
says and drives the protocol-neutral :class:`~typedstream._state.StreamState` (blocks, client
tool calls and their ``closed`` state, the finish, usage, errors, the end). What belongs to
the Anthropic wire stays here: the field names and their shape checks, which delta a block
takes, which block may be left open at ``message_delta`` (B5), the usage overlay (D3), and
the framing rules: the SSE name equals the data's ``type``, ``message_start`` comes first and
once, nothing follows ``message_stop``.

Nothing is dropped: unknown event, block and delta types and every key the model does not
type become :class:`~typedstream.Extension` events, placed as §3.8 says (extra keys
immediately before the event that writes their object). ``ping`` makes no event.

An ``error`` event ends the stream: open calls become incomplete, the open block is cut,
:class:`~typedstream.StreamError` is returned, and :attr:`~AnthropicReader.error` holds the
:class:`~typedstream.ProviderError` that :meth:`~AnthropicReader.close` raises (the drivers
raise it after delivering the events). Like the chat reader, an event is applied atomically:
all its events or, on a :class:`~typedstream.ChunkError`, none; after that the reader refuses
input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Final

from ._anthropic_vocab import STOP_READ, block_type, server_tool
from ._chat_vocab import DICT, is_list, is_map, type_name
from ._errors import ChunkError, IncompleteStreamError, ProviderError, TypedStreamError, UsageError
from ._events import (
    Citation,
    Extension,
    FinishReason,
    OpaqueState,
    RawChunk,
    ServerTool,
    ServerToolCallDone,
    ServerToolCallStarted,
    ServerToolInputDelta,
    ServerToolResult,
    StopReason,
    StreamEvent,
    Usage,
)
from ._json import model_fields
from ._options import IdFactory, ReadOptions
from ._state import Call, Choice, StreamState

__all__ = ["ANTHROPIC_EVENT_TYPES", "AnthropicReader"]

ANTHROPIC_EVENT_TYPES: Final = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    }
)
"""The event types Anthropic documents (any other is kept as an ``Extension``)."""

_OPEN, _STOPPED, _ERRORED, _FAILED, _CLOSED = range(5)
_P: Final = "anthropic"

# The keys each wire object maps to typed fields; any other key is an Extension.
_MESSAGE_KEYS: Final = frozenset(
    ("id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage")
)
_TOOL_KEYS: Final = frozenset(("type", "id", "name", "input"))
_KEYS_STOP_REASON_STOP_SEQUENCE: Final = frozenset(("stop_reason", "stop_sequence"))
_KEYS_TYPE_DELTA_USAGE: Final = frozenset(("type", "delta", "usage"))
_KEYS_TYPE_ERROR: Final = frozenset(("type", "error"))
_KEYS_TYPE_INDEX: Final = frozenset(("type", "index"))
_KEYS_TYPE_INDEX_CONTENT_BLOCK: Final = frozenset(("type", "index", "content_block"))
_KEYS_TYPE_INDEX_DELTA: Final = frozenset(("type", "index", "delta"))
_KEYS_TYPE_MESSAGE: Final = frozenset(("type", "message"))
_KEYS_TYPE: Final = frozenset(("type",))
_BLOCK_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "text": frozenset(("type", "text", "citations")),
    "thinking": frozenset(("type", "thinking", "signature")),
    "redacted": frozenset(("type", "data")),
    "tool": _TOOL_KEYS,
    "server": _TOOL_KEYS | {"server_name"},
    "result": frozenset(("type", "tool_use_id", "content", "is_error")),
    "compaction": frozenset(("type", "content")),
}
# Delta type -> (its one field, the block kinds that take it).
_DELTAS: Final[Mapping[str, tuple[str, frozenset[str]]]] = {
    "text_delta": ("text", frozenset(("text",))),
    "citations_delta": ("citation", frozenset(("text",))),
    "thinking_delta": ("thinking", frozenset(("thinking",))),
    "signature_delta": ("signature", frozenset(("thinking",))),
    "input_json_delta": ("partial_json", frozenset(("tool", "server"))),
    "compaction_delta": ("content", frozenset(("compaction",))),
}
_DELTA_KEYS: Final = {kind: frozenset(("type", field)) for kind, (field, _) in _DELTAS.items()}
_WIRE_KINDS: Final[Mapping[str, str]] = {
    "text": "text",
    "thinking": "thinking",
    "redacted_thinking": "redacted",
    "tool_use": "tool",
    "server_tool_use": "server",
    "mcp_tool_use": "server",
    "compaction": "compaction",
}


_Emit = Callable[[str, list[StreamEvent]], None]
_NO_BULK: Final = object()  # the bulk delta type of a block without one: equal to no type


def _no_bulk(value: str, out: list[StreamEvent]) -> None:
    """The ``emit`` of a block without bulk deltas (never called: no type equals _NO_BULK)."""


class _Block:
    """The open content block, as the wire needs it (the state keeps the neutral half)."""

    __slots__ = (
        "bulk",
        "call",
        "emit",
        "field",
        "id",
        "index",
        "kind",
        "name",
        "parts",
        "tool",
        "wire",
    )

    def __init__(self, index: int, kind: str, wire: str) -> None:
        self.index = index
        self.kind = kind  # text, thinking, redacted, tool, server, result, compaction, extension
        self.wire = wire
        self.call: Call | None = None  # a client tool_use's call
        self.id = ""  # the block's id (tool blocks) or tool_use_id (results)
        self.name = ""  # a server call's name, tool and input so far
        self.tool: ServerTool = "other"
        self.parts: list[str] = []
        # The delta type the block streams in bulk, its field, and what a non-empty value of
        # it becomes (set by the block's start; "" when the block has no fast path).
        self.bulk: object = _NO_BULK
        self.field = ""
        self.emit: _Emit = _no_bulk


_Handler = Callable[[Mapping[str, Any], list[StreamEvent]], None]
_Start = Callable[[_Block, Mapping[str, Any], list[StreamEvent]], None]
_DeltaReader = Callable[[_Block, Any, list[StreamEvent]], None]


class AnthropicReader:
    """Sans-IO reader turning Anthropic Messages stream events into :data:`StreamEvent` lists.

    Feed it the decoded events of one ``/v1/messages`` stream (mappings, or the ``anthropic``
    SDK's raw event objects) with :meth:`feed`; call :meth:`close` when the source ends.
    :func:`typedstream.events` drives one for Anthropic input; use it directly when you own
    the I/O.

    Args:
        strict: Reject (with :class:`~typedstream.ChunkError`) a ``stop_reason`` Anthropic
            does not document and a ``message_delta`` without one, instead of reading them
            as ``("stop", "other")`` and as no finish.
        assume_complete: Treat the end of the source after ``message_delta`` as a complete
            end even without ``message_stop``.
        defer_tool_call_done: Accepted for symmetry with the chat reader; Anthropic calls
            never interleave.
        done_events: Also send :class:`~typedstream.TextDone` and
            :class:`~typedstream.ReasoningDone` with the whole text at the finish.
        raw: Send a :class:`~typedstream.RawChunk` with each event before its events.
        id_factory: Unused (every Anthropic call has an id); accepted for symmetry.
    """

    def __init__(
        self,
        *,
        strict: bool = False,
        assume_complete: bool = False,
        defer_tool_call_done: bool = False,
        done_events: bool = False,
        raw: bool = False,
        id_factory: IdFactory | None = None,
    ) -> None:
        self.strict = strict
        self.assume_complete = assume_complete
        self.raw = raw
        self._state = StreamState(
            defer_tool_call_done=defer_tool_call_done,
            done_events=done_events,
            id_factory=id_factory,
        )
        self._state.protocol = _P
        self._st: Choice = self._state.choice(0)
        self._status = _OPEN
        self._chunks = 0
        self._block: _Block | None = None
        self._usage: dict[str, Any] = {}
        self._delta_seen = False
        self._server_tools: dict[str, ServerTool] = {}
        # What the bulk deltas of text and thinking blocks become (see _block_delta).
        self._emit_text: _Emit = partial(self._state.text, self._st)
        self._emit_thinking: _Emit = partial(self._state.reasoning, self._st)
        self.error: ProviderError | None = None
        """The provider error an ``error`` event reported; :meth:`close` raises it."""
        # One handler per event type, block kind and delta type (bound once per reader).
        self._handlers: dict[str, _Handler] = {
            "message_start": self._message_start,
            "content_block_start": self._block_start,
            "content_block_delta": self._block_delta,
            "content_block_stop": self._block_stop,
            "message_delta": self._message_delta,
            "message_stop": self._message_stop,
            "ping": self._ping,
            "error": self._error,
        }
        self._starts: dict[str, _Start] = {
            "text": self._start_text,
            "thinking": self._start_thinking,
            "redacted": self._start_redacted,
            "tool": self._start_tool,
            "server": self._start_server,
            "result": self._start_result,
            "compaction": self._start_compaction,
            "extension": self._start_nothing,
        }
        self._delta_readers: dict[str, _DeltaReader] = {
            "text_delta": self._text,
            "citations_delta": self._citation,
            "thinking_delta": self._thinking,
            "signature_delta": self._signature,
            "input_json_delta": self._partial_json,
            "compaction_delta": self._compaction,
        }

    @classmethod
    def from_options(cls, options: ReadOptions) -> AnthropicReader:
        """A reader reading as ``options`` say (its decoding options are not its own)."""
        return cls(
            strict=options.strict,
            assume_complete=options.assume_complete,
            defer_tool_call_done=options.defer_tool_call_done,
            done_events=options.done_events,
            raw=options.raw,
            id_factory=options.id_factory,
        )

    # -- public interface ------------------------------------------------------------------

    @property
    def chunks(self) -> int:
        """How many events were fed so far (``ping`` included)."""
        return self._chunks

    @property
    def finished(self) -> bool:
        """True once the stream ended completely (``message_stop``)."""
        return self._status in (_STOPPED, _CLOSED)

    def feed(self, event: object, name: str | None = None) -> list[StreamEvent]:
        """Take one event (``name``: its SSE ``event:`` name, if any) and return the events it
        completes. An ``error`` event returns :class:`~typedstream.StreamError` last and sets
        :attr:`error`.

        Raises:
            ChunkError: the event is malformed or breaks the stream's rules.
            UsageError: the reader raised an error earlier.
        """
        if self._status != _OPEN:
            self._refuse()
        number = self._chunks = self._chunks + 1
        self._state.chunk = number
        out: list[StreamEvent] = []
        try:
            if self.raw:
                out.append(RawChunk(event, number))
            data = event if type(event) is DICT else _as_mapping(event, number)
            kind: Any = data.get("type")  # a string, or _type_of says why not
            if kind.__class__ is not str or (name is not None and name != kind):
                kind = _type_of(data, name, number)
            elif kind == "content_block_delta" and (rec := self._block) is not None:
                # The usual event: the one delta type its block streams in bulk, to that open
                # block, with exactly the known keys (three and two, all named: nothing for an
                # Extension). Anything else goes the long way, through _block_delta.
                delta: Any = data.get("delta")
                index = data.get("index")
                if (
                    delta.__class__ is DICT
                    and delta.get("type") == rec.bulk
                    and len(delta) == 2
                    and len(data) == 3
                    and index.__class__ is int
                    and index == rec.index
                    and (value := delta.get(rec.field)).__class__ is str
                ):
                    if value:  # "" (a tool's first input_json_delta, a newer model's thinking)
                        rec.emit(value, out)
                    return out
            handler = self._handlers.get(kind)
            if handler is None:
                self._unknown(kind, data, out)
            else:
                handler(data, out)
        except TypedStreamError:
            self._status = _FAILED
            raise
        except Exception as exc:  # a shape no check anticipated: still a typed error
            self._status = _FAILED
            raise ChunkError(f"could not read the event: {exc!r}", number) from exc
        return out

    def close(self, out: list[StreamEvent] | None = None) -> list[StreamEvent]:
        """Say the source ended; return the events of a complete end (none: ``message_stop``
        already sent them).

        Args:
            out: Where the events of an incomplete end go before the error is raised:
                :class:`~typedstream.ToolCallIncomplete` (``end_of_input``) for open calls
                and :class:`~typedstream.BlockDone` (``cut``) for the open block.

        Raises:
            ProviderError: the stream carried an ``error`` event (see :attr:`error`).
            IncompleteStreamError: the stream ended before ``message_stop``.
            UsageError: the reader raised an error earlier.
        """
        if self._status in (_STOPPED, _CLOSED):
            self._status = _CLOSED
            return []
        if self.error is not None:
            raise self.error
        if self._status == _FAILED:
            self._refuse()
        events: list[StreamEvent] = [] if out is None else out
        state = self._state
        state.chunk = None
        try:
            if not state.started:
                raise IncompleteStreamError("the stream ended before message_start")
            complete = self.assume_complete and self._st.finished
            state.end(complete, events, "message_stop", report_cut=True)
        except TypedStreamError:
            self._status = _FAILED
            raise
        self._status = _CLOSED
        return events

    # -- events ----------------------------------------------------------------------------

    def _refuse(self) -> None:
        if self._status == _STOPPED or self._status == _CLOSED:
            raise ChunkError("event after the end of the stream (message_stop)", self._chunks + 1)
        if self._status == _ERRORED:
            raise ChunkError("event after the error event that ended the stream", self._chunks + 1)
        raise UsageError("the reader raised an error earlier; it takes no more input")

    def _check_order(self, kind: str, data: Mapping[str, Any], n: int) -> None:
        if not self._state.started:
            raise ChunkError(f"{kind} before message_start: the stream must start with it", n)
        if self._st.finished and kind.startswith("content_block"):
            raise ChunkError(f"{kind} after message_delta finished the message", n)

    def _message_start(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        message = _map(data, "message", n)
        _check_message(message, n)
        usage = message.get("usage")
        if usage is not None and not is_map(usage):
            raise ChunkError(f"'message.usage' must be an object, got {type_name(usage)}", n)
        self._extra(data, _KEYS_TYPE_MESSAGE, "message_start", None, out)
        self._extra(message, _MESSAGE_KEYS, "message", None, out)
        initial = None
        if usage is not None:
            self._usage = dict(usage)
            self._state.usage(self._usage)
            initial = Usage(dict(usage), _P)
        state = self._state
        model = _opt_str(message, "model", n)
        state.start(_opt_str(message, "id", n), model, None, None, None, out, _P, initial)

    def _block_start(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        self._check_order("content_block_start", data, n)
        index = _index(data, n)
        block = _map(data, "content_block", n)
        wire = block.get("type")
        if not isinstance(wire, str):
            raise ChunkError(f"'content_block.type' must be a string, got {type_name(wire)}", n)
        kind = _WIRE_KINDS.get(wire) or ("result" if wire.endswith("_tool_result") else "")
        state, st = self._state, self._st
        state.settle(st, out)  # a closed call is done before anything of the next block
        self._extra(data, _KEYS_TYPE_INDEX_CONTENT_BLOCK, "content_block_start", index, out)
        if kind:
            self._extra(block, _BLOCK_KEYS[kind], "content_block", index, out)
        else:
            kind = "extension"
            out.append(Extension("keys", "content_block", dict(block), index, _P))
        rec = _Block(index, kind, wire)
        block_id = _block_id(block, kind, n)
        rec.id = block_id or ""
        state.open_block(st, index, block_type(wire), wire, block_id, out)
        self._block = rec
        self._starts[kind](rec, block, out)

    def _block_delta(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        rec = self._block
        index = data.get("index")
        if rec is None or index.__class__ is not int or index != rec.index:
            # the checks that fail (an open block means the message has started, unfinished)
            self._check_order("content_block_delta", data, n)
            rec = self._open_block(_index(data, n), "content_block_delta", n)
        delta: Any = data.get("delta")
        if type(delta) is not DICT:  # the usual delta is a dict: spare it the general check
            delta = _map(data, "delta", n)
        kind = delta.get("type")
        if not isinstance(kind, str):
            raise ChunkError(f"'delta.type' must be a string, got {type_name(kind)}", n)
        self._extra(data, _KEYS_TYPE_INDEX_DELTA, "content_block_delta", rec.index, out)
        known = _DELTAS.get(kind)
        if known is None or rec.kind == "extension":
            out.append(Extension("delta", kind, dict(delta), rec.index, _P))
            return
        field, kinds = known
        if rec.kind not in kinds:
            raise ChunkError(f"a {kind} in block {rec.index}, a {rec.wire} block", n)
        self._extra(delta, _DELTA_KEYS[kind], "delta", rec.index, out)
        self._delta_readers[kind](rec, delta.get(field), out)

    def _block_stop(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        self._check_order("content_block_stop", data, n)
        rec = self._open_block(_index(data, n), "content_block_stop", n)
        self._extra(data, _KEYS_TYPE_INDEX, "content_block_stop", rec.index, out)
        state, st = self._state, self._st
        if rec.kind == "server":
            out.append(ServerToolCallDone(rec.id, rec.tool, rec.name, "".join(rec.parts)))
        state.close_block(st, rec.index, "completed", out)
        if rec.call is not None:
            state.tool_stop(st, rec.call)  # closed: the next block or the finish decides
        self._block = None

    def _open_block(self, index: int, kind: str, n: int) -> _Block:
        rec = self._block
        if rec is None or rec.index != index:
            now = "no block is open" if rec is None else f"block {rec.index} is open"
            raise ChunkError(f"{kind} for block {index}, but {now}", n)
        return rec

    def _message_delta(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        self._check_order("message_delta", data, n)
        delta = _map(data, "delta", n)
        raw = delta.get("stop_reason")
        if raw is not None and not isinstance(raw, str):
            raise ChunkError(f"'delta.stop_reason' must be a string, got {type_name(raw)}", n)
        stop_sequence = _opt_str(delta, "stop_sequence", n)
        rec = self._block
        if rec is not None and not (rec.kind == "tool" and raw == "max_tokens"):
            # B5: only a client tool block cut by max_tokens (fine-grained streaming) stays open.
            raise ChunkError(
                f"block {rec.index} ({rec.wire}) was not stopped before message_delta", n
            )
        self._overlay_usage(data.get("usage"), n)
        extensions: list[StreamEvent] = []
        self._extra(data, _KEYS_TYPE_DELTA_USAGE, "message_delta", None, extensions)
        self._extra(delta, _KEYS_STOP_REASON_STOP_SEQUENCE, "message_delta.delta", None, extensions)
        self._delta_seen = True
        if self._st.finished or raw is None:
            if raw is None and self.strict:
                raise ChunkError("message_delta without a stop_reason (strict mode)", n)
            out += extensions  # a later message_delta (usage only): nothing to finish
            return
        reason, stop = self._stop(raw, n)
        self._state.finish(self._st, reason, raw, out, stop, stop_sequence)
        self._block = None  # a tool block cut by max_tokens was cut by the finish
        out[-1:-1] = extensions  # immediately before ChoiceFinished

    def _stop(self, raw: str, n: int) -> tuple[FinishReason, StopReason]:
        found = STOP_READ.get(raw)
        if found is not None:
            return found
        if self.strict:
            raise ChunkError(f"unknown stop_reason {raw!r} (strict mode)", n)
        return "stop", "other"

    def _overlay_usage(self, usage: object, n: int) -> None:
        # D3: message_delta's figures are cumulative finals; its null keys keep the start's.
        if usage is None:
            return
        if not is_map(usage):
            raise ChunkError(f"'usage' must be an object, got {type_name(usage)}", n)
        merged = dict(self._usage)
        merged.update((k, v) for k, v in usage.items() if v is not None)
        self._usage = merged
        self._state.usage(merged)

    def _message_stop(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        self._check_order("message_stop", data, n)
        if not self._delta_seen:
            raise ChunkError("message_stop before any message_delta", n)
        self._extra(data, _KEYS_TYPE, "message_stop", None, out)
        self._state.chunk = None
        self._state.end(True, out)
        self._status = _STOPPED

    def _ping(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        """Keep-alive framing: no event."""

    def _error(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        error = data.get("error")
        if isinstance(error, str):
            error = {"message": error}
        elif not is_map(error):
            raise ChunkError(f"'error' must be an object, got {type_name(error)}", n)
        extensions: list[StreamEvent] = []
        self._extra(data, _KEYS_TYPE_ERROR, "error", None, extensions)
        message = error.get("message")
        kind = error.get("type")
        self._state.error(
            message if isinstance(message, str) else "",
            kind if isinstance(kind, str) else None,
            None,
            dict(error),
            out,
        )
        out[-1:-1] = extensions  # immediately before StreamError
        self._block = None
        self.error = ProviderError(dict(error), n)
        self._status = _ERRORED

    def _unknown(self, kind: str, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        self._check_order(kind, data, self._chunks)
        block = self._block.index if self._block is not None else None
        out.append(Extension("event", kind, dict(data), block, _P))

    def _extra(
        self,
        obj: Mapping[str, Any],
        known: frozenset[str],
        name: str,
        block: int | None,
        out: list[StreamEvent],
    ) -> None:
        """Keys of ``obj`` the model does not type, as one ``Extension`` (wire order)."""
        if not obj.keys() <= known:
            extra = {k: v for k, v in obj.items() if k not in known}
            out.append(Extension("keys", name, extra, block, _P))

    # -- block starts ----------------------------------------------------------------------

    def _start_text(self, rec: _Block, block: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        rec.bulk, rec.field, rec.emit = "text_delta", "text", self._emit_text
        citations = block.get("citations")
        if citations is not None:
            if not is_list(citations):
                raise ChunkError(f"'citations' must be a list, got {type_name(citations)}", n)
            for citation in citations:
                self._citation(rec, citation, out)
        self._text(rec, block.get("text"), out)

    def _start_thinking(
        self, rec: _Block, block: Mapping[str, Any], out: list[StreamEvent]
    ) -> None:
        rec.bulk, rec.field, rec.emit = "thinking_delta", "thinking", self._emit_thinking
        self._thinking(rec, block.get("thinking"), out)
        self._signature(rec, block.get("signature"), out)

    def _start_redacted(
        self, rec: _Block, block: Mapping[str, Any], out: list[StreamEvent]
    ) -> None:
        data = block.get("data")
        if data is not None and not isinstance(data, str):
            raise ChunkError(f"'data' must be a string, got {type_name(data)}", self._chunks)
        if data:
            out.append(OpaqueState(_P, "redacted_thinking", data, rec.index))

    def _start_tool(self, rec: _Block, block: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        name = _name(block, n)
        rec.call = self._state.tool_start(self._st, rec.id, name, out)
        emit: _Emit = partial(self._state.tool_arguments, self._st, rec.call)
        rec.bulk, rec.field, rec.emit = "input_json_delta", "partial_json", emit
        start = _input(block, n)
        if start:
            self._state.tool_arguments(self._st, rec.call, start, out)

    def _start_server(self, rec: _Block, block: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        rec.name = _name(block, n)
        server = _opt_str(block, "server_name", n)
        rec.tool = "mcp" if rec.wire == "mcp_tool_use" else server_tool(rec.name)
        self._server_tools[rec.id] = rec.tool
        out.append(ServerToolCallStarted(rec.id, rec.tool, rec.name, server))
        start = _input(block, n)
        if start:
            rec.parts.append(start)
            out.append(ServerToolInputDelta(rec.id, start))

    def _start_result(self, rec: _Block, block: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        call_id = rec.id
        content = block.get("content")
        is_error = block.get("is_error", False)
        if not isinstance(is_error, bool):
            raise ChunkError(f"'is_error' must be a boolean, got {type_name(is_error)}", n)
        if is_map(content):
            content_type = content.get("type")
            is_error = is_error or (
                isinstance(content_type, str) and content_type.endswith("_error")
            )
        tool = self._server_tools.get(call_id) or _result_tool(rec.wire)
        text = _mcp_text(content) if rec.wire == "mcp_tool_result" else None
        out.append(ServerToolResult(call_id, tool, rec.wire, is_error, text, content))

    def _start_compaction(
        self, rec: _Block, block: Mapping[str, Any], out: list[StreamEvent]
    ) -> None:
        self._compaction(rec, block.get("content"), out)

    def _start_nothing(self, rec: _Block, block: Mapping[str, Any], out: list[StreamEvent]) -> None:
        """An unknown block: its whole start was kept as an ``Extension``."""

    # -- deltas ----------------------------------------------------------------------------

    def _text(self, rec: _Block, text: object, out: list[StreamEvent]) -> None:
        if isinstance(text, str):
            if text:
                self._state.text(self._st, text, out)
        elif text is not None:
            raise ChunkError(f"'text' must be a string, got {type_name(text)}", self._chunks)

    def _citation(self, rec: _Block, citation: object, out: list[StreamEvent]) -> None:
        n = self._chunks
        if not is_map(citation):
            raise ChunkError(f"a citation must be an object, got {type_name(citation)}", n)
        kind = citation.get("type")
        if not isinstance(kind, str):
            raise ChunkError(f"'citation.type' must be a string, got {type_name(kind)}", n)
        url = _opt_str(citation, "url", n)
        title = _opt_str(citation, "title", n)
        cited = _opt_str(citation, "cited_text", n)
        out.append(Citation(kind, url, title, cited, None, None, dict(citation), _P))

    def _thinking(self, rec: _Block, thinking: object, out: list[StreamEvent]) -> None:
        if isinstance(thinking, str):
            if thinking:  # newer models send "" before the signature: no event
                self._state.reasoning(self._st, thinking, out)
        elif thinking is not None:
            raise ChunkError(
                f"'thinking' must be a string, got {type_name(thinking)}", self._chunks
            )

    def _signature(self, rec: _Block, signature: object, out: list[StreamEvent]) -> None:
        if isinstance(signature, str):
            if signature:
                out.append(OpaqueState(_P, "thinking_signature", signature, rec.index))
        elif signature is not None:
            raise ChunkError(
                f"'signature' must be a string, got {type_name(signature)}", self._chunks
            )

    def _partial_json(self, rec: _Block, fragment: object, out: list[StreamEvent]) -> None:
        if not isinstance(fragment, str):
            raise ChunkError(
                f"'partial_json' must be a string, got {type_name(fragment)}", self._chunks
            )
        if not fragment:  # the first input_json_delta of every block is ""
            return
        assert isinstance(fragment, str)
        if rec.call is not None:
            self._state.tool_arguments(self._st, rec.call, fragment, out)
        else:
            rec.parts.append(fragment)
            out.append(ServerToolInputDelta(rec.id, fragment))

    def _compaction(self, rec: _Block, content: object, out: list[StreamEvent]) -> None:
        if isinstance(content, str):
            if content:
                out.append(OpaqueState(_P, "compaction", content, rec.index))
        elif content is not None:
            raise ChunkError(
                f"compaction 'content' must be a string, got {type_name(content)}", self._chunks
            )


# -- shape checks ----------------------------------------------------------------------------


def _as_mapping(event: object, n: int) -> Mapping[str, Any]:
    if is_map(event):
        return event
    dump = getattr(event, "model_dump", None)
    if dump is not None:  # `anthropic` SDK events (pydantic models), read without import
        try:
            # JSON mode: the wire's values (a container's `expires_at` stays a string)
            data = dump(mode="json", exclude_unset=True, warnings=False)
        except TypeError:  # a serializer pydantic never built (see model_fields)
            data = model_fields(event, f"event {n}")
        if is_map(data):
            return data
    if isinstance(event, (str, bytes)):
        raise ChunkError(f"expected an event object, got text: {event[:60]!r}", n)
    raise ChunkError(f"expected an event (a mapping or a model), got {type_name(event)}", n)


def _type_of(data: Mapping[str, Any], name: str | None, n: int) -> str:
    kind = data.get("type")
    if kind is None and name is not None:
        kind = name  # as the anthropic SDK does for data without a type
    if not isinstance(kind, str):
        raise ChunkError(f"an Anthropic event needs a string 'type', got {type_name(kind)}", n)
    if name is not None and name != kind:
        raise ChunkError(f"the SSE event name {name!r} does not match the data's type {kind!r}", n)
    return kind


def _map(data: Mapping[str, Any], key: str, n: int) -> Mapping[str, Any]:
    value = data.get(key)
    if not is_map(value):
        raise ChunkError(f"'{key}' must be an object, got {type_name(value)}", n)
    return value


def _index(data: Mapping[str, Any], n: int) -> int:
    index = data.get("index")
    if not isinstance(index, int) or index < 0:
        raise ChunkError(f"'index' must be a non-negative integer, got {type_name(index)}", n)
    return index


def _opt_str(data: Mapping[str, Any], key: str, n: int) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ChunkError(f"'{key}' must be a string, got {type_name(value)}", n)


def _name(block: Mapping[str, Any], n: int) -> str:
    name = block.get("name")
    if not isinstance(name, str):
        raise ChunkError(f"'content_block.name' must be a string, got {type_name(name)}", n)
    return name


def _check_message(message: Mapping[str, Any], n: int) -> None:
    """B1: what ``message_start.message`` must say (a violation would lose data)."""
    if message.get("type", "message") != "message":
        raise ChunkError(f"'message.type' must be 'message', got {message.get('type')!r}", n)
    if message.get("role", "assistant") != "assistant":
        raise ChunkError(f"'message.role' must be 'assistant', got {message.get('role')!r}", n)
    if message.get("content"):
        raise ChunkError("'message.content' must be empty in message_start", n)
    for key in ("stop_reason", "stop_sequence"):
        if message.get(key) is not None:
            raise ChunkError(f"'message.{key}' must be null in message_start", n)


def _block_id(block: Mapping[str, Any], kind: str, n: int) -> str | None:
    key = "id" if kind in ("tool", "server") else "tool_use_id" if kind == "result" else None
    if key is None:
        return None
    value = block.get(key)
    if not isinstance(value, str) or not value:
        raise ChunkError(f"'content_block.{key}' must be a non-empty string", n)
    return value


def _input(block: Mapping[str, Any], n: int) -> str:
    """A tool block's start ``input`` as compact JSON (``""`` for the usual ``{}``)."""
    value = block.get("input")
    if value is None or (is_map(value) and not value):
        return ""
    if not is_map(value):
        raise ChunkError(f"'content_block.input' must be an object, got {type_name(value)}", n)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _result_tool(wire: str) -> ServerTool:
    """The tool of a result whose call is not in this stream (resumed after ``pause_turn``)."""
    if wire.startswith("tool_search"):
        return "tool_search"
    return server_tool(wire)


def _mcp_text(content: object) -> str | None:
    """An MCP result's text: its text parts joined (None when it has none)."""
    if isinstance(content, str):
        return content
    if not is_list(content):
        return None
    texts: list[str] = []
    for part in content:
        if is_map(part) and part.get("type") == "text":
            text = part.get("text")
            if isinstance(text, str):
                texts.append(text)
    return "".join(texts) if texts else None
