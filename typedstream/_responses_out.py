"""Exact OpenAI Responses streams from typed events: ``to_responses_sse()``,
``to_responses_events()`` and async twins.

How it works. :class:`ResponsesWriter` is a sans-IO state machine: ``write(event)`` takes one
:data:`~typedstream.StreamEvent` and returns the Responses events (plain JSON-ready dicts,
``type`` and ``sequence_number`` first) it completes; ``close()`` returns the end of the
response; ``fail(exc)`` the ``error`` and ``response.failed`` that end a stream whose source
raised. It keeps one output item open at a time and numbers items, parts and events itself, so
the output obeys OpenAI's grammar (docs/responses.md, rules R1-R24) whatever the source was.

Structure comes from two places (docs/event-model.md §5.1). Explicit ``BlockStarted`` /
``PartStarted`` of the Responses protocol (a Responses source) are put back as they were: the
``output_item.added`` is held for one event, because the event after it completes the skeleton
(a call's ``call_id`` and name, a reasoning item's first ``encrypted_content``). Every other
source gets implicit structure: a run of text or refusal is a message item with one part per
run, a run of reasoning a reasoning item, each client call its own item. Calls of a chat
choice that interleave are written one after another, and content that arrives while a call
is still streaming waits for it, because items never overlap. Opaque state of another origin
travels in the opaque envelope (§7) in a reasoning item's ``encrypted_content``.

Nothing is copied from the source that the events do not say: the terminal ``response`` is
built from the items written (its ``output`` is the done items, each ``encrypted_content``
where it came), usage from :class:`~typedstream.Usage`'s typed properties, and
``sequence_number`` counts from 0 on every event. The typed-event functions build the
``openai`` SDK's ``ResponseStreamEvent`` models the way its own raw stream does (unvalidated),
importing ``openai`` on first use only.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from typing import TYPE_CHECKING, Any, Final, TypeAlias, Union, cast

from ._envelope import wrap
from ._errors import IncompleteStreamError, UnwritableEventError, UsageError
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
    Logprobs,
    Moderation,
    OpaqueState,
    PartDone,
    PartStarted,
    ReasoningDelta,
    RefusalDelta,
    ServerToolCallDone,
    ServerToolCallStarted,
    ServerToolInputDelta,
    ServerToolProgress,
    ServerToolResult,
    StreamError,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
    WireProtocol,
)
from ._json import copy, dumps
from ._openai_out import error_payload
from ._responses_vocab import (
    DEFAULT_ECHO,
    ITEM_PREFIXES,
    LIFECYCLE_KEYS,
    STOP_WRITTEN,
    responses_usage,
)
from ._writing import WireEvent, aconvert, convert
from ._writing import awire as _awire
from ._writing import wire as _wire

if TYPE_CHECKING:
    from openai.types.responses import ResponseStreamEvent

__all__ = [
    "ResponsesWriter",
    "ato_responses_events",
    "ato_responses_sse",
    "to_responses_events",
    "to_responses_sse",
]

"""One Responses stream event as OpenAI sends it: a JSON-ready dict."""

# Echo fields OpenAI always writes as floats (rule R3); relays that re-serialize the response
# with JavaScript's JSON.stringify turn 1.0 into 1.
_FLOAT_ECHOES: Final = ("temperature", "top_p", "frequency_penalty", "presence_penalty")

# The keys of OpenAI's response object in the order it sends them (2025-09 on); echo keys
# outside this list follow in the order they were given.
_RESPONSE_ORDER: Final = (
    "id",
    "object",
    "created_at",
    "status",
    "background",
    "error",
    "incomplete_details",
    "instructions",
    "max_output_tokens",
    "max_tool_calls",
    "model",
    "output",
    "parallel_tool_calls",
    "previous_response_id",
    "prompt_cache_key",
    "reasoning",
    "safety_identifier",
    "service_tier",
    "store",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "truncation",
    "usage",
    "user",
    "metadata",
)
# Each built-in tool's progress stages in order; "" is its input's .done event (§3 of
# docs/responses.md); "partial_image" repeats and is never synthesized.
_STAGES: Final[Mapping[str, tuple[str, ...]]] = {
    "web_search_call": ("in_progress", "searching", "completed"),
    "file_search_call": ("in_progress", "searching", "completed"),
    "code_interpreter_call": ("in_progress", "", "interpreting", "completed"),
    "mcp_list_tools": ("in_progress", "completed"),
    "mcp_call": ("in_progress", "", "completed"),
    "image_generation_call": ("in_progress", "generating", "partial_image", "completed"),
}
# A built-in tool's streamed input: item type -> (event family, the item's key).
_TOOL_INPUT: Final[Mapping[str, tuple[str, str]]] = {
    "code_interpreter_call": ("response.code_interpreter_call_code", "code"),
    "mcp_call": ("response.mcp_call_arguments", "arguments"),
}
# The empty skeleton of each added item after id and type (docs/responses.md §6).
_SKELETONS: Final[Mapping[str, tuple[tuple[str, Any], ...]]] = {
    "message": (("status", "in_progress"), ("content", [])),
    "reasoning": (("summary", []),),
    "function_call": (("status", "in_progress"), ("arguments", ""), ("call_id", ""), ("name", "")),
    "custom_tool_call": (("status", "in_progress"), ("call_id", ""), ("input", ""), ("name", "")),
    "web_search_call": (("status", "in_progress"),),
    "file_search_call": (("status", "in_progress"), ("queries", []), ("results", None)),
    "code_interpreter_call": (("status", "in_progress"), ("code", ""), ("outputs", None)),
    "mcp_call": (("status", "in_progress"), ("arguments", ""), ("name", ""), ("server_label", "")),
    "mcp_list_tools": (("server_label", ""), ("tools", [])),
    "image_generation_call": (("status", "in_progress"), ("result", None)),
}
_PART_TYPES: Final[Mapping[str, str]] = {
    "text": "output_text",
    "refusal": "refusal",
    "reasoning_summary": "summary_text",
    "reasoning_text": "reasoning_text",
}
# Part wire type -> (the text event family, the part's text key).
_PART_TEXT: Final[Mapping[str, tuple[str, str]]] = {
    "output_text": ("response.output_text", "text"),
    "refusal": ("response.refusal", "refusal"),
    "summary_text": ("response.reasoning_summary_text", "text"),
    "reasoning_text": ("response.reasoning_text", "text"),
}
# Stop reasons after which an open message is done "incomplete".
_CUTTING: Final = frozenset(
    stop for stop, (terminal, _) in STOP_WRITTEN.items() if terminal == "response.incomplete"
)
# Content that waits while a client call is still streaming (items never overlap).
_CONTENT_KINDS: Final = frozenset(
    {"text_delta", "refusal_delta", "reasoning_delta", "logprobs", "citation", "opaque_state"}
)
# Event kind -> the writer's method; kinds not listed have no Responses field (raw chunks,
# provider data, the *Done text events, which the deltas already carried).
_HANDLERS: Final[Mapping[str, str]] = {
    "text_delta": "_text",
    "refusal_delta": "_refusal",
    "reasoning_delta": "_reasoning",
    "logprobs": "_logprobs_event",
    "citation": "_citation",
    "opaque_state": "_opaque",
    "tool_call_started": "_call_started",
    "arguments_delta": "_arguments",
    "tool_call_done": "_call_done",
    "tool_call_incomplete": "_call_done",
    "custom_tool_call_started": "_call_started",
    "custom_tool_input_delta": "_arguments",
    "custom_tool_call_done": "_call_done",
    "custom_tool_call_incomplete": "_call_done",
    "block_started": "_block_started",
    "block_done": "_block_done",
    "part_started": "_part_started",
    "part_done": "_part_done",
    "server_tool_call_started": "_server_started",
    "server_tool_input_delta": "_server_input",
    "server_tool_progress": "_server_progress",
    "server_tool_call_done": "_server_done",
    "server_tool_result": "_server_result",
    "choice_finished": "_finished",
    "usage": "_usage_event",
    "moderation": "_moderation_event",
    "stream_error": "_stream_error",
    "extension": "_extension",
}
_CALL_ENDS: Final = (ToolCallDone, ToolCallIncomplete, CustomToolCallDone, CustomToolCallIncomplete)
_CallEnd: TypeAlias = Union[  # noqa: UP007 (a runtime alias)
    ToolCallDone, ToolCallIncomplete, CustomToolCallDone, CustomToolCallIncomplete
]


class _Part:
    """One content or summary part of an item, as written."""

    __slots__ = ("annotations", "citations", "index", "logprobs", "summary", "text", "type")

    def __init__(self, type: str, index: int) -> None:
        self.type = type  # wire type: output_text, refusal, summary_text, reasoning_text...
        self.index = index  # content_index, or summary_index for summary parts
        self.summary = type == "summary_text"
        self.text: list[str] = []
        self.logprobs: list[Any] = []
        self.annotations: list[Any] = []
        self.citations: list[Citation] = []  # Anthropic ones, written at the part's end


class _Item:
    """One output item, from its ``output_item.added`` on."""

    __slots__ = (
        "content",
        "data",
        "done",
        "encrypted",
        "explicit",
        "id",
        "index",
        "input",
        "part",
        "result",
        "stage",
        "summary",
        "type",
        "written",
    )

    def __init__(self, index: int, item_id: str, type: str, explicit: bool) -> None:
        self.index = index
        self.id = item_id
        self.type = type
        self.explicit = explicit  # opened by a BlockStarted of the Responses protocol
        self.data: dict[str, Any] = {"id": item_id, "type": type}
        for key, empty in _SKELETONS.get(type, ()):
            self.data[key] = empty.copy() if isinstance(empty, list) else empty
        self.written = False  # output_item.added is out
        self.done = False
        self.part: _Part | None = None
        self.content: list[dict[str, Any]] = []  # done content parts
        self.summary: list[dict[str, Any]] = []  # done summary parts
        self.input: list[str] = []  # arguments, input or code as streamed
        self.encrypted: str | None = None  # encrypted_content of the done item
        self.result: dict[str, Any] = {}  # a built-in tool's done fields
        self.stage = 0  # progress stages written (built-in tools)


class _Call:
    """One client call written as its own implicit item."""

    __slots__ = ("done", "item", "pending")

    def __init__(self, item: _Item) -> None:
        self.item = item
        self.done: _CallEnd | None = None
        # Events held while an earlier call is still streaming; None once the call has its
        # turn and its events are written as they come.
        self.pending: list[StreamEvent] | None = None


class ResponsesWriter:
    """Sans-IO writer: typed events in, OpenAI Responses stream events (dicts) out.

    Feed it the events of one stream in order with :meth:`write`, then call :meth:`close`; if
    the events cannot be read to their end, call :meth:`fail` instead. Each returns the wire
    events it completes, numbered from 0. :func:`to_responses_sse` and
    :func:`to_responses_events` drive one for you.

    Args:
        id: Response id for every lifecycle event, instead of the source's.
        model: Model name for the response, instead of the source's.
        created_at: ``created_at`` of the response, instead of the source's ``created``.
        echo: The response object's echo fields (``instructions``, ``tools``,
            ``tool_choice``, ``temperature``, ``top_p``, ``reasoning``, ``text``,
            ``truncation``, ``parallel_tool_calls``, ``metadata``, ``store``,
            ``background``, ...), as the client's request set them. They override both
            OpenAI's defaults and what a Responses source echoed. Keys the writer owns
            (``id``, ``status``, ``output``, ``usage``...) are refused.

    A response without an id gets ``resp_`` + a hash of its
    :class:`~typedstream.StreamStarted` and the event after it, and items without one an id
    derived from it, so writing the same events twice gives the same stream.

    Raises:
        UnwritableEventError: from :meth:`write`, for a choice other than 0.
        UsageError: for an ``echo`` key the writer owns; from :meth:`write`, for events that
            break the event contract (a second :class:`~typedstream.StreamStarted`, a
            fragment for a call that never started).
    """

    def __init__(
        self,
        *,
        id: str | None = None,
        model: str | None = None,
        created_at: int | None = None,
        echo: Mapping[str, Any] | None = None,
    ) -> None:
        owned = sorted(LIFECYCLE_KEYS.intersection(echo or ()))
        if owned:
            raise UsageError(f"echo may not set {', '.join(owned)}: the writer builds them")
        self._override_id = id
        self._override_model = model
        self._override_created = created_at
        self._echo = dict(echo or {})
        self._protocol: WireProtocol = "chat"
        self._started = False
        self._basis: StreamStarted | None = None  # waiting for the event that seeds the id
        self._response: dict[str, Any] = {}
        self._seq = 0
        self._ended = False
        self._last: dict[str, Any] | None = None  # the terminal event's response
        self._keys: dict[str, dict[str, Any]] = {}  # held Extension(keys) by object name
        self._items: list[_Item] = []
        self._item: _Item | None = None  # the open item
        self._terminal_copies: dict[int, str] = {}  # item index -> terminal encrypted_content
        self._calls: dict[int, _Call] = {}  # event index -> implicit call
        self._current: _Call | None = None  # the implicit call being written
        self._queue: deque[_Call] = deque()  # calls waiting for their turn
        self._deferred: list[StreamEvent] = []  # content held while a call streams
        self._logprobs: list[Any] | None = None  # held for the next text fragment
        self._citations: list[Citation] = []  # Anthropic citations before their text
        self._finish: ChoiceFinished | None = None
        self._usage: Usage | None = None
        self._moderation: dict[str, Any] | None = None
        self._error: dict[str, Any] | None = None  # the error event's error, once written
        self._handlers: dict[str, Callable[[Any, list[WireEvent]], None]] = {
            kind: getattr(self, name) for kind, name in _HANDLERS.items()
        }

    # -- public interface ------------------------------------------------------------------

    def write(self, event: StreamEvent) -> list[WireEvent]:
        """Take the next event; return the wire events it completes (often one, maybe none)."""
        out: list[WireEvent] = []
        if self._ended:
            return out
        if getattr(event, "choice", 0) != 0:
            raise UnwritableEventError(
                f"a Responses stream has one choice; cannot write {event!r}", event
            )
        if isinstance(event, StreamStarted):
            if self._started:
                raise UsageError("a second StreamStarted: one writer serializes one stream")
            self._begin(event, out)
            return out
        handler = self._handlers.get(event.kind)
        if handler is None:  # raw chunks, provider data and the *Done text events: no field
            return out
        if isinstance(event, Extension) and not self._started:
            handler(event, out)  # response keys before StreamStarted
            return out
        self._ensure_started(event, out)
        if event.kind in _CONTENT_KINDS and self._calls_busy():
            self._deferred.append(event)  # items never overlap: wait for the call
            return out
        handler(event, out)
        return out

    def close(self) -> list[WireEvent]:
        """The events ended: return the end of the response (the terminal event), or nothing
        after an error."""
        out: list[WireEvent] = []
        if self._ended:
            return out
        self._ensure_started(None, out)
        if self._error is not None:  # the source's error without its response.failed
            self._failed(out)
            return out
        self._drain(out)
        if self._finish is None:  # events made by hand may omit the finish
            self._close_open(False, out)
        self._terminal(out)
        return out

    def fail(self, exc: BaseException) -> list[WireEvent]:
        """The events could not be read to their end: return what ends the stream.

        That is an ``error`` event and ``response.failed`` (rule R6), or only
        ``response.failed`` when the source's error event is already written, or
        ``response.incomplete`` when a source that had already finished with a stop that cuts
        (``max_tokens``...) is then cut short (:class:`~typedstream.IncompleteStreamError`).
        An exception that is not typedstream's gives only its class name, so nothing internal
        reaches the client.
        """
        out: list[WireEvent] = []
        if self._ended:
            return out
        self._ensure_started(None, out)
        finish = self._finish
        cut = isinstance(exc, IncompleteStreamError)  # not an error the provider reported
        if cut and self._error is None and finish is not None and finish.stop_reason in _CUTTING:
            self._close_open(True, out)
            self._terminal(out)
            return out
        if self._error is None:
            self._write_error(error_payload(exc), out)
        self._failed(out)
        return out

    def response(self) -> dict[str, Any]:
        """The response object so far, as JSON: what the terminal event carries.

        Once the stream has ended (:meth:`close`, :meth:`fail`, or a source's
        ``response.failed``) it is the terminal event's ``response``. Before, it is built the
        same way from what was written: ``status`` ``"in_progress"`` (the terminal status
        once a :class:`~typedstream.ChoiceFinished` arrived: ``"completed"``, or
        ``"incomplete"`` with its ``incomplete_details``), each item done so far as its
        ``output_item.done`` wrote it and the open one as it stands (``"in_progress"``),
        usage once it came. Before the response is created -- a response id generated for a
        source without one is seeded by the event after its
        :class:`~typedstream.StreamStarted` -- its ``id`` is ``""``. Writes nothing; a new
        object on every call.
        """
        if self._last is not None:
            return _copied(self._last)
        if not self._response:  # not created yet
            basis = self._basis or StreamStarted(None, None, None)
            return _copied(self._fields(basis, self._override_id or ""))
        finish = self._finish
        reason = None if finish is None else STOP_WRITTEN[finish.stop_reason][1]
        status = "in_progress" if finish is None else "incomplete" if reason else "completed"
        response = self._final(status)
        if reason is not None:
            response["incomplete_details"] = {"reason": reason}
        return _copied(response)

    # -- the response ----------------------------------------------------------------------

    def _begin(self, event: StreamStarted, out: list[WireEvent]) -> None:
        self._started = True
        self._protocol = event.protocol
        if self._override_id is None and (not event.id or event.protocol != "responses"):
            # Another protocol's id (chatcmpl-, msg_) is not a response id: one is made,
            # seeded by this event and the next.
            self._basis = event
        else:
            self._created(event, self._override_id or event.id or "", out)

    def _ensure_started(self, event: StreamEvent | None, out: list[WireEvent]) -> None:
        if not self._started:  # events made by hand may omit StreamStarted
            self._begin(StreamStarted(None, None, None), out)
        if self._basis is not None:
            basis, self._basis = self._basis, None
            self._created(basis, _generated("resp_", basis, event), out)

    def _created(self, event: StreamStarted, response_id: str, out: list[WireEvent]) -> None:
        self._response = self._fields(event, response_id)
        self._keys.pop("response", None)  # in the response now
        background = self._response.get("background") is True
        if background:
            self._response["status"] = "queued"
        self._emit(out, "response.created", {"response": dict(self._response)})
        if background:
            self._emit(out, "response.queued", {"response": dict(self._response)})
            self._response["status"] = "in_progress"
        self._emit(out, "response.in_progress", {"response": dict(self._response)})

    def _fields(self, event: StreamStarted, response_id: str) -> dict[str, Any]:
        """The created response: the envelope, then the echo fields in OpenAI's order."""
        created = self._override_created
        if created is None:
            created = event.created if event.created is not None else 0
        model = self._override_model or self._echo.get("model") or event.model
        # A Responses source echoed its own fields (kept as they were, none added); others
        # get OpenAI's defaults.
        echo: dict[str, Any] = {} if event.protocol == "responses" else dict(DEFAULT_ECHO)
        if event.service_tier is not None:
            echo["service_tier"] = event.service_tier
        echo.update(self._keys.get("response", {}))
        echo.update(self._echo)
        fields: dict[str, Any] = {
            "id": response_id,
            "object": "response",
            "created_at": created,
            "status": "in_progress",
            "error": None,
            "incomplete_details": None,
            "model": model or "",
            "output": [],
            "usage": None,
        }
        for key in (*LIFECYCLE_KEYS, "model"):
            echo.pop(key, None)
        for key in _FLOAT_ECHOES:  # a number JSON.stringify wrote as 1: OpenAI writes 1.0
            value = echo.get(key)
            if type(value) is int:
                echo[key] = float(value)
        fields.update(echo)
        order = {key: n for n, key in enumerate(_RESPONSE_ORDER)}
        return dict(sorted(fields.items(), key=lambda kv: order.get(kv[0], len(order))))

    def _emit(self, out: list[WireEvent], kind: str, fields: Mapping[str, Any]) -> None:
        event: WireEvent = {"type": kind, "sequence_number": self._seq}
        event.update(fields)
        extra = self._keys.pop("event", None)
        if extra:
            event.update(extra)
        self._seq += 1
        out.append(event)

    def _terminal(self, out: list[WireEvent]) -> None:
        finish = self._finish
        kind, reason = STOP_WRITTEN[finish.stop_reason] if finish else ("response.completed", None)
        response = self._final("completed" if reason is None else "incomplete")
        if reason is not None:
            response["incomplete_details"] = {"reason": reason}
        self._emit(out, kind, {"response": response})
        self._ended = True
        self._last = response

    def _final(self, status: str) -> dict[str, Any]:
        response = dict(self._response)
        response["status"] = status
        output: list[dict[str, Any]] = []
        for item in self._items:  # an item the stream left open (it failed) as it stands
            done = self._done_item(item) if item.done else self._open_snapshot(item)
            copy = self._terminal_copies.get(item.index)
            if copy is not None:
                done["encrypted_content"] = copy
            output.append(done)
        response["output"] = output
        usage = self._usage
        if usage is not None:
            response["usage"] = responses_usage(usage)
        if self._moderation is not None:
            response["moderation"] = self._moderation
        response.update(self._keys.get("response", {}))  # read only: response() calls this
        return response

    def _failed(self, out: list[WireEvent], error: Mapping[str, Any] | None = None) -> None:
        """``response.failed``; its ``response.error`` is ``error`` (a Responses source's own)
        or the ``{code, message}`` of the error event written."""
        if error is None:
            written = self._error or {}
            code, message = written.get("code"), written.get("message")
            error = {
                "code": code if isinstance(code, str) else "server_error",
                "message": message if isinstance(message, str) else "",
            }
        response = self._final("failed")
        response["error"] = dict(error)
        self._emit(out, "response.failed", {"response": response})
        self._ended = True
        self._last = response

    def _write_error(self, error: Mapping[str, Any], out: list[WireEvent]) -> None:
        code = error.get("code")
        body = {
            "type": error.get("type"),
            "code": str(code) if isinstance(code, int) else code,
            "message": error.get("message") if isinstance(error.get("message"), str) else "",
            "param": error.get("param"),
        }
        self._error = body
        self._emit(out, "error", {"error": body})

    def _stream_error(self, event: StreamError, out: list[WireEvent]) -> None:
        if event.source == "response":  # response.failed: after the error event, if any
            own = event.protocol == "responses" and bool(event.data)
            self._failed(out, event.data if own else None)
            return
        if self._error is None:
            self._write_error(event.data or {"message": event.message, "type": event.type}, out)
        if event.protocol != "responses":  # a Responses source sends its own response.failed
            self._failed(out)

    def _finished(self, event: ChoiceFinished, out: list[WireEvent]) -> None:
        if self._finish is not None:
            raise UsageError(f"a second ChoiceFinished: {event!r}")
        self._drain(out)
        self._finish = event
        self._close_open(event.stop_reason in _CUTTING, out)

    def _usage_event(self, event: Usage, out: list[WireEvent]) -> None:
        self._usage = event

    def _moderation_event(self, event: Moderation, out: list[WireEvent]) -> None:
        self._moderation = event.moderation

    def _extension(self, event: Extension, out: list[WireEvent]) -> None:
        if event.protocol != "responses":
            return  # another protocol's extension: no Responses field (§11)
        if event.where == "keys":
            self._release(out)
            self._keys.setdefault(event.name, {}).update(event.data)
        elif event.where == "event":
            self._release(out)
            data = {k: v for k, v in event.data.items() if k not in ("type", "sequence_number")}
            self._emit(out, event.name, data)

    # -- items -----------------------------------------------------------------------------

    def _open_item(self, type: str, item_id: str | None, explicit: bool) -> _Item:
        index = len(self._items)
        if not item_id:
            seed = f"{self._response.get('id')}\n{index}".encode()
            item_id = ITEM_PREFIXES.get(type, "item_") + hashlib.sha256(seed).hexdigest()[:48]
        item = _Item(index, item_id, type, explicit)
        self._items.append(item)
        self._item = item
        if type == "message":
            item.data["role"] = "assistant"
        return item

    def _write_added(self, item: _Item, out: list[WireEvent]) -> None:
        item.written = True
        data = item.data
        keys = self._keys.pop("item", None)
        if keys:
            data.update(keys)
            item.result.update(keys)
        self._emit(out, "response.output_item.added", {"output_index": item.index, "item": data})

    def _release(self, out: list[WireEvent]) -> None:
        """Write the held ``output_item.added`` of an explicit item."""
        item = self._item
        if item is not None and not item.written:
            self._write_added(item, out)

    def _done_item(self, item: _Item) -> dict[str, Any]:
        data = dict(item.data)
        if "status" in data:
            data["status"] = item.result.get("status", "completed")
        if item.type == "message":
            data["content"] = item.content
            data["role"] = data.pop("role", "assistant")
        elif item.type == "reasoning":
            data["summary"] = item.summary
            if item.content or "content" in data:
                data["content"] = item.content
        elif item.type in ("function_call", "custom_tool_call"):
            data["arguments" if item.type == "function_call" else "input"] = "".join(item.input)
        data.update((k, v) for k, v in item.result.items() if k != "status")
        if item.encrypted is not None:  # else the added value is the last one
            data["encrypted_content"] = item.encrypted
        return data

    def _open_snapshot(self, item: _Item) -> dict[str, Any]:
        data = self._done_item(item)
        part = item.part
        if part is not None:  # the open part's text so far
            key = "summary" if part.summary else "content"
            data[key] = [*data.get(key, ()), _finished_part(part)]
        if "status" in data:
            data["status"] = "in_progress"
        return data

    def _close_item(self, status: str | None, out: list[WireEvent]) -> None:
        item = self._item
        if item is None:
            return
        self._release(out)
        self._close_part(out)
        self._item = None
        item.done = True
        if status is not None:
            item.result["status"] = status
        if item.type in _STAGES:
            self._stages(item, len(_STAGES[item.type]), out)
        keys = self._keys.pop("item", None)
        if keys:
            item.result.update(keys)
        self._emit(
            out,
            "response.output_item.done",
            {"output_index": item.index, "item": self._done_item(item)},
        )

    def _close_open(self, cut: bool, out: list[WireEvent]) -> None:
        """Close the open implicit item at the finish: a message cut by the stop is done
        ``incomplete``; an explicit item stays as its events leave it."""
        self._drain(out)
        self._flush_logprobs()
        item = self._item
        if item is None or item.explicit:
            self._release(out)
            return
        if item.type in ("function_call", "custom_tool_call"):
            return  # a call still streaming at the finish ends with its own done event
        self._close_item("incomplete" if cut and item.type == "message" else None, out)

    # -- parts -----------------------------------------------------------------------------

    def _open_part(self, item: _Item, type: str, out: list[WireEvent]) -> _Part:
        if type == "summary_text":
            part = _Part(type, len(item.summary))
            item.part = part
            self._emit(
                out,
                "response.reasoning_summary_part.added",
                {
                    "item_id": item.id,
                    "output_index": item.index,
                    "summary_index": part.index,
                    "part": self._part_keys({"type": type, "text": ""}),
                },
            )
            return part
        part = _Part(type, len(item.content))
        item.part = part
        skeleton: dict[str, Any] = {"type": type}
        if type == "output_text":
            skeleton.update(annotations=[], logprobs=[], text="")
        elif type == "refusal":
            skeleton["refusal"] = ""
        else:
            skeleton["text"] = ""
        self._emit(
            out,
            "response.content_part.added",
            {
                "item_id": item.id,
                "output_index": item.index,
                "content_index": part.index,
                "part": self._part_keys(skeleton),
            },
        )
        return part

    def _part_keys(self, part: dict[str, Any]) -> dict[str, Any]:
        keys = self._keys.pop("part", None)
        if keys:
            part.update(keys)
        return part

    def _close_part(self, out: list[WireEvent]) -> None:
        item = self._item
        part = item.part if item is not None else None
        if item is None or part is None:
            return
        self._flush_logprobs()
        item.part = None
        for citation in part.citations:  # Anthropic web search citations: the whole text
            self._annotation(item, part, _url_citation(citation, len("".join(part.text))), out)
        family, key = _PART_TEXT.get(part.type, ("", "text"))
        text = "".join(part.text)
        done = _finished_part(part)
        where: dict[str, Any] = {"item_id": item.id, "output_index": item.index}
        if part.summary:
            where["summary_index"] = part.index
            self._emit(out, f"{family}.done", {**where, "text": text})
            summary = self._part_keys(dict(done))
            self._emit(out, "response.reasoning_summary_part.done", {**where, "part": summary})
            item.summary.append(done)
            return
        where["content_index"] = part.index
        if part.type == "output_text":
            self._emit(out, f"{family}.done", {**where, "logprobs": part.logprobs, "text": text})
            # OpenAI repeats the logprobs on output_text.done, not on content_part.done.
            closed: dict[str, Any] = {**done, "logprobs": []}
        else:
            if family:
                self._emit(out, f"{family}.done", {**where, key: text})
            closed = dict(done)
        self._emit(out, "response.content_part.done", {**where, "part": self._part_keys(closed)})
        item.content.append(done)

    def _text_part(self, part_type: str, out: list[WireEvent]) -> tuple[_Item, _Part]:
        """The open part of ``part_type`` for implicit content, opening what it needs."""
        item = self._item
        item_kind = "message" if part_type in ("output_text", "refusal") else "reasoning"
        if item is not None and item.explicit:
            self._release(out)
            if item.part is None or item.part.type != part_type:
                raise UsageError(
                    f"{part_type} content outside a {part_type} part of item {item.index}"
                )
            return item, item.part
        if item is not None and item.type != item_kind:
            self._close_item(None, out)
            item = None
        elif item is not None and item.part is not None and item.part.type != part_type:
            if item_kind == "reasoning":  # summary and full reasoning: one item each
                self._close_item(None, out)
                item = None
            else:
                self._close_part(out)
        if item is None:
            item = self._open_item(item_kind, None, False)
            self._write_added(item, out)
        part = item.part or self._open_part(item, part_type, out)
        return item, part

    # -- content ---------------------------------------------------------------------------

    def _text(self, event: TextDelta, out: list[WireEvent]) -> None:
        if not event.text:
            return
        item, part = self._text_part("output_text", out)
        if self._citations:
            part.citations += self._citations
            self._citations = []
        logprobs, self._logprobs = self._logprobs, None
        part.text.append(event.text)
        part.logprobs.extend(logprobs or ())
        self._emit(
            out,
            "response.output_text.delta",
            {
                "item_id": item.id,
                "output_index": item.index,
                "content_index": part.index,
                "delta": event.text,
                "logprobs": logprobs or [],
            },
        )

    def _refusal(self, event: RefusalDelta, out: list[WireEvent]) -> None:
        if not event.text:
            return
        self._flush_logprobs()
        item, part = self._text_part("refusal", out)
        part.text.append(event.text)
        self._emit(
            out,
            "response.refusal.delta",
            {
                "item_id": item.id,
                "output_index": item.index,
                "content_index": part.index,
                "delta": event.text,
            },
        )

    def _reasoning(self, event: ReasoningDelta, out: list[WireEvent]) -> None:
        if not event.text:
            return
        self._flush_logprobs()
        item, part = self._text_part("summary_text" if event.summary else "reasoning_text", out)
        part.text.append(event.text)
        where: dict[str, Any] = {"item_id": item.id, "output_index": item.index}
        if part.summary:
            where["summary_index"] = part.index
            self._emit(out, "response.reasoning_summary_text.delta", {**where, "delta": event.text})
        else:
            where["content_index"] = part.index
            self._emit(out, "response.reasoning_text.delta", {**where, "delta": event.text})

    def _logprobs_event(self, event: Logprobs, out: list[WireEvent]) -> None:
        # Held for the next output_text.delta; refusal logprobs have no Responses field.
        self._logprobs = list(event.content) if event.content else None

    def _flush_logprobs(self) -> None:
        self._logprobs = None  # logprobs with no text fragment after them have no place

    def _citation(self, event: Citation, out: list[WireEvent]) -> None:
        item = self._item
        part = item.part if item is not None else None
        if event.protocol == "responses":
            if item is None or part is None or part.type != "output_text":
                raise UsageError(f"a Responses citation outside an output_text part: {event!r}")
            self._release(out)
            annotation = dict(event.data)
            keys = self._keys.pop("annotation", None)
            if keys:
                annotation.update(keys)
            self._annotation(item, part, annotation, out)
        elif (
            event.protocol == "anthropic"
            and event.via is None
            and event.type == "web_search_result_location"
        ):
            # Its span is the whole text block: written at the part's end. Anthropic sends a
            # block's citations before its text, so they may wait for the part to open.
            if part is not None and part.type == "output_text":
                part.citations.append(event)
            else:
                self._citations.append(event)
        # Other citations (chat's, which give no text span) have no Responses form (§11).

    def _annotation(
        self, item: _Item, part: _Part, annotation: dict[str, Any], out: list[WireEvent]
    ) -> None:
        self._emit(
            out,
            "response.output_text.annotation.added",
            {
                "item_id": item.id,
                "output_index": item.index,
                "content_index": part.index,
                "annotation_index": len(part.annotations),
                "annotation": annotation,
            },
        )
        part.annotations.append(annotation)

    def _opaque(self, event: OpaqueState, out: list[WireEvent]) -> None:
        native = event.origin == "responses"
        value = event.data if native else wrap(event)
        if native and event.block is not None and event.block < len(self._items):
            self._opaque_in_place(self._items[event.block], value, out)
            return
        item = self._item
        if item is not None and item.type == "reasoning":
            item.encrypted = value  # the state of this run of reasoning (or explicit item)
            if not item.explicit:
                self._close_item(None, out)
            return
        if item is not None and item.explicit:
            raise UsageError(f"opaque state inside {item.type} item {item.index}: {event!r}")
        if item is not None:
            self._close_item(None, out)
        # State alone: a reasoning item of its own with an empty summary (§7).
        alone = self._open_item("reasoning", None, False)
        alone.data["encrypted_content"] = value
        self._write_added(alone, out)
        self._close_item(None, out)

    def _opaque_in_place(self, target: _Item, value: str, out: list[WireEvent]) -> None:
        # A Responses item's encrypted_content where it came: added, done or terminal (§3.6).
        if target.done:
            self._terminal_copies[target.index] = value
        elif target is self._item and not target.written:
            target.data["encrypted_content"] = value
            self._write_added(target, out)
        else:
            target.encrypted = value

    # -- client calls ----------------------------------------------------------------------

    def _held_call_item(self) -> bool:
        item = self._item
        return (
            item is not None
            and item.explicit
            and not item.written
            and item.type in ("function_call", "custom_tool_call")
        )

    def _calls_busy(self) -> bool:
        current = self._current
        return current is not None and (current.done is None or bool(self._queue))

    def _call_started(
        self, event: ToolCallStarted | CustomToolCallStarted, out: list[WireEvent]
    ) -> None:
        if event.index in self._calls:
            raise UsageError(f"tool call {event.index} started twice")
        custom = isinstance(event, CustomToolCallStarted)
        if self._held_call_item():
            item = self._item
            assert item is not None
            item.data["call_id"], item.data["name"] = event.id, event.name
            call = _Call(item)
            self._calls[event.index] = call
            self._write_added(item, out)
            return
        item = _Item(-1, "", "custom_tool_call" if custom else "function_call", False)
        item.data["call_id"], item.data["name"] = event.id, event.name
        call = _Call(item)
        self._calls[event.index] = call
        if self._calls_busy():
            call.pending = []  # an earlier call is still streaming: wait for its turn
            self._queue.append(call)
            return
        self._start_call(call, out)

    def _start_call(self, call: _Call, out: list[WireEvent]) -> None:
        self._flush_logprobs()
        self._release(out)
        if self._item is not None:
            if self._item.explicit:
                raise UsageError(f"a client call inside item {self._item.index}")
            self._close_item(None, out)
        template = call.item
        item = self._open_item(template.type, None, False)
        item.data.update((k, template.data[k]) for k in ("call_id", "name"))
        call.item = item
        self._current = call
        self._write_added(item, out)

    def _call(self, index: int, event: StreamEvent) -> _Call:
        call = self._calls.get(index)
        if call is None:
            raise UsageError(f"{type(event).__name__} for tool call {index} before its start")
        if call.done is not None:
            raise UsageError(f"{type(event).__name__} for tool call {index} after its end")
        return call

    def _arguments(
        self, event: ArgumentsDelta | CustomToolInputDelta, out: list[WireEvent]
    ) -> None:
        if not event.delta:
            return
        call = self._call(event.index, event)
        if call.pending is not None:
            call.pending.append(event)
            return
        self._argument_delta(call.item, event.delta, out)

    def _argument_delta(self, item: _Item, delta: str, out: list[WireEvent]) -> None:
        item.input.append(delta)
        family = (
            "response.function_call_arguments"
            if item.type == "function_call"
            else "response.custom_tool_call_input"
        )
        self._emit(
            out, f"{family}.delta", {"item_id": item.id, "output_index": item.index, "delta": delta}
        )

    def _call_done(
        self,
        event: _CallEnd,
        out: list[WireEvent],
    ) -> None:
        call = self._call(event.index, event)
        call.done = event
        if call.pending is not None:
            call.pending.append(event)
            return
        self._end_call(call, event, out)
        self._drain(out)

    def _end_call(
        self,
        call: _Call,
        event: _CallEnd,
        out: list[WireEvent],
    ) -> None:
        item = call.item
        whole = (
            event.arguments
            if isinstance(event, (ToolCallDone, ToolCallIncomplete))
            else event.input
        )
        written = "".join(item.input)
        if len(whole) > len(written) and whole.startswith(written):
            self._argument_delta(item, whole[len(written) :], out)  # only the done value had it
        if isinstance(event, (ToolCallIncomplete, CustomToolCallIncomplete)) and event.reason in (
            "error",
            "end_of_input",
        ):
            return  # the stream fails: the call stays open, as the source left it
        family, key = (
            ("response.function_call_arguments", "arguments")
            if item.type == "function_call"
            else ("response.custom_tool_call_input", "input")
        )
        self._emit(
            out,
            f"{family}.done",
            {"item_id": item.id, "output_index": item.index, key: "".join(item.input)},
        )
        if not item.explicit:
            cut = isinstance(event, (ToolCallIncomplete, CustomToolCallIncomplete))
            self._close_item("incomplete" if cut else "completed", out)

    def _drain(self, out: list[WireEvent]) -> None:
        """Write the calls whose turn has come, then the content that waited for them."""
        while self._current is not None and self._current.done is not None and self._queue:
            call = self._queue.popleft()
            pending, call.pending = call.pending or [], None
            self._start_call(call, out)
            for event in pending:
                if isinstance(event, (ArgumentsDelta, CustomToolInputDelta)):
                    self._argument_delta(call.item, event.delta, out)
                elif isinstance(event, _CALL_ENDS):
                    self._end_call(call, event, out)
        if self._deferred and not self._calls_busy():
            deferred, self._deferred = self._deferred, []
            for event in deferred:
                self._handlers[event.kind](event, out)

    # -- explicit structure ----------------------------------------------------------------

    def _block_started(self, event: BlockStarted, out: list[WireEvent]) -> None:
        if event.protocol != "responses":
            if event.type == "text" and self._item is not None:
                self._close_part(out)  # one output_text part per Anthropic text block
            return
        self._release(out)
        if self._item is not None:
            self._close_item(None, out)
        if event.index != len(self._items):
            raise UsageError(f"BlockStarted {event.index} where item {len(self._items)} is next")
        item = self._open_item(event.wire_type, event.id, True)
        if event.type == "message" and event.phase is not None:
            item.data.pop("role", None)
            item.data["phase"] = event.phase
            item.data["role"] = "assistant"

    def _block_done(self, event: BlockDone, out: list[WireEvent]) -> None:
        item = self._item
        if event.protocol != "responses" or item is None or not item.explicit:
            return
        if event.status == "cut":  # never closed by the wire: stays open, as it came
            self._release(out)
            self._close_part(out)
            return
        self._close_item("incomplete" if event.status == "incomplete" else None, out)

    def _part_started(self, event: PartStarted, out: list[WireEvent]) -> None:
        item = self._item
        if item is None or not item.explicit:
            return
        self._release(out)
        self._close_part(out)
        self._open_part(item, _PART_TYPES.get(event.type, event.wire_type), out)

    def _part_done(self, event: PartDone, out: list[WireEvent]) -> None:
        item = self._item
        if item is not None and item.explicit:
            self._close_part(out)

    # -- built-in tools (a Responses source only) ------------------------------------------

    def _tool_item(self, event: StreamEvent) -> _Item | None:
        item = self._item
        if self._protocol != "responses" or item is None or not item.explicit:
            return None  # another protocol's server tools have no Responses form (§11)
        return item

    def _server_started(self, event: ServerToolCallStarted, out: list[WireEvent]) -> None:
        item = self._tool_item(event)
        if item is None:
            return
        if item.type == "mcp_call":
            item.data["name"] = event.name
        if event.server is not None and "server_label" in item.data:
            item.data["server_label"] = event.server
        self._release(out)

    def _stages(self, item: _Item, upto: int, out: list[WireEvent]) -> None:
        """Write the progress stages of ``item`` before position ``upto`` not yet written."""
        stages = _STAGES[item.type]
        while item.stage < min(upto, len(stages)):
            stage = stages[item.stage]
            item.stage += 1
            if stage == "partial_image":
                continue
            if stage == "":
                family, key = _TOOL_INPUT[item.type]
                value = "".join(item.input)
                self._emit(
                    out,
                    f"{family}.done",
                    {"item_id": item.id, "output_index": item.index, key: value},
                )
                continue
            if (
                stage == "completed"
                and item.result.get("status") == "failed"
                and item.type
                in (
                    "mcp_call",
                    "mcp_list_tools",
                )
            ):
                stage = "failed"
            self._emit(
                out,
                f"response.{item.type}.{stage}",
                {"item_id": item.id, "output_index": item.index},
            )

    def _server_input(self, event: ServerToolInputDelta, out: list[WireEvent]) -> None:
        item = self._tool_item(event)
        if item is None or item.type not in _TOOL_INPUT or not event.delta:
            return
        self._release(out)
        self._stages(item, _STAGES[item.type].index(""), out)
        item.input.append(event.delta)
        family, _ = _TOOL_INPUT[item.type]
        self._emit(
            out,
            f"{family}.delta",
            {"item_id": item.id, "output_index": item.index, "delta": event.delta},
        )

    def _server_progress(self, event: ServerToolProgress, out: list[WireEvent]) -> None:
        item = self._tool_item(event)
        if item is None:
            return
        self._release(out)
        stages = _STAGES.get(item.type, ())
        stage = "completed" if event.stage == "failed" else event.stage
        if stage in stages:
            position = stages.index(stage)
            self._stages(item, position, out)
            item.stage = max(item.stage, position + 1)
        fields: dict[str, Any] = {"item_id": item.id, "output_index": item.index}
        fields.update(event.data or {})
        self._emit(out, f"response.{item.type}.{event.stage}", fields)

    def _server_done(self, event: ServerToolCallDone, out: list[WireEvent]) -> None:
        item = self._tool_item(event)
        if item is None:
            return
        self._release(out)
        if item.type in _TOOL_INPUT:
            written = "".join(item.input)
            if len(event.input) > len(written) and event.input.startswith(written):
                item.input.append(event.input[len(written) :])
            item.result[_TOOL_INPUT[item.type][1]] = "".join(item.input)
            self._stages(item, _STAGES[item.type].index("") + 1, out)
        elif item.type == "web_search_call" and event.input:
            item.result["action"] = _json_or_text(event.input)
        elif item.type == "file_search_call" and event.input:
            item.result["queries"] = _json_or_text(event.input)

    def _server_result(self, event: ServerToolResult, out: list[WireEvent]) -> None:
        item = self._tool_item(event)
        if item is None:
            return
        self._release(out)
        content: object = event.content
        if isinstance(content, dict):
            item.result.update(cast("dict[str, Any]", content))
        if event.is_error:
            item.result["status"] = "failed"


