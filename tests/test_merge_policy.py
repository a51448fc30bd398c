"""The merge policy (docs/merge-policy.md), row by row, in lenient and strict mode."""

from __future__ import annotations

import hashlib

import pytest
from helpers import call, chunk, run, tools, without_start

import typedstream
from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    ChunkError,
    ProviderData,
    RawChunk,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCallDone,
    ToolCallStarted,
    Usage,
)

# -- role ----------------------------------------------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
def test_role_repeated_on_every_chunk_is_ignored(strict: bool) -> None:
    events = run(
        chunk({"role": "assistant", "content": "Hel"}),
        chunk({"role": "assistant", "content": "lo"}, "stop"),
        strict=strict,
    )
    assert without_start(events) == [
        TextDelta("Hel"),
        TextDelta("lo"),
        ChoiceFinished("stop", "stop"),
    ]


def test_a_different_role_is_ignored_in_lenient_mode() -> None:
    events = run(chunk({"role": "assistant", "content": "a"}), chunk({"role": "user"}, "stop"))
    assert without_start(events) == [TextDelta("a"), ChoiceFinished("stop", "stop")]


def test_a_different_role_is_a_chunk_error_in_strict_mode() -> None:
    with pytest.raises(ChunkError, match=r"chunk 2: choice 0: role changed"):
        run(chunk({"role": "assistant"}), chunk({"role": "user"}), strict=True)


# -- tool call type and id -------------------------------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
def test_tool_call_type_repeated_on_every_fragment_is_ignored(strict: bool) -> None:
    events = run(
        tools(call(0, "call_1", "f", "", type="function")),
        tools(call(0, arguments='{"a"', type="function")),
        tools(call(0, arguments=": 1}", type="function"), finish="tool_calls"),
        strict=strict,
    )
    assert [e for e in events if isinstance(e, ToolCallDone)] == [
        ToolCallDone(0, "call_1", "f", '{"a": 1}')
    ]


def test_tool_call_without_type_is_fine() -> None:
    events = run(tools(call(0, "call_1", "f", "{}"), finish="tool_calls"))
    assert ToolCallDone(0, "call_1", "f", "{}") in events


@pytest.mark.parametrize("empty", [None, ""])
def test_tool_call_id_none_or_empty_on_fragments_is_ignored(empty: str | None) -> None:
    events = run(
        tools(call(0, "call_1", "f", "")),
        tools({"index": 0, "id": empty, "function": {"arguments": "{}"}}, finish="tool_calls"),
    )
    assert [e for e in events if isinstance(e, ArgumentsDelta)] == [
        ArgumentsDelta(0, "call_1", "{}")
    ]


@pytest.mark.parametrize("strict", [False, True])
def test_tool_call_id_repeated_on_every_fragment_is_ignored(strict: bool) -> None:
    events = run(
        tools(call(0, "call_1", "f", '{"a":')),
        tools(call(0, "call_1", arguments=" 1}")),
        tools(call(0, "call_1", "f", "")),
        chunk({}, "tool_calls"),
        strict=strict,
    )
    assert [e for e in events if isinstance(e, (ToolCallStarted, ToolCallDone))] == [
        ToolCallStarted(0, "call_1", "f"),
        ToolCallDone(0, "call_1", "f", '{"a": 1}'),
    ]


# -- new call vs same call -------------------------------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
def test_a_header_with_a_new_id_at_the_same_index_starts_a_new_call(strict: bool) -> None:
    # B4/B5: parallel calls that all use index 0.
    events = run(
        tools(call(0, "call_a", "f", '{"x": 1}')),
        tools(call(0, "call_b", "g", '{"y"')),
        tools(call(0, arguments=": 2}"), finish="tool_calls"),
        strict=strict,
    )
    assert [e for e in events if isinstance(e, ToolCallDone)] == [
        ToolCallDone(0, "call_a", "f", '{"x": 1}'),
        ToolCallDone(1, "call_b", "g", '{"y": 2}'),
    ]


def test_an_id_change_without_a_name_stays_the_same_call_in_lenient_mode() -> None:
    # B6: the id changes between the first and later chunks of one call.
    events = run(
        tools(call(0, "call_a", "f", '{"x"')),
        tools(call(0, "call_other", arguments=": 1}"), finish="tool_calls"),
    )
    assert [e for e in events if isinstance(e, ToolCallDone)] == [
        ToolCallDone(0, "call_a", "f", '{"x": 1}')
    ]


