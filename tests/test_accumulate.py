"""`accumulate()` / `Accumulator`: the completion a stream adds up to.

OpenAI recordings are checked against the `openai` SDK's own `ChatCompletionStreamState`
fed the same chunks; the others against the merge policy (the naive reference merger in
`tests/naive.py` plus hand-written finish reasons), and the LiteLLM recordings against
`litellm.stream_chunk_builder`. Provider data is checked against hand-written values and
against LiteLLM's own merge; the last tests send an accumulated message back to the loopback
provider through LiteLLM.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from corpus import Recording, ids, recording, recordings
from helpers import ENVELOPE, call, chunk, run, tools
from naive import naive_merge

import typedstream
from typedstream import (
    Accumulator,
    ArgumentsDelta,
    ChoiceFinished,
    Logprobs,
    Moderation,
    ProviderData,
    ProviderError,
    ReasoningDelta,
    ReasoningDone,
    RefusalDelta,
    StreamEvent,
    StreamStarted,
    TextDelta,
    TextDone,
    ToolArgumentsError,
    ToolCallDone,
    ToolCallStarted,
    Usage,
    aaccumulate,
    accumulate,
)

RECORDINGS = recordings()
OPENAI = tuple(r for r in RECORDINGS if r.is_openai)
OTHERS = tuple(r for r in RECORDINGS if not r.is_openai and not r.is_error)
ERRORS = tuple(r for r in RECORDINGS if r.is_error)
LITELLM = tuple(r for r in RECORDINGS if r.name.startswith("litellm_"))

# The normalized finish reason of each non-OpenAI recording, read from its raw chunks.
FINISH = {
    "alibaba_qwen3max_tool_call.jsonl": "tool_calls",
    "azure_deepseek_v4_reasoning.jsonl": "stop",
    "azure_model_router_gpt5nano_text.jsonl": "stop",
    "deepseek_reasoner_thinking.sse": "stop",
    "deepseek_reasoner_tool_call.jsonl": "tool_calls",
    "groq_llama33_tool_call.jsonl": "tool_calls",
    "groq_qwen3_reasoning.jsonl": "stop",
    "litellm_anthropic_redacted_thinking.jsonl": "stop",
    "mistral_api_glm_incremental_tool_call.jsonl": "tool_calls",
    "mistral_magistral_content_parts.jsonl": "stop",
    "mistral_magistral_thinking.sse": "stop",
    "mistral_small_tool_call.jsonl": "tool_calls",
    "snowflake_cortex_claude_text.sse": "stop",  # no finish_reason at all: D3
    "together_via_hf_router_deepseek_r1.sse": "stop",
    "vllm_crusoe_llama33_text.sse": "stop",
    "xai_grok3mini_tool_call.jsonl": "tool_calls",
    "zai_glm47_thinking.sse": "stop",
}


def sdk_snapshot(chunks: list[dict[str, Any]]) -> Any:
    """What the `openai` SDK's ChatCompletionStreamState builds from these chunks."""
    from openai._models import construct_type
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai.types.chat import ChatCompletionChunk

    state: ChatCompletionStreamState[object] = ChatCompletionStreamState()
    for raw in chunks:
        state.handle_chunk(construct_type(type_=ChatCompletionChunk, value=raw))
    return state.current_completion_snapshot


