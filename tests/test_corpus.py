"""Every recorded stream through `events()`: parsed chunks, raw bytes cut anywhere, async.

OpenAI recordings are checked against the message the `openai` SDK's own
`ChatCompletionStreamState` rebuilds; the others against the merge policy, through a naive
reference merger (`tests/naive.py`) and hand-written expectations.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from corpus import Recording, ids, recording, recordings
from helpers import acollect, collect
from naive import Message, naive_merge, rebuild

import typedstream
from typedstream import ProviderError

RECORDINGS = recordings()
SSE = tuple(r for r in RECORDINGS if r.is_sse)
OPENAI = tuple(r for r in RECORDINGS if r.is_openai)
OTHERS = tuple(r for r in RECORDINGS if not r.is_openai and not r.is_error)
ERRORS = tuple(r for r in RECORDINGS if r.is_error)


def cuts(body: bytes, seed: int) -> list[bytes]:
    """The body cut at random offsets (mid-line, mid-UTF-8, between CR and LF...)."""
    rng = random.Random(seed)
    pieces, at = [], 0
    while at < len(body):
        step = rng.choice((1, 2, 3, 5, 17, 64, 300, 4096))
        pieces.append(body[at : at + step])
        at += step
    return pieces


@pytest.mark.parametrize("rec", RECORDINGS, ids=ids(RECORDINGS))
def test_recording_yields_events_without_error_unless_it_records_one(rec: Recording) -> None:
    events, error = collect(rec.chunks())
    assert events
    if rec.is_error:
        assert isinstance(error, ProviderError)
    else:
        assert error is None


@pytest.mark.parametrize("rec", SSE, ids=ids(SSE))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_raw_bytes_cut_anywhere_give_the_events_of_the_parsed_chunks(
    rec: Recording, seed: int
) -> None:
    expected = collect(rec.chunks())
    got = collect(cuts(rec.body(), seed))
    assert got[0] == expected[0]
    assert type(got[1]) is type(expected[1])


@pytest.mark.parametrize("rec", SSE, ids=ids(SSE))
def test_whole_body_as_one_bytes_or_str_gives_the_events_of_the_parsed_chunks(
    rec: Recording,
) -> None:
    expected, error = collect(rec.chunks())
    for body in (rec.body(), rec.body().decode()):
        got, got_error = collect(body)
        assert got == expected
        assert str(got_error) == str(error)


@pytest.mark.parametrize("rec", SSE, ids=ids(SSE))
def test_crlf_line_endings_give_the_same_events(rec: Recording) -> None:
    body = rec.body().replace(b"\n", b"\r\n")
    assert collect(cuts(body, 7))[0] == collect(rec.chunks())[0]


@pytest.mark.parametrize("rec", SSE, ids=ids(SSE))
def test_line_iterator_gives_the_same_events(rec: Recording) -> None:
    lines = rec.body().decode().split("\n")  # as httpx iter_lines(): no terminators
    assert collect(lines, lines=True)[0] == collect(rec.chunks())[0]


@pytest.mark.parametrize("rec", RECORDINGS, ids=ids(RECORDINGS))
def test_aevents_equals_events_for_every_recording(rec: Recording) -> None:
    async def source() -> Any:
        for chunk in rec.chunks():
            await asyncio.sleep(0)
            yield chunk

    sync = collect(rec.chunks())
    got = asyncio.run(acollect(source()))
    assert got[0] == sync[0]
    assert type(got[1]) is type(sync[1])
    if rec.is_sse:
        got_bytes = asyncio.run(acollect(cuts(rec.body(), 11)))
        assert got_bytes[0] == sync[0]


# -- OpenAI recordings: what the `openai` SDK rebuilds --------------------------------------


@pytest.mark.parametrize("rec", OPENAI, ids=ids(OPENAI))
def test_openai_recording_rebuilds_the_message_the_openai_sdk_rebuilds(rec: Recording) -> None:
    from openai._models import construct_type
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai.types.chat import ChatCompletionChunk

    state: ChatCompletionStreamState[object] = ChatCompletionStreamState()
    for chunk in rec.chunks():
        state.handle_chunk(construct_type(type_=ChatCompletionChunk, value=chunk))
    snapshot = state.current_completion_snapshot
    events, error = collect(rec.chunks())
    assert error is None
    messages, usage = rebuild(events)

    assert sorted(messages) == [c.index for c in snapshot.choices]
    for choice in snapshot.choices:
        message = messages[choice.index]
        assert message.content == (choice.message.content or "")
        assert message.refusal == (choice.message.refusal or "")
        assert message.finish_reason == choice.finish_reason
        sdk_calls = [
            {"id": t.id, "name": t.function.name, "arguments": t.function.arguments}
            for t in choice.message.tool_calls or []
        ]
        if choice.message.function_call is not None:
            legacy = choice.message.function_call
            sdk_calls.append({"id": None, "name": legacy.name, "arguments": legacy.arguments})
        assert len(message.tool_calls) == len(sdk_calls)
        for ours, theirs in zip(message.tool_calls, sdk_calls, strict=True):
            assert ours["name"] == theirs["name"]
            assert ours["arguments"] == theirs["arguments"]
            if theirs["id"] is not None:
                assert ours["id"] == theirs["id"]
    started = events[0]
    assert isinstance(started, typedstream.StreamStarted)
    assert (started.id, started.model, started.created) == (
        snapshot.id,
        snapshot.model,
        snapshot.created,
    )
    assert started.system_fingerprint == snapshot.system_fingerprint
    # The SDK overwrites usage from every chunk; typedstream keeps the last non-null one.
    last_usage = [c["usage"] for c in rec.chunks() if c.get("usage")]
    assert usage == (last_usage[-1] if last_usage else None)


def test_legacy_function_call_is_a_tool_call_that_remembers_the_legacy_form() -> None:
    events, _ = collect(recording("openai_legacy_function_call_gpt35_0613.jsonl").chunks())
    done = [e for e in events if isinstance(e, typedstream.ToolCallDone)]
    assert len(done) == 1
    assert done[0].legacy
    assert done[0].name == "repl"
    assert done[0].arguments == '{\n  "code": "print(\\"hi\\")",\n  "language": "python"\n}'
    assert done[0].id.startswith("call_")
    finish = [e for e in events if isinstance(e, typedstream.ChoiceFinished)]
    assert finish == [typedstream.ChoiceFinished("function_call", "function_call", 0)]


# -- other recordings: the merge policy ----------------------------------------------------


@pytest.mark.parametrize("rec", OTHERS, ids=ids(OTHERS))
def test_recording_rebuilds_the_message_the_merge_policy_implies(rec: Recording) -> None:
    expected, expected_usage = naive_merge(rec.chunks())
    events, error = collect(rec.chunks())
    assert error is None
    got, usage = rebuild(events)
    for choice, message in expected.items():
        if message.finish_reason is None:  # D3: inferred at a complete end, raw None
            assert got[choice].finish_reason is None
        _check_calls_have_ids(got[choice])
        assert got[choice].tool_calls == [
            {**call, "id": call["id"] or got_call["id"]}
            for call, got_call in zip(message.tool_calls, got[choice].tool_calls, strict=True)
        ]
        assert (got[choice].content, got[choice].reasoning, got[choice].refusal) == (
            message.content,
            message.reasoning,
            message.refusal,
        )
        assert got[choice].finish_reason == message.finish_reason
    assert sorted(got) == sorted(expected)
    assert usage == expected_usage


def _check_calls_have_ids(message: Message) -> None:
    for call in message.tool_calls:
        assert call["id"]


# Hand-written expectations: what each tool-call recording must come to (from the files).
TOOL_CALLS = {
    "alibaba_qwen3max_tool_call.jsonl": (
        "call_eee11723464a4b9eb8cee71d",
        "weather",
        '{"location": "San Francisco"}',
        "tool_calls",
    ),
    "deepseek_reasoner_tool_call.jsonl": (
        "call_00_ioIn7yN9p1ZOMNpDLwd4MgAF",
        "weather",
        '{"location": "San Francisco"}',
        "tool_calls",
    ),
    "groq_llama33_tool_call.jsonl": ("tk85n1k4m", "weather", "{}", "tool_calls"),
    "mistral_small_tool_call.jsonl": (
        "gSIMJiOkT",
        "weather",
        '{"location": "San Francisco"}',
        "tool_calls",
    ),
    "mistral_api_glm_incremental_tool_call.jsonl": (
        "chatcmpl-tool-9f149c74c42f265b",
        "webSearchTool",
        '{"query": "current Berlin weather"}',
        "tool_calls",
    ),
    "xai_grok3mini_tool_call.jsonl": (
        "call_79382389",
        "weather",
        '{"location":"San Francisco"}',
        "tool_calls",
    ),
}


@pytest.mark.parametrize("name", sorted(TOOL_CALLS))
def test_single_tool_call_recordings_give_exactly_one_call(name: str) -> None:
    call_id, fn, arguments, reason = TOOL_CALLS[name]
    events, error = collect(recording(name).chunks())
    assert error is None
    done = [e for e in events if isinstance(e, typedstream.ToolCallDone)]
    assert done == [typedstream.ToolCallDone(0, call_id, fn, arguments)]
    started = [e for e in events if isinstance(e, typedstream.ToolCallStarted)]
    assert started == [typedstream.ToolCallStarted(0, call_id, fn)]
    finish = [e for e in events if isinstance(e, typedstream.ChoiceFinished)]
    assert finish == [typedstream.ChoiceFinished(reason, reason, 0)]


LITELLM_TWO_CALLS = [
    ("call_Aa1", "get_weather", '{"location": "Paris"}'),
    ("call_Bb2", "get_time", '{"tz": "Europe/Paris"}'),
]


@pytest.mark.parametrize(
    "name",
    [
        "litellm_openai_tools_sync.jsonl",
        "litellm_openai_tools_usage_sync.jsonl",
        "litellm_openai_tools_usage_async.jsonl",
        "litellm_openai_tools_usage_sync2.jsonl",
        "wire_openai_tools.jsonl",
        "wire_openai_tools_usage.jsonl",
    ],
)
def test_litellm_openai_tools_recording_is_the_worked_example(name: str) -> None:
    events, error = collect(recording(name).chunks())
    assert error is None
    texts = [e.text for e in events if isinstance(e, typedstream.TextDelta)]
    assert texts == ["Let me ", "check ", "both."]
    kinds = [e.kind for e in events]
    assert kinds[0] == "stream_started"
    calls = [(e.id, e.name, e.arguments) for e in events if isinstance(e, typedstream.ToolCallDone)]
    assert calls == LITELLM_TWO_CALLS
    # Each call: started, its fragments, done - and the next call only after that.
    assert kinds[4:] == [
        "tool_call_started",
        *["arguments_delta"] * 4,
        "tool_call_done",
        "tool_call_started",
        *["arguments_delta"] * 3,
        "tool_call_done",
        "choice_finished",
        *(["usage"] if "usage" in name else []),
    ]


@pytest.mark.parametrize("name", ["litellm_anthropic_basic.jsonl", "litellm_anthropic_async.jsonl"])
def test_litellm_anthropic_recording_gives_text_then_two_calls(name: str) -> None:
    events, error = collect(recording(name).chunks())
    assert error is None
    assert "".join(e.text for e in events if isinstance(e, typedstream.TextDelta)) == (
        "Okay, let me check that."
    )
    calls = [
        (e.index, e.id, e.name, e.arguments)
        for e in events
        if isinstance(e, typedstream.ToolCallDone)
    ]
    assert calls == [
        (0, "toolu_01A", "get_weather", '{"location": "San Francisco, CA", "unit": "celsius"}'),
        (1, "toolu_01B", "get_time", '{"tz": "America/Los_Angeles"}'),
    ]
    assert [e for e in events if isinstance(e, typedstream.ChoiceFinished)] == [
        typedstream.ChoiceFinished("tool_calls", "tool_calls", 0)
    ]


def test_magistral_content_parts_split_into_reasoning_and_text() -> None:
    events, _ = collect(recording("mistral_magistral_content_parts.jsonl").chunks())
    assert [(e.kind, getattr(e, "text", None)) for e in events[1:4]] == [
        ("reasoning_delta", "The user is asking"),
        ("reasoning_delta", " for 2+2. This is basic arithmetic. 2+2=4."),
        ("text_delta", "2 + 2 = 4"),
    ]


def test_snowflake_without_any_finish_reason_ends_with_stop_and_raw_none() -> None:
    events, error = collect(recording("snowflake_cortex_claude_text.sse").body())
    assert error is None
    assert [e for e in events if isinstance(e, typedstream.TextDelta)] == [
        typedstream.TextDelta("4")
    ]
    assert events[-2:] == [
        typedstream.ChoiceFinished("stop", None, 0),
        typedstream.Usage(recording("snowflake_cortex_claude_text.sse").chunks()[-1]["usage"]),
    ]
    assert events[0] == typedstream.StreamStarted(None, "claude-sonnet-4-6", 0, None, None)


def test_azure_preamble_is_skipped_and_the_envelope_comes_from_the_first_real_chunk() -> None:
    events, _ = collect(recording("azure_model_router_gpt5nano_text.jsonl").chunks())
    assert events[0] == typedstream.StreamStarted(
        "chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt", "gpt-5-nano-2025-08-07", 1762317021
    )
    assert "".join(e.text for e in events if isinstance(e, typedstream.TextDelta)) == (
        "Capital of Denmark."
    )


def test_moderation_comes_after_usage_at_the_end() -> None:
    events, _ = collect(recording("openai_2026_gpt5_moderation.sse").body())
    assert [e.kind for e in events[-3:]] == ["choice_finished", "usage", "moderation"]
    moderation = events[-1]
    assert isinstance(moderation, typedstream.Moderation)
    assert moderation.moderation["input"]["type"] == "moderation_results"


# -- the two error recordings --------------------------------------------------------------


@pytest.mark.parametrize("rec", ERRORS, ids=ids(ERRORS))
def test_error_recording_raises_provider_error_after_its_earlier_events(rec: Recording) -> None:
    chunks = rec.chunks()
    error_at = next(i for i, c in enumerate(chunks) if c.get("error")) + 1
    before, _error = collect(chunks[: error_at - 1], assume_complete=True)
    events, raised = collect(rec.body())
    assert isinstance(raised, ProviderError)
    assert raised.chunk == error_at
    assert raised.payload == chunks[error_at - 1]["error"]
    # everything before the error chunk was delivered (no end-of-stream events: no usage),
    # then the error itself as the stream's last event
    *delivered, last = events
    assert delivered == [e for e in before if e.kind != "usage"][: len(delivered)]
    assert len(delivered) >= len(before) - 1
    assert isinstance(last, typedstream.StreamError)
    assert (last.data, last.source, last.protocol) == (raised.payload, "event", "chat")
    assert collect(chunks)[0] == events


def test_groq_error_event_carries_the_provider_payload() -> None:
    _, error = collect(recording("groq_gpt_oss_tool_use_failed_error.sse").body())
    assert isinstance(error, ProviderError)
    assert error.code == "tool_use_failed"
    assert error.message is not None
    assert error.message.startswith("Tool call validation failed")


def test_groq_error_chunk_is_a_stream_error_with_its_type_and_code() -> None:
    events, _ = collect(recording("groq_gpt_oss_tool_use_failed_error.sse").body())
    last = events[-1]
    assert isinstance(last, typedstream.StreamError)
    assert (last.type, last.code) == ("invalid_request_error", "tool_use_failed")
    assert last.message.startswith("Tool call validation failed")


def test_openrouter_error_chunk_comes_after_two_finish_chunks_first_wins() -> None:
    events, error = collect(recording("openrouter_minimax_error_midstream.sse").body())
    assert isinstance(error, ProviderError)
    assert error.payload == {"code": 400, "message": "Token limit reached"}
    assert [e for e in events if isinstance(e, typedstream.ChoiceFinished)] == [
        typedstream.ChoiceFinished("length", "length", 0)
    ]
    reasoning = "".join(e.text for e in events if isinstance(e, typedstream.ReasoningDelta))
    assert reasoning == "We need to respond to a greeting. The user"
    # the HTTP status OpenRouter sends as a number is StreamError.code's decimal string
    assert events[-1] == typedstream.StreamError(
        "Token limit reached",
        None,
        "400",
        {"code": 400, "message": "Token limit reached"},
        "event",
        "chat",
    )
