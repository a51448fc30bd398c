"""The stream state: the protocol-neutral core every reader drives (sans-IO).

How it works. A reader parses its wire format and calls one method per thing the wire said:
:meth:`StreamState.start`, :meth:`~StreamState.text`, :meth:`~StreamState.tool_open`,
:meth:`~StreamState.finish`, :meth:`~StreamState.end`, … Each method appends the events it
completes to the output list it is given. The state owns what every protocol shares:

* ordering — a call is done before the next call of its choice starts (unless
  ``defer_tool_call_done``), calls close before their choice's done events and finish, usage
  and moderation come once, at a complete end;
* completeness — :meth:`~StreamState.end` either ends every choice or raises
  :class:`~typedstream.IncompleteStreamError` without reporting open calls done;
* ids — a call without one gets a synthesized id (``id_factory``, else a hash of the response
  id, or of a per-stream random seed);
* done events — with ``done_events`` the whole text, reasoning and refusal of each choice.

It knows no JSON key and no wire format (see docs/event-model.md §2 and §9): which call a
fragment belongs to, what a finish reason means and when the stream ended are the reader's to
decide. A violation raises :class:`~typedstream.ChunkError` numbered with :attr:`chunk`, which
the reader sets before it reads each chunk; what happens after an error is the reader's rule.

A tool call's lifecycle has the states of :class:`CallStatus`; every allowed move is one row
of ``_TRANSITIONS``, and :meth:`StreamState._move` is the only place a status changes. The
events made for nearly every chunk (text, reasoning, refusal and argument fragments) are built
by the fast constructors of ``_events.py``, which skip the dataclass ``__init__``.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

from ._errors import ChunkError, IncompleteStreamError
from ._events import (
    CUTTING_STOPS,
    ArgumentsDelta,
    BlockDone,
    BlockStarted,
    BlockStatus,
    BlockType,
    ChoiceFinished,
    CustomToolCallDone,
    CustomToolCallIncomplete,
    CustomToolCallStarted,
    CustomToolInputDelta,
    FinishReason,
    Logprobs,
    Moderation,
    ProviderData,
    ReasoningDone,
    RefusalDone,
    StopReason,
    StreamError,
    StreamEvent,
    StreamStarted,
    TextDone,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
    WireProtocol,
    new_arguments_delta,
    new_reasoning_delta,
    new_refusal_delta,
    new_summary_delta,
    new_text_delta,
    projected_stop,
)

__all__ = ["Block", "Call", "CallStatus", "Choice", "IdFactory", "StreamState"]

IdFactory = Callable[[int, int], str]
"""``id_factory(choice, index) -> id`` for tool calls that arrive without an id."""


class CallStatus(enum.Enum):
    """Where a tool call is in its lifecycle (docs/event-model.md §9.2)."""

    PENDING = "pending"
    """No name yet: fragments are buffered, no event was sent."""
    STREAMING = "streaming"
    """Started (:class:`~typedstream.ToolCallStarted` sent); fragments arriving."""
    CLOSED = "closed"
    """The wire closed the call's block (Anthropic ``content_block_stop``), but the stream has
    not yet said the call is complete: the next block or a finish decides."""
    DONE = "done"
    """:class:`~typedstream.ToolCallDone` sent (terminal)."""
    INCOMPLETE = "incomplete"
    """:class:`~typedstream.ToolCallIncomplete` sent: a finish cut it off (terminal)."""


class _Trigger(enum.Enum):
    NAMED = "named"
    COMPLETE = "complete"  # the next call or block started, a completing finish, a complete end
    CUT = "cut"  # a finish that cuts the call off, an error, the end of input
    BLOCK_STOP = "block_stop"  # the wire closed the call's block


_TRANSITIONS: Final[Mapping[tuple[CallStatus, _Trigger], CallStatus]] = {
    (CallStatus.PENDING, _Trigger.NAMED): CallStatus.STREAMING,
    (CallStatus.STREAMING, _Trigger.COMPLETE): CallStatus.DONE,
    (CallStatus.STREAMING, _Trigger.CUT): CallStatus.INCOMPLETE,
    (CallStatus.STREAMING, _Trigger.BLOCK_STOP): CallStatus.CLOSED,
    (CallStatus.CLOSED, _Trigger.COMPLETE): CallStatus.DONE,
    (CallStatus.CLOSED, _Trigger.CUT): CallStatus.INCOMPLETE,
}
"""Every allowed move of a call; any other (closing a nameless call) is a ChunkError."""

_PENDING: Final = CallStatus.PENDING
_STREAMING: Final = CallStatus.STREAMING
_DONE: Final = CallStatus.DONE
_CLOSED: Final = CallStatus.CLOSED

# The fragments of every closed call: a closed call takes no fragment, so they share one
# empty list instead of keeping one each.
_NO_PARTS: Final[list[str]] = []


class Call:
    """One tool call of one choice, as the state tracks it (the reader reads it, the state
    changes it)."""

    __slots__ = ("chunk", "custom", "id", "index", "legacy", "name", "out_id", "parts", "status")

    def __init__(self, index: int, legacy: bool, chunk: int | None) -> None:
        self.index = index  # dense position within the choice
        self.legacy = legacy
        self.custom = False  # a free-text call (Responses custom_tool_call): its own events
        self.chunk = chunk  # where it opened, for error messages
        self.id: str | None = None  # the provider's id, once known
        self.out_id = ""  # the id used in events (provider's or synthesized)
        self.name: str | None = None
        self.parts: list[str] = []
        self.status = CallStatus.PENDING


class Block:
    """The open block of a choice (docs/event-model.md §3.2)."""

    __slots__ = ("id", "index", "type", "wire_type")

    def __init__(self, index: int, type: BlockType, wire_type: str, id: str | None) -> None:
        self.index = index
        self.type: BlockType = type
        self.wire_type = wire_type
        self.id = id


class Choice:
    """The state of one choice."""

    __slots__ = (
        "block",
        "blocks",
        "calls",
        "finished",
        "index",
        "last",
        "open_calls",
        "reasoning",
        "refusal",
        "summary",
        "text",
    )

    def __init__(self, index: int, keep_text: bool) -> None:
        self.index = index
        self.finished = False
        self.block: Block | None = None  # the open block (at most one)
        self.blocks = 0  # how many blocks opened: the next dense index
        self.calls = 0  # how many calls opened: the next dense index
        self.last: Call | None = None  # the latest call (a plain "stop" with calls is promoted)
        self.open_calls: list[Call] = []  # opened and not closed, in order
        # Whole texts, only with done_events (otherwise no text is kept).
        self.text: list[str] | None = [] if keep_text else None
        self.reasoning: list[str] | None = [] if keep_text else None
        self.refusal: list[str] | None = [] if keep_text else None
        self.summary: list[str] | None = [] if keep_text else None


class StreamState:
    """Ordering, completeness, ids and done events of one stream, for any reader.

    Args:
        defer_tool_call_done: Close the calls of a choice only at its finish, not when the
            next call starts.
        done_events: Keep each choice's text, reasoning and refusal, and send them whole
            when it finishes.
        id_factory: Makes the id of a call that has none (see :data:`IdFactory`).
    """

    __slots__ = (
        "_moderation",
        "_seed",
        "_usage",
        "choices",
        "chunk",
        "defer_tool_call_done",
        "done_events",
        "id_factory",
        "protocol",
        "response_id",
        "started",
    )

    def __init__(
        self,
        *,
        defer_tool_call_done: bool = False,
        done_events: bool = False,
        id_factory: IdFactory | None = None,
    ) -> None:
        self.defer_tool_call_done = defer_tool_call_done
        self.done_events = done_events
        self.id_factory = id_factory
        self.chunk: int | None = None  # the chunk being read, for errors (None: at the end)
        self.started = False
        self.protocol: WireProtocol = "chat"
        self.response_id: str | None = None
        self.choices: dict[int, Choice] = {}
        self._usage: dict[str, Any] | None = None
        self._moderation: dict[str, Any] | None = None
        self._seed: str | None = None

    # -- the stream ------------------------------------------------------------------------

    def start(
        self,
        id: str | None,
        model: str | None,
        created: int | None,
        system_fingerprint: str | None,
        service_tier: str | None,
        out: list[StreamEvent],
        protocol: WireProtocol = "chat",
        initial_usage: Usage | None = None,
    ) -> None:
        """The response began: :class:`~typedstream.StreamStarted`, once, first. ``protocol``
        is the wire's, also that of every structural event, usage and error that follows."""
        if self.started:
            raise ChunkError("the stream started twice", self.chunk)
        self.started = True
        self.response_id = id
        self.protocol = protocol
        out.append(
            StreamStarted(
                id, model, created, system_fingerprint, service_tier, protocol, initial_usage
            )
        )

    def usage(self, usage: Mapping[str, Any]) -> None:
        """Usage so far; the last one is sent at the complete end."""
        self._usage = dict(usage)

    def moderation(self, moderation: Mapping[str, Any]) -> None:
        """Moderation results; the last one is sent at the complete end, after usage."""
        self._moderation = dict(moderation)

    def choice(self, index: int) -> Choice:
        """The choice ``index``, begun on first use."""
        st = self.choices.get(index)
        if st is None:
            st = self.choices[index] = Choice(index, self.done_events)
        return st

    # -- blocks ----------------------------------------------------------------------------

    def open_block(
        self,
        st: Choice,
        index: int,
        type: BlockType,
        wire_type: str,
        id: str | None,
        out: list[StreamEvent],
        phase: str | None = None,
    ) -> Block:
        """A block opens: :class:`~typedstream.BlockStarted`. Indexes are dense from 0 and one
        block is open at a time; a call whose block closed is done first (:meth:`settle`)."""
        if st.block is not None:
            raise ChunkError(
                f"block {index} started while block {st.block.index} "
                f"({st.block.wire_type}) is still open",
                self.chunk,
            )
        if index != st.blocks:
            raise ChunkError(f"block index {index} out of order: expected {st.blocks}", self.chunk)
        self.settle(st, out)
        st.blocks += 1
        block = st.block = Block(index, type, wire_type, id)
        out.append(BlockStarted(index, type, wire_type, id, self.protocol, phase, st.index))
        return block

    def close_block(
        self, st: Choice, index: int, status: BlockStatus, out: list[StreamEvent]
    ) -> None:
        """The open block ``index`` closes: :class:`~typedstream.BlockDone`."""
        block = st.block
        if block is None or block.index != index:
            open_one = "no block is open" if block is None else f"block {block.index} is open"
            raise ChunkError(f"block {index} closed, but {open_one}", self.chunk)
        st.block = None
        out.append(
            BlockDone(index, block.type, block.wire_type, block.id, self.protocol, status, st.index)
        )

    def _cut_block(self, st: Choice, out: list[StreamEvent]) -> None:
        if st.block is not None:
            self.close_block(st, st.block.index, "cut", out)

    # -- content ---------------------------------------------------------------------------

    def text(self, st: Choice, fragment: str, out: list[StreamEvent]) -> None:
        """A non-empty text fragment of a choice that has not finished."""
        out.append(new_text_delta(fragment, st.index))
        if st.text is not None:
            st.text.append(fragment)

    def reasoning(self, st: Choice, fragment: str, out: list[StreamEvent]) -> None:
        """A non-empty reasoning fragment (as :meth:`text`)."""
        out.append(new_reasoning_delta(fragment, st.index))
        if st.reasoning is not None:
            st.reasoning.append(fragment)

    def summary(self, st: Choice, fragment: str, out: list[StreamEvent]) -> None:
        """A non-empty fragment of a reasoning summary (Responses ``summary_text``)."""
        out.append(new_summary_delta(fragment, st.index, True))
        if st.summary is not None:
            st.summary.append(fragment)

    def refusal(self, st: Choice, fragment: str, out: list[StreamEvent]) -> None:
        """A non-empty refusal fragment (as :meth:`text`)."""
        out.append(new_refusal_delta(fragment, st.index))
        if st.refusal is not None:
            st.refusal.append(fragment)

    def logprobs(
        self,
        st: Choice,
        content: list[Any] | None,
        refusal: list[Any] | None,
        out: list[StreamEvent],
    ) -> None:
        """Log probabilities, sent before the fragment they describe."""
        out.append(Logprobs(content, refusal, st.index))

    def provider_data(
        self,
        st: Choice,
        key: str,
        value: Any,
        tool_index: int | None,
        out: list[StreamEvent],
    ) -> None:
        """Data the provider needs back on the next turn; delivered even after a finish."""
        out.append(ProviderData(key, value, st.index, tool_index))

    # -- tool calls ------------------------------------------------------------------------

    def tool_open(self, st: Choice, legacy: bool, out: list[StreamEvent]) -> Call:
        """Open the next call of a choice (without a name yet). Every open call of the
        choice is done first, unless ``defer_tool_call_done``."""
        if not self.defer_tool_call_done:
            for previous in st.open_calls:
                self._close_call(st, previous, _Trigger.COMPLETE, "", self.chunk, out)
            st.open_calls.clear()
        call = st.last = Call(st.calls, legacy, self.chunk)
        st.calls += 1
        st.open_calls.append(call)
        return call

    def tool_start(
        self, st: Choice, id: str, name: str, out: list[StreamEvent], custom: bool = False
    ) -> Call:
        """Open a call that arrives with its id and name (Anthropic ``tool_use``, Responses
        ``function_call``): :class:`~typedstream.ToolCallStarted`, or with ``custom`` (a
        Responses ``custom_tool_call``) :class:`~typedstream.CustomToolCallStarted`."""
        call = self.tool_open(st, False, out)
        call.id = id
        call.name = name
        call.custom = custom
        self._start_call(st, call, out)
        return call

    def tool_close(
        self, st: Choice, call: Call, reason: str | None, out: list[StreamEvent]
    ) -> None:
        """The wire said the call is over (Responses ``output_item.done``): done, or with a
        ``reason`` incomplete (docs/event-model.md §9.2)."""
        trigger = _Trigger.COMPLETE if reason is None else _Trigger.CUT
        self._close_call(st, call, trigger, reason or "", self.chunk, out)
        st.open_calls.remove(call)

    def tool_stop(self, st: Choice, call: Call) -> None:
        """The wire closed the call's block: the call is ``closed``, not yet done; the next
        block (:meth:`settle`) or the finish decides (docs/event-model.md §9.2)."""
        self._move(st, call, _Trigger.BLOCK_STOP, self.chunk)

    def settle(self, st: Choice, out: list[StreamEvent]) -> None:
        """Report done every call of ``st`` whose block closed (a later block started)."""
        if st.open_calls and any(call.status is _CLOSED for call in st.open_calls):
            for call in st.open_calls:
                if call.status is _CLOSED:
                    self._close_call(st, call, _Trigger.COMPLETE, "", self.chunk, out)
            st.open_calls = [call for call in st.open_calls if call.status is not _DONE]

    def tool_fragment(
        self,
        st: Choice,
        call: Call,
        id: str | None,
        name: str | None,
        arguments: str | None,
        out: list[StreamEvent],
    ) -> None:
        """What one wire fragment says of an open call: its id and name (each set once, the
        call starts when it has a name) and an arguments fragment (buffered until then)."""
        if id is not None and call.id is None:
            call.id = id
        if name is not None and call.name is None:
            call.name = name
        if call.status is _PENDING and call.name is not None:
            self._start_call(st, call, out)
        if arguments:
            call.parts.append(arguments)
            if call.status is _STREAMING:
                out.append(new_arguments_delta(call.index, call.out_id, arguments, st.index))

    def tool_arguments(self, st: Choice, call: Call, fragment: str, out: list[StreamEvent]) -> None:
        """The next non-empty arguments fragment of a streaming call (the usual fragment)."""
        call.parts.append(fragment)
        if call.custom:
            out.append(CustomToolInputDelta(call.index, call.out_id, fragment, st.index))
        else:
            out.append(new_arguments_delta(call.index, call.out_id, fragment, st.index))

    def _start_call(self, st: Choice, call: Call, out: list[StreamEvent]) -> None:
        self._move(st, call, _Trigger.NAMED, self.chunk)
        call.out_id = call.id or self._make_id(st.index, call.index)
        if call.custom:
            out.append(CustomToolCallStarted(call.index, call.out_id, call.name or "", st.index))
            return
        out.append(ToolCallStarted(call.index, call.out_id, call.name or "", st.index, call.legacy))
        if call.parts:  # fragments that arrived before the name (buffered, not lost)
            out.append(ArgumentsDelta(call.index, call.out_id, "".join(call.parts), st.index))

    def _close_call(
        self,
        st: Choice,
        call: Call,
        trigger: _Trigger,
        reason: str,
        n: int | None,
        out: list[StreamEvent],
    ) -> None:
        self._move(st, call, trigger, n)
        arguments = "".join(call.parts)
        call.parts = _NO_PARTS
        name = call.name or ""
        if call.custom:
            self._close_custom(st, call, arguments, reason, out)
        elif call.status is _DONE:
            out.append(
                ToolCallDone(call.index, call.out_id, name, arguments, st.index, call.legacy)
            )
        else:
            out.append(
                ToolCallIncomplete(
                    call.index, call.out_id, name, arguments, reason, st.index, call.legacy
                )
            )

    def _close_custom(
        self, st: Choice, call: Call, text: str, reason: str, out: list[StreamEvent]
    ) -> None:
        name = call.name or ""
        if call.status is _DONE:
            out.append(CustomToolCallDone(call.index, call.out_id, name, text, st.index))
        else:
            out.append(
                CustomToolCallIncomplete(call.index, call.out_id, name, text, reason, st.index)
            )

    def _move(self, st: Choice, call: Call, trigger: _Trigger, n: int | None) -> None:
        status = _TRANSITIONS.get((call.status, trigger))
        if status is None:
            # Only a nameless call can be closed out of turn; at the end of the stream no
            # chunk is being read, so the one that opened it is blamed.
            raise ChunkError(
                f"choice {st.index}: tool call {call.index} (started in chunk {call.chunk}) "
                "never received a function name",
                call.chunk if n is None else n,
            )
        call.status = status

    def _make_id(self, choice: int, index: int) -> str:
        if self.id_factory is not None:
            return self.id_factory(choice, index)
        if self.response_id is not None:
            basis = self.response_id
        else:
            if self._seed is None:
                self._seed = secrets.token_hex(16)
            basis = self._seed
        digest = hashlib.sha256(f"{basis}:{choice}:{index}".encode()).hexdigest()
        return f"call_{digest[:24]}"

    # -- finishing -------------------------------------------------------------------------

    def finish(
        self,
        st: Choice,
        reason: FinishReason | None,
        raw: str | None,
        out: list[StreamEvent],
        stop: StopReason | None = None,
        stop_sequence: str | None = None,
    ) -> None:
        """The choice finished with ``raw`` (as sent; None: the stream ended completely
        without one), which the reader normalized to ``reason`` (None: unknown) and to the
        neutral ``stop`` reason, which alone decides whether open calls are cut off."""
        self._finish(st, reason, raw, self.chunk, out, stop, stop_sequence)

    def _finish(
        self,
        st: Choice,
        reason: FinishReason | None,
        raw: str | None,
        n: int | None,
        out: list[StreamEvent],
        stop: StopReason | None = None,
        stop_sequence: str | None = None,
    ) -> None:
        if raw is None:
            reason, stop = "stop", "end"  # a complete end without a finish reason
        elif stop is None:
            stop = projected_stop(reason)
        # `max_tokens`, `content_filter`, `refusal`, `context_window` and an unknown reason
        # cut the open calls off; every other stop says they are complete.
        trigger = _Trigger.CUT if stop in CUTTING_STOPS else _Trigger.COMPLETE
        for call in st.open_calls:
            self._close_call(st, call, trigger, raw or "", n, out)
        st.open_calls.clear()
        self._cut_block(st, out)  # only a reader that allows it leaves a block open here
        st.finished = True
        if st.reasoning:
            out.append(ReasoningDone("".join(st.reasoning), st.index))
        if st.summary:
            out.append(ReasoningDone("".join(st.summary), st.index, True))
        if st.text:
            out.append(TextDone("".join(st.text), st.index))
        if st.refusal:
            out.append(RefusalDone("".join(st.refusal), st.index))
        st.text = st.reasoning = st.refusal = st.summary = None
        if reason is None:
            reason = "stop"  # an unknown reason: never promoted to tool_calls
        elif reason == "stop" and st.last is not None and self.protocol == "chat":
            # calls, but "stop" (or none at all): chat's finish reason is unreliable (D5)
            reason = "function_call" if st.last.legacy else "tool_calls"
            stop = "tool_calls"
        out.append(ChoiceFinished(reason, raw, st.index, stop, stop_sequence))

    def settled(self, text_may_pend: bool) -> bool:
        """Whether ending here would be a complete end: a choice began and every choice
        finished — or, with ``text_may_pend``, none has an open call."""
        if not self.choices:
            return False
        unfinished = [st for st in self.choices.values() if not st.finished]
        return not unfinished or (text_may_pend and not any(st.open_calls for st in unfinished))

    def end(
        self,
        complete: bool,
        out: list[StreamEvent],
        marker: str = "end marker",
        report_cut: bool = False,
    ) -> None:
        """The stream ended. Complete: finish every unfinished choice (its calls done), then
        :class:`~typedstream.Usage` and :class:`~typedstream.Moderation`. Otherwise raise
        :class:`~typedstream.IncompleteStreamError` (naming the wire's ``marker`` of a
        complete end); no open call is reported done — with ``report_cut``, each gets
        :class:`~typedstream.ToolCallIncomplete` (``end_of_input``) and the open block
        :class:`~typedstream.BlockDone` (``cut``) in ``out`` first."""
        if not complete:
            error = self._incomplete(marker)
            if report_cut:
                self._cut_all("end_of_input", out)
            raise error
        for st in self.choices.values():
            if not st.finished:
                self._finish(st, None, None, None, out)
        if self._usage is not None:
            out.append(Usage(self._usage, self.protocol))
        if self._moderation is not None:
            out.append(Moderation(self._moderation))

    def error(
        self,
        message: str,
        type: str | None,
        code: str | None,
        data: dict[str, Any],
        out: list[StreamEvent],
        source: Literal["event", "response"] = "event",
    ) -> None:
        """The provider reported an error in the stream (or, ``source="response"``, the
        response failed): every open call is incomplete (``error``), every open block cut,
        then :class:`~typedstream.StreamError`. The reader refuses input afterwards."""
        self._cut_all("error", out)
        out.append(StreamError(message, type, code, data, source, self.protocol))

    def openai_error(
        self,
        error: Mapping[str, Any],
        out: list[StreamEvent],
        source: Literal["event", "response"] = "event",
    ) -> None:
        """:meth:`error` for an OpenAI-style error object (chat chunks, Responses): its
        ``message``, ``type`` and ``code`` where they have the right type, a numeric code
        (OpenRouter sends HTTP statuses) as its decimal string."""
        message = error.get("message")
        kind = error.get("type")
        code = error.get("code")
        if isinstance(code, int) and not isinstance(code, bool):
            code = str(code)
        self.error(
            message if isinstance(message, str) else "",
            kind if isinstance(kind, str) else None,
            code if isinstance(code, str) else None,
            dict(error),
            out,
            source,
        )

    def _cut_all(self, reason: str, out: list[StreamEvent]) -> None:
        for st in self.choices.values():
            for call in st.open_calls:
                if call.status is not _PENDING:  # a nameless call was never started
                    self._close_call(st, call, _Trigger.CUT, reason, self.chunk, out)
            st.open_calls.clear()
            self._cut_block(st, out)

    def _incomplete(self, marker: str) -> IncompleteStreamError:
        unfinished = [st for st in self.choices.values() if not st.finished]
        open_calls = [(st.index, call) for st in unfinished for call in st.open_calls]
        if not self.choices:
            problem = "the stream ended before any choice arrived"
        elif open_calls:
            parts = [
                f"tool call {call.index} ({f'{call.name!r}' if call.name else 'unnamed'}) "
                f"of choice {choice}"
                for choice, call in open_calls
            ]
            problem = (
                f"the stream ended while {', '.join(parts)} was still streaming; "
                "it is not reported done"
            )
        elif not unfinished:  # every choice finished, but the wire's end never came
            problem = f"the stream ended after its finish but without its {marker}"
        else:
            choices = ", ".join(str(st.index) for st in unfinished)
            problem = f"the stream ended with choice(s) {choices} unfinished and no {marker}"
        return IncompleteStreamError(
            problem,
            tuple(st.index for st in unfinished),
            tuple((c, call.index, call.name, "".join(call.parts)) for c, call in open_calls),
        )
