"""The stream state, driven directly: ordering, completeness, ids, done events and the call
lifecycle, with no wire format in sight (docs/event-model.md §9)."""

from __future__ import annotations

import pytest

from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    ChunkError,
    IncompleteStreamError,
    Logprobs,
    Moderation,
    ProviderData,
    ReasoningDelta,
    ReasoningDone,
    RefusalDelta,
    RefusalDone,
    StreamEvent,
    StreamStarted,
    TextDelta,
    TextDone,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
)
from typedstream._state import _TRANSITIONS, CallStatus, StreamState


def named_call(
    state: StreamState, out: list[StreamEvent], name: str, id: str | None = None, choice: int = 0
) -> None:
    st = state.choice(choice)
    call = state.tool_open(st, False, out)
    state.tool_fragment(st, call, id, name, None, out)


def test_start_sends_stream_started_once() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    state.start("r1", "m", 1, None, None, out)
    assert out == [StreamStarted("r1", "m", 1, None, None)]
    with pytest.raises(ChunkError, match="started twice"):
        state.start("r1", "m", 1, None, None, out)


def test_fragments_become_deltas_of_their_choice() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    st = state.choice(1)
    state.reasoning(st, "think", out)
    state.text(st, "hi", out)
    state.refusal(st, "no", out)
    assert out == [ReasoningDelta("think", 1), TextDelta("hi", 1), RefusalDelta("no", 1)]


def test_logprobs_and_provider_data_are_passed_through() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    st = state.choice(0)
    state.logprobs(st, [{"token": "a"}], None, out)
    state.provider_data(st, "thinking_blocks", [1], None, out)
    assert out == [
        Logprobs([{"token": "a"}], None, 0),
        ProviderData("thinking_blocks", [1], 0, None),
    ]


def test_done_events_carry_the_whole_texts_before_the_finish() -> None:
    state = StreamState(done_events=True)
    out: list[StreamEvent] = []
    st = state.choice(0)
    for piece in ("a", "b"):
        state.text(st, piece, out)
        state.reasoning(st, piece, out)
        state.refusal(st, piece, out)
    out.clear()
    state.finish(st, "stop", "stop", out)
    assert out == [
        ReasoningDone("ab", 0),
        TextDone("ab", 0),
        RefusalDone("ab", 0),
        ChoiceFinished("stop", "stop", 0),
    ]


def test_without_done_events_no_text_is_kept() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    st = state.choice(0)
    state.text(st, "a", out)
    assert st.text is None
    out.clear()
    state.finish(st, "stop", "stop", out)
    assert out == [ChoiceFinished("stop", "stop", 0)]


def test_a_call_starts_when_it_is_named_with_its_buffered_fragments() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    st = state.choice(0)
    call = state.tool_open(st, False, out)
    state.tool_fragment(st, call, "call_1", None, '{"a"', out)
    assert out == []
    assert call.status is CallStatus.PENDING
    state.tool_fragment(st, call, None, "f", ": 1}", out)
    assert out == [
        ToolCallStarted(0, "call_1", "f", 0),
        ArgumentsDelta(0, "call_1", '{"a"', 0),  # what came before the name, at once
        ArgumentsDelta(0, "call_1", ": 1}", 0),
    ]
    assert call.status is CallStatus.STREAMING


def test_id_and_name_are_set_once() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    st = state.choice(0)
    call = state.tool_open(st, False, out)
    state.tool_fragment(st, call, "call_1", "f", None, out)
    state.tool_fragment(st, call, "call_2", "g", None, out)
    assert (call.id, call.name) == ("call_1", "f")
    assert out == [ToolCallStarted(0, "call_1", "f", 0)]


def test_the_next_call_closes_the_open_one_first() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    named_call(state, out, "f", "call_1")
    st = state.choice(0)
    state.tool_arguments(st, st.open_calls[0], "{}", out)
    named_call(state, out, "g", "call_2")
    assert out == [
        ToolCallStarted(0, "call_1", "f", 0),
        ArgumentsDelta(0, "call_1", "{}", 0),
        ToolCallDone(0, "call_1", "f", "{}", 0),
        ToolCallStarted(1, "call_2", "g", 0),
    ]


def test_deferred_calls_close_at_the_finish_in_order() -> None:
    state = StreamState(defer_tool_call_done=True)
    out: list[StreamEvent] = []
    named_call(state, out, "f", "call_1")
    named_call(state, out, "g", "call_2")
    assert [type(e) for e in out] == [ToolCallStarted, ToolCallStarted]
    out.clear()
    state.finish(state.choice(0), "tool_calls", "tool_calls", out)
    assert out == [
        ToolCallDone(0, "call_1", "f", "", 0),
        ToolCallDone(1, "call_2", "g", "", 0),
        ChoiceFinished("tool_calls", "tool_calls", 0),
    ]