def test_an_id_change_without_a_name_is_a_chunk_error_in_strict_mode() -> None:
    with pytest.raises(ChunkError, match=r"chunk 2: .*changed its id from 'call_a' to 'call_b'"):
        run(
            tools(call(0, "call_a", "f", "{")), tools(call(0, "call_b", arguments="}")), strict=True
        )


def test_a_different_name_without_an_id_at_the_same_index_starts_a_new_call() -> None:
    # B5 with the ids missing (B7): the name tells the calls apart.
    events = run(
        tools(call(0, name="f", arguments="{}")),
        tools(call(0, name="g", arguments="{}"), finish="tool_calls"),
        id_factory=lambda c, i: f"id{c}{i}",
    )
    assert [e for e in events if isinstance(e, ToolCallDone)] == [
        ToolCallDone(0, "id00", "f", "{}"),
        ToolCallDone(1, "id01", "g", "{}"),
    ]


def test_the_same_id_with_a_different_name_is_a_chunk_error() -> None:
    with pytest.raises(ChunkError, match=r"renamed from 'f' to 'g'"):
        run(tools(call(0, "call_a", "f", "{")), tools(call(0, "call_a", "g", "}")))


# -- function.name -------------------------------------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
def test_function_name_repeated_on_every_fragment_is_ignored(strict: bool) -> None:
    # A7: id, type and name on every chunk.
    events = run(
        tools(call(0, "call_a", "get_weather", '{"c": ', type="function")),
        tools(call(0, "call_a", "get_weather", '"x"}', type="function"), finish="tool_calls"),
        strict=strict,
    )
    assert [e for e in events if isinstance(e, ToolCallDone)] == [
        ToolCallDone(0, "call_a", "get_weather", '{"c": "x"}')
    ]


def test_empty_function_name_on_fragments_is_ignored() -> None:
    # A10
    events = run(
        tools(call(0, "call_a", "f", "")),
        tools(call(0, name="", arguments="{}"), finish="tool_calls"),
    )
    assert [e for e in events if isinstance(e, ToolCallDone)] == [
        ToolCallDone(0, "call_a", "f", "{}")
    ]


def test_a_late_name_delays_tool_call_started_and_buffers_the_fragments() -> None:
    events = run(
        tools(call(0, "call_a", arguments='{"q": ')),
        tools(call(0, arguments='"x"')),
        tools(call(0, name="search", arguments="}"), finish="tool_calls"),
    )
    assert without_start(events) == [
        ToolCallStarted(0, "call_a", "search"),
        ArgumentsDelta(0, "call_a", '{"q": "x"'),
        ArgumentsDelta(0, "call_a", "}"),
        ToolCallDone(0, "call_a", "search", '{"q": "x"}'),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]


def test_a_call_whose_name_never_arrives_is_a_chunk_error_naming_the_call() -> None:
    with pytest.raises(ChunkError, match=r"tool call 0 \(started in chunk 1\) never received"):
        run(tools(call(0, "call_a", arguments="{}")), chunk({}, "tool_calls"))


# -- function.arguments --------------------------------------------------------------------


def test_arguments_are_appended_in_order_and_empty_fragments_dropped() -> None:
    events = run(
        tools(call(0, "c", "f", "")),
        tools(call(0, arguments="")),
        tools(call(0, arguments='{"a"')),
        tools(call(0, arguments="")),
        tools(call(0, arguments=": 1}"), finish="tool_calls"),
    )
    assert [e.delta for e in events if isinstance(e, ArgumentsDelta)] == ['{"a"', ": 1}"]


def test_arguments_in_the_header_are_kept() -> None:
    # C2: the first chunk of a call already carries arguments.
    events = run(tools(call(0, "c", "f", '{"a": 1}'), finish="tool_calls"))
    assert without_start(events)[:2] == [
        ToolCallStarted(0, "c", "f"),
        ArgumentsDelta(0, "c", '{"a": 1}'),
    ]


# -- content, refusal, reasoning -------------------------------------------------------------


@pytest.mark.parametrize("empty", [None, ""])
def test_content_refusal_and_reasoning_empty_or_null_are_dropped(empty: str | None) -> None:
    events = run(
        chunk({"content": empty, "refusal": empty, "reasoning_content": empty}),
        chunk({"content": "a", "refusal": empty, "reasoning": empty}, "stop"),
    )
    assert without_start(events) == [TextDelta("a"), ChoiceFinished("stop", "stop")]