def _copied(response: dict[str, Any]) -> dict[str, Any]:
    # A snapshot shares no list or dict with the writer, which keeps adding to its own.
    copied: dict[str, Any] = copy(response, "the response")
    return copied


def _finished_part(part: _Part) -> dict[str, Any]:
    """A part as a done item's ``content`` / ``summary`` holds it."""
    text = "".join(part.text)
    if part.type == "output_text":
        return {
            "type": part.type,
            "annotations": part.annotations,
            "logprobs": part.logprobs,
            "text": text,
        }
    return {"type": part.type, _PART_TEXT.get(part.type, ("", "text"))[1]: text}


def _url_citation(citation: Citation, length: int) -> dict[str, Any]:
    # An Anthropic web search citation covers its whole block (docs/event-model.md §11).
    return {
        "type": "url_citation",
        "end_index": length,
        "start_index": 0,
        "title": citation.title or "",
        "url": citation.url or "",
    }


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _generated(prefix: str, basis: StreamEvent, following: StreamEvent | None) -> str:
    # Seeded by the event and the one after it: deterministic (the same events give the same
    # id) without looking further ahead.
    try:
        seed = f"{basis!r}\n{following!r}".encode()
    except RecursionError:  # a value nested too deep to show (docs/errors.md): its kind instead
        seed = f"{basis.kind}\n{following and following.kind}".encode()
    return prefix + hashlib.sha256(seed).hexdigest()[:48]