def last_usage(chunks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last non-null (and non-empty) usage object in the raw chunks."""
    found = [c["usage"] for c in chunks if c.get("usage")]
    return found[-1] if found else None


def calls_of(message: Any) -> list[tuple[str, str, str, str]]:
    return [(t.id, t.type, t.function.name, t.function.arguments) for t in message.tool_calls or []]


def dump(model: Any) -> Any:
    return None if model is None else model.model_dump()


# -- OpenAI recordings: what the openai SDK builds ----------------------------------------


@pytest.mark.parametrize("rec", OPENAI, ids=ids(OPENAI))
def test_openai_recording_accumulates_to_the_sdk_snapshot(rec: Recording) -> None:
    snapshot = sdk_snapshot(rec.chunks())
    completion = accumulate(typedstream.events(rec.chunks()))

    assert completion.id == snapshot.id
    assert completion.model == snapshot.model
    assert completion.created == snapshot.created
    assert completion.system_fingerprint == snapshot.system_fingerprint
    assert completion.object == "chat.completion"
    assert [c.index for c in completion.choices] == [c.index for c in snapshot.choices]
    for ours, theirs in zip(completion.choices, snapshot.choices, strict=True):
        assert ours.message.role == theirs.message.role == "assistant"
        assert ours.message.content == theirs.message.content
        assert ours.message.refusal == theirs.message.refusal
        assert calls_of(ours.message) == calls_of(theirs.message)
        assert dump(ours.message.function_call) == dump(theirs.message.function_call)
        assert ours.finish_reason == theirs.finish_reason
        assert dump(ours.logprobs) == dump(theirs.logprobs)


@pytest.mark.parametrize("rec", OPENAI, ids=ids(OPENAI))
def test_openai_recording_usage_is_the_last_non_null_usage(rec: Recording) -> None:
    completion = accumulate(typedstream.events(rec.chunks()))
    expected = last_usage(rec.chunks())
    if expected is None:
        assert completion.usage is None
    else:
        assert completion.usage is not None
        assert completion.usage.model_dump(exclude_unset=True) == expected


def test_sdk_drops_the_usage_when_a_moderation_chunk_with_null_usage_follows() -> None:
    # The SDK overwrites `usage` from every chunk; gpt-5's moderation chunk comes after the
    # usage chunk with `usage: null`, so the SDK's snapshot ends without usage. We keep it.
    rec = recording("openai_2026_gpt5_moderation.sse")
    chunks = rec.chunks()
    assert chunks[-1]["usage"] is None
    assert chunks[-1]["moderation"]
    assert sdk_snapshot(chunks).usage is None
    assert sdk_snapshot(chunks[:-1]).usage is not None

    completion = accumulate(typedstream.events(chunks))
    assert completion.usage is not None
    assert completion.usage.model_dump(exclude_unset=True) == chunks[-2]["usage"]
    dumped = completion.model_dump(exclude_unset=True)
    assert dumped["moderation"] == chunks[-1]["moderation"]


@pytest.mark.parametrize("rec", OPENAI, ids=ids(OPENAI))
def test_snapshot_after_every_chunk_matches_the_sdk_snapshot(rec: Recording) -> None:
    # Mid-stream: unfinished choices have finish_reason None, calls their arguments so far.
    from openai._models import construct_type
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai.types.chat import ChatCompletionChunk

    state: ChatCompletionStreamState[object] = ChatCompletionStreamState()
    normalizer = typedstream.Normalizer()
    acc = Accumulator()
    for raw in rec.chunks():
        state.handle_chunk(construct_type(type_=ChatCompletionChunk, value=raw))
        acc.extend(normalizer.feed(raw))
        ours = acc.completion()
        theirs = state.current_completion_snapshot
        by_index = {c.index: c for c in theirs.choices}
        for choice in ours.choices:
            sdk = by_index[choice.index]
            assert choice.finish_reason == sdk.finish_reason
            assert (choice.message.content or "") == (sdk.message.content or "")
            assert (choice.message.refusal or "") == (sdk.message.refusal or "")
            assert calls_of(choice.message) == calls_of(sdk.message)
        # a choice the SDK shows with data is one we show too
        shown = {c.index for c in ours.choices}
        for sdk in theirs.choices:
            if sdk.message.content or sdk.message.refusal or sdk.message.tool_calls:
                assert sdk.index in shown


# -- Other recordings: the message the merge policy implies -------------------------------


@pytest.mark.parametrize("rec", OTHERS, ids=ids(OTHERS))
def test_other_recording_accumulates_to_the_merge_policy_message(rec: Recording) -> None:
    # Reference: the naive merger (role/id/name set once, fragments appended, last non-null
    # usage) and, for the finish reason, the FINISH table (LiteLLM/wire files: tool_calls).
    messages, usage = naive_merge(rec.chunks())
    completion = accumulate(typedstream.events(rec.chunks()))

    assert [c.index for c in completion.choices] == sorted(messages)
    for choice in completion.choices:
        expected = messages[choice.index]
        message = choice.message
        assert message.role == "assistant"
        if expected.content:
            assert message.content == expected.content
        else:  # no text: None beside calls or a refusal, "" for an empty answer
            assert message.content == (None if expected.tool_calls or expected.refusal else "")
        assert message.refusal == (expected.refusal or None)
        assert (message.model_extra or {}).get("reasoning_content") == (expected.reasoning or None)
        got = [(t.function.name, t.function.arguments) for t in message.tool_calls or []]
        assert got == [(c["name"], c["arguments"]) for c in expected.tool_calls]
        for ours, theirs in zip(message.tool_calls or [], expected.tool_calls, strict=True):
            assert ours.type == "function"
            if theirs["id"] is not None:
                assert ours.id == theirs["id"]
        assert choice.finish_reason == FINISH.get(rec.name, "tool_calls")
    if usage is None:
        assert completion.usage is None
    else:
        assert completion.usage is not None
        assert completion.usage.model_dump(exclude_unset=True) == usage


def test_mistral_whole_call_in_the_finish_chunk_accumulates_by_hand() -> None:
    # Written from the file: one call without index or type, whole arguments, in the same
    # chunk as finish_reason "tool_calls" and usage.
    rec = recording("mistral_small_tool_call.jsonl")
    raw = rec.chunks()[-1]
    entry = raw["choices"][0]["delta"]["tool_calls"][0]
    completion = accumulate(typedstream.events(rec.chunks()))
    (choice,) = completion.choices
    assert choice.message.content is None
    assert calls_of(choice.message) == [
        (entry["id"], "function", entry["function"]["name"], entry["function"]["arguments"])
    ]
    assert choice.finish_reason == "tool_calls"
    assert completion.id == raw["id"]
    assert completion.model == raw["model"]
    assert completion.created == raw["created"]


def test_snowflake_empty_id_and_zero_created_are_kept_as_sent() -> None:
    completion = accumulate(
        typedstream.events(recording("snowflake_cortex_claude_text.sse").body())
    )
    assert (completion.id, completion.created) == ("", 0)
    assert completion.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("rec", ERRORS, ids=ids(ERRORS))
def test_accumulate_propagates_a_provider_error(rec: Recording) -> None:
    with pytest.raises(ProviderError):
        accumulate(typedstream.events(rec.chunks()))


@pytest.mark.parametrize("rec", ERRORS, ids=ids(ERRORS))
def test_an_accumulator_keeps_what_arrived_before_a_provider_error(rec: Recording) -> None:
    messages, _ = naive_merge([c for c in rec.chunks() if not c.get("error")])
    acc = Accumulator()
    with pytest.raises(ProviderError):
        for event in typedstream.events(rec.chunks()):
            acc.add(event)
    assert acc.text() == messages[0].content
    assert acc.reasoning() == messages[0].reasoning


@pytest.mark.parametrize("rec", OPENAI + OTHERS, ids=ids(OPENAI + OTHERS))
def test_the_completion_of_every_complete_recording_validates(rec: Recording) -> None:
    from openai.types.chat import ChatCompletion

    completion = accumulate(typedstream.events(rec.chunks()))
    assert ChatCompletion.model_validate(completion.model_dump()) == completion


@pytest.mark.parametrize("rec", OPENAI + OTHERS, ids=ids(OPENAI + OTHERS))
def test_aaccumulate_equals_accumulate(rec: Recording) -> None:
    async def source() -> AsyncIterator[dict[str, Any]]:
        for item in rec.chunks():
            await asyncio.sleep(0)
            yield item

    got = asyncio.run(aaccumulate(typedstream.aevents(source())))
    assert got == accumulate(typedstream.events(rec.chunks()))


# -- LiteLLM recordings: litellm.stream_chunk_builder --------------------------------------


@pytest.mark.live
@pytest.mark.parametrize("rec", LITELLM, ids=ids(LITELLM))
def test_litellm_recording_accumulates_to_what_stream_chunk_builder_builds(
    rec: Recording, litellm: Any
) -> None:
    built = litellm.stream_chunk_builder([litellm.ModelResponseStream(**c) for c in rec.chunks()])
    completion = accumulate(typedstream.events(rec.chunks()))

    assert (completion.id, completion.model, completion.created) == (
        built.id,
        built.model,
        built.created,
    )
    (ours,) = completion.choices
    (theirs,) = built.choices
    theirs_calls = theirs.message.tool_calls or []
    if theirs.finish_reason == "stop" and theirs_calls:
        # Where LiteLLM differs: a reply with calls that says "stop" (its Anthropic server
        # tool calls) is promoted to "tool_calls" by the merge policy (docs/merge-policy.md).
        assert ours.finish_reason == "tool_calls"
    else:
        assert ours.finish_reason == theirs.finish_reason
    assert ours.message.content == theirs.message.content
    assert calls_of(ours.message) == [
        (t.id, t.type, t.function.name, t.function.arguments) for t in theirs_calls
    ]
    streamed = last_usage(rec.chunks())
    if streamed is not None:
        assert completion.usage is not None
        for key in ("prompt_tokens", "completion_tokens", "total_tokens", "cost"):
            assert getattr(completion.usage, key, None) == getattr(built.usage, key, None)
    else:
        # Where LiteLLM is wrong: with no usage in the stream it makes one up (a tokenizer
        # estimate, prompt_tokens 0 without the request messages); we report none.
        assert completion.usage is None
        assert built.usage.prompt_tokens == 0
        assert built.usage.completion_tokens > 0


@pytest.mark.live
def test_stream_chunk_builder_keeps_only_the_first_choice(litellm: Any) -> None:
    # Where LiteLLM is wrong: with n > 1 its builder reads `choices[0]` of each chunk and
    # folds every choice's text into one message; we keep the choices apart.
    rec = recording("openai_gpt4o_n3_choices.sse")
    built = litellm.stream_chunk_builder([litellm.ModelResponseStream(**c) for c in rec.chunks()])
    messages, _ = naive_merge(rec.chunks())
    completion = accumulate(typedstream.events(rec.chunks()))

    assert len(built.choices) == 1
    assert built.choices[0].message.content != messages[0].content
    assert [c.message.content for c in completion.choices] == [
        messages[i].content for i in range(3)
    ]


# -- Envelope and message shape ------------------------------------------------------------


def test_without_stream_started_the_envelope_has_documented_defaults() -> None:
    completion = accumulate([TextDelta("hi"), ChoiceFinished("stop", "stop")])
    assert completion.id == ""
    assert completion.model == ""
    assert completion.created == 0
    assert completion.object == "chat.completion"
    assert completion.system_fingerprint is None
    assert completion.service_tier is None
    assert completion.usage is None
    assert completion.choices[0].message.content == "hi"


def test_stream_started_fills_the_envelope() -> None:
    started = StreamStarted("chatcmpl-1", "gpt-x", 1700000000, "fp_1", "flex")
    completion = accumulate([started, TextDelta("a"), ChoiceFinished("stop", "stop")])
    assert (completion.id, completion.model, completion.created) == (
        "chatcmpl-1",
        "gpt-x",
        1700000000,
    )
    assert (completion.system_fingerprint, completion.service_tier) == ("fp_1", "flex")


def test_an_empty_stream_accumulates_to_no_choices() -> None:
    assert accumulate([]).choices == []


def test_a_choice_with_nothing_has_empty_content() -> None:
    (choice,) = accumulate([ChoiceFinished("length", "length")]).choices
    assert choice.message.content == ""
    assert choice.message.refusal is None
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "length"


def test_an_unfinished_choice_has_no_finish_reason_like_the_sdk_snapshot() -> None:
    (choice,) = accumulate([TextDelta("partial")]).choices
    assert choice.finish_reason is None


def test_choices_come_in_index_order_whatever_order_they_arrived_in() -> None:
    completion = accumulate([TextDelta("b", choice=1), TextDelta("a", choice=0)])
    assert [(c.index, c.message.content) for c in completion.choices] == [(0, "a"), (1, "b")]


def test_refusal_only_message_has_no_content() -> None:
    (choice,) = accumulate([RefusalDelta("I can"), RefusalDelta("not.")]).choices
    assert choice.message.content is None
    assert choice.message.refusal == "I cannot."


def test_legacy_call_becomes_function_call() -> None:
    events = run(
        chunk({"role": "assistant", "function_call": {"name": "f", "arguments": ""}}),
        chunk({"function_call": {"arguments": '{"a"'}}),
        chunk({"function_call": {"arguments": ": 1}"}}),
        chunk({}, "function_call"),
    )
    (choice,) = accumulate(events).choices
    assert choice.message.tool_calls is None
    assert choice.message.function_call is not None
    assert (choice.message.function_call.name, choice.message.function_call.arguments) == (
        "f",
        '{"a": 1}',
    )
    assert choice.message.content is None
    assert choice.finish_reason == "function_call"


def test_logprobs_lists_are_concatenated_in_order() -> None:
    entry = {"token": "x", "logprob": -0.5, "bytes": [120], "top_logprobs": []}
    events: list[StreamEvent] = [
        Logprobs([{**entry, "token": "a"}]),
        TextDelta("a"),
        Logprobs(None, [{**entry, "token": "r"}]),
        RefusalDelta("r"),
        Logprobs([{**entry, "token": "b"}]),
        TextDelta("b"),
    ]
    logprobs = accumulate(events).choices[0].logprobs
    assert logprobs is not None
    assert [e.token for e in logprobs.content or []] == ["a", "b"]
    assert [e.token for e in logprobs.refusal or []] == ["r"]


def test_no_logprobs_events_means_logprobs_none() -> None:
    assert accumulate([TextDelta("a")]).choices[0].logprobs is None


def test_usage_keeps_provider_extras_such_as_cost() -> None:
    usage = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "cost": 0.25}
    completion = accumulate([TextDelta("a"), Usage(usage)])
    assert completion.usage is not None
    assert completion.usage.total_tokens == 3
    assert completion.usage.model_extra == {"cost": 0.25}


def test_done_events_replace_the_text_they_complete() -> None:
    acc = Accumulator()
    acc.extend([TextDelta("a"), TextDelta("b"), TextDone("ab"), ReasoningDone("why")])
    assert (acc.text(), acc.reasoning()) == ("ab", "why")


def test_tool_call_done_text_is_authoritative() -> None:
    # Fed only Started + Done (no deltas), the call still has its arguments.
    acc = Accumulator()
    acc.add(ToolCallStarted(0, "call_1", "f"))
    acc.add(ToolCallDone(0, "call_1", "f", '{"x": 1}'))
    assert acc.arguments(0) == '{"x": 1}'
    assert calls_of(acc.completion().choices[0].message) == [
        ("call_1", "function", "f", '{"x": 1}')
    ]


def test_completion_returns_independent_snapshots() -> None:
    acc = Accumulator()
    acc.add(ProviderData("provider_specific_fields", {"a": [1]}))
    acc.add(TextDelta("one"))
    first = acc.completion()
    acc.add(TextDelta(" two"))
    acc.add(ProviderData("provider_specific_fields", {"b": 2}))
    second = acc.completion()
    assert first.choices[0].message.content == "one"
    assert second.choices[0].message.content == "one two"
    extra = first.choices[0].message.model_extra or {}
    extra["provider_specific_fields"]["a"].append(99)
    again = acc.completion().choices[0].message.model_extra or {}
    assert again["provider_specific_fields"] == {"a": [1], "b": 2}


def test_snapshots_share_no_usage_data_with_the_event_or_each_other() -> None:
    event = Usage({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2, "x": {"y": 1}})
    acc = Accumulator()
    acc.add(event)
    first = acc.completion().usage
    assert first is not None
    assert first.model_extra is not None
    first.model_extra["x"]["y"] = 2
    second = acc.completion().usage
    assert second is not None
    assert second.model_extra == {"x": {"y": 1}}
    assert event.usage["x"] == {"y": 1}


def test_adding_something_that_is_not_an_event_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"typedstream\.events\(\)"):
        Accumulator().add({"choices": []})  # type: ignore[arg-type]


def test_accumulate_of_raw_chunks_names_the_fix() -> None:
    with pytest.raises(TypeError, match="expected a typedstream event, got dict"):
        accumulate([{**ENVELOPE, "choices": []}])  # type: ignore[list-item]


# -- Incremental queries -------------------------------------------------------------------


def test_text_reasoning_refusal_grow_with_each_fragment() -> None:
    acc = Accumulator()
    assert (acc.text(), acc.reasoning(), acc.refusal()) == ("", "", "")
    acc.add(ReasoningDelta("think"))
    acc.add(TextDelta("Hel"))
    assert (acc.text(), acc.reasoning()) == ("Hel", "think")
    acc.add(TextDelta("lo"))
    acc.add(RefusalDelta("no"))
    assert (acc.text(), acc.refusal()) == ("Hello", "no")


def test_joined_text_is_cached_until_the_next_fragment() -> None:
    acc = Accumulator()
    acc.extend([TextDelta("a" * 10), TextDelta("b" * 10)])
    first = acc.text()
    assert acc.text() is first
    acc.add(TextDelta("c"))
    assert acc.text() == first + "c"


def test_queries_about_unknown_choices_and_calls_answer_empty() -> None:
    acc = Accumulator()
    assert acc.text(3) == ""
    assert acc.arguments(0) == ""
    assert acc.partial_arguments(0) is None
    assert acc.choices == ()
    assert not acc.finished()


def test_choices_finished_started_and_usage_are_reported() -> None:
    started = StreamStarted("id", "m", 1)
    acc = Accumulator()
    acc.extend([started, TextDelta("x", choice=2), ChoiceFinished("stop", "stop", choice=2)])
    acc.add(Usage({"total_tokens": 1}))
    assert acc.started is started
    assert acc.choices == (2,)
    assert acc.finished(2)
    assert not acc.finished(0)
    assert acc.usage == {"total_tokens": 1}


def test_arguments_and_partial_arguments_follow_each_fragment() -> None:
    acc = Accumulator()
    acc.add(ToolCallStarted(0, "call_1", "get_weather"))
    assert acc.partial_arguments(0) is None
    seen = []
    for fragment in ['{"ci', 'ty": "Par', 'is", "days": [1', ", 2]}"]:
        acc.add(ArgumentsDelta(0, "call_1", fragment))
        seen.append((acc.arguments(0), acc.partial_arguments(0)))
    assert seen == [
        ('{"ci', {}),
        ('{"city": "Par', {"city": "Par"}),
        ('{"city": "Paris", "days": [1', {"city": "Paris", "days": [1]}),
        ('{"city": "Paris", "days": [1, 2]}', {"city": "Paris", "days": [1, 2]}),
    ]


def test_partial_mode_on_leaves_an_unfinished_string_out() -> None:
    acc = Accumulator()
    acc.add(ToolCallStarted(0, "c", "f"))
    acc.add(ArgumentsDelta(0, "c", '{"a": 1, "city": "Par'))
    assert acc.partial_arguments(0, mode="on") == {"a": 1}
    assert acc.partial_arguments(0) == {"a": 1, "city": "Par"}


def test_partial_arguments_are_cached_until_the_next_fragment() -> None:
    acc = Accumulator()
    acc.add(ToolCallStarted(0, "c", "f", choice=1))
    acc.add(ArgumentsDelta(0, "c", '{"a": [1', choice=1))
    first = acc.partial_arguments(0, choice=1)
    assert acc.partial_arguments(0, choice=1) is first
    acc.add(ArgumentsDelta(0, "c", ", 2]}", choice=1))
    assert acc.partial_arguments(0, choice=1) == {"a": [1, 2]}


def test_partial_arguments_that_cannot_be_json_raise_tool_arguments_error() -> None:
    acc = Accumulator()
    acc.add(ToolCallStarted(0, "call_9", "f"))
    acc.add(ArgumentsDelta(0, "call_9", '{"a" 1'))
    with pytest.raises(ToolArgumentsError) as info:
        acc.partial_arguments(0)
    assert (info.value.arguments, info.value.id, info.value.name) == ('{"a" 1', "call_9", "f")


def test_partial_arguments_of_a_recorded_stream_end_as_the_parsed_arguments() -> None:
    rec = recording("openai_gpt4o_parallel_tool_calls.sse")
    acc = Accumulator()
    done = []
    for event in typedstream.events(rec.chunks()):
        acc.add(event)
        if isinstance(event, ArgumentsDelta):
            value = acc.partial_arguments(event.index, choice=event.choice)
            assert isinstance(value, dict)
        if isinstance(event, ToolCallDone):
            done.append(event)
            assert acc.partial_arguments(event.index) == json.loads(event.arguments)
    assert len(done) == 2


def test_snapshot_of_a_call_still_streaming_has_its_arguments_so_far() -> None:
    normalizer = typedstream.Normalizer()
    acc = Accumulator()
    acc.extend(normalizer.feed(tools(call(0, "call_1", "f", '{"a": '))))
    (choice,) = acc.completion().choices
    assert calls_of(choice.message) == [("call_1", "function", "f", '{"a": ')]
    assert choice.finish_reason is None


# -- Provider data: merged as LiteLLM merges it --------------------------------------------


def extra(completion: Any, choice: int = 0) -> dict[str, Any]:
    return dict(completion.choices[choice].message.model_extra or {})


def thinking(text: str | None = None, signature: str | None = None) -> dict[str, Any]:
    return {"type": "thinking", "thinking": text, "signature": signature}


def test_thinking_fragments_join_until_their_signature() -> None:
    # LiteLLM's Anthropic handler sends text fragments, then a signature-only fragment.
    events: list[StreamEvent] = [
        ProviderData("thinking_blocks", [thinking("The user ")]),
        ProviderData("thinking_blocks", [thinking("wants weather.")]),
        ProviderData("thinking_blocks", [thinking("", "SIG1")]),
        ProviderData("thinking_blocks", [{"type": "redacted_thinking", "data": "ENC"}]),
        ProviderData("thinking_blocks", [thinking("Second.")]),
        ProviderData("thinking_blocks", [thinking(None, "SIG2")]),
        ProviderData("thinking_blocks", [thinking("never signed")]),
    ]
    assert extra(accumulate(events))["thinking_blocks"] == [
        {"type": "thinking", "thinking": "The user wants weather.", "signature": "SIG1"},
        {"type": "redacted_thinking", "data": "ENC"},
        {"type": "thinking", "thinking": "Second.", "signature": "SIG2"},
    ]


@pytest.mark.live
def test_thinking_blocks_merge_like_litellms_own_builder(litellm: Any) -> None:
    from litellm.litellm_core_utils.streaming_chunk_builder_utils import ChunkProcessor

    fragments = [
        [thinking("a")],
        [thinking("b", None)],
        [thinking("", "S1")],
        [thinking("unsigned")],
        [{"type": "redacted_thinking", "data": "R"}],
        [thinking("c"), thinking(None, "S2")],
    ]
    raw = [{"choices": [{"delta": {"thinking_blocks": f}}]} for f in fragments]
    expected = ChunkProcessor([{"model": "m"}]).get_combined_thinking_content(raw)
    got = extra(accumulate([ProviderData("thinking_blocks", f) for f in fragments]))
    assert got["thinking_blocks"] == [dict(block) for block in expected]


def test_provider_specific_fields_merge_key_by_key_and_collect_citations() -> None:
    events: list[StreamEvent] = [
        ProviderData("provider_specific_fields", {"citation": {"n": 1}, "a": 1}),
        ProviderData("provider_specific_fields", {"citation": {"n": 2}, "a": 2, "b": [3]}),
    ]
    assert extra(accumulate(events))["provider_specific_fields"] == {
        "citations": [[{"n": 1}, {"n": 2}]],  # LiteLLM's shape for single citations
        "a": 2,
        "b": [3],
    }


def test_reasoning_details_merge_by_index() -> None:
    events: list[StreamEvent] = [
        ProviderData(
            "reasoning_details",
            [{"type": "reasoning.text", "text": "We need", "index": 0, "format": None}],
        ),
        ProviderData(
            "reasoning_details",
            [{"type": "reasoning.text", "text": " to answer", "index": 0, "signature": "s"}],
        ),
        ProviderData(
            "reasoning_details", [{"type": "reasoning.encrypted", "data": "X", "index": 1}]
        ),
        ProviderData("reasoning_details", [{"type": "reasoning.summary", "summary": "S"}]),
    ]
    assert extra(accumulate(events))["reasoning_details"] == [
        {
            "type": "reasoning.text",
            "text": "We need to answer",
            "index": 0,
            "format": None,
            "signature": "s",
        },
        {"type": "reasoning.encrypted", "data": "X", "index": 1},
        {"type": "reasoning.summary", "summary": "S"},
    ]


def test_tool_level_provider_data_lands_on_its_call() -> None:
    events: list[StreamEvent] = [
        ToolCallStarted(0, "call_1", "f"),
        ProviderData("provider_specific_fields", {"thought_signature": "T"}, tool_index=0),
        ProviderData("extra_content", {"google": {"thought_signature": "G"}}, tool_index=0),
        ToolCallDone(0, "call_1", "f", "{}"),
        ToolCallStarted(1, "call_2", "g"),
        ToolCallDone(1, "call_2", "g", "{}"),
    ]
    first, second = accumulate(events).choices[0].message.tool_calls or []
    assert first.model_extra == {
        "provider_specific_fields": {"thought_signature": "T"},
        "extra_content": {"google": {"thought_signature": "G"}},
    }
    assert not second.model_extra


def test_provider_data_for_a_call_before_its_start_is_kept() -> None:
    # The normalizer delays ToolCallStarted until the name is known; data may come first.
    events: list[StreamEvent] = [
        ProviderData("extra_content", {"k": 1}, tool_index=0),
        ToolCallStarted(0, "call_1", "f"),
        ToolCallDone(0, "call_1", "f", "{}"),
    ]
    (tool_call,) = accumulate(events).choices[0].message.tool_calls or []
    assert tool_call.model_extra == {"extra_content": {"k": 1}}


def test_other_provider_data_keys_merge_dicts_extend_lists_replace_the_rest() -> None:
    events: list[StreamEvent] = [
        ProviderData("d", {"a": 1}),
        ProviderData("d", {"b": 2}),
        ProviderData("l", [1]),
        ProviderData("l", [2]),
        ProviderData("s", "x"),
        ProviderData("s", "y"),
    ]
    got = extra(accumulate(events))
    assert (got["d"], got["l"], got["s"]) == ({"a": 1, "b": 2}, [1, 2], "y")


def test_reasoning_is_kept_as_reasoning_content() -> None:
    got = extra(accumulate([ReasoningDelta("a"), ReasoningDelta("b"), TextDelta("c")]))
    assert got == {"reasoning_content": "ab"}


def test_moderation_is_kept_on_the_completion() -> None:
    completion = accumulate([TextDelta("a"), Moderation({"input": {"flagged": False}})])
    dumped = completion.model_dump(exclude_unset=True)
    assert dumped["moderation"] == {"input": {"flagged": False}}


# -- Round trip: accumulated message sent back through LiteLLM ------------------------------

# What the loopback scenarios `anthropic_thinking` and `gemini_thinking` stream
# (typedstream/_data/loopback/*.jsonl), read from the files.
ANTHROPIC_SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"
GEMINI_SIGNATURE = "CiQBVKhc7vJ3sT9lZ2VtaW5pLXNpZ25hdHVyZS0x"
WEATHER_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "parameters": {
                "type": "object",
                "properties": {key: {"type": "string"}},
                "required": [key],
            },
        },
    }
    for name, key in (("get_weather", "location"), ("get_time", "tz"))
]


def round_trip(litellm: Any, loopback: Any, scenario: str, **kwargs: Any) -> Any:
    """Stream once, accumulate, append the message and the tool results, send it again.

    Returns the JSON body the provider received for the second request.
    """
    request = {
        "messages": [{"role": "user", "content": "What are the weather and the time in Paris?"}],
        "tools": WEATHER_TOOLS,
        "stream": True,
        "api_base": loopback.api_base(scenario),
        "api_key": "sk-loopback",
        **kwargs,
    }
    completion = accumulate(typedstream.events(litellm.completion(**request)))
    message = completion.choices[0].message
    replies = [
        {"role": "tool", "tool_call_id": tool_call.id, "content": "ok"}
        for tool_call in message.tool_calls or []
    ]
    request["messages"] = [
        *request["messages"],
        message.model_dump(exclude_none=True),
        *replies,
    ]
    list(typedstream.events(litellm.completion(**request)))
    exchange = loopback.last
    assert exchange.reply == scenario
    return exchange.body


@pytest.mark.live
def test_anthropic_thinking_block_and_signature_go_back_to_the_provider(
    litellm: Any, loopback: Any
) -> None:
    body = round_trip(
        litellm,
        loopback,
        "anthropic_thinking",
        model="anthropic/claude-3-7-sonnet-20250219",
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    assistant = [m for m in body["messages"] if m["role"] == "assistant"]
    assert len(assistant) == 1
    assert assistant[0]["content"][0] == {
        "type": "thinking",
        "thinking": "The user wants weather.",
        "signature": ANTHROPIC_SIGNATURE,
    }
    assert [b["id"] for b in assistant[0]["content"] if b["type"] == "tool_use"] == [
        "toolu_01A",
        "toolu_01B",
    ]


@pytest.mark.live
def test_gemini_thought_signature_goes_back_to_the_provider(litellm: Any, loopback: Any) -> None:
    body = round_trip(
        litellm,
        loopback,
        "gemini_thinking",
        model="gemini/gemini-2.5-flash",
        reasoning_effort="low",
    )
    model_turn = [c for c in body["contents"] if c["role"] == "model"]
    assert len(model_turn) == 1
    calls = [p for p in model_turn[0]["parts"] if "function_call" in p]
    assert [c["function_call"]["name"] for c in calls] == ["get_weather", "get_time"]
    assert calls[0]["thoughtSignature"] == GEMINI_SIGNATURE