def test_reasoning_from_reasoning_content_and_reasoning_keys() -> None:
    events = run(
        chunk({"reasoning_content": "think "}),
        chunk({"reasoning": "more"}),
        chunk({"content": "answer"}, "stop"),
    )
    assert without_start(events)[:3] == [
        ReasoningDelta("think "),
        ReasoningDelta("more"),
        TextDelta("answer"),
    ]


def test_reasoning_sent_under_both_keys_with_the_same_text_counts_once() -> None:
    events = run(chunk({"reasoning_content": "x", "reasoning": "x"}, "stop"))
    assert [e for e in events if isinstance(e, ReasoningDelta)] == [ReasoningDelta("x")]


def test_refusal_fragments_are_appended() -> None:
    events = run(chunk({"refusal": "I can't"}), chunk({"refusal": " help"}, "stop"))
    assert [e for e in events if isinstance(e, RefusalDelta)] == [
        RefusalDelta("I can't"),
        RefusalDelta(" help"),
    ]


def test_list_of_parts_content_is_split_into_text_and_reasoning() -> None:
    # G4 (Mistral Magistral)
    parts = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
        {"type": "text", "text": "4"},
        {"type": "image_url", "image_url": {"url": "x"}},
    ]
    events = run(chunk({"content": parts}, "stop"))
    assert without_start(events)[:2] == [ReasoningDelta("hmm"), TextDelta("4")]


# -- tool call index -----------------------------------------------------------------------


def test_missing_index_matches_the_call_by_id() -> None:
    events = run(
        tools(call(None, "call_a", "f", "{")),
        tools(call(None, "call_a", arguments="}"), finish="tool_calls"),
    )
    assert ToolCallDone(0, "call_a", "f", "{}") in events


def test_missing_index_without_id_continues_the_open_call() -> None:
    events = run(
        tools(call(None, "call_a", "f", "{")),
        tools({"index": None, "function": {"arguments": "}"}}, finish="tool_calls"),
    )
    assert ToolCallDone(0, "call_a", "f", "{}") in events


def test_missing_index_with_no_open_call_starts_a_new_call() -> None:
    # B1 (Mistral): no index, no type, whole call in one entry.
    events = run(
        tools({"id": "x1", "function": {"name": "f", "arguments": "{}"}}, finish="tool_calls")
    )
    assert [e for e in events if isinstance(e, ToolCallDone)] == [ToolCallDone(0, "x1", "f", "{}")]


def test_provider_indexes_become_dense_positions_in_order_of_appearance() -> None:
    events = run(
        tools(call(3, "a", "f", "{}")),
        tools(call(7, "b", "g", "{}")),
        chunk({}, "tool_calls"),
    )
    assert [(e.index, e.id) for e in events if isinstance(e, ToolCallStarted)] == [
        (0, "a"),
        (1, "b"),
    ]


def test_missing_index_header_with_a_new_id_starts_a_new_call() -> None:
    # B2 (Gemini's OpenAI endpoint): parallel calls without indexes.
    events = run(
        tools(call(None, "a", "f", "{}")),
        tools(call(None, "b", "g", "{}")),
        chunk({}, "tool_calls"),
    )
    assert [(e.index, e.id, e.name) for e in events if isinstance(e, ToolCallDone)] == [
        (0, "a", "f"),
        (1, "b", "g"),
    ]


# -- several entries in one chunk ----------------------------------------------------------


