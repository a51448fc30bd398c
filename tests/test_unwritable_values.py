"""Values JSON cannot hold, or Python cannot recurse into (issue 13, item 5).

Deep nesting, ``NaN``/``Infinity``, lone surrogates and non-``dict`` mappings reach the public
functions as typed errors or as valid JSON, never as ``RecursionError``, ``TypeError``,
``UnicodeEncodeError`` or a pydantic error (docs/errors.md, "Values JSON cannot hold").
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from types import MappingProxyType
from typing import Any

import pytest
from helpers import ENVELOPE, body, chunk, run

import typedstream
from typedstream import (
    ChunkError,
    Logprobs,
    ProviderError,
    StreamEvent,
    TextDelta,
    ToolArgumentsError,
    ToolCallDone,
    Usage,
)

DEEP = 1_000


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def with_usage(usage: Any) -> list[dict[str, Any]]:
    return [
        chunk({"role": "assistant", "content": "a"}),
        chunk({}, "stop"),
        {**ENVELOPE, "choices": [], "usage": usage},
    ]


def with_logprob(logprob: Any, token: str = "a") -> list[dict[str, Any]]:
    entry = {"token": token, "logprob": logprob, "bytes": None, "top_logprobs": []}
    first = chunk({"role": "assistant", "content": token})
    first["choices"][0]["logprobs"] = {"content": [entry], "refusal": None}
    return [first, chunk({}, "stop")]


def sse(events: Iterable[StreamEvent], **options: Any) -> bytes:
    return b"".join(typedstream.to_sse(events, **options))


def payloads(frames: bytes) -> list[Any]:
    """The JSON of every frame, parsed strictly (NaN and Infinity are not JSON)."""

    def reject(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    texts = [f.removeprefix(b"data: ") for f in frames.split(b"\n\n") if f]
    return [json.loads(t.decode(), parse_constant=reject) for t in texts if t != b"[DONE]"]


async def aiter_of(events: list[StreamEvent]) -> AsyncIterator[StreamEvent]:
    for event in events:
        yield event


# -- nesting ---------------------------------------------------------------------------------


def test_arguments_nested_a_thousand_deep_are_a_tool_arguments_error() -> None:
    call = ToolCallDone(0, "call_1", "f", '{"a": ' + "[" * DEEP + "]" * DEEP + "}")
    with pytest.raises(ToolArgumentsError, match="nested too deeply"):
        call.parse_arguments()


def test_accumulating_a_value_nested_a_thousand_deep_is_a_chunk_error() -> None:
    events = run(*with_usage({"prompt_tokens": 1, "x": nested(DEEP)}))
    with pytest.raises(ChunkError, match="nested deeper than 200 levels"):
        typedstream.accumulate(events)


async def test_aaccumulating_a_value_nested_a_thousand_deep_is_a_chunk_error() -> None:
    events = run(*with_usage({"prompt_tokens": 1, "x": nested(DEEP)}))
    with pytest.raises(ChunkError, match="nested deeper than 200 levels"):
        await typedstream.aaccumulate(aiter_of(events))


def test_writing_a_value_nested_a_thousand_deep_as_sse_is_a_chunk_error() -> None:
    events = run(*with_usage({"prompt_tokens": 1, "x": nested(DEEP)}))
    with pytest.raises(ChunkError, match=r"\$\.usage\.x\[0\].* nested deeper than 200 levels"):
        sse(events, keep_extensions=True)


async def test_writing_a_value_nested_a_thousand_deep_as_async_sse_is_a_chunk_error() -> None:
    events = run(*with_usage({"prompt_tokens": 1, "x": nested(DEEP)}))
    with pytest.raises(ChunkError, match="nested deeper than 200 levels"):
        [frame async for frame in typedstream.ato_sse(aiter_of(events), keep_extensions=True)]


def test_event_to_json_of_a_value_nested_a_thousand_deep_is_a_chunk_error() -> None:
    with pytest.raises(ChunkError, match="nested deeper than 200 levels"):
        typedstream.event_to_json(Usage({"x": nested(DEEP)}))


def test_a_stream_without_id_whose_first_value_is_deep_still_gets_chunks() -> None:
    # The generated id hashes the first event after StreamStarted, which repr() cannot show.
    logprobs = {"content": [{"token": "a", "logprob": 0, "x": nested(DEEP)}], "refusal": None}
    first = {"choices": [{"index": 0, "delta": {"content": "a"}, "logprobs": logprobs}]}
    events = run(first, {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    chunks = list(typedstream.to_openai_chunks(events))
    assert chunks[0].id.startswith("chatcmpl-")


async def test_a_stream_without_id_whose_first_value_is_deep_still_gets_async_chunks() -> None:
    logprobs = {"content": [{"token": "a", "logprob": 0, "x": nested(DEEP)}], "refusal": None}
    first = {"choices": [{"index": 0, "delta": {"content": "a"}, "logprobs": logprobs}]}
    events = run(first, {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    chunks = [c async for c in typedstream.ato_openai_chunks(aiter_of(events))]
    assert chunks[0].id.startswith("chatcmpl-")


def test_a_provider_error_payload_nested_a_thousand_deep_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match=r"provider error: \[\[\[") as caught:
        run({"error": nested(DEEP)})
    assert caught.value.chunk == 1


async def test_a_deep_provider_error_payload_is_a_provider_error_in_aevents_too() -> None:
    with pytest.raises(ProviderError):
        [event async for event in typedstream.aevents([{"error": nested(DEEP)}])]


def test_the_error_frame_of_a_deep_provider_error_payload_carries_its_message() -> None:
    frames: list[bytes] = []
    with pytest.raises(ProviderError):
        for frame in typedstream.to_sse(
            typedstream.events([{"error": nested(DEEP)}]), error_frame=True
        ):
            frames.append(frame)
    (frame,) = frames
    error = json.loads(frame.removeprefix(b"data: "))["error"]
    assert error["type"] == "provider_error"
    assert error["message"].startswith("chunk 1: provider error: [[[")


def test_a_deep_choice_index_is_a_chunk_error_of_its_own() -> None:
    with pytest.raises(ChunkError, match="must be a non-negative integer") as caught:
        run({"choices": [{"index": nested(DEEP), "delta": {}}]})
    assert caught.value.__cause__ is None  # not an internal RecursionError wrapped


def test_check_openai_chunks_reports_deep_values_as_deviations() -> None:
    deviations = typedstream.check_openai_chunks([{**chunk({"content": "a"}), "id": nested(DEEP)}])
    assert any(d.rule == "wrong-type" for d in deviations)
    assert all(str(d) for d in deviations)


# -- NaN and Infinity --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_to_sse_writes_nan_and_infinity_as_null(value: float) -> None:
    frames = payloads(sse(run(*with_logprob(value))))
    (entry,) = [f for f in frames if f["choices"] and f["choices"][0]["logprobs"]]
    assert entry["choices"][0]["logprobs"]["content"][0]["logprob"] is None


async def test_ato_sse_writes_nan_as_null() -> None:
    frames = [f async for f in typedstream.ato_sse(aiter_of(run(*with_logprob(float("nan")))))]
    assert b"NaN" not in b"".join(frames)
    assert payloads(b"".join(frames))


def test_nan_in_raw_sse_and_in_mappings_gives_the_same_events_and_output() -> None:
    raw = body(*with_logprob(0.0)).replace(b'"logprob": 0.0', b'"logprob": NaN')
    from_raw, from_dicts = run(raw), run(*with_logprob(float("nan")))
    assert [e.kind for e in from_raw] == [e.kind for e in from_dicts]
    assert sse(from_raw) == sse(from_dicts)
    assert payloads(sse(from_raw))  # strict JSON: NaN written as null


def test_usage_with_infinity_is_written_as_null_with_extensions() -> None:
    frames = payloads(
        sse(run(*with_usage({"total_tokens": 1, "cost": float("inf")})), keep_extensions=True)
    )
    assert frames[-1]["usage"] == {"total_tokens": 1, "cost": None}


def test_event_to_json_writes_nan_as_null() -> None:
    assert json.loads(typedstream.event_to_json(Usage({"cost": float("nan")})))["usage"] == {
        "cost": None
    }


# -- lone surrogates -----------------------------------------------------------------------------

SURROGATE = "a\ud800b"


def test_to_sse_writes_a_lone_surrogate_as_its_json_escape() -> None:
    frames = sse(run(chunk({"role": "assistant", "content": SURROGATE}), chunk({}, "stop")))
    assert b'"content":"a\\ud800b"' in frames
    assert frames.decode("utf-8")  # valid UTF-8 throughout
    assert [f["choices"][0]["delta"].get("content") for f in payloads(frames)][1] == SURROGATE


async def test_ato_sse_writes_a_lone_surrogate_as_its_json_escape() -> None:
    events = run(chunk({"role": "assistant", "content": SURROGATE}), chunk({}, "stop"))
    frames = b"".join([f async for f in typedstream.ato_sse(aiter_of(events))])
    assert b'"content":"a\\ud800b"' in frames


def test_raw_sse_accepts_a_lone_surrogate_escape_as_the_object_path_does() -> None:
    dicts = [chunk({"role": "assistant", "content": SURROGATE}), chunk({}, "stop")]
    raw = body(*dicts)  # json.dumps writes the escape, as a provider would
    assert b"\\ud800" in raw
    assert run(raw) == run(*dicts)
    assert TextDelta(SURROGATE) in run(raw)


async def test_aevents_accepts_a_lone_surrogate_escape_in_raw_sse() -> None:
    raw = body(chunk({"content": SURROGATE}), chunk({}, "stop"))
    assert TextDelta(SURROGATE) in [e async for e in typedstream.aevents(raw)]


def test_to_sse_output_of_a_lone_surrogate_reads_back_as_the_same_events() -> None:
    events = run(chunk({"role": "assistant", "content": SURROGATE}), chunk({}, "stop"))
    again = run(sse(events))
    assert [e for e in again if isinstance(e, TextDelta)] == [TextDelta(SURROGATE)]


def test_event_to_json_writes_a_lone_surrogate_as_its_json_escape() -> None:
    text = typedstream.event_to_json(TextDelta(SURROGATE))
    assert text == '{"text":"a\\ud800b","choice":0,"kind":"text_delta"}'
    assert typedstream.event_from_json(text) == TextDelta(SURROGATE)


def test_a_raw_lone_surrogate_character_in_a_str_piece_is_still_a_chunk_error() -> None:
    # Not an escape: text that has no UTF-8 form at all.
    with pytest.raises(ChunkError, match="malformed JSON"):
        run('data: {"choices": [{"index": 0, "delta": {"content": "\ud800"}}]}\n\n')


# -- mappings that are not dicts ------------------------------------------------------------------


def test_to_sse_writes_mappings_that_are_not_dicts_as_objects() -> None:
    entry = MappingProxyType({"token": "a", "logprob": -1.0, "bytes": None, "top_logprobs": []})
    first = chunk({"role": "assistant", "content": "a"})
    first["choices"][0]["logprobs"] = {"content": [entry], "refusal": None}
    usage = {"total_tokens": 1, "prompt_tokens_details": MappingProxyType({"cached_tokens": 0})}
    frames = payloads(
        sse(run(first, chunk({}, "stop"), {**ENVELOPE, "choices": [], "usage": usage}))
    )
    assert frames[1]["choices"][0]["logprobs"]["content"] == [dict(entry)]
    assert frames[-1]["usage"]["prompt_tokens_details"] == {"cached_tokens": 0}


def test_event_to_json_writes_mappings_that_are_not_dicts_as_objects() -> None:
    event = Logprobs([MappingProxyType({"token": "a", "logprob": -1.0})], None)
    assert json.loads(typedstream.event_to_json(event))["content"] == [
        {"token": "a", "logprob": -1.0}
    ]


def test_a_value_json_has_no_form_for_is_a_chunk_error_naming_where() -> None:
    class Opaque:
        pass

    with pytest.raises(ChunkError, match=r"\$\.usage\.x cannot be written as JSON: a Opaque"):
        typedstream.event_to_json(Usage({"x": Opaque()}))
    with pytest.raises(ChunkError, match=r"\$\.usage\.x cannot be written as JSON: a Opaque"):
        sse([Usage({"x": Opaque()})], keep_extensions=True)


# -- found by the extended fuzz -------------------------------------------------------------------


def test_check_openai_chunks_reports_top_logprobs_that_are_not_a_list() -> None:
    # Seed 1026904 of the long fuzz run: a TypeError escaped the checker.
    entry = {"token": "a", "logprob": -1.0, "bytes": None, "top_logprobs": 7}
    first = chunk({"role": "assistant", "content": "a"})
    first["choices"][0]["logprobs"] = {"content": [entry], "refusal": None}
    deviations = typedstream.check_openai_chunks([first, chunk({}, "stop")])
    assert ("wrong-type", "choices[0].logprobs.content[0].top_logprobs") in [
        (d.rule, d.path) for d in deviations
    ]


def test_a_deep_role_that_changes_in_strict_mode_is_a_chunk_error_of_its_own() -> None:
    # Seed 1041367 of the long fuzz run: repr() of the role raised RecursionError.
    chunks = [chunk({"role": "assistant", "content": "a"}), chunk({"role": nested(DEEP)})]
    with pytest.raises(ChunkError, match="role changed from 'assistant' to") as caught:
        run(*chunks, strict=True)
    assert caught.value.__cause__ is None


def test_event_to_json_of_a_raw_sdk_chunk_with_a_lone_surrogate_escapes_it() -> None:
    from openai.types.chat import ChatCompletionChunk

    sdk = ChatCompletionChunk.model_validate(chunk({"role": "assistant", "content": SURROGATE}))
    (raw,) = [e for e in typedstream.events([sdk], raw=True) if e.kind == "raw_chunk"]
    text = typedstream.event_to_json(raw)
    assert '"content":"a\\ud800b"' in text
    text.encode()  # no lone surrogate left in the text
