"""The Responses reader: OpenAI Responses stream events in, typed events out (sans-IO).

How it works. :class:`ResponsesReader` is fed one decoded event at a time (a mapping, or an
``openai`` SDK event object), with the SSE ``event:`` name when the wire had one, and returns
the events it completes; :meth:`~ResponsesReader.close` says the source ended. Each event type
has one handler, which reads its wire object as docs/event-model.md §4.3 says and drives the
protocol-neutral :class:`~typedstream._state.StreamState` (blocks, client calls, the finish,
usage, errors, the end). What belongs to the Responses wire stays here: the field names, the
output items and their content and summary parts, the three places of ``encrypted_content``,
the ``.done`` values checked against the deltas, the terminal response, and the framing:
``sequence_number`` counts 0, 1, 2… on every event or is absent on every event, ``obfuscation``
is dropped, ``response.in_progress`` and ``response.queued`` make no event.

The usual event, a delta of the open part or call, is read in :meth:`~ResponsesReader.feed`
itself when it is numbered in turn, has only known keys, points at the open part and has no
logprobs (docs/performance.md); any other event, and any such event that breaks a rule, goes
through its handler.

An output item is a block, indexed by its ``output_index``; its ``item_id`` is not checked
(GitHub Copilot sends a new one on every event, a rule for the checker, not the reader). A
``.done`` value that extends the deltas gives the rest as one more delta (LM Studio sends
arguments only in ``.done``); any other mismatch is a :class:`~typedstream.ChunkError`.

Nothing is dropped: unknown event and item types and every key the model does not type become
:class:`~typedstream.Extension` events, placed as §3.8 says. An added item's keys whose value
is empty (``""``, ``[]``, ``{}``, ``null``) are OpenAI's skeleton and make no event.

An ``error`` event ends the stream but for the ``response.failed`` that follows it: open calls
become incomplete, the open block is cut, :class:`~typedstream.StreamError` is returned; once
the stream is over :attr:`~ResponsesReader.error` holds the :class:`~typedstream.ProviderError`
that :meth:`~ResponsesReader.close` raises. Like the other readers, an event is applied
atomically: all its events or, on a :class:`~typedstream.ChunkError`, none; after that the
reader refuses input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, ClassVar, Final

from ._chat_vocab import DICT, is_list, is_map, type_name
from ._errors import ChunkError, IncompleteStreamError, ProviderError, TypedStreamError, UsageError
from ._events import (
    BlockStatus,
    BlockType,
    Citation,
    Extension,
    FinishReason,
    OpaqueState,
    PartDone,
    PartStarted,
    PartType,
    RawChunk,
    ServerTool,
    ServerToolCallDone,
    ServerToolCallStarted,
    ServerToolInputDelta,
    ServerToolProgress,
    ServerToolResult,
    StopReason,
    StreamEvent,
)
from ._json import model_fields
from ._options import IdFactory, ReadOptions
from ._state import Call, Choice, StreamState

__all__ = ["ResponsesReader"]

_OPEN, _STOPPED, _ERRORED, _FAILED, _CLOSED = range(5)
_P: Final = "responses"
_R: Final = "response."

# Built-in tool items (docs/event-model.md §3.5): the neutral tool, the key of the input
# (how it is made text), and the keys of the result.
_SERVER_TOOLS: Final[Mapping[str, tuple[ServerTool, str | None, tuple[str, ...]]]] = {
    "web_search_call": ("web_search", "action", ()),
    "file_search_call": ("file_search", "queries", ("results",)),
    "code_interpreter_call": ("code_execution", "code", ("outputs", "container_id")),
    "mcp_call": ("mcp", "arguments", ("output", "error", "approval_request_id")),
    "mcp_list_tools": ("mcp_list_tools", None, ("tools",)),
    "image_generation_call": (
        "image_generation",
        None,
        ("result", "background", "output_format", "quality", "size"),
    ),
}
# Progress event prefixes ("response.web_search_call." …) -> their item type.
_PROGRESS: Final = {f"{_R}{wire}.": wire for wire in _SERVER_TOOLS}
_PROGRESS_PREFIXES: Final = tuple(_PROGRESS)
# Item type -> (block type, kind the reader handles it as).
_ITEMS: Final[Mapping[str, tuple[BlockType, str]]] = {
    "message": ("message", "message"),
    "reasoning": ("reasoning", "reasoning"),
    "function_call": ("tool_call", "function"),
    "custom_tool_call": ("tool_call", "custom"),
    **dict.fromkeys(_SERVER_TOOLS, ("server_tool_call", "server")),
}
# The keys of an item each kind types (the rest are Extension keys); `status` of a reasoning
# item (DeepSeek, xAI, LM Studio) is not typed: OpenAI's reasoning items have none.
_ITEM_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "message": frozenset(("id", "type", "status", "role", "phase", "content")),
    "reasoning": frozenset(("id", "type", "summary", "content", "encrypted_content")),
    "function": frozenset(("id", "type", "status", "call_id", "name", "arguments")),
    "custom": frozenset(("id", "type", "status", "call_id", "name", "input")),
    **{
        wire: frozenset(("id", "type", "status", "name", "server_label", *result, key or "id"))
        for wire, (_, key, result) in _SERVER_TOOLS.items()
    },
}
_ADDED_TYPED: Final = frozenset(
    ("id", "type", "status", "role", "phase", "call_id", "name", "server_label")
)
_PART_TYPES: Final[Mapping[str, PartType]] = {
    "output_text": "text",
    "refusal": "refusal",
    "reasoning_text": "reasoning_text",
}
_PART_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "output_text": frozenset(("type", "text", "annotations", "logprobs")),
    "refusal": frozenset(("type", "refusal")),
    "reasoning_text": frozenset(("type", "text")),
    "summary_text": frozenset(("type", "text")),
}
_RESPONSE_TYPED: Final = frozenset(
    (
        "id",
        "object",
        "created_at",
        "model",
        "service_tier",
        "status",
        "output",
        "usage",
        "error",
        "incomplete_details",
    )
)
_TERMINAL_TYPED: Final = _RESPONSE_TYPED | {"moderation"}
_FRAMING: Final = frozenset(("type", "sequence_number", "obfuscation"))
_WHERE: Final = frozenset(("item_id", "output_index"))
_INCOMPLETE_READ: Final[Mapping[str, tuple[FinishReason, StopReason]]] = {
    "max_output_tokens": ("length", "max_tokens"),
    "content_filter": ("content_filter", "content_filter"),
}
_EMPTY: Final[tuple[object, ...]] = ("", None)


def _keys(*names: str) -> frozenset[str]:
    return _FRAMING | _WHERE | frozenset(names)


# The keys each event type types (its others are Extension(keys, "event")).
_EVENT_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "output_item": _FRAMING | {"output_index", "item"},
    "content_part": _keys("content_index", "part"),
    "summary_part": _keys("summary_index", "part"),
    "content_delta": _keys("content_index", "delta", "logprobs"),
    "content_done": _keys("content_index", "text", "refusal", "logprobs"),
    "summary_delta": _keys("summary_index", "delta"),
    "summary_done": _keys("summary_index", "text"),
    "annotation": _keys("content_index", "annotation_index", "annotation"),
    "delta": _keys("delta"),
    "done": _keys("arguments", "input", "code"),
    "progress": _keys(),
}


class _Part:
    """An open content or summary part of the open item."""

    __slots__ = ("index", "texts", "type", "wire")

    def __init__(self, index: int, type: PartType, wire: str) -> None:
        self.index = index
        self.type: PartType = type
        self.wire = wire
        self.texts: list[str] = []  # the deltas, for the .done check


class _Item:
    """The open output item, as the wire needs it (the state keeps the neutral half)."""

    __slots__ = (
        "call",
        "encrypted",
        "id",
        "index",
        "kind",
        "name",
        "parts",
        "texts",
        "tool",
        "wire",
    )

    def __init__(self, index: int, kind: str, wire: str, id: str | None) -> None:
        self.index = index
        self.kind = kind  # message, reasoning, function, custom, server, extension
        self.wire = wire
        self.id = id
        self.call: Call | None = None  # a function or custom call
        self.encrypted: str | None = None  # the last encrypted_content sent
        self.name = ""  # a server call's name and tool
        self.tool: ServerTool = "other"
        self.texts: list[str] = []  # a server call's input so far
        self.parts: dict[tuple[bool, int], _Part] = {}  # (summary?, index) -> open part


_Emit = Callable[[str, list[StreamEvent]], None]


# An event's handler, called with the reader (the table holds the class's functions).
_Handler = Callable[[Any, Mapping[str, Any], list[StreamEvent]], None]


class _Fast:
    """The delta event the open part or call streams in bulk, for the fast path of
    :meth:`ResponsesReader.feed`: its type, the keys it may have, where it must point, and
    what a non-empty ``delta`` becomes."""

    __slots__ = ("emit", "index", "index_key", "keys", "kind", "output_index", "texts")

    def __init__(
        self,
        kind: str,
        keys: frozenset[str],
        output_index: int,
        index_key: str,
        index: int,
        emit: _Emit,
        texts: list[str] | None,
    ) -> None:
        self.kind = kind
        self.keys = keys
        self.output_index = output_index
        self.index_key = index_key  # content_index / summary_index (a call: output_index)
        self.index = index
        self.emit = emit
        self.texts = texts  # the part's deltas, for the .done check (a call keeps its own)


class ResponsesReader:
    """Sans-IO reader turning OpenAI Responses stream events into :data:`StreamEvent` lists.

    Feed it the decoded events of one ``/v1/responses`` stream (mappings, or the ``openai``
    SDK's ``ResponseStreamEvent`` objects) with :meth:`feed`; call :meth:`close` when the
    source ends. :func:`typedstream.events` drives one for Responses input; use it directly
    when you own the I/O.

    Args:
        strict: Reject (with :class:`~typedstream.ChunkError`) an ``incomplete_details.reason``
            Responses does not document, lifecycle responses whose ``id`` changes (GitHub
            Copilot) and text events of a part never added, instead of reading them as
            ``("stop", "other")``, accepting them, and starting the part.
        assume_complete: Treat the end of the source as complete when nothing is open (an
            item-free stream cut before its terminal event still is not).
        defer_tool_call_done: Accepted for symmetry with the chat reader; Responses calls
            never interleave.
        done_events: Also send :class:`~typedstream.TextDone`,
            :class:`~typedstream.ReasoningDone` and :class:`~typedstream.RefusalDone` at
            the finish.
        raw: Send a :class:`~typedstream.RawChunk` with each event before its events.
        id_factory: Unused (every Responses call has a ``call_id``); accepted for symmetry.
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
        self._numbered: bool | None = None  # whether events carry sequence_number
        self._created: Mapping[str, Any] = {}
        self._item: _Item | None = None
        self._fast: _Fast | None = None  # what the usual event streams into (see feed)
        state, st = self._state, self._st
        # Part type -> the delta event it streams and what a fragment of it becomes.
        self._part_deltas: dict[PartType, tuple[str, _Emit]] = {
            "text": ("response.output_text.delta", partial(state.text, st)),
            "refusal": ("response.refusal.delta", partial(state.refusal, st)),
            "reasoning_text": ("response.reasoning_text.delta", partial(state.reasoning, st)),
            "reasoning_summary": (
                "response.reasoning_summary_text.delta",
                partial(state.summary, st),
            ),
        }
        self._encrypted: dict[int, str | None] = {}  # block -> its last encrypted_content
        self._calls = 0  # client calls so far (a completed response with any: tool_calls)
        self._error: ProviderError | None = None

    @classmethod
    def from_options(cls, options: ReadOptions) -> ResponsesReader:
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
        """How many events were fed so far."""
        return self._chunks

    @property
    def finished(self) -> bool:
        """True once the stream ended completely (``response.completed`` or
        ``response.incomplete``)."""
        return self._status in (_STOPPED, _CLOSED) and self._error is None

    @property
    def error(self) -> ProviderError | None:
        """The provider error that ended the stream (``error``, ``response.failed``), once
        the stream is over; :meth:`close` raises it. An ``error`` event still waits for the
        ``response.failed`` that follows it."""
        return self._error if self._status == _STOPPED else None

    def feed(self, event: object, name: str | None = None) -> list[StreamEvent]:
        """Take one event (``name``: its SSE ``event:`` name, if any) and return the events it
        completes.

        Raises:
            ChunkError: the event is malformed or breaks the stream's rules.
            UsageError: the reader raised an error earlier.
        """
        if self._status not in (_OPEN, _ERRORED):
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
            elif (fast := self._fast) is not None and kind == fast.kind:
                # The usual event: a delta of the open part or call, numbered in turn, with
                # known keys only, pointing at it, without logprobs. Anything else (and every
                # error) goes the long way, through the event's handler.
                seq = data.get("sequence_number")
                delta = data.get("delta")
                if (
                    (
                        (seq == number - 1 and seq.__class__ is int)
                        if self._numbered
                        else seq is None
                    )
                    and data.keys() <= fast.keys
                    and data.get("output_index") == fast.output_index
                    and (index := data.get(fast.index_key)).__class__ is int
                    and index == fast.index
                    and not data.get("logprobs")
                    and delta.__class__ is str
                ):
                    if delta:
                        if fast.texts is not None:
                            fast.texts.append(delta)
                        fast.emit(delta, out)
                    return out
            self._handle(kind, data, number, out)
        except TypedStreamError:
            self._status = _FAILED
            raise
        except Exception as exc:  # a shape no check anticipated: still a typed error
            self._status = _FAILED
            raise ChunkError(f"could not read the event: {exc!r}", number) from exc
        return out

    def close(self, out: list[StreamEvent] | None = None) -> list[StreamEvent]:
        """Say the source ended; return the events of a complete end (none: the terminal
        event already sent them).

        Args:
            out: Where the events of an incomplete end go before the error is raised:
                incomplete events (``end_of_input``) for open calls and
                :class:`~typedstream.BlockDone` (``cut``) for the open block.

        Raises:
            ProviderError: the stream carried an ``error`` or ended in ``response.failed``.
            IncompleteStreamError: the stream ended before its terminal event.
            UsageError: the reader raised an error earlier.
        """
        if self._error is not None:
            self._status = _CLOSED
            raise self._error
        if self._status in (_STOPPED, _CLOSED):
            self._status = _CLOSED
            return []
        if self._status == _FAILED:
            self._refuse()
        events: list[StreamEvent] = [] if out is None else out
        state = self._state
        state.chunk = None
        try:
            if not state.started:
                raise IncompleteStreamError("the stream ended before response.created")
            complete = self.assume_complete and self._item is None
            if complete:
                self._finish("completed", None, events)
            else:
                state.end(False, events, "terminal event (response.completed)", report_cut=True)
        except TypedStreamError:
            self._status = _FAILED
            raise
        self._status = _CLOSED
        return events

    # -- framing ---------------------------------------------------------------------------

    def _handle(self, kind: str, data: Mapping[str, Any], n: int, out: list[StreamEvent]) -> None:
        """Read an event the long way: its framing checked, then its handler."""
        self._sequence(data, n)
        self._check_order(kind, n)
        handler = self._HANDLERS.get(kind)
        if handler is not None:
            handler(self, data, out)
        elif kind.startswith(_PROGRESS_PREFIXES):
            self._progress(data, out)
        else:
            self._unknown(data, out)

    def _refuse(self) -> None:
        if self._status in (_STOPPED, _CLOSED):
            raise ChunkError("event after the terminal event of the stream", self._chunks + 1)
        raise UsageError("the reader raised an error earlier; it takes no more input")

    def _check_order(self, kind: str, n: int) -> None:
        if self._status == _ERRORED and kind != "response.failed":
            raise ChunkError(f"{kind} after the error event: only response.failed may follow", n)
        if kind != "response.created" and not self._state.started:
            raise ChunkError(f"{kind} before response.created: the stream must start with it", n)

    def _sequence(self, data: Mapping[str, Any], n: int) -> None:
        """``sequence_number`` is 0, 1, 2… on every event, or absent on every event."""
        number = data.get("sequence_number")
        numbered = number is not None
        if self._numbered is None:
            self._numbered = numbered
        elif numbered != self._numbered:
            problem = (
                "no sequence_number, after events that had one"
                if self._numbered
                else f"sequence_number {number!r}, after events that had none"
            )
            raise ChunkError(problem, n)
        if numbered and (number.__class__ is not int or number != n - 1):
            raise ChunkError(f"sequence_number {number!r} out of order: expected {n - 1}", n)

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

    def _open(self, data: Mapping[str, Any], kind: str, n: int) -> _Item:
        """The open item an event of ``kind`` is about (by its ``output_index``)."""
        item = self._item
        index = data.get("output_index")
        if item is None or (index is not None and index != item.index):
            now = "no item is open" if item is None else f"item {item.index} is open"
            raise ChunkError(f"{kind} for output_index {index!r}, but {now}", n)
        return item

    # -- lifecycle -------------------------------------------------------------------------

    def _created_event(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        if self._state.started:
            raise ChunkError("a second response.created", n)
        response = _map(data, "response", n)
        if response.get("output"):
            raise ChunkError("'response.output' must be empty in response.created", n)
        self._created = response
        self._extra(data, _FRAMING | {"response"}, "event", None, out)
        self._extra(response, _RESPONSE_TYPED, "response", None, out)
        created = _created_at(response, n)
        self._state.start(
            _opt_str(response, "id", n),
            _opt_str(response, "model", n),
            created,
            None,
            _opt_str(response, "service_tier", n),
            out,
            _P,
        )

    def _lifecycle(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        """``response.in_progress`` / ``response.queued``: checked against the created one."""
        n = self._chunks
        response = _map(data, "response", n)
        if response.get("output"):
            raise ChunkError(f"'response.output' must be empty in {data['type']}", n)
        if self._item is not None or self._st.blocks:
            raise ChunkError(f"{data['type']} after the first output item", n)
        for key in ("id", "model", "created_at"):
            if response.get(key) != self._created.get(key) and (key != "id" or self.strict):
                raise ChunkError(
                    f"'response.{key}' changed from {self._created.get(key)!r} to "
                    f"{response.get(key)!r}",
                    n,
                )

    def _terminal(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        response = _map(data, "response", n)
        kind = data["type"]
        self._extra(data, _FRAMING | {"response"}, "event", None, out)
        self._cut_open(kind, out)
        self._terminal_copies(response, n, out)
        self._extra_response(response, _TERMINAL_TYPED, out)
        usage = response.get("usage")
        if usage is not None:
            self._state.usage(_as_map(usage, "response.usage", n))
        moderation = response.get("moderation")
        if moderation is not None:
            self._state.moderation(_as_map(moderation, "response.moderation", n))
        if kind == "response.completed":
            self._finish("completed", None, out)
        else:
            details = response.get("incomplete_details")
            reason = details.get("reason") if is_map(details) else None
            if not isinstance(reason, str):
                raise ChunkError("response.incomplete without an incomplete_details.reason", n)
            self._finish(reason, _INCOMPLETE_READ.get(reason), out)
        self._status = _STOPPED

    def _finish(
        self, raw: str, read: tuple[FinishReason, StopReason] | None, out: list[StreamEvent]
    ) -> None:
        state = self._state
        reason: FinishReason
        stop: StopReason
        if raw == "completed" and self._calls:
            reason, stop = "tool_calls", "tool_calls"  # a completed response with client calls
        elif raw == "completed":
            reason, stop = "stop", "end"
        elif read is not None:
            reason, stop = read
        elif self.strict:
            raise ChunkError(
                f"unknown incomplete_details.reason {raw!r} (strict mode)", state.chunk
            )
        else:
            reason, stop = "stop", "other"
        state.finish(self._st, reason, raw, out, stop)
        state.chunk = None
        state.end(True, out)

    def _cut_open(self, why: str, out: list[StreamEvent]) -> None:
        """Items never done at a terminal event: their calls incomplete, the block cut."""
        item = self._item
        if item is None:
            return
        self._close_parts(item, out)
        if item.call is not None:
            self._state.tool_close(self._st, item.call, why, out)
        self._state.close_block(self._st, item.index, "cut", out)
        self._item = None

    def _terminal_copies(self, response: Mapping[str, Any], n: int, out: list[StreamEvent]) -> None:
        """The terminal ``output``'s ``encrypted_content`` values that differ from the last
        one of their block (docs/event-model.md §3.6)."""
        output = response.get("output")
        if not is_list(output):
            return
        for index, item in enumerate(output):
            if is_map(item) and item.get("type") == "reasoning" and index in self._encrypted:
                value = _opt_str(item, "encrypted_content", n)
                if value and value != self._encrypted[index]:
                    self._encrypted[index] = value
                    out.append(OpaqueState(_P, "encrypted_reasoning", value, index))

    def _extra_response(
        self, response: Mapping[str, Any], typed: frozenset[str], out: list[StreamEvent]
    ) -> None:
        """The terminal response's keys that are neither typed nor the created echo."""
        created = self._created
        extra = {
            k: v
            for k, v in response.items()
            if k not in typed and (k not in created or created[k] != v)
        }
        tier = response.get("service_tier")
        if tier != created.get("service_tier") and "service_tier" in response:
            extra["service_tier"] = tier
        if extra:
            out.append(Extension("keys", "response", extra, None, _P))

    def _error_event(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        error = data.get("error")
        if error is None:  # the SDK's ResponseErrorEvent: code, message, param at the top
            error = {k: v for k, v in data.items() if k not in _FRAMING}
        elif isinstance(error, str):
            error = {"message": error}
        elif not is_map(error):
            raise ChunkError(f"'error' must be an object, got {type_name(error)}", n)
        else:
            self._extra(data, _FRAMING | {"error"}, "event", None, out)
        self._report(error, "event", out)
        self._error = ProviderError(dict(error), n)
        self._status = _ERRORED
        self._fast = None  # only response.failed may follow: nothing takes the fast path

    def _failed(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        response = _map(data, "response", n)
        value = response.get("error")
        error: Mapping[str, Any] = {} if value is None else _as_map(value, "response.error", n)
        self._extra(data, _FRAMING | {"response"}, "event", None, out)
        self._extra_response(response, _RESPONSE_TYPED - {"usage"}, out)
        if self._error is None:
            self._cut_parts(out)
            self._error = ProviderError(dict(error) or {"message": "response.failed"}, n)
        self._report(error, "response", out)
        self._status = _STOPPED

    def _cut_parts(self, out: list[StreamEvent]) -> None:
        if self._item is not None:
            self._close_parts(self._item, out)
            self._item = None

    def _report(self, error: Mapping[str, Any], source: Any, out: list[StreamEvent]) -> None:
        self._cut_parts(out)
        self._state.openai_error(error, out, source)

    def _unknown(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        item = self._item
        block = item.index if item is not None else None
        payload = {k: v for k, v in data.items() if k not in ("sequence_number", "obfuscation")}
        out.append(Extension("event", data["type"], payload, block, _P))

    # -- items -----------------------------------------------------------------------------

    def _item_added(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        item = _map(data, "item", n)
        index = data.get("output_index", self._st.blocks)
        if index.__class__ is not int:
            raise ChunkError(f"'output_index' must be an integer, got {type_name(index)}", n)
        wire = item.get("type")
        if not isinstance(wire, str):
            raise ChunkError(f"'item.type' must be a string, got {type_name(wire)}", n)
        block_type, kind = _ITEMS.get(wire, ("extension", "extension"))
        item_id = _opt_str(item, "id", n)
        self._extra(data, _EVENT_KEYS["output_item"], "event", index, out)
        if kind == "extension":
            out.append(Extension("keys", "item", dict(item), index, _P))
        else:
            extra = {
                k: v
                for k, v in item.items()
                if (k not in _ADDED_TYPED or (k == "status" and kind == "reasoning"))
                and not (k == "encrypted_content" and kind == "reasoning")
                and not (k in ("arguments", "input") and kind in ("function", "custom"))
                and not _empty(v)
            }
            if extra:
                out.append(Extension("keys", "item", extra, index, _P))
        phase = _opt_str(item, "phase", n)
        self._fast = None
        self._state.open_block(self._st, index, block_type, wire, item_id, out, phase)
        rec = self._item = _Item(index, kind, wire, item_id)
        if kind in ("function", "custom"):
            self._start_call(rec, item, n, out)
        elif kind == "server":
            self._start_server(rec, item, n, out)
        elif kind == "reasoning":
            self._encrypted[index] = None
            self._opaque(rec, item, n, out)

    def _start_call(
        self, rec: _Item, item: Mapping[str, Any], n: int, out: list[StreamEvent]
    ) -> None:
        call_id = item.get("call_id")
        if not isinstance(call_id, str) or not call_id:
            raise ChunkError(f"a {rec.wire} item needs a non-empty 'call_id'", n)
        name = item.get("name")
        if not isinstance(name, str):
            raise ChunkError(f"'item.name' must be a string, got {type_name(name)}", n)
        custom = rec.kind == "custom"
        call = rec.call = self._state.tool_start(self._st, call_id, name, out, custom)
        self._calls += 1
        kind = (
            "response.custom_tool_call_input.delta"
            if custom
            else "response.function_call_arguments.delta"
        )
        emit = partial(self._state.tool_arguments, self._st, call)
        self._fast = _Fast(
            kind, _EVENT_KEYS["delta"], rec.index, "output_index", rec.index, emit, None
        )
        start = _opt_str(item, "input" if custom else "arguments", n)
        if start:
            self._state.tool_arguments(self._st, rec.call, start, out)

    def _start_server(
        self, rec: _Item, item: Mapping[str, Any], n: int, out: list[StreamEvent]
    ) -> None:
        rec.tool = _SERVER_TOOLS[rec.wire][0]
        name = _opt_str(item, "name", n) if rec.wire == "mcp_call" else None
        rec.name = name if name is not None else rec.wire.removesuffix("_call")
        if not rec.id:
            raise ChunkError(f"a {rec.wire} item needs a non-empty 'id'", n)
        server = _opt_str(item, "server_label", n)
        out.append(ServerToolCallStarted(rec.id, rec.tool, rec.name, server))

    def _opaque(self, rec: _Item, item: Mapping[str, Any], n: int, out: list[StreamEvent]) -> None:
        value = _opt_str(item, "encrypted_content", n)
        if value and value != self._encrypted.get(rec.index):
            self._encrypted[rec.index] = value
            out.append(OpaqueState(_P, "encrypted_reasoning", value, rec.index))

    def _item_done(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        rec = self._open(data, "output_item.done", n)
        item = _map(data, "item", n)
        if item.get("type") != rec.wire:
            raise ChunkError(
                f"item {rec.index} was added as {rec.wire}, done as {item.get('type')!r}", n
            )
        status = item.get("status", "completed")
        if not isinstance(status, str):
            raise ChunkError(f"'item.status' must be a string, got {type_name(status)}", n)
        self._extra(data, _EVENT_KEYS["output_item"], "event", rec.index, out)
        self._close_parts(rec, out)
        if rec.kind == "extension":
            out.append(Extension("keys", "item", dict(item), rec.index, _P))
        else:
            self._extra(
                item,
                _ITEM_KEYS[rec.kind if rec.kind != "server" else rec.wire],
                "item",
                rec.index,
                out,
            )
        if rec.call is not None:
            self._finish_input(
                rec, item.get("input" if rec.kind == "custom" else "arguments"), n, out
            )
            reason = None if status == "completed" else status
            self._state.tool_close(self._st, rec.call, reason, out)
        elif rec.kind == "server":
            self._server_done(rec, item, status, n, out)
        elif rec.kind == "reasoning":
            self._opaque(rec, item, n, out)
        block_status: BlockStatus = "incomplete" if status == "incomplete" else "completed"
        self._state.close_block(self._st, rec.index, block_status, out)
        self._item = None

    def _server_done(
        self, rec: _Item, item: Mapping[str, Any], status: str, n: int, out: list[StreamEvent]
    ) -> None:
        tool, key, result_keys = _SERVER_TOOLS[rec.wire]
        value = item.get(key) if key is not None else None
        code = rec.wire == "code_interpreter_call"
        if isinstance(value, str) or (value is None and rec.texts):
            self._finish_input(rec, value, n, out)
            text = "".join(rec.texts)
        elif value is None:
            text = ""
        else:  # web search action, file search queries: JSON text
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        out.append(
            ServerToolCallDone(rec.id or "", tool, rec.name, text, "code" if code else "json")
        )
        content = {k: item[k] for k in result_keys if k in item} or None
        error = item.get("error")
        is_error = status == "failed" or error is not None
        output = item.get("output") if rec.wire == "mcp_call" else None
        out.append(
            ServerToolResult(
                rec.id or "",
                tool,
                rec.wire,
                is_error,
                output if isinstance(output, str) else None,
                content,
            )
        )

    # -- parts -----------------------------------------------------------------------------

    def _part_added(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        summary = data["type"] == "response.reasoning_summary_part.added"
        rec = self._open(data, data["type"], n)
        index = _part_index(data, summary, n)
        part = _map(data, "part", n)
        wire = part.get("type")
        if not isinstance(wire, str):
            raise ChunkError(f"'part.type' must be a string, got {type_name(wire)}", n)
        self._extra(
            data,
            _EVENT_KEYS["summary_part" if summary else "content_part"],
            "event",
            rec.index,
            out,
        )
        self._extra(part, _PART_KEYS.get(wire, _FRAMING), "part", rec.index, out)
        ptype: PartType = "reasoning_summary" if summary else _PART_TYPES.get(wire, "extension")
        self._add_part(rec, summary, index, ptype, wire, out)
        if _text_of(part):
            raise ChunkError(f"part {index} of item {rec.index} must be empty when added", n)

    def _add_part(
        self,
        rec: _Item,
        summary: bool,
        index: int,
        ptype: PartType,
        wire: str,
        out: list[StreamEvent],
    ) -> _Part:
        key = (summary, index)
        if key in rec.parts:
            raise ChunkError(f"part {index} of item {rec.index} added twice", self._chunks)
        part = rec.parts[key] = _Part(index, ptype, wire)
        out.append(PartStarted(rec.index, index, ptype, wire))
        bulk = self._part_deltas.get(ptype)
        if bulk is not None:
            keys = _EVENT_KEYS["summary_delta" if summary else "content_delta"]
            index_key = "summary_index" if summary else "content_index"
            self._fast = _Fast(bulk[0], keys, rec.index, index_key, index, bulk[1], part.texts)
        return part

    def _part_done(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        summary = data["type"] == "response.reasoning_summary_part.done"
        rec = self._open(data, data["type"], n)
        index = _part_index(data, summary, n)
        part = rec.parts.get((summary, index))
        if part is None:
            raise ChunkError(
                f"{data['type']} for part {index} of item {rec.index}, which is not open", n
            )
        wire_part = _map(data, "part", n)
        self._extra(
            data,
            _EVENT_KEYS["summary_part" if summary else "content_part"],
            "event",
            rec.index,
            out,
        )
        self._extra(wire_part, _PART_KEYS.get(part.wire, _FRAMING), "part", rec.index, out)
        text = _text_of(wire_part)
        if text is not None:
            self._check_done(part.texts, text, rec, part, n, out)
        del rec.parts[summary, index]
        if self._fast is not None and self._fast.texts is part.texts:
            self._fast = None
        out.append(PartDone(rec.index, part.index, part.type, part.wire))

    def _close_parts(self, rec: _Item, out: list[StreamEvent]) -> None:
        out.extend(PartDone(rec.index, p.index, p.type, p.wire) for p in rec.parts.values())
        rec.parts.clear()
        self._fast = None

    def _part(
        self, data: Mapping[str, Any], kind: str, n: int, out: list[StreamEvent]
    ) -> tuple[_Item, _Part]:
        """The open part a text event is about; a part never added is started (lenient:
        openai-agents sends ``reasoning_text.delta`` without one)."""
        summary = kind.startswith("response.reasoning_summary_text")
        rec = self._open(data, kind, n)
        index = _part_index(data, summary, n)
        ptype, wire = _TEXT_PARTS[kind.rsplit(".", 1)[0]]
        part = rec.parts.get((summary, index))
        if part is None:
            if self.strict:
                raise ChunkError(f"{kind} for part {index} of item {rec.index}, never added", n)
            part = self._add_part(rec, summary, index, ptype, wire, out)
        elif part.type != ptype:
            raise ChunkError(f"a {kind} in part {index} of item {rec.index}, a {part.wire}", n)
        return rec, part

    # -- text ------------------------------------------------------------------------------

    def _text_delta(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        kind = data["type"]
        rec, part = self._part(data, kind, n, out)
        summary = part.type == "reasoning_summary"
        self._extra(
            data,
            _EVENT_KEYS["summary_delta" if summary else "content_delta"],
            "event",
            rec.index,
            out,
        )
        delta = data.get("delta")
        if not isinstance(delta, str):
            raise ChunkError(f"'delta' must be a string, got {type_name(delta)}", n)
        logprobs = data.get("logprobs")
        if logprobs:
            if not is_list(logprobs):
                raise ChunkError(f"'logprobs' must be a list, got {type_name(logprobs)}", n)
            self._state.logprobs(self._st, list(logprobs), None, out)
        self._text(part, delta, out)

    def _text(self, part: _Part, delta: str, out: list[StreamEvent]) -> None:
        if not delta:
            return
        part.texts.append(delta)
        state, st = self._state, self._st
        kind = part.type
        if kind == "text":
            state.text(st, delta, out)
        elif kind == "reasoning_summary":
            state.summary(st, delta, out)
        elif kind == "reasoning_text":
            state.reasoning(st, delta, out)
        else:
            state.refusal(st, delta, out)

    def _text_done(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        kind = data["type"]
        rec, part = self._part(data, kind, n, out)
        summary = part.type == "reasoning_summary"
        self._extra(
            data,
            _EVENT_KEYS["summary_done" if summary else "content_done"],
            "event",
            rec.index,
            out,
        )
        key = "refusal" if kind == "response.refusal.done" else "text"
        text = data.get(key)
        if not isinstance(text, str):
            raise ChunkError(f"'{key}' must be a string, got {type_name(text)}", n)
        self._check_done(part.texts, text, rec, part, n, out)

    def _check_done(
        self,
        texts: list[str],
        text: str,
        rec: _Item,
        part: _Part | None,
        n: int,
        out: list[StreamEvent],
    ) -> None:
        """A ``.done`` value against the deltas: the same, or their continuation (whose rest
        is one more delta); anything else is a ChunkError."""
        joined = "".join(texts)
        if text == joined:
            return
        if not text.startswith(joined):
            raise ChunkError(
                f"the .done value of item {rec.index} differs from its deltas joined "
                f"({len(text)} characters, the deltas {len(joined)})",
                n,
            )
        rest = text[len(joined) :]
        if part is not None:
            self._text(part, rest, out)
            texts[:] = [text]
        elif rec.call is not None:
            self._state.tool_arguments(self._st, rec.call, rest, out)
        else:
            rec.texts.append(rest)
            out.append(ServerToolInputDelta(rec.id or "", rest))

    def _annotation(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        rec, _ = self._part(data, "response.output_text.annotation.added", n, out)
        self._extra(data, _EVENT_KEYS["annotation"], "event", rec.index, out)
        annotation = _map(data, "annotation", n)
        kind = annotation.get("type")
        if not isinstance(kind, str):
            raise ChunkError(f"'annotation.type' must be a string, got {type_name(kind)}", n)
        start = _opt_int(annotation, "start_index", n)
        end = _opt_int(annotation, "end_index", n)
        if start is None and end is None:
            start = end = _opt_int(annotation, "index", n)
        url = _opt_str(annotation, "url", n)
        title = _opt_str(annotation, "title", n)
        out.append(Citation(kind, url, title, None, start, end, dict(annotation), _P))

    # -- tool input ------------------------------------------------------------------------

    def _input_delta(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        kind = data["type"]
        rec = self._input_item(data, kind, n)
        self._extra(data, _EVENT_KEYS["delta"], "event", rec.index, out)
        delta = data.get("delta")
        if not isinstance(delta, str):
            raise ChunkError(f"'delta' must be a string, got {type_name(delta)}", n)
        if not delta:
            return
        if rec.call is not None:
            self._state.tool_arguments(self._st, rec.call, delta, out)
        else:
            rec.texts.append(delta)
            out.append(ServerToolInputDelta(rec.id or "", delta))

    def _input_done(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        kind = data["type"]
        rec = self._input_item(data, kind, n)
        self._extra(data, _EVENT_KEYS["done"], "event", rec.index, out)
        key = _INPUT_DONE[kind.rsplit(".", 1)[0]][1]
        value = data.get(key)
        if not isinstance(value, str):
            raise ChunkError(f"'{key}' must be a string, got {type_name(value)}", n)
        self._finish_input(rec, value, n, out)

    def _finish_input(self, rec: _Item, value: object, n: int, out: list[StreamEvent]) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            raise ChunkError(
                f"the input of item {rec.index} must be a string, got {type_name(value)}", n
            )
        texts = rec.call.parts if rec.call is not None else rec.texts
        self._check_done(texts, value, rec, None, n, out)

    def _input_item(self, data: Mapping[str, Any], kind: str, n: int) -> _Item:
        rec = self._open(data, kind, n)
        wire = _INPUT_DONE[kind.rsplit(".", 1)[0]][0]
        if rec.wire != wire:
            raise ChunkError(f"a {kind} in item {rec.index}, a {rec.wire} item", n)
        return rec

    def _progress(self, data: Mapping[str, Any], out: list[StreamEvent]) -> None:
        n = self._chunks
        kind: str = data["type"]
        prefix, _, stage = kind.rpartition(".")
        wire = _PROGRESS.get(prefix + ".")
        if wire is None:  # a deeper name under a tool's prefix: not a progress event
            self._unknown(data, out)
            return
        rec = self._open(data, kind, n)
        if rec.wire != wire:
            raise ChunkError(f"a {kind} in item {rec.index}, a {rec.wire} item", n)
        extra = {k: v for k, v in data.items() if k not in _EVENT_KEYS["progress"]}
        out.append(ServerToolProgress(rec.id or "", stage, extra or None))

    # One handler per event type (functions: a reader holds no table of bound methods).
    _HANDLERS: ClassVar[Mapping[str, _Handler]] = {
        "response.created": _created_event,
        "response.in_progress": _lifecycle,
        "response.queued": _lifecycle,
        "response.output_item.added": _item_added,
        "response.output_item.done": _item_done,
        "response.content_part.added": _part_added,
        "response.content_part.done": _part_done,
        "response.reasoning_summary_part.added": _part_added,
        "response.reasoning_summary_part.done": _part_done,
        "response.output_text.delta": _text_delta,
        "response.refusal.delta": _text_delta,
        "response.reasoning_text.delta": _text_delta,
        "response.reasoning_summary_text.delta": _text_delta,
        "response.output_text.done": _text_done,
        "response.refusal.done": _text_done,
        "response.reasoning_text.done": _text_done,
        "response.reasoning_summary_text.done": _text_done,
        "response.output_text.annotation.added": _annotation,
        "response.function_call_arguments.delta": _input_delta,
        "response.custom_tool_call_input.delta": _input_delta,
        "response.mcp_call_arguments.delta": _input_delta,
        "response.code_interpreter_call_code.delta": _input_delta,
        "response.function_call_arguments.done": _input_done,
        "response.custom_tool_call_input.done": _input_done,
        "response.mcp_call_arguments.done": _input_done,
        "response.code_interpreter_call_code.done": _input_done,
        "response.completed": _terminal,
        "response.incomplete": _terminal,
        "response.failed": _failed,
        "error": _error_event,
    }


# Text event prefix -> the part it implies when it comes without one (lenient).
_TEXT_PARTS: Final[Mapping[str, tuple[PartType, str]]] = {
    "response.output_text": ("text", "output_text"),
    "response.refusal": ("refusal", "refusal"),
    "response.reasoning_text": ("reasoning_text", "reasoning_text"),
    "response.reasoning_summary_text": ("reasoning_summary", "summary_text"),
    "response.output_text.annotation": ("text", "output_text"),
}
# Input event prefix -> (its item type, the key of its .done value).
_INPUT_DONE: Final[Mapping[str, tuple[str, str]]] = {
    "response.function_call_arguments": ("function_call", "arguments"),
    "response.custom_tool_call_input": ("custom_tool_call", "input"),
    "response.mcp_call_arguments": ("mcp_call", "arguments"),
    "response.code_interpreter_call_code": ("code_interpreter_call", "code"),
}


# -- shape checks ----------------------------------------------------------------------------


def _as_mapping(event: object, n: int) -> Mapping[str, Any]:
    if is_map(event):
        return event
    dump = getattr(event, "model_dump", None)
    if dump is not None:  # `openai` SDK events (pydantic models), read without import
        try:
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
        kind = name
    if not isinstance(kind, str):
        raise ChunkError(f"a Responses event needs a string 'type', got {type_name(kind)}", n)
    if name is not None and name != kind:
        raise ChunkError(f"the SSE event name {name!r} does not match the data's type {kind!r}", n)
    return kind


def _map(data: Mapping[str, Any], key: str, n: int) -> Mapping[str, Any]:
    return _as_map(data.get(key), key, n)


def _as_map(value: object, what: str, n: int) -> Mapping[str, Any]:
    if not is_map(value):
        raise ChunkError(f"'{what}' must be an object, got {type_name(value)}", n)
    return value


def _opt_str(data: Mapping[str, Any], key: str, n: int) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ChunkError(f"'{key}' must be a string, got {type_name(value)}", n)


def _opt_int(data: Mapping[str, Any], key: str, n: int) -> int | None:
    value = data.get(key)
    if value is None or (value.__class__ is int):
        return value
    raise ChunkError(f"'{key}' must be an integer, got {type_name(value)}", n)


def _created_at(response: Mapping[str, Any], n: int) -> int | None:
    value = response.get("created_at")
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the openai SDK types it as a float
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ChunkError(f"'response.created_at' must be an integer, got {type_name(value)}", n)


def _part_index(data: Mapping[str, Any], summary: bool, n: int) -> int:
    key = "summary_index" if summary else "content_index"
    index = data.get(key, 0)
    if index.__class__ is not int or index < 0:
        raise ChunkError(f"'{key}' must be a non-negative integer, got {type_name(index)}", n)
    return index


def _text_of(part: Mapping[str, Any]) -> str | None:
    text = part.get("refusal" if part.get("type") == "refusal" else "text")
    return text if isinstance(text, str) else None


def _empty(value: object) -> bool:
    """An added item's skeleton value: ``""``, ``null``, ``[]`` or ``{}``."""
    return value in _EMPTY or ((is_list(value) or is_map(value)) and not value)