# -- sinks -----------------------------------------------------------------------------------


def _frame(wire: WireEvent) -> bytes:
    name: str = wire["type"]
    return b"event: " + name.encode() + b"\ndata: " + dumps(wire) + b"\n\n"


def _writer(
    id: str | None,
    model: str | None,
    created_at: int | None,
    echo: Mapping[str, Any] | None,
    /,
) -> ResponsesWriter:
    # The one place the four output functions build their writer.
    return ResponsesWriter(id=id, model=model, created_at=created_at, echo=echo)


def to_responses_sse(
    events: Iterable[StreamEvent],
    *,
    id: str | None = None,
    model: str | None = None,
    created_at: int | None = None,
    echo: Mapping[str, Any] | None = None,
) -> Iterator[bytes]:
    """Write typed events as the exact SSE body OpenAI's Responses API would send.

    Yields one ``event: <type>\\ndata: <compact JSON>\\n\\n`` frame per Responses event:
    ``response.created``, ``response.in_progress``, each output item (added, its parts and
    deltas, every ``.done``), and one terminal event (``response.completed``, or
    ``response.incomplete`` for a stop that cut the answer), with ``sequence_number`` 0, 1,
    2… and no ``[DONE]``. Any source works: chat chunks (OpenAI, LiteLLM…) get the items
    OpenAI would have sent (docs/responses.md, "Writing Responses streams").

    If reading the events raises (a provider error, a cut stream, any exception), the last
    frames are an ``error`` event and ``response.failed`` (rule R6), and the exception
    propagates.

    Args:
        events: The events of one stream, normally ``typedstream.events(source)``.
        id: Response id (default: the source's; a generated deterministic ``resp_…`` id
            when it had none).
        model: Model name (default: the source's).
        created_at: ``created_at`` timestamp (default: the source's ``created``, else 0).
        echo: The response's echo fields as the client's request set them
            (``instructions``, ``tools``, ``temperature``…); see :class:`ResponsesWriter`.

    Raises:
        UnwritableEventError: a choice other than 0 (after the ``error`` and
            ``response.failed`` frames).

    Leaving the loop early closes ``events``.
    """
    return convert(_wire(events, _writer(id, model, created_at, echo)), _frame)


