"""The stream state, driven directly: ordering, completeness, ids, done events and the call
lifecycle, with no wire format in sight (docs/event-model.md §9)."""

from __future__ import annotations

import pytest

from typedstream import (
    ArgumentsDelta,
    BlockDone,
    BlockStarted,
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
    StreamError,
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
    assert sources == {CallStatus.PENDING, CallStatus.STREAMING, CallStatus.CLOSED}
    assert set(CallStatus) - sources == {CallStatus.DONE, CallStatus.INCOMPLETE}
    assert set(_TRANSITIONS.values()) == {
        CallStatus.STREAMING,
        CallStatus.CLOSED,
        CallStatus.DONE,
        CallStatus.INCOMPLETE,
    }


# -- blocks and the closed state (the protocol-neutral half of the Anthropic reader) ----------


def anthropic_state(out: list[StreamEvent]) -> StreamState:
    state = StreamState()
    state.start("msg_1", "m", None, None, None, out, protocol="anthropic")
    return state


def tool_block(state: StreamState, out: list[StreamEvent], index: int, id: str) -> None:
    st = state.choice(0)
    state.open_block(st, index, "tool_call", "tool_use", id, out)
    call = state.tool_start(st, id, "f", out)
    state.tool_arguments(st, call, "{}", out)
    state.close_block(st, index, "completed", out)
    state.tool_stop(st, call)


def test_blocks_are_dense_and_one_is_open_at_a_time() -> None:
    out: list[StreamEvent] = []
    state = anthropic_state(out)
    st = state.choice(0)
    with pytest.raises(ChunkError, match="block index 1 out of order: expected 0"):
        state.open_block(st, 1, "text", "text", None, out)
    state.open_block(st, 0, "text", "text", None, out)
    with pytest.raises(ChunkError, match="block 1 started while block 0 \\(text\\) is still open"):
        state.open_block(st, 1, "text", "text", None, out)
    with pytest.raises(ChunkError, match="block 1 closed, but block 0 is open"):
        state.close_block(st, 1, "completed", out)
    state.close_block(st, 0, "completed", out)
    assert out[1:] == [
        BlockStarted(0, "text", "text", None, "anthropic"),
        BlockDone(0, "text", "text", None, "anthropic", "completed"),
    ]


def test_a_closed_call_is_done_when_the_next_block_starts() -> None:
    out: list[StreamEvent] = []
    state = anthropic_state(out)
    tool_block(state, out, 0, "toolu_a")
    assert not any(isinstance(e, ToolCallDone) for e in out)  # closed, not yet done
    state.open_block(state.choice(0), 1, "text", "text", None, out)
    assert out[-2:] == [
        ToolCallDone(0, "toolu_a", "f", "{}"),
        BlockStarted(1, "text", "text", None, "anthropic"),
    ]


@pytest.mark.parametrize(
    ("raw", "stop", "expected"),
    [
        ("tool_use", "tool_calls", ToolCallDone(0, "toolu_a", "f", "{}")),
        ("pause_turn", "pause", ToolCallDone(0, "toolu_a", "f", "{}")),
        ("max_tokens", "max_tokens", ToolCallIncomplete(0, "toolu_a", "f", "{}", "max_tokens")),
        ("refusal", "refusal", ToolCallIncomplete(0, "toolu_a", "f", "{}", "refusal")),
    ],
)
def test_a_closed_call_is_done_or_incomplete_by_the_stop(
    raw: str, stop: str, expected: StreamEvent
) -> None:
    out: list[StreamEvent] = []
    state = anthropic_state(out)
    tool_block(state, out, 0, "toolu_a")
    state.finish(state.choice(0), "stop", raw, out, stop)  # type: ignore[arg-type]
    assert out[-2] == expected


def test_an_end_turn_with_calls_is_not_promoted_outside_chat() -> None:
    out: list[StreamEvent] = []
    state = anthropic_state(out)
    tool_block(state, out, 0, "toolu_a")
    state.finish(state.choice(0), "stop", "end_turn", out, "end")
    assert out[-1] == ChoiceFinished("stop", "end_turn", 0, "end")


def test_a_cutting_finish_cuts_the_open_block_after_its_call() -> None:
    out: list[StreamEvent] = []
    state = anthropic_state(out)
    st = state.choice(0)
    state.open_block(st, 0, "tool_call", "tool_use", "toolu_a", out)
    call = state.tool_start(st, "toolu_a", "f", out)
    state.tool_arguments(st, call, '{"a', out)
    state.finish(st, "length", "max_tokens", out, "max_tokens")
    assert out[-3:] == [
        ToolCallIncomplete(0, "toolu_a", "f", '{"a', "max_tokens"),
        BlockDone(0, "tool_call", "tool_use", "toolu_a", "anthropic", "cut"),
        ChoiceFinished("length", "max_tokens", 0, "max_tokens"),
    ]


def test_an_error_ends_open_calls_and_blocks_before_the_stream_error() -> None:
    out: list[StreamEvent] = []
    state = anthropic_state(out)
    st = state.choice(0)
    state.open_block(st, 0, "tool_call", "tool_use", "toolu_a", out)
    state.tool_start(st, "toolu_a", "f", out)
    state.error("Overloaded", "overloaded_error", None, {"type": "overloaded_error"}, out)
    assert out[-3:] == [
        ToolCallIncomplete(0, "toolu_a", "f", "", "error"),
        BlockDone(0, "tool_call", "tool_use", "toolu_a", "anthropic", "cut"),
        StreamError(
            "Overloaded",
            "overloaded_error",
            None,
            {"type": "overloaded_error"},
            "event",
            "anthropic",
        ),
    ]


def test_an_incomplete_end_reports_cut_calls_and_blocks_when_asked() -> None:
    out: list[StreamEvent] = []
    state = anthropic_state(out)
    tool_block(state, out, 0, "toolu_a")
    state.open_block(state.choice(0), 1, "text", "text", None, out)
    del out[:]
    with pytest.raises(IncompleteStreamError):
        state.end(False, out, "message_stop", report_cut=True)
    assert out == [BlockDone(1, "text", "text", None, "anthropic", "cut")]
    # the call was done when block 1 started; a call still closed at the end is cut
    out2: list[StreamEvent] = []
    state2 = anthropic_state(out2)
    tool_block(state2, out2, 0, "toolu_b")
    with pytest.raises(IncompleteStreamError):
        state2.end(False, out2, "message_stop", report_cut=True)
    assert out2[-1] == ToolCallIncomplete(0, "toolu_b", "f", "{}", "end_of_input")


def test_a_complete_end_sends_usage_in_the_stream_protocol() -> None:
    out: list[StreamEvent] = []
    state = anthropic_state(out)
    state.usage({"input_tokens": 1, "output_tokens": 2})
    state.finish(state.choice(0), "stop", "end_turn", out, "end")
    state.end(True, out)
    assert out[-1] == Usage({"input_tokens": 1, "output_tokens": 2}, "anthropic")
