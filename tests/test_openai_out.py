"""`to_openai_chunks()` / `to_sse()` and their async twins: the exact OpenAI shape.

Hand-written events pin each rule of docs/openai-exact.md (expected chunks written by hand);
every recording of the corpus checks the sinks against each other and against the checker.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from corpus import Recording, ids, recording, recordings

import typedstream
from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    IncompleteStreamError,
    Logprobs,
    Moderation,
    ProviderData,
    ProviderError,
    ReasoningDelta,
    RefusalDelta,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDone,
    ToolCallStarted,
    Usage,
    check_openai_chunks,
    to_openai_chunks,
    to_sse,
)

RECORDINGS = recordings()
ERRORS = tuple(r for r in RECORDINGS if r.is_error)
COMPLETE = tuple(r for r in RECORDINGS if not r.is_error)

START = StreamStarted("chatcmpl-x", "gpt-4o", 1700000000, "fp_1", "default")
ENVELOPE = {
    "id": "chatcmpl-x",
    "object": "chat.completion.chunk",
    "created": 1700000000,
    "model": "gpt-4o",
    "service_tier": "default",
    "system_fingerprint": "fp_1",
}


def wire(events: list[StreamEvent], **options: Any) -> list[dict[str, Any]]:
    """The chunks as wire dicts (what `model_dump(mode="json", exclude_unset=True)` gives)."""
    return [
        c.model_dump(mode="json", exclude_unset=True) for c in to_openai_chunks(events, **options)
    ]


def sse_chunks(frames: list[bytes]) -> list[dict[str, Any]]:
    """Parse `data: {...}` frames back to dicts (the `[DONE]` frame excluded)."""
    out = []
    for frame in frames:
        assert frame.startswith(b"data: "), frame
        assert frame.endswith(b"\n\n"), frame
        if frame != b"data: [DONE]\n\n":
            out.append(json.loads(frame[6:-2]))
    return out


def choice(delta: dict[str, Any], finish: str | None = None, index: int = 0, **extra: Any) -> Any:
    """One expected chunk: the envelope and one choice."""
    entry = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish, **extra}
    return {**ENVELOPE, "choices": [entry]}


ROLE_TEXT = {"role": "assistant", "content": "", "refusal": None}


def header(index: int, id: str, name: str) -> dict[str, Any]:
    return {
        "tool_calls": [
            {
                "index": index,
                "id": id,
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
        ]
    }


def args(index: int, text: str) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, "function": {"arguments": text}}]}


def source_events(rec: Recording) -> tuple[list[StreamEvent], BaseException | None]:
    out: list[StreamEvent] = []
    try:
        out.extend(typedstream.events(rec.chunks()))
    except typedstream.TypedStreamError as exc:
        return out, exc
    return out, None


# -- first-chunk shapes (docs/openai-exact.md, the rules) ------------------------------------


def test_text_first_opens_with_content_empty_and_refusal_null() -> None:
    events = [START, TextDelta("Hi"), TextDelta(" there"), ChoiceFinished("stop", "stop")]
    assert wire(events) == [
        choice(ROLE_TEXT),
        choice({"content": "Hi"}),
        choice({"content": " there"}),
        choice({}, "stop"),
    ]


def test_refusal_first_opens_with_content_null_and_refusal_empty() -> None:
    events = [START, RefusalDelta("I can't"), ChoiceFinished("stop", "stop")]
    assert wire(events) == [
        choice({"role": "assistant", "content": None, "refusal": ""}),
        choice({"refusal": "I can't"}),
        choice({}, "stop"),
    ]


def test_tool_call_first_packs_role_and_header_into_one_chunk() -> None:
    events = [
        START,
        ToolCallStarted(0, "call_a", "get_weather"),
        ArgumentsDelta(0, "call_a", '{"city"'),
        ArgumentsDelta(0, "call_a", ': "Paris"}'),
        ToolCallDone(0, "call_a", "get_weather", '{"city": "Paris"}'),
        ToolCallStarted(1, "call_b", "get_time"),
        ArgumentsDelta(1, "call_b", "{}"),
        ToolCallDone(1, "call_b", "get_time", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]
    first = {"role": "assistant", "content": None, **header(0, "call_a", "get_weather")}
    first["refusal"] = None
    assert wire(events) == [
        choice(first),
        choice(args(0, '{"city"')),
        choice(args(0, ': "Paris"}')),
        choice(header(1, "call_b", "get_time")),
        choice(args(1, "{}")),
        choice({}, "tool_calls"),
    ]


def test_text_then_tool_calls_keep_the_text_role_chunk() -> None:
    events = [
        START,
        TextDelta("Let me check."),
        ToolCallStarted(0, "call_a", "f"),
        ArgumentsDelta(0, "call_a", "{}"),
        ToolCallDone(0, "call_a", "f", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]
    assert wire(events) == [
        choice(ROLE_TEXT),
        choice({"content": "Let me check."}),
        choice(header(0, "call_a", "f")),
        choice(args(0, "{}")),
        choice({}, "tool_calls"),
    ]


def test_a_choice_that_only_finishes_still_gets_its_role_chunk() -> None:
    assert wire([START, ChoiceFinished("stop", None)]) == [choice(ROLE_TEXT), choice({}, "stop")]


def test_role_is_written_once_per_choice() -> None:
    chunks = wire(
        [START, TextDelta("a"), TextDelta("b"), TextDelta("c"), ChoiceFinished("stop", "stop")]
    )
    assert sum("role" in c["choices"][0]["delta"] for c in chunks) == 1


# -- legacy function_call ---------------------------------------------------------------------


def test_legacy_function_call_comes_back_in_function_call_form() -> None:
    events = [
        StreamStarted("chatcmpl-7W", "gpt-3.5-turbo-0613", 1687912037),
        ToolCallStarted(0, "call_synth", "repl", legacy=True),
        ArgumentsDelta(0, "call_synth", "{\n"),
        ArgumentsDelta(0, "call_synth", "}"),
        ToolCallDone(0, "call_synth", "repl", "{\n}", legacy=True),
        ChoiceFinished("function_call", "function_call"),
    ]
    envelope = {
        "id": "chatcmpl-7W",
        "object": "chat.completion.chunk",
        "created": 1687912037,
        "model": "gpt-3.5-turbo-0613",
    }

    def legacy(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        entry = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**envelope, "choices": [entry]}

    assert wire(events) == [
        legacy(
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "repl", "arguments": ""},
            }
        ),
        legacy({"function_call": {"arguments": "{\n"}}),
        legacy({"function_call": {"arguments": "}"}}),
        legacy({}, "function_call"),
    ]


# -- n > 1 ------------------------------------------------------------------------------------


def test_choices_interleave_one_choice_per_chunk() -> None:
    events = [
        START,
        TextDelta("A", 0),
        TextDelta("B", 1),
        TextDelta("a", 0),
        ChoiceFinished("stop", "stop", 0),
        ChoiceFinished("length", "length", 1),
    ]
    assert wire(events) == [
        choice(ROLE_TEXT, index=0),
        choice({"content": "A"}, index=0),
        choice(ROLE_TEXT, index=1),
        choice({"content": "B"}, index=1),
        choice({"content": "a"}, index=0),
        choice({}, "stop", index=0),
        choice({}, "length", index=1),
    ]


# -- logprobs ---------------------------------------------------------------------------------

TOKEN = {"token": "Hi", "logprob": -0.5, "bytes": [72, 105], "top_logprobs": []}


def test_logprobs_ride_on_the_chunk_of_their_fragment() -> None:
    events = [START, Logprobs([TOKEN]), TextDelta("Hi"), ChoiceFinished("stop", "stop")]
    assert wire(events) == [
        choice(ROLE_TEXT),
        choice({"content": "Hi"}, logprobs={"content": [TOKEN], "refusal": None}),
        choice({}, "stop"),
    ]


def test_refusal_logprobs_ride_on_the_refusal_fragment() -> None:
    events = [START, Logprobs(None, [TOKEN]), RefusalDelta("No"), ChoiceFinished("stop", "stop")]
    assert wire(events)[1] == choice(
        {"refusal": "No"}, logprobs={"content": None, "refusal": [TOKEN]}
    )


def test_logprobs_without_a_fragment_get_a_chunk_of_their_own() -> None:
    events = [
        START,
        TextDelta("Hi"),
        Logprobs([TOKEN]),
        ChoiceFinished("stop", "stop"),
    ]
    assert wire(events) == [
        choice(ROLE_TEXT),
        choice({"content": "Hi"}),
        choice({}, logprobs={"content": [TOKEN], "refusal": None}),
        choice({}, "stop"),
    ]


def test_logprobs_still_held_at_the_end_are_written() -> None:
    chunks = wire([START, TextDelta("Hi"), Logprobs([TOKEN])])
    assert chunks[-1] == choice({}, logprobs={"content": [TOKEN], "refusal": None})


def test_logprobs_of_another_choice_do_not_move() -> None:
    events = [START, Logprobs([TOKEN], choice=1), TextDelta("x", 0), TextDelta("Hi", 1)]
    chunks = wire(events)
    assert chunks[-1] == choice(
        {"content": "Hi"}, index=1, logprobs={"content": [TOKEN], "refusal": None}
    )
    assert all(c["choices"][0]["logprobs"] is None for c in chunks[:-1])


# -- tool calls in sequence -------------------------------------------------------------------


def test_interleaved_calls_come_out_one_after_another() -> None:
    # What events(..., defer_tool_call_done=True) gives for a provider interleaving two calls.
    events = [
        START,
        ToolCallStarted(0, "call_a", "f"),
        ToolCallStarted(1, "call_b", "g"),
        ArgumentsDelta(0, "call_a", "[1"),
        ArgumentsDelta(1, "call_b", "[2"),
        ArgumentsDelta(0, "call_a", "]"),
        ArgumentsDelta(1, "call_b", "]"),
        ToolCallDone(0, "call_a", "f", "[1]"),
        ToolCallDone(1, "call_b", "g", "[2]"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]
    first = {"role": "assistant", "content": None, **header(0, "call_a", "f"), "refusal": None}
    assert wire(events) == [
        choice(first),
        choice(args(0, "[1")),
        choice(args(0, "]")),
        choice(header(1, "call_b", "g")),
        choice(args(1, "[2")),
        choice(args(1, "]")),
        choice({}, "tool_calls"),
    ]


def test_output_indexes_are_dense_whatever_the_event_indexes() -> None:
    events = [
        START,
        ToolCallStarted(3, "call_a", "f"),
        ToolCallDone(3, "call_a", "f", ""),
        ToolCallStarted(7, "call_b", "g"),
        ArgumentsDelta(7, "call_b", "{}"),
    ]
    chunks = wire(events)
    assert chunks[0]["choices"][0]["delta"]["tool_calls"][0]["index"] == 0
    assert chunks[1] == choice(header(1, "call_b", "g"))
    assert chunks[2] == choice(args(1, "{}"))


def test_interleaved_calls_in_the_normalizer_output_pass_the_checker() -> None:
    raw = [
        {**ENVELOPE, "choices": [{"index": 0, "delta": d, "finish_reason": f}]}
        for d, f in [
            (
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"index": 0, "id": "a", "function": {"name": "f", "arguments": "[1"}}
                    ],
                },
                None,
            ),
            (
                {
                    "tool_calls": [
                        {"index": 1, "id": "b", "function": {"name": "g", "arguments": "[2"}}
                    ]
                },
                None,
            ),
            ({"tool_calls": [{"index": 0, "function": {"arguments": "]"}}]}, None),
            ({"tool_calls": [{"index": 1, "function": {"arguments": "]"}}]}, None),
            ({}, "tool_calls"),
        ]
    ]
    chunks = wire(list(typedstream.events(raw, defer_tool_call_done=True)))
    assert check_openai_chunks(chunks) == []
    fragments = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"][0]["delta"].get("tool_calls")
    ]
    assert [(f["index"], f["function"]["arguments"]) for f in fragments] == [
        (0, ""),
        (0, "[1"),
        (0, "]"),
        (1, ""),
        (1, "[2"),
        (1, "]"),
    ]


# -- usage and moderation ---------------------------------------------------------------------

LITELLM_USAGE = {
    "completion_tokens": 40,
    "prompt_tokens": 80,
    "total_tokens": 120,
    "completion_tokens_details": {"reasoning_tokens": 0, "text_tokens": None, "audio_tokens": None},
    "prompt_tokens_details": {"cached_tokens": 0, "image_tokens": None},
    "cost": 0.0006,
}


def test_usage_comes_last_on_its_own_chunk_with_openai_fields_only() -> None:
    chunks = wire([START, TextDelta("x"), ChoiceFinished("stop", "stop"), Usage(LITELLM_USAGE)])
    assert chunks[-1] == {
        **ENVELOPE,
        "choices": [],
        "usage": {
            "completion_tokens": 40,
            "prompt_tokens": 80,
            "total_tokens": 120,
            "completion_tokens_details": {"reasoning_tokens": 0},
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    }


def test_usage_chunk_can_be_left_out() -> None:
    chunks = wire(
        [START, ChoiceFinished("stop", "stop"), Usage(LITELLM_USAGE)], include_usage=False
    )
    assert all(c["choices"] for c in chunks)


def test_moderation_gets_the_chunk_openai_sends_after_usage() -> None:
    moderation = {"input": {"type": "moderation_results", "model": "m", "results": []}}
    chunks = wire(
        [START, ChoiceFinished("stop", "stop"), Usage({"prompt_tokens": 1}), Moderation(moderation)]
    )
    assert chunks[-1] == {**ENVELOPE, "choices": [], "moderation": moderation}
    assert chunks[-2]["usage"] == {"prompt_tokens": 1}


# -- extensions -------------------------------------------------------------------------------


def test_extensions_are_dropped_by_default() -> None:
    events = [
        START,
        ReasoningDelta("hmm"),
        ProviderData("thinking_blocks", [{"type": "thinking", "signature": "s"}]),
        TextDelta("Hi"),
        ChoiceFinished("stop", "stop"),
        Usage(LITELLM_USAGE),
    ]
    chunks = wire(events)
    assert chunks[:2] == [choice(ROLE_TEXT), choice({"content": "Hi"})]
    assert "cost" not in chunks[-1]["usage"]


def test_extensions_are_kept_on_request() -> None:
    blocks = [{"type": "thinking", "thinking": "hmm", "signature": "s"}]
    signature = {"google": {"thought_signature": "sig"}}
    events = [
        START,
        ReasoningDelta("hmm"),
        ProviderData("thinking_blocks", blocks),
        ToolCallStarted(0, "call_a", "f"),
        ProviderData("extra_content", signature, tool_index=0),
        ArgumentsDelta(0, "call_a", "{}"),
        ToolCallDone(0, "call_a", "f", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
        Usage(LITELLM_USAGE),
    ]
    assert wire(events, keep_extensions=True) == [
        choice({"role": "assistant", "content": None, "refusal": None}),
        choice({"reasoning_content": "hmm"}),
        choice({"thinking_blocks": blocks}),
        choice(header(0, "call_a", "f")),
        choice({"tool_calls": [{"index": 0, "extra_content": signature}]}),
        choice(args(0, "{}")),
        choice({}, "tool_calls"),
        {**ENVELOPE, "choices": [], "usage": LITELLM_USAGE},
    ]


def test_extensions_round_trip_through_the_normalizer() -> None:
    rec = recording("litellm_anthropic_basic.jsonl")
    original = [
        e for e in typedstream.events(rec.chunks()) if isinstance(e, (ReasoningDelta, ProviderData))
    ]
    chunks = wire(list(typedstream.events(rec.chunks())), keep_extensions=True)
    again = [e for e in typedstream.events(chunks) if isinstance(e, (ReasoningDelta, ProviderData))]
    assert again == original


# -- envelope ---------------------------------------------------------------------------------


def test_every_chunk_carries_the_same_envelope() -> None:
    rec = recording("openai_gpt4o_n3_choices.sse")
    chunks = wire(list(typedstream.events(rec.chunks())))
    first = rec.chunks()[0]
    for c in chunks:
        assert {k: c[k] for k in ("id", "object", "created", "model", "system_fingerprint")} == {
            k: first[k] for k in ("id", "object", "created", "model", "system_fingerprint")
        }
        assert "service_tier" not in c  # the 2024 recording has none


def test_id_model_and_created_can_be_overridden() -> None:
    chunks = wire([START, TextDelta("x")], id="chatcmpl-mine", model="my-model", created=5)
    assert {(c["id"], c["model"], c["created"]) for c in chunks} == {
        ("chatcmpl-mine", "my-model", 5)
    }


def test_a_missing_response_id_is_generated_deterministically() -> None:
    events = [StreamStarted(None, "m", 0), TextDelta("four"), ChoiceFinished("stop", None)]
    first, second = wire(events), wire(events)
    assert first == second
    generated = first[0]["id"]
    assert generated.startswith("chatcmpl-")
    assert len(generated) == len("chatcmpl-") + 29
    assert {c["id"] for c in first} == {generated}
    other = wire([StreamStarted(None, "m", 0), TextDelta("five"), ChoiceFinished("stop", None)])
    assert other[0]["id"] != generated


def test_events_without_stream_started_still_get_an_envelope() -> None:
    chunks = wire([TextDelta("x"), ChoiceFinished("stop", "stop")])
    assert chunks[0]["id"].startswith("chatcmpl-")
    assert (chunks[0]["object"], chunks[0]["model"], chunks[0]["created"]) == (
        "chat.completion.chunk",
        "",
        0,
    )
    assert check_openai_chunks(chunks) == []


def test_unknown_fingerprint_and_tier_are_left_out() -> None:
    chunks = wire([StreamStarted("chatcmpl-x", "m", 1), TextDelta("x")])
    assert all("system_fingerprint" not in c and "service_tier" not in c for c in chunks)


def test_raw_chunks_and_done_events_change_nothing() -> None:
    rec = recording("openai_gpt4o_tool_call_strict.sse")
    plain = wire(list(typedstream.events(rec.chunks())))
    rich = wire(list(typedstream.events(rec.chunks(), raw=True, done_events=True)))
    assert rich == plain


# -- events that break the event contract -----------------------------------------------------


@pytest.mark.parametrize(
    "events",
    [
        [START, ArgumentsDelta(0, "call_a", "{}")],
        [START, TextDelta("x"), ChoiceFinished("stop", "stop"), TextDelta("late")],
        [START, ToolCallStarted(0, "a", "f"), ToolCallStarted(0, "a", "f")],
        [
            START,
            ToolCallStarted(0, "a", "f"),
            ToolCallDone(0, "a", "f", ""),
            ArgumentsDelta(0, "a", "x"),
        ],
        [START, START],
    ],
    ids=[
        "fragment-before-start",
        "text-after-finish",
        "started-twice",
        "fragment-after-done",
        "two-starts",
    ],
)
def test_events_breaking_the_contract_raise_value_error(events: list[StreamEvent]) -> None:
    with pytest.raises(ValueError):
        wire(events)


# -- every recording --------------------------------------------------------------------------


@pytest.mark.parametrize("rec", RECORDINGS, ids=ids(RECORDINGS))
def test_output_passes_the_checker(rec: Recording) -> None:
    events, error = source_events(rec)
    chunks = wire(events)
    assert check_openai_chunks(chunks, complete=error is None) == []


@pytest.mark.parametrize("rec", COMPLETE, ids=ids(COMPLETE))
def test_sse_frames_are_the_chunk_objects_exactly(rec: Recording) -> None:
    events, error = source_events(rec)
    assert error is None
    frames = list(to_sse(events))
    assert frames[-1] == b"data: [DONE]\n\n"
    assert b"data: [DONE]" not in b"".join(frames[:-1])
    dumped = wire(events)
    assert sse_chunks(frames) == dumped
    for frame, chunk in zip(frames[:-1], dumped, strict=True):  # compact JSON, UTF-8 as it is
        compact = json.dumps(chunk, separators=(",", ":"), ensure_ascii=False).encode()
        assert len(frame) == len(b"data: ") + len(compact) + 2


@pytest.mark.parametrize("rec", COMPLETE, ids=ids(COMPLETE))
def test_two_serializations_are_identical(rec: Recording) -> None:
    assert b"".join(to_sse(typedstream.events(rec.chunks()))) == b"".join(
        to_sse(typedstream.events(rec.chunks()))
    )


@pytest.mark.parametrize("rec", RECORDINGS, ids=ids(RECORDINGS))
async def test_async_sinks_equal_the_sync_ones(rec: Recording) -> None:
    async def source() -> AsyncIterator[dict[str, Any]]:
        for c in rec.chunks():
            yield c

    async def collect() -> tuple[list[dict[str, Any]], list[bytes]]:
        chunks: list[dict[str, Any]] = []
        frames: list[bytes] = []
        with contextlib.suppress(ProviderError):
            async for c in typedstream.ato_openai_chunks(typedstream.aevents(source())):
                chunks.append(c.model_dump(mode="json", exclude_unset=True))
        with contextlib.suppress(ProviderError):
            async for f in typedstream.ato_sse(typedstream.aevents(source())):
                frames.append(f)
        return chunks, frames

    chunks, frames = await collect()
    sync_frames: list[bytes] = []
    with contextlib.suppress(ProviderError):
        sync_frames.extend(to_sse(typedstream.events(rec.chunks())))
    events, _ = source_events(rec)
    assert chunks == wire(events)
    assert frames == sync_frames


@pytest.mark.parametrize(
    "options",
    [
        {"keep_extensions": True, "id": "chatcmpl-mine", "model": "my-model", "created": 5},
        {"include_usage": False, "id": "chatcmpl-other", "model": "", "created": 0},
    ],
    ids=["extensions-and-envelope", "no-usage"],
)
async def test_the_four_sinks_write_the_same_chunks_for_the_same_options(
    options: dict[str, Any],
) -> None:
    events, error = source_events(recording("deepseek_reasoner_tool_call.jsonl"))
    assert error is None
    chunks = wire(events, **options)
    async_chunks = [
        c.model_dump(mode="json", exclude_unset=True)
        async for c in typedstream.ato_openai_chunks(events, **options)
    ]
    frames = list(to_sse(events, **options))
    async_frames = [f async for f in typedstream.ato_sse(events, **options)]
    assert async_chunks == chunks
    assert sse_chunks(frames) == chunks
    assert async_frames == frames
    # The options took effect (the same wire with every option ignored would pass the above).
    assert {(c["id"], c["model"], c["created"]) for c in chunks} == {
        (options["id"], options["model"], options["created"])
    }
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert any("reasoning_content" in d for d in deltas) == options.get("keep_extensions", False)
    assert any("usage" in c for c in chunks) == options.get("include_usage", True)


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("rec", ERRORS, ids=ids(ERRORS))
def test_a_provider_error_sends_no_done(rec: Recording) -> None:
    frames: list[bytes] = []
    with pytest.raises(ProviderError):
        frames.extend(to_sse(typedstream.events(rec.chunks())))
    assert all(f != b"data: [DONE]\n\n" for f in frames)
    assert check_openai_chunks(sse_chunks(frames), complete=False) == []
    assert sse_chunks(frames) == wire(source_events(rec)[0])


@pytest.mark.parametrize("rec", ERRORS, ids=ids(ERRORS))
def test_the_error_frame_carries_the_provider_payload(rec: Recording) -> None:
    frames: list[bytes] = []
    with pytest.raises(ProviderError) as raised:
        frames.extend(to_sse(typedstream.events(rec.chunks()), error_frame=True))
    last = json.loads(frames[-1][6:])
    payload = raised.value.payload
    assert last == {"error": {"type": "provider_error", "code": None, **payload}}
    assert last["error"]["message"] == payload["message"]
    assert all(f != b"data: [DONE]\n\n" for f in frames)


def test_a_truncated_stream_sends_an_incomplete_error_frame_and_no_done() -> None:
    body = b"".join(to_sse(typedstream.events(recording("openai_gpt4o_text_usage.sse").chunks())))
    cut = body[: body.index(b"data: ", 2000)]  # a few whole frames, no [DONE]
    frames: list[bytes] = []
    with pytest.raises(IncompleteStreamError):
        frames.extend(to_sse(typedstream.events(cut), error_frame=True))
    error = json.loads(frames[-1][6:])["error"]
    assert (error["type"], error["code"]) == ("incomplete_stream", None)
    assert error["message"] == "the stream ended with choice(s) 0 unfinished and no [DONE]"
    assert b"data: [DONE]\n\n" not in frames


def test_a_chunk_error_gets_an_invalid_chunk_frame() -> None:
    frames: list[bytes] = []
    with pytest.raises(typedstream.ChunkError):
        frames.extend(to_sse(typedstream.events([{"choices": "nope"}]), error_frame=True))
    assert json.loads(frames[-1][6:])["error"]["type"] == "invalid_chunk"


def test_a_source_exception_propagates_unchanged_and_leaks_nothing() -> None:
    class Boom(Exception):
        pass

    def source() -> Iterator[StreamEvent]:
        yield START
        yield TextDelta("x")
        raise Boom("secret internal detail")

    frames: list[bytes] = []
    with pytest.raises(Boom):
        frames.extend(to_sse(source(), error_frame=True))
    error = json.loads(frames[-1][6:])["error"]
    assert error == {
        "message": "the upstream stream failed (Boom)",
        "type": "server_error",
        "code": None,
    }


def test_without_the_option_no_error_frame_is_sent() -> None:
    rec = ERRORS[0]
    frames: list[bytes] = []
    with pytest.raises(ProviderError):
        frames.extend(to_sse(typedstream.events(rec.chunks())))
    assert all(b'"error"' not in f for f in frames)


# -- async sinks ------------------------------------------------------------------------------


async def test_async_sinks_take_sync_iterables_of_events_too() -> None:
    events, _ = source_events(recording("openai_gpt4o_n3_choices.sse"))
    frames = [f async for f in typedstream.ato_sse(events)]
    assert frames == list(to_sse(events))


async def test_an_async_provider_error_sends_the_error_frame_and_no_done() -> None:
    rec = recording("openrouter_minimax_error_midstream.sse")
    frames: list[bytes] = []
    with pytest.raises(ProviderError):
        async for frame in typedstream.ato_sse(typedstream.aevents(rec.chunks()), error_frame=True):
            frames.append(frame)
    assert json.loads(frames[-1][6:])["error"]["message"] == "Token limit reached"
    assert b"data: [DONE]\n\n" not in frames
