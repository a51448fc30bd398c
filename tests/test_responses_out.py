"""The Responses writer: events to exact OpenAI Responses streams (docs/responses.md,
"Writing Responses streams"; docs/event-model.md §5.2 and the chat → Responses loss table)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from corpus import Recording, ids, recording, recordings
from hypothesis import given, settings
from hypothesis import strategies as st

import typedstream
from typedstream import (
    ArgumentsDelta,
    BlockDone,
    BlockStarted,
    ChoiceFinished,
    Citation,
    CustomToolCallDone,
    CustomToolCallStarted,
    CustomToolInputDelta,
    Extension,
    IncompleteStreamError,
    Logprobs,
    Moderation,
    OpaqueState,
    PartDone,
    PartStarted,
    ProviderData,
    ProviderError,
    ReasoningDelta,
    RefusalDelta,
    ResponsesWriter,
    StreamError,
    StreamEvent,
    StreamStarted,
    TextDelta,
    TextDone,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    UnwritableEventError,
    Usage,
    UsageError,
    ato_responses_events,
    ato_responses_sse,
    check_responses_events,
    to_responses_events,
    to_responses_sse,
)
from typedstream._envelope import unwrap, wrap

START = StreamStarted("chatcmpl-1", "gpt-4o", 1700000000, "fp_1", "default")
STOP = ChoiceFinished("stop", "stop")
CHAT_USAGE = Usage(
    {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 2},
        "cost": 0.5,
    }
)


def write(events: list[StreamEvent], **options: Any) -> list[dict[str, Any]]:
    writer = ResponsesWriter(**options)
    out = [wire for event in events for wire in writer.write(event)]
    return out + writer.close()


def clean(wire: list[dict[str, Any]], *, final: bool = True) -> list[dict[str, Any]]:
    """``wire`` after checking it is exactly what OpenAI sends."""
    ends_completed = wire[-1]["type"] == "response.completed"
    assert check_responses_events(wire, final_response=final and ends_completed) == []
    return wire


def types(wire: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in wire]


def terminal(wire: list[dict[str, Any]]) -> dict[str, Any]:
    response: dict[str, Any] = wire[-1]["response"]
    return response


def done_items(wire: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["item"] for e in wire if e["type"] == "response.output_item.done"]


def chat_source(rec: Recording) -> Any:
    return rec.body() if rec.is_sse else rec.chunks()


# -- every chat recording ----------------------------------------------------------------------

SINGLE_CHOICE = [r for r in recordings() if r.name != "openai_gpt4o_n3_choices.sse"]


@pytest.mark.parametrize("rec", SINGLE_CHOICE, ids=ids(SINGLE_CHOICE))
def test_every_chat_recording_is_written_as_an_exact_responses_stream(rec: Recording) -> None:
    frames: list[bytes] = []
    try:
        frames.extend(to_responses_sse(typedstream.events(chat_source(rec))))
    except ProviderError:
        assert rec.is_error
    body = b"".join(frames)
    final = b"event: response.completed\n" in body
    assert check_responses_events(body, final_response=final) == []
    last = body.rsplit(b"\n\nevent: ", 1)[-1]
    assert last.startswith(b"response.failed" if rec.is_error else b"response.")


@pytest.mark.parametrize("rec", SINGLE_CHOICE, ids=ids(SINGLE_CHOICE))
def test_the_written_output_holds_the_facts_of_the_chat_recording(rec: Recording) -> None:
    events, wire = [], []
    writer = ResponsesWriter()
    try:
        for event in typedstream.events(chat_source(rec)):
            events.append(event)
            wire.extend(writer.write(event))
        wire.extend(writer.close())
    except ProviderError as exc:
        wire.extend(writer.fail(exc))
    items = terminal(wire)["output"]
    text = "".join(
        part["text"]
        for item in items
        if item["type"] == "message"
        for part in item["content"]
        if part["type"] == "output_text"
    )
    assert text == "".join(e.text for e in events if isinstance(e, TextDelta))
    calls = [(i["call_id"], i["name"], i["arguments"]) for i in items if "call_id" in i]
    assert calls == [(e.id, e.name, e.arguments) for e in events if isinstance(e, ToolCallDone)]


def test_a_second_choice_is_unwritable() -> None:
    rec = recording("openai_gpt4o_n3_choices.sse")
    with pytest.raises(UnwritableEventError, match="one choice"):
        list(to_responses_sse(typedstream.events(rec.body())))


def test_the_sse_frames_name_each_event_and_carry_compact_json() -> None:
    body = b"".join(to_responses_sse([START, TextDelta("Hé"), STOP]))
    frames = body.split(b"\n\n")
    assert frames[-1] == b""
    for frame in frames[:-1]:
        name, data = frame.split(b"\n")
        payload = json.loads(data[len(b"data: ") :])
        assert name == b"event: " + payload["type"].encode()
    assert "Hé".encode() in body  # raw UTF-8, as OpenAI sends it
    assert b"[DONE]" not in body


def test_sequence_numbers_count_from_zero_on_every_event() -> None:
    wire = write([START, TextDelta("a"), STOP, CHAT_USAGE])
    assert [e["sequence_number"] for e in wire] == list(range(len(wire)))
    assert list(wire[0])[:2] == ["type", "sequence_number"]


# -- the response object -----------------------------------------------------------------------


def test_the_lifecycle_events_open_and_the_terminal_closes_the_response() -> None:
    wire = clean(write([START, TextDelta("Hi"), STOP, CHAT_USAGE]))
    assert types(wire)[:2] == ["response.created", "response.in_progress"]
    created = wire[0]["response"]
    assert created["status"] == "in_progress"
    assert created["output"] == []
    assert created["usage"] is None
    assert created["model"] == "gpt-4o"
    assert created["created_at"] == 1700000000
    assert created["service_tier"] == "default"
    assert created["id"].startswith("resp_")
    assert terminal(wire)["id"] == created["id"]


def test_the_response_id_is_deterministic_without_one() -> None:
    events: list[StreamEvent] = [StreamStarted(None, "m", None), TextDelta("x"), STOP]
    first, second = write(events), write(events)
    assert first == second
    assert first[0]["response"]["id"].startswith("resp_")
    assert first[0]["response"]["created_at"] == 0


def test_echo_fields_the_caller_supplies_are_on_every_lifecycle_response() -> None:
    echo = {
        "instructions": "Be brief.",
        "tools": [{"type": "function", "name": "f", "parameters": {}, "strict": True}],
        "temperature": 0.5,
        "metadata": {"k": "v"},
    }
    wire = clean(write([START, TextDelta("x"), STOP], echo=echo, model="gpt-5", id="resp_1"))
    for event in (wire[0], wire[1], wire[-1]):
        response = event["response"]
        assert {k: response[k] for k in echo} == echo
        assert response["model"] == "gpt-5"
        assert response["id"] == "resp_1"


def test_unset_echo_fields_default_to_what_openai_sends() -> None:
    response = write([START, STOP])[0]["response"]
    assert response["temperature"] == 1.0
    assert response["top_p"] == 1.0
    assert response["tools"] == []
    assert response["tool_choice"] == "auto"
    assert response["parallel_tool_calls"] is True
    assert response["truncation"] == "disabled"


def test_echo_may_not_set_what_the_writer_builds() -> None:
    with pytest.raises(UsageError, match="output"):
        ResponsesWriter(echo={"output": []})


def test_background_responses_are_queued_first() -> None:
    wire = clean(write([START, TextDelta("x"), STOP], echo={"background": True}))
    assert types(wire)[:3] == ["response.created", "response.queued", "response.in_progress"]


# -- chat → Responses: one test per row of the loss table (docs/event-model.md §11) ----------


def test_text_is_a_message_item_with_one_output_text_part_per_run() -> None:
    wire = clean(write([START, TextDelta("Hel"), TextDelta("lo"), STOP]))
    (item,) = done_items(wire)
    assert item["type"] == "message"
    assert item["id"].startswith("msg_")
    assert item["content"] == [
        {"type": "output_text", "annotations": [], "logprobs": [], "text": "Hello"}
    ]
    deltas = [e["delta"] for e in wire if e["type"] == "response.output_text.delta"]
    assert deltas == ["Hel", "lo"]


def test_reasoning_is_a_reasoning_item_with_a_reasoning_text_part() -> None:
    wire = clean(write([START, ReasoningDelta("think"), TextDelta("answer"), STOP]))
    reasoning, message = done_items(wire)
    assert reasoning["type"] == "reasoning"
    assert reasoning["id"].startswith("rs_")
    assert reasoning["content"] == [{"type": "reasoning_text", "text": "think"}]
    assert reasoning["summary"] == []
    assert message["content"][0]["text"] == "answer"


def test_summary_reasoning_is_written_as_summary_parts() -> None:
    wire = clean(write([START, ReasoningDelta("sum", summary=True), STOP]))
    (item,) = done_items(wire)
    assert item["summary"] == [{"type": "summary_text", "text": "sum"}]
    assert "response.reasoning_summary_text.delta" in types(wire)


def test_refusal_is_a_refusal_part() -> None:
    wire = clean(write([START, RefusalDelta("I can't"), RefusalDelta(" help."), STOP]))
    (item,) = done_items(wire)
    assert item["content"] == [{"type": "refusal", "refusal": "I can't help."}]
    assert [e["delta"] for e in wire if e["type"] == "response.refusal.delta"] == [
        "I can't",
        " help.",
    ]


def test_logprobs_ride_on_the_text_delta_and_its_done() -> None:
    lp = [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105], "top_logprobs": []}]
    wire = clean(write([START, Logprobs(lp), TextDelta("Hi"), TextDelta("!"), STOP]))
    deltas = [e for e in wire if e["type"] == "response.output_text.delta"]
    assert [d["logprobs"] for d in deltas] == [lp, []]
    (done,) = [e for e in wire if e["type"] == "response.output_text.done"]
    assert done["logprobs"] == lp
    assert done_items(wire)[0]["content"][0]["logprobs"] == lp


def test_a_tool_call_is_a_function_call_item_whose_call_id_is_the_id() -> None:
    events: list[StreamEvent] = [
        START,
        ToolCallStarted(0, "call_1", "get"),
        ArgumentsDelta(0, "call_1", '{"a":'),
        ArgumentsDelta(0, "call_1", "1}"),
        ToolCallDone(0, "call_1", "get", '{"a":1}'),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]
    wire = clean(write(events))
    (item,) = done_items(wire)
    assert item["id"].startswith("fc_")
    assert item["call_id"] == "call_1"
    assert item["name"] == "get"
    assert item["arguments"] == '{"a":1}'
    (done,) = [e for e in wire if e["type"] == "response.function_call_arguments.done"]
    assert done["arguments"] == '{"a":1}'
    assert "name" not in done


def test_a_legacy_function_call_is_a_function_call_item() -> None:
    events: list[StreamEvent] = [
        START,
        ToolCallStarted(0, "call_x", "f", legacy=True),
        ArgumentsDelta(0, "call_x", "{}"),
        ToolCallDone(0, "call_x", "f", "{}", legacy=True),
        ChoiceFinished("function_call", "function_call"),
    ]
    (item,) = done_items(clean(write(events)))
    assert item["type"] == "function_call"
    assert item["arguments"] == "{}"


def test_interleaved_parallel_calls_are_written_one_after_another() -> None:
    events: list[StreamEvent] = [
        START,
        ToolCallStarted(0, "call_a", "a"),
        ToolCallStarted(1, "call_b", "b"),
        ArgumentsDelta(1, "call_b", '{"b":2}'),
        ArgumentsDelta(0, "call_a", '{"a":1}'),
        ToolCallDone(0, "call_a", "a", '{"a":1}'),
        ToolCallDone(1, "call_b", "b", '{"b":2}'),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]
    wire = clean(write(events))
    assert [(i["call_id"], i["arguments"]) for i in done_items(wire)] == [
        ("call_a", '{"a":1}'),
        ("call_b", '{"b":2}'),
    ]


def test_text_after_a_call_started_waits_for_the_call() -> None:
    events: list[StreamEvent] = [
        START,
        ToolCallStarted(0, "call_a", "a"),
        TextDelta("meanwhile"),
        ArgumentsDelta(0, "call_a", "{}"),
        ToolCallDone(0, "call_a", "a", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]
    wire = clean(write(events))
    assert [i["type"] for i in done_items(wire)] == ["function_call", "message"]


def test_a_litellm_thinking_signature_is_an_envelope_in_the_reasoning_item() -> None:
    state = OpaqueState("anthropic", "thinking_signature", "EqSig==", via="thinking_blocks")
    wire = clean(write([START, ReasoningDelta("hmm"), state, TextDelta("ok"), STOP]))
    reasoning, _ = done_items(wire)
    assert reasoning["content"] == [{"type": "reasoning_text", "text": "hmm"}]
    assert unwrap(reasoning["encrypted_content"]) == OpaqueState(
        "anthropic", "thinking_signature", "EqSig=="
    )


def test_redacted_thinking_alone_is_a_reasoning_item_with_an_empty_summary() -> None:
    state = OpaqueState("anthropic", "redacted_thinking", "EmRed==")
    wire = clean(write([START, state, TextDelta("ok"), STOP]))
    reasoning, message = done_items(wire)
    assert reasoning["summary"] == []
    assert "content" not in reasoning
    assert reasoning["encrypted_content"] == wrap(state)
    assert message["type"] == "message"


def test_a_gemini_thought_signature_is_an_envelope_in_a_reasoning_item() -> None:
    state = OpaqueState("gemini", "thought_signature", "c2ln", tool_id="call_1", via="x")
    events: list[StreamEvent] = [
        START,
        ToolCallStarted(0, "call_1", "f"),
        state,
        ArgumentsDelta(0, "call_1", "{}"),
        ToolCallDone(0, "call_1", "f", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]
    items = done_items(clean(write(events)))
    (reasoning,) = [i for i in items if i["type"] == "reasoning"]
    assert unwrap(reasoning["encrypted_content"]) == OpaqueState(
        "gemini", "thought_signature", "c2ln", tool_id="call_1"
    )
    assert [i["type"] for i in items].count("function_call") == 1


def test_a_litellm_citation_is_lost() -> None:
    citation = Citation(
        "web_search_result_location",
        "https://e.x",
        "E",
        "quoted",
        None,
        None,
        {"type": "web_search_result_location"},
        "anthropic",
        via="provider_specific_fields",
    )
    wire = clean(write([START, TextDelta("x"), citation, STOP]))
    assert "response.output_text.annotation.added" not in types(wire)
    assert done_items(wire)[0]["content"][0]["annotations"] == []


@pytest.mark.parametrize(
    ("finish", "kind", "reason", "status"),
    [
        (ChoiceFinished("stop", "stop"), "response.completed", None, "completed"),
        (
            ChoiceFinished("length", "length"),
            "response.incomplete",
            "max_output_tokens",
            "incomplete",
        ),
        (
            ChoiceFinished("content_filter", "content_filter"),
            "response.incomplete",
            "content_filter",
            "incomplete",
        ),
    ],
)
def test_the_finish_is_the_terminal_event(
    finish: ChoiceFinished, kind: str, reason: str | None, status: str
) -> None:
    wire = clean(write([START, TextDelta("x"), finish]))
    assert wire[-1]["type"] == kind
    details = terminal(wire)["incomplete_details"]
    assert details == (None if reason is None else {"reason": reason})
    assert done_items(wire)[0]["status"] == status
    assert "raw_reason" not in json.dumps(wire)


def test_usage_is_written_from_the_typed_properties() -> None:
    wire = clean(write([START, TextDelta("x"), STOP, CHAT_USAGE]))
    assert terminal(wire)["usage"] == {
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 4},
        "output_tokens": 5,
        "output_tokens_details": {"reasoning_tokens": 2},
        "total_tokens": 15,
    }


def test_no_usage_is_written_as_null() -> None:
    assert terminal(clean(write([START, TextDelta("x"), STOP])))["usage"] is None


def test_moderation_is_on_the_terminal_response() -> None:
    moderation = {"input": {"type": "moderation_result", "flagged": False}}
    wire = clean(write([START, TextDelta("x"), STOP, Moderation(moderation)]))
    assert terminal(wire)["moderation"] == moderation


def test_an_error_is_an_error_event_then_response_failed() -> None:
    error = {"message": "overloaded", "type": "server_error", "code": "overloaded"}
    events: list[StreamEvent] = [
        START,
        TextDelta("x"),
        StreamError("overloaded", "server_error", "overloaded", error, "event", "chat"),
    ]
    wire = clean(write(events), final=False)
    assert types(wire)[-2:] == ["error", "response.failed"]
    assert wire[-2]["error"] == {
        "type": "server_error",
        "code": "overloaded",
        "message": "overloaded",
        "param": None,
    }
    assert terminal(wire)["error"] == {"code": "overloaded", "message": "overloaded"}
    assert terminal(wire)["status"] == "failed"


def test_the_system_fingerprint_is_lost() -> None:
    assert "fp_1" not in json.dumps(write([START, TextDelta("x"), STOP]))


def test_a_choice_other_than_0_raises() -> None:
    with pytest.raises(UnwritableEventError):
        write([START, TextDelta("x", choice=1)])


# -- other facts --------------------------------------------------------------------------------


def test_provider_data_and_done_events_write_nothing() -> None:
    plain = write([START, TextDelta("x"), STOP])
    extra = write([START, TextDelta("x"), ProviderData("k", 1), TextDone("x"), STOP])
    assert extra == plain


def test_a_cut_call_is_done_incomplete_under_response_incomplete() -> None:
    events: list[StreamEvent] = [
        START,
        ToolCallStarted(0, "call_1", "f"),
        ArgumentsDelta(0, "call_1", '{"a'),
        ToolCallIncomplete(0, "call_1", "f", '{"a', "length"),
        ChoiceFinished("length", "length"),
    ]
    wire = write(events)
    (item,) = done_items(wire)
    # A truncated call must not look complete to an agent that would run it.
    assert item["status"] == "incomplete"
    assert item["arguments"] == '{"a'
    assert wire[-1]["type"] == "response.incomplete"
    assert check_responses_events(wire) == []


def test_custom_tool_calls_are_custom_tool_call_items() -> None:
    events: list[StreamEvent] = [
        START,
        CustomToolCallStarted(0, "call_c", "patch"),
        CustomToolInputDelta(0, "call_c", "*** Begin"),
        CustomToolCallDone(0, "call_c", "patch", "*** Begin"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]
    wire = clean(write(events))
    (item,) = done_items(wire)
    assert item["type"] == "custom_tool_call"
    assert item["id"].startswith("ctc_")
    assert item["input"] == "*** Begin"
    assert item["call_id"] == "call_c"


def test_arguments_only_in_the_done_event_are_streamed_as_one_delta() -> None:
    events: list[StreamEvent] = [
        START,
        ToolCallStarted(0, "call_1", "f"),
        ToolCallDone(0, "call_1", "f", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]
    wire = clean(write(events))
    assert [e["delta"] for e in wire if e["type"] == "response.function_call_arguments.delta"] == [
        "{}"
    ]


def test_an_anthropic_web_search_citation_is_a_url_citation_at_the_part_end() -> None:
    citation = Citation(
        "web_search_result_location",
        "https://e.x",
        "E",
        "quoted",
        None,
        None,
        {"type": "web_search_result_location", "encrypted_index": "x"},
        "anthropic",
    )
    started = StreamStarted("msg_1", "claude", None, protocol="anthropic")
    text = BlockStarted(0, "text", "text", None, "anthropic")
    events: list[StreamEvent] = [started, text, citation, TextDelta("Cited."), STOP]
    wire = clean(write(events))
    (added,) = [e for e in wire if e["type"] == "response.output_text.annotation.added"]
    assert added["annotation"] == {
        "type": "url_citation",
        "end_index": 6,
        "start_index": 0,
        "title": "E",
        "url": "https://e.x",
    }
    assert types(wire).index("response.output_text.annotation.added") < types(wire).index(
        "response.output_text.done"
    )


# -- errors and cut sources ----------------------------------------------------------------------


def test_a_cut_source_ends_in_error_then_response_failed() -> None:
    body = recording("openai_gpt4o_text_usage.sse").body()
    cut = body[: len(body) // 2].rsplit(b"\n\n", 1)[0] + b"\n\n"
    frames: list[bytes] = []
    with pytest.raises(IncompleteStreamError):
        frames.extend(to_responses_sse(typedstream.events(cut)))
    body_out = b"".join(frames)
    assert check_responses_events(body_out) == []
    assert b"event: error\n" in body_out
    assert body_out.rsplit(b"\n\nevent: ", 1)[-1].startswith(b"response.failed")


def test_a_source_that_raises_ends_in_error_then_response_failed() -> None:
    def source() -> Iterator[StreamEvent]:
        yield START
        yield TextDelta("x")
        raise RuntimeError("secret detail")

    wire: list[Any] = []
    with pytest.raises(RuntimeError):
        wire.extend(to_responses_events(source()))
    dumped = [e.model_dump(mode="json", exclude_unset=True) for e in wire]
    assert [d["type"] for d in dumped][-2:] == ["error", "response.failed"]
    assert "secret" not in json.dumps(dumped)
    assert check_responses_events(dumped) == []


def test_a_cut_after_a_cutting_finish_ends_in_response_incomplete() -> None:
    writer = ResponsesWriter()
    wire = [
        w
        for e in (START, TextDelta("x"), ChoiceFinished("length", "length"))
        for w in writer.write(e)
    ]
    wire += writer.fail(IncompleteStreamError("cut"))
    assert wire[-1]["type"] == "response.incomplete"
    assert check_responses_events(wire) == []


def test_nothing_is_written_after_the_terminal_event() -> None:
    writer = ResponsesWriter()
    for event in (START, TextDelta("x"), STOP):
        writer.write(event)
    assert writer.close()[-1]["type"] == "response.completed"
    assert writer.write(TextDelta("late")) == []
    assert writer.close() == []
    assert writer.fail(RuntimeError()) == []


# -- explicit Responses structure (as the Responses reader gives it) -----------------------------

R_START = StreamStarted("resp_abc", "gpt-5", 1750000000, service_tier="auto", protocol="responses")


def explicit_stream() -> list[StreamEvent]:
    return [
        Extension(
            "keys", "response", {"instructions": "hi", "temperature": 1.0}, None, "responses"
        ),
        R_START,
        BlockStarted(0, "reasoning", "reasoning", "rs_1", "responses"),
        OpaqueState("responses", "encrypted_reasoning", "gAAAA-added", 0),
        PartStarted(0, 0, "reasoning_summary", "summary_text"),
        ReasoningDelta("plan", summary=True),
        PartDone(0, 0, "reasoning_summary", "summary_text"),
        OpaqueState("responses", "encrypted_reasoning", "gAAAA-done", 0),
        BlockDone(0, "reasoning", "reasoning", "rs_1", "responses", "completed"),
        BlockStarted(1, "message", "message", "msg_1", "responses", phase="commentary"),
        PartStarted(1, 0, "text", "output_text"),
        TextDelta("Look"),
        Citation(
            "url_citation",
            "https://u",
            "U",
            None,
            0,
            4,
            {
                "type": "url_citation",
                "end_index": 4,
                "start_index": 0,
                "title": "U",
                "url": "https://u",
            },
            "responses",
        ),
        PartDone(1, 0, "text", "output_text"),
        BlockDone(1, "message", "message", "msg_1", "responses", "completed"),
        Extension("keys", "item", {"extra_key": 1}, 2, "responses"),
        BlockStarted(2, "tool_call", "function_call", "fc_1", "responses"),
        ToolCallStarted(0, "call_1", "get"),
        ArgumentsDelta(0, "call_1", "{}"),
        ToolCallDone(0, "call_1", "get", "{}"),
        BlockDone(2, "tool_call", "function_call", "fc_1", "responses", "completed"),
        OpaqueState("responses", "encrypted_reasoning", "gAAAA-terminal", 0),
        ChoiceFinished("tool_calls", "completed"),
        Usage(
            {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7, "x_extra": 1}, "responses"
        ),
    ]


def test_explicit_responses_structure_is_put_back_exactly() -> None:
    wire = clean(write(explicit_stream()))
    added = [e["item"] for e in wire if e["type"] == "response.output_item.added"]
    assert added[0] == {
        "id": "rs_1",
        "type": "reasoning",
        "summary": [],
        "encrypted_content": "gAAAA-added",
    }
    assert added[1]["phase"] == "commentary"
    assert added[1]["id"] == "msg_1"
    assert added[2]["id"] == "fc_1"
    assert added[2]["call_id"] == "call_1"
    assert added[2]["extra_key"] == 1
    reasoning, message, call = done_items(wire)
    assert reasoning["encrypted_content"] == "gAAAA-done"
    assert reasoning["summary"] == [{"type": "summary_text", "text": "plan"}]
    assert message["content"][0]["annotations"][0]["url"] == "https://u"
    assert call["arguments"] == "{}"
    final = terminal(wire)
    assert final["output"][0]["encrypted_content"] == "gAAAA-terminal"  # R23: each in place
    assert final["output"][1:] == [message, call]
    assert final["id"] == "resp_abc"
    assert final["instructions"] == "hi"
    assert final["usage"]["x_extra"] == 1  # same protocol: the raw usage


def test_a_responses_error_and_its_response_failed_are_written_as_they_came() -> None:
    error = {"type": "insufficient_quota", "code": "insufficient_quota", "message": "quota"}
    failed = {"code": "insufficient_quota", "message": "quota"}
    events: list[StreamEvent] = [
        R_START,
        StreamError(
            "quota", "insufficient_quota", "insufficient_quota", error, "event", "responses"
        ),
        StreamError("quota", None, "insufficient_quota", failed, "response", "responses"),
    ]
    wire = clean(write(events), final=False)
    assert types(wire) == ["response.created", "response.in_progress", "error", "response.failed"]
    assert terminal(wire)["error"] == failed


def test_an_unknown_responses_event_is_written_where_it_came() -> None:
    unknown = Extension(
        "event",
        "response.future.delta",
        {"type": "response.future.delta", "x": 1},
        None,
        "responses",
    )
    wire = write([R_START, unknown, STOP])
    (event,) = [e for e in wire if e["type"] == "response.future.delta"]
    assert event["x"] == 1
    assert event["sequence_number"] == 2


# -- the typed objects and the async twins ------------------------------------------------------


def test_typed_events_dump_back_to_the_wire() -> None:
    events: list[StreamEvent] = [START, TextDelta("x"), STOP, CHAT_USAGE]
    typed = list(to_responses_events(events))
    assert type(typed[0]).__name__ == "ResponseCreatedEvent"
    assert [e.model_dump(mode="json", exclude_unset=True) for e in typed] == write(events)


async def test_the_async_twins_give_the_same_output() -> None:
    events: list[StreamEvent] = [START, ReasoningDelta("r"), TextDelta("x"), STOP, CHAT_USAGE]
    sse = [frame async for frame in ato_responses_sse(events)]
    assert sse == list(to_responses_sse(events))
    typed = [e async for e in ato_responses_events(events)]
    assert [e.model_dump(mode="json", exclude_unset=True) for e in typed] == write(events)


# -- the real openai SDK over HTTP ---------------------------------------------------------------


class _Server:
    def __init__(self, body: bytes) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("content-length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.body = body
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


SDK_RECORDINGS = [
    "openai_gpt4o_text_usage.sse",
    "openai_gpt4o_parallel_tool_calls.sse",
    "deepseek_reasoner_thinking.sse",
    "openai_gpt4o_content_logprobs.sse",
    "litellm_anthropic_basic.jsonl",
]


@pytest.mark.live
@pytest.mark.parametrize("name", SDK_RECORDINGS)
def test_the_openai_sdk_reads_the_output_over_http(name: str) -> None:
    import openai

    events = list(typedstream.events(chat_source(recording(name))))
    body = b"".join(to_responses_sse(events))
    with (
        _Server(body) as base_url,
        openai.OpenAI(base_url=base_url, api_key="sk-test") as client,
        client.responses.stream(model="gpt-4o", input="hi") as stream,
    ):
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "".join(deltas) == text
    assert final.output_text == text
    calls = [(o.call_id, o.name, o.arguments) for o in final.output if o.type == "function_call"]
    assert calls == [(e.id, e.name, e.arguments) for e in events if isinstance(e, ToolCallDone)]


# -- hypothesis: any chat-shaped event sequence is written exactly -------------------------------

_FRAGMENT = st.text(min_size=1, max_size=5)
_CONTENT = st.one_of(
    st.builds(TextDelta, _FRAGMENT),
    st.builds(RefusalDelta, _FRAGMENT),
    st.builds(ReasoningDelta, _FRAGMENT, st.just(0), st.booleans()),
    st.builds(
        Logprobs,
        st.just([{"token": "t", "logprob": -1.0, "bytes": [116], "top_logprobs": []}]),
    ),
    st.builds(OpaqueState, st.just("anthropic"), st.just("thinking_signature"), st.just("Eq==")),
)


@st.composite
def chat_events(draw: st.DrawFn) -> list[StreamEvent]:
    events: list[StreamEvent] = [START]
    calls = draw(st.integers(0, 3))
    events += draw(st.lists(_CONTENT, max_size=8))
    open_calls: list[int] = []
    for index in range(calls):
        call_id = f"call_{index}"
        events.append(ToolCallStarted(index, call_id, "f"))
        open_calls.append(index)
        events += [ArgumentsDelta(i, f"call_{i}", "{}") for i in draw(st.permutations(open_calls))][
            :1
        ]
        events += draw(st.lists(_CONTENT, max_size=2))
    args = {
        i: "".join(e.delta for e in events if isinstance(e, ArgumentsDelta) and e.index == i)
        for i in open_calls
    }
    events += [ToolCallDone(i, f"call_{i}", "f", args[i]) for i in open_calls]
    reason = draw(
        st.sampled_from(["stop", "content_filter"]) if not calls else st.just("tool_calls")
    )
    events.append(ChoiceFinished(reason, reason))  # type: ignore[arg-type]
    if draw(st.booleans()):
        events.append(CHAT_USAGE)
    return events


@settings(max_examples=150, deadline=None)
@given(chat_events())
def test_any_chat_event_sequence_is_written_exactly(events: list[StreamEvent]) -> None:
    wire = write(events)
    assert check_responses_events(wire) == []
    if wire[-1]["type"] == "response.completed":
        assert check_responses_events(wire, final_response=True) == []