def test_several_entries_in_one_chunk_are_processed_in_order() -> None:
    events = run(
        tools(call(0, "a", "f", ""), call(0, arguments='{"x": 1}'), call(1, "b", "g", "{}")),
        chunk({}, "tool_calls"),
    )
    assert without_start(events) == [
        ToolCallStarted(0, "a", "f"),
        ArgumentsDelta(0, "a", '{"x": 1}'),
        ToolCallDone(0, "a", "f", '{"x": 1}'),
        ToolCallStarted(1, "b", "g"),
        ArgumentsDelta(1, "b", "{}"),
        ToolCallDone(1, "b", "g", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]


# -- fragment for a done call --------------------------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
def test_a_fragment_for_a_call_already_reported_done_is_a_chunk_error(strict: bool) -> None:
    with pytest.raises(ChunkError, match=r"chunk 3: .*already reported done"):
        run(
            tools(call(0, "a", "f", "{")),
            tools(call(1, "b", "g", "{}")),
            tools(call(0, arguments="}")),
            strict=strict,
        )


def test_a_repeat_of_a_done_calls_header_without_arguments_is_ignored() -> None:
    events = run(
        tools(call(0, "a", "f", "{}")),
        tools(call(1, "b", "g", "{}")),
        tools(call(0, "a", "f", "")),
        chunk({}, "tool_calls"),
    )
    assert len([e for e in events if isinstance(e, ToolCallDone)]) == 2


# -- usage ---------------------------------------------------------------------------------


def test_usage_last_non_null_value_wins_and_is_sent_once_at_the_end() -> None:
    u1 = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    u2 = {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}
    events = run(
        chunk({"content": "a"}, usage=u1),  # E2: running count on every chunk
        chunk({"content": "b"}, usage=None),
        chunk({}, "stop", usage=u2),  # E1: on the finish chunk
        {**chunk(), "choices": [], "usage": None},
        {**chunk(), "choices": [], "usage": {}},  # E5: empty usage is no usage
    )
    assert [e for e in events if isinstance(e, Usage)] == [Usage(u2)]
    assert events[-1] == Usage(u2)
    assert events[-1].total_tokens == 4


def test_usage_on_its_own_chunk_after_the_finish() -> None:
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    events = run(chunk({"content": "a"}, "stop"), {**chunk(), "choices": [], "usage": usage})
    assert events[-2:] == [ChoiceFinished("stop", "stop"), Usage(usage)]


# -- finish_reason -------------------------------------------------------------------------


def test_first_non_null_finish_reason_wins() -> None:
    # D6: a second finish chunk.
    events = run(chunk({"content": "a"}, "length"), chunk({"content": ""}, "stop"))
    assert [e for e in events if isinstance(e, ChoiceFinished)] == [
        ChoiceFinished("length", "length")
    ]


def test_finish_reason_on_the_chunk_that_carries_a_whole_call() -> None:
    # D1 (Mistral): call and finish in one chunk; the finish comes after the call.
    events = run(tools(call(None, "x", "f", "{}"), finish="tool_calls"))
    assert without_start(events) == [
        ToolCallStarted(0, "x", "f"),
        ArgumentsDelta(0, "x", "{}"),
        ToolCallDone(0, "x", "f", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]


def test_finish_reason_on_a_chunk_that_carries_content() -> None:
    events = run(chunk({"content": "end"}, "stop"))
    assert without_start(events) == [TextDelta("end"), ChoiceFinished("stop", "stop")]


@pytest.mark.parametrize(
    ("raw", "normalized", "stop_reason"),
    [
        ("stop", "stop", "end"),
        ("end_turn", "stop", "end"),
        ("stop_sequence", "stop", "stop_sequence"),
        ("length", "length", "max_tokens"),
        ("max_tokens", "length", "max_tokens"),
        ("tool_calls", "tool_calls", "tool_calls"),
        ("tool_use", "tool_calls", "tool_calls"),
        ("function_call", "function_call", "tool_calls"),
        ("content_filter", "content_filter", "content_filter"),
        ("safety", "content_filter", "content_filter"),
        ("STOP", "stop", "end"),
        ("MAX_TOKENS", "length", "max_tokens"),
    ],
)
@pytest.mark.parametrize("strict", [False, True])
def test_finish_reason_is_normalized(
    raw: str, normalized: str, stop_reason: str, strict: bool
) -> None:
    events = run(chunk({"content": "a"}, raw), strict=strict)
    assert events[-1] == ChoiceFinished(normalized, raw, stop_reason=stop_reason)  # type: ignore[arg-type]


@pytest.mark.parametrize("strict", [False, True])
def test_stop_on_a_choice_that_emitted_tool_calls_becomes_tool_calls(strict: bool) -> None:
    # D5
    events = run(tools(call(0, "a", "f", "{}")), chunk({}, "stop"), strict=strict)
    assert events[-1] == ChoiceFinished("tool_calls", "stop")


def test_no_finish_reason_at_a_complete_end_is_stop_with_raw_none() -> None:
    # D3
    events = run(chunk({"content": "a"}), "[DONE]")
    assert events[-1] == ChoiceFinished("stop", None)


def test_no_finish_reason_at_a_complete_end_after_tool_calls_is_tool_calls() -> None:
    events = run(tools(call(0, "a", "f", "{}")), "[DONE]")
    assert events[-2:] == [ToolCallDone(0, "a", "f", "{}"), ChoiceFinished("tool_calls", None)]


def test_unknown_finish_reason_is_stop_with_the_raw_string_in_lenient_mode() -> None:
    events = run(chunk({"content": "a"}, "eos_token"))
    assert events[-1] == ChoiceFinished("stop", "eos_token", stop_reason="other")


def test_unknown_finish_reason_is_a_chunk_error_in_strict_mode() -> None:
    with pytest.raises(ChunkError, match=r"chunk 1: choice 0: unknown finish_reason 'eos_token'"):
        run(chunk({"content": "a"}, "eos_token"), strict=True)


# -- things skipped without error ----------------------------------------------------------


def test_choices_null_is_skipped() -> None:
    events = run(chunk({"content": "a"}), {**chunk(), "choices": None}, chunk({}, "stop"))
    assert without_start(events) == [TextDelta("a"), ChoiceFinished("stop", "stop")]


def test_azure_prompt_filter_preamble_is_skipped() -> None:
    preamble = {
        "choices": [],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
    }
    events = run(preamble, chunk({"content": "a"}, "stop"))
    assert events[0] == typedstream.StreamStarted("chatcmpl-test", "test-model", 1700000000)


def test_sse_comments_are_skipped() -> None:
    from helpers import body

    sse = b": OPENROUTER PROCESSING\n\n" + body(chunk({"content": "a"}, "stop"))
    assert without_start(list(typedstream.events(sse))) == [
        TextDelta("a"),
        ChoiceFinished("stop", "stop"),
    ]


def test_unknown_extra_keys_are_skipped_and_reach_users_only_through_raw() -> None:
    odd = chunk({"content": "a", "token_id": 5}, "stop", x_groq={"id": "req"}, provider="P")
    odd["choices"][0]["native_finish_reason"] = "stop"
    assert without_start(run(odd)) == [TextDelta("a"), ChoiceFinished("stop", "stop")]
    raw = run(odd, raw=True)
    assert raw[0] == RawChunk(odd, 1)


def test_an_item_that_is_not_a_chat_completion_chunk_is_a_chunk_error() -> None:
    anthropic = {"type": "message_start", "message": {"id": "msg_1"}}
    with pytest.raises(ChunkError, match=r"chunk 2: not a chat-completion chunk"):
        run(chunk({"content": "a"}), anthropic)


# -- synthesized ids -----------------------------------------------------------------------


def test_missing_call_id_is_derived_from_response_id_choice_and_index() -> None:
    events = run(tools(call(0, name="f", arguments="{}")), chunk({}, "tool_calls"))
    digest = hashlib.sha256(b"chatcmpl-test:0:0").hexdigest()[:24]
    assert events[1] == ToolCallStarted(0, f"call_{digest}", "f")
    assert {e.id for e in events if hasattr(e, "id") and e.kind != "stream_started"} == {
        f"call_{digest}"
    }


def test_missing_call_id_without_response_id_uses_a_per_stream_seed() -> None:
    no_id = [
        {**tools(call(0, name="f", arguments="{}")), "id": ""},
        {**chunk({}, "tool_calls"), "id": ""},
    ]
    first = next(e for e in run(*no_id) if isinstance(e, ToolCallStarted)).id
    second = next(e for e in run(*no_id) if isinstance(e, ToolCallStarted)).id
    assert first.startswith("call_")
    assert first != second  # two streams never share a synthesized id


def test_id_factory_overrides_synthesized_ids() -> None:
    events = run(
        tools(call(0, name="f", arguments="{}")),
        chunk({}, "tool_calls"),
        id_factory=lambda choice, index: f"mine-{choice}-{index}",
    )
    assert ToolCallDone(0, "mine-0-0", "f", "{}") in events


# -- provider data ---------------------------------------------------------------------------


def test_provider_data_for_the_next_turn_is_passed_on() -> None:
    blocks = [{"type": "thinking", "thinking": "x", "signature": "sig"}]
    extra = {"google": {"thought_signature": "abc"}}
    events = run(
        chunk({"reasoning_content": "x", "thinking_blocks": blocks}),
        tools(call(0, "a", "f", "{}", extra_content=extra)),
        chunk({}, "tool_calls"),
    )
    assert ProviderData("thinking_blocks", blocks) in events
    assert ProviderData("extra_content", extra, 0, 0) in events