def test_a_cutting_finish_makes_open_calls_incomplete() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    named_call(state, out, "f", "call_1")
    st = state.choice(0)
    state.tool_arguments(st, st.open_calls[0], '{"a', out)
    out.clear()
    state.finish(st, "length", "max_tokens", out)
    assert out == [
        ToolCallIncomplete(0, "call_1", "f", '{"a', "max_tokens", 0),
        ChoiceFinished("length", "max_tokens", 0),
    ]
    assert st.last is not None
    assert st.last.status is CallStatus.INCOMPLETE


def test_an_unknown_finish_cuts_the_calls_and_reports_stop() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    named_call(state, out, "f", "call_1")
    out.clear()
    state.finish(state.choice(0), None, "weird", out)
    assert out == [
        ToolCallIncomplete(0, "call_1", "f", "", "weird", 0),
        ChoiceFinished("stop", "weird", 0, "other"),
    ]


@pytest.mark.parametrize(("legacy", "promoted"), [(False, "tool_calls"), (True, "function_call")])
def test_a_stop_after_calls_is_reported_as_the_calls_finish(legacy: bool, promoted: str) -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    st = state.choice(0)
    call = state.tool_open(st, legacy, out)
    state.tool_fragment(st, call, "call_1", "f", None, out)
    out.clear()
    state.finish(st, "stop", "stop", out)
    assert out[-1] == ChoiceFinished(promoted, "stop", 0)  # type: ignore[arg-type]


def test_a_call_closed_before_its_name_is_an_error_naming_where_it_started() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    state.chunk = 3
    st = state.choice(0)
    state.tool_open(st, False, out)
    state.chunk = None  # the end of the stream: no chunk is being read
    with pytest.raises(ChunkError, match=r"chunk 3: .*tool call 0 \(started in chunk 3\) never"):
        state.end(True, out)


def test_ids_are_synthesized_from_the_response_id_deterministically() -> None:
    def first_id(response_id: str) -> str:
        state = StreamState()
        out: list[StreamEvent] = []
        state.start(response_id, None, None, None, None, out)
        named_call(state, out, "f")
        started = out[-1]
        assert isinstance(started, ToolCallStarted)
        return started.id

    assert first_id("r1") == first_id("r1") != first_id("r2")
    assert first_id("r1").startswith("call_")


def test_the_id_factory_names_calls_without_an_id() -> None:
    state = StreamState(id_factory=lambda choice, index: f"id-{choice}-{index}")
    out: list[StreamEvent] = []
    named_call(state, out, "f", choice=2)
    named_call(state, out, "g", "given", choice=2)
    assert [e.id for e in out if isinstance(e, ToolCallStarted)] == ["id-2-0", "given"]


def test_a_complete_end_finishes_choices_then_sends_usage_and_moderation() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    named_call(state, out, "f", "call_1")
    state.usage({"total_tokens": 1})
    state.usage({"total_tokens": 2})  # the last one wins
    state.moderation({"flagged": False})
    out.clear()
    state.end(True, out)
    assert out == [
        ToolCallDone(0, "call_1", "f", "", 0),
        ChoiceFinished("tool_calls", None, 0),
        Usage({"total_tokens": 2}),
        Moderation({"flagged": False}),
    ]


def test_an_incomplete_end_raises_without_reporting_open_calls_done() -> None:
    state = StreamState()
    out: list[StreamEvent] = []
    named_call(state, out, "f", "call_1")
    st = state.choice(0)
    state.tool_arguments(st, st.open_calls[0], '{"a', out)
    out.clear()
    with pytest.raises(IncompleteStreamError) as caught:
        state.end(False, out, "[DONE]")
    assert out == []
    assert caught.value.unfinished_choices == (0,)
    assert caught.value.open_tool_calls == ((0, 0, "f", '{"a'),)


def test_an_incomplete_end_names_the_wire_marker_of_a_complete_end() -> None:
    state = StreamState()
    state.text(state.choice(0), "a", [])
    with pytest.raises(IncompleteStreamError, match="choice\\(s\\) 0 unfinished and no <end>"):
        state.end(False, [], "<end>")


def test_settled_tells_whether_ending_now_would_be_complete() -> None:
    state = StreamState()
    assert not state.settled(text_may_pend=True)  # no choice at all
    state.text(state.choice(0), "a", [])
    assert state.settled(text_may_pend=True)
    assert not state.settled(text_may_pend=False)
    named_call(state, [], "f")
    assert not state.settled(text_may_pend=True)
    state.finish(state.choice(0), "stop", "stop", [])
    assert state.settled(text_may_pend=False)


def test_only_done_and_incomplete_are_terminal_in_the_transition_table() -> None:
    sources = {source for source, _ in _TRANSITIONS}
    assert sources == {CallStatus.PENDING, CallStatus.STREAMING}
    assert set(CallStatus) - sources == {CallStatus.DONE, CallStatus.INCOMPLETE}
    assert set(_TRANSITIONS.values()) == {
        CallStatus.STREAMING,
        CallStatus.DONE,
        CallStatus.INCOMPLETE,
    }
