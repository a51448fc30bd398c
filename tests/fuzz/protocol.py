"""An independent checker of the event protocol (docs/events.md: order and completeness).

`check_events(events, error, ...)` looks only at what a consumer sees: the events delivered
and the error raised at the end, if any. It knows nothing of chunks, so it can judge any
stream, however mangled its input was. It raises `ProtocolViolation` with the position of
the first broken rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    ChunkError,
    Citation,
    IncompleteStreamError,
    Logprobs,
    Moderation,
    OpaqueState,
    ProviderData,
    ProviderError,
    RawChunk,
    ReasoningDelta,
    ReasoningDone,
    RefusalDelta,
    RefusalDone,
    StreamError,
    StreamEvent,
    StreamStarted,
    TextDelta,
    TextDone,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    TypedStreamError,
    Usage,
)

REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})


class ProtocolViolation(AssertionError):
    """The events broke a rule of docs/events.md."""


@dataclass
class _Call:
    started: ToolCallStarted
    arguments: list[str] = field(default_factory=list)
    done: bool = False


@dataclass
class _Choice:
    calls: dict[int, _Call] = field(default_factory=dict)  # by index
    cut: str | None = None  # the finish reason that cut a call off, once one did
    finished: bool = False
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)


def check_events(
    events: list[StreamEvent],
    error: BaseException | None,
    *,
    defer_tool_call_done: bool = False,
    done_events: bool = False,
    raw: bool = False,
) -> None:
    """Raise `ProtocolViolation` unless `events` (then `error`) obey the event protocol."""
    choices: dict[int, _Choice] = {}
    seen_start = seen_usage = seen_moderation = seen_error = False
    payload_seen = False  # any event other than RawChunk/StreamStarted
    carrier: tuple[int, str] | None = None  # (choice, key) of the ProviderData just before

    def fail(at: int, rule: str) -> None:
        raise ProtocolViolation(f"event {at} ({events[at]!r}): {rule}")

    for at, event in enumerate(events):
        if isinstance(event, RawChunk):
            if not raw:
                fail(at, "a RawChunk without raw=True")
            continue
        if isinstance(event, StreamStarted):
            if seen_start or payload_seen:
                fail(at, "StreamStarted must come once, before any other event")
            seen_start = True
            continue
        payload_seen = True
        if seen_error:
            fail(at, "nothing may follow StreamError")
        if isinstance(event, StreamError):
            # An error chunk ends the stream: the calls it cut off were reported first.
            seen_error = True
            if seen_usage or seen_moderation:
                fail(at, "StreamError after the end-of-stream events")
            if any(not c.done for st in choices.values() for c in st.calls.values()):
                fail(at, "StreamError with a call still open")
            if not isinstance(error, ProviderError):
                fail(at, f"StreamError not followed by ProviderError (got {error!r})")
            continue
        if seen_moderation:
            fail(at, "nothing may follow Moderation")
        if isinstance(event, Moderation):
            seen_moderation = True
            continue
        if seen_usage:
            fail(at, "only Moderation may follow Usage")
        if isinstance(event, Usage):
            seen_usage = True
            if any(not c.finished for c in choices.values()):
                fail(at, "Usage before every choice finished")
            continue
        if not seen_start:
            fail(at, "an event before StreamStarted")
        choice = getattr(event, "choice", None)
        if not isinstance(choice, int) or choice < 0:
            fail(at, "a choice event without a valid choice number")
            continue
        st = choices.setdefault(choice, _Choice())
        if isinstance(event, ProviderData):
            carrier = (choice, event.key)
            continue  # may follow the finish (provider data on a phantom choice)
        if isinstance(event, (OpaqueState, Citation)):
            # A typed fact comes right after the ProviderData that carried it (with the
            # other facts of that value), or alone from an envelope; like its carrier, it
            # may follow the finish.
            if event.via is not None and carrier != (choice, event.via):
                fail(at, "a fact read from chat comes right after its ProviderData")
            if isinstance(event, OpaqueState):
                if not event.data:
                    fail(at, "opaque state is never empty")
                if event.tool_id is not None and not any(
                    c.started.id == event.tool_id for c in st.calls.values()
                ):
                    fail(at, "a call's opaque state comes after its ToolCallStarted")
            continue
        carrier = None
        if st.finished:
            fail(at, "an event for a choice that already finished")
        match event:
            case TextDelta(text=text) | ReasoningDelta(text=text) | RefusalDelta(text=text):
                if not isinstance(text, str) or not text:
                    fail(at, "deltas carry non-empty text")
                {TextDelta: st.text, ReasoningDelta: st.reasoning, RefusalDelta: st.refusal}[
                    type(event)
                ].append(text)
            case ToolCallStarted(index=index, id=call_id, name=name):
                if defer_tool_call_done:
                    # A call that waits for its name may start after a later call did.
                    if index in st.calls or index < 0:
                        fail(at, f"call {index} started twice (or a negative index)")
                elif index != len(st.calls):
                    fail(at, f"call index {index} is not the next dense index {len(st.calls)}")
                if not call_id or not name:
                    fail(at, "a started call has an id and a name")
                if not defer_tool_call_done and any(not c.done for c in st.calls.values()):
                    fail(at, "a call started while the previous call was open")
                st.calls[index] = _Call(event)
            case ArgumentsDelta(index=index, id=call_id, delta=delta):
                call = _open_call(st, index)
                if call is None:
                    fail(at, "arguments for a call that is not open")
                    continue
                if call_id != call.started.id:
                    fail(at, "arguments carry their call's id")
                if not delta:
                    fail(at, "arguments fragments are non-empty")
                call.arguments.append(delta)
            case ToolCallDone(index=index, id=call_id, name=name, arguments=arguments):
                call = _open_call(st, index)
                if call is None:
                    fail(at, "ToolCallDone for a call that is not open")
                    continue
                if (call_id, name) != (call.started.id, call.started.name):
                    fail(at, "ToolCallDone repeats its call's id and name")
                if arguments != "".join(call.arguments):
                    fail(at, "ToolCallDone.arguments is not the join of the deltas")
                call.done = True
            case ToolCallIncomplete(index=index, id=call_id, name=name, arguments=arguments):
                call = _open_call(st, index)
                if call is None:
                    fail(at, "ToolCallIncomplete for a call that is not open")
                    continue
                if (call_id, name) != (call.started.id, call.started.name):
                    fail(at, "ToolCallIncomplete repeats its call's id and name")
                if arguments != "".join(call.arguments):
                    fail(at, "ToolCallIncomplete.arguments is not the join of the deltas")
                if st.cut not in (None, event.reason):
                    fail(at, "the calls of one finish are cut by one reason")
                st.cut = event.reason
                call.done = True
            case ChoiceFinished(reason=reason, raw_reason=raw_reason):
                if reason not in REASONS:
                    fail(at, f"unknown normalized reason {reason!r}")
                if raw_reason is not None and not isinstance(raw_reason, str):
                    fail(at, "raw_reason is a string or None")
                if any(not c.done for c in st.calls.values()):
                    fail(at, "a choice finished with a call still open")
                if sorted(st.calls) != list(range(len(st.calls))):
                    fail(at, "call indexes are not dense from 0")
                if st.cut is not None and (
                    raw_reason != st.cut or reason in ("tool_calls", "function_call")
                ):
                    fail(at, "a cut call is followed by the finish that cut it, never tool_calls")
                if reason == "stop" and st.calls and st.cut is None:
                    fail(at, "a choice whose calls completed cannot finish with 'stop'")
                st.finished = True
            case TextDone(text=text) | ReasoningDone(text=text) | RefusalDone(text=text):
                if not done_events:
                    fail(at, "a *Done text event without done_events=True")
                parts = {TextDone: st.text, ReasoningDone: st.reasoning, RefusalDone: st.refusal}
                if text != "".join(parts[type(event)]):
                    fail(at, "a *Done event carries the join of its deltas")
            case Logprobs():
                pass
            case _:
                fail(at, "an unexpected event")

    if error is None:
        for number, st in choices.items():
            if not st.finished:
                raise ProtocolViolation(f"the stream ended without finishing choice {number}")
        return
    if not isinstance(error, TypedStreamError):
        raise ProtocolViolation(f"an untyped error escaped: {error!r}")
    if isinstance(error, ProviderError) and not seen_error:
        raise ProtocolViolation(f"{error!r} without the StreamError that reports it")
    if seen_usage or seen_moderation:
        raise ProtocolViolation(f"end-of-stream events came before the error {error!r}")
    if isinstance(error, IncompleteStreamError):
        cut = {(c, i) for c, i, _, _ in error.open_tool_calls}
        for number, st in choices.items():
            for call in st.calls.values():
                if not call.done:
                    # An end of input cuts every open call off before the error.
                    raise ProtocolViolation(
                        f"the open call {call.started!r} of choice {number} got no "
                        "ToolCallIncomplete before IncompleteStreamError"
                    )
                if (number, call.started.index) in cut and st.cut != "end_of_input":
                    raise ProtocolViolation(
                        f"the call {call.started!r} IncompleteStreamError lists was not cut "
                        "by the end of input"
                    )
        for c, i, _, arguments in error.open_tool_calls:
            st = choices.get(c, _Choice())
            if i in st.calls and arguments != "".join(st.calls[i].arguments):
                raise ProtocolViolation(f"open call {i}: arguments so far differ from the deltas")


def check_error_names_chunk(error: BaseException) -> None:
    """A `ChunkError` or `ProviderError` names its chunk: `.chunk` set, message "chunk N: …"."""
    if isinstance(error, (ChunkError, ProviderError)):
        number = error.chunk
        if not isinstance(number, int) or number < 1:
            raise ProtocolViolation(f"{type(error).__name__} without a chunk number: {error}")
        if not str(error).startswith(f"chunk {number}: "):
            raise ProtocolViolation(f"message does not start with 'chunk {number}: ': {error}")
    if isinstance(error, ChunkError) and error.__cause__ is not None:
        raise ProtocolViolation(
            f"ChunkError wraps an unexpected internal exception: {error.__cause__!r}"
        )


def _open_call(st: _Choice, index: int) -> _Call | None:
    call = st.calls.get(index)
    return call if call is not None and not call.done else None