def ato_responses_sse(
    events: AsyncIterable[StreamEvent] | Iterable[StreamEvent],
    *,
    id: str | None = None,
    model: str | None = None,
    created_at: int | None = None,
    echo: Mapping[str, Any] | None = None,
) -> AsyncIterator[bytes]:
    """The async twin of :func:`to_responses_sse` (same options, same bytes), normally over
    ``typedstream.aevents(source)``; e.g. the body of a Starlette ``StreamingResponse``."""
    return aconvert(_awire(events, _writer(id, model, created_at, echo)), _frame)


def to_responses_events(
    events: Iterable[StreamEvent],
    *,
    id: str | None = None,
    model: str | None = None,
    created_at: int | None = None,
    echo: Mapping[str, Any] | None = None,
) -> Iterator[ResponseStreamEvent]:
    """Write typed events as the ``openai`` SDK's Responses stream events.

    The events of :func:`to_responses_sse` as ``openai.types.responses.ResponseStreamEvent``
    objects (``ResponseCreatedEvent``, ``ResponseTextDeltaEvent``…), built the way
    ``client.responses.create(stream=True)`` builds them (unvalidated);
    ``event.model_dump(mode="json", exclude_unset=True)`` gives the wire dict back. If reading
    the events raises, the ``error`` and ``response.failed`` events come first, then the
    exception propagates. The options are those of :func:`to_responses_sse`.
    """
    construct = _constructor()
    return convert(_wire(events, _writer(id, model, created_at, echo)), construct)


def ato_responses_events(
    events: AsyncIterable[StreamEvent] | Iterable[StreamEvent],
    *,
    id: str | None = None,
    model: str | None = None,
    created_at: int | None = None,
    echo: Mapping[str, Any] | None = None,
) -> AsyncIterator[ResponseStreamEvent]:
    """The async twin of :func:`to_responses_events` (same options, same objects)."""
    construct = _constructor()
    return aconvert(_awire(events, _writer(id, model, created_at, echo)), construct)


# The loops. One sync and one async generator drive the writer and end a failed stream with
# its error events; the sinks only convert what they yield, and close it (and so the events)
# when they are left early.


_construct: Any = None


def _constructor() -> Any:
    # openai is imported on first use only (never by `import typedstream`).
    global _construct
    if _construct is None:
        from openai._models import construct_type
        from openai.types.responses import ResponseStreamEvent

        def construct(wire: WireEvent) -> Any:
            return construct_type(value=wire, type_=ResponseStreamEvent)

        _construct = construct
    return _construct
