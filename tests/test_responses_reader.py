"""The Responses reader: OpenAI Responses stream events in, typed events out.

Each row of the reading table (docs/event-model.md §4.3) is a test on a small hand-made
stream; five recordings are spelled out event by event; every recording is read the same from
dicts, from SSE in pieces, with and without ``event:`` lines, and from the ``openai`` SDK's
event objects (built as its ``Stream`` builds them, and over HTTP through a mock transport,
``client.responses.stream()`` included); every cut prefix of a recording ends in
:class:`~typedstream.IncompleteStreamError`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import openai
import pytest
from corpus import CORPUS, Recording

import typedstream
from typedstream import (
    ArgumentsDelta,
    BlockDone,
    BlockStarted,
    ChoiceFinished,
    ChunkError,
    Citation,
    CustomToolCallDone,
    CustomToolCallIncomplete,
    CustomToolCallStarted,
    CustomToolInputDelta,
    Extension,
    IncompleteStreamError,
    Logprobs,
    Moderation,
    OpaqueState,
    PartDone,
    PartStarted,
    ProviderError,
    ReasoningDelta,
    ReasoningDone,
    RefusalDelta,
    ResponsesReader,
    ServerToolCallDone,
    ServerToolCallStarted,
    ServerToolInputDelta,
    ServerToolProgress,
    ServerToolResult,
    StreamError,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
    UsageError,
)

RESPONSES = CORPUS / "responses"
NAMES = sorted(p.name for p in RESPONSES.glob("*.sse"))
P = "responses"


def wire(name: str) -> list[dict[str, Any]]:
    """The decoded events of a recording."""
    return Recording(RESPONSES / name).chunks()


def read(source: Any, **options: Any) -> list[StreamEvent]:
    return list(typedstream.events(source, **options))


def outcome(source: Any, **options: Any) -> tuple[list[StreamEvent], BaseException | None]:
    out: list[StreamEvent] = []
    try:
        for event in typedstream.events(source, **options):
            out.append(event)
    except typedstream.TypedStreamError as exc:
        return out, exc
    return out, None


def shown(source: Any, **options: Any) -> tuple[list[StreamEvent], str]:
    """The events and how the stream ended, comparable between sources."""
    out, raised = outcome(source, **options)
    return out, repr(raised)


def sse(events: Iterable[dict[str, Any]], named: bool = True) -> bytes:
    """Events framed as OpenAI frames them (``named=False``: as OpenRouter does)."""
    return b"".join(
        (f"event: {e['type']}\n" if named else "").encode()
        + f"data: {json.dumps(e, ensure_ascii=False)}\n\n".encode()
        for e in events
    )


# -- recordings, spelled out --------------------------------------------------------------------


def test_two_parallel_function_calls_are_each_done_at_their_item_done() -> None:
    w = wire("lingua_openai_gpt5nano_parallel_function_calls.sse")
    created = w[0]["response"]
    echo = {k: v for k, v in created.items() if k not in ECHO_TYPED}
    rs = "rs_0d873ee6ff271ee50069ccab54e02c8190aba1973035fd1991"
    fc1 = "fc_0d873ee6ff271ee50069ccab582f2881909dcb1491a3e7015f"
    fc2 = "fc_0d873ee6ff271ee50069ccab582f3c8190be7856c817e74c8d"
    sf, ny = '{"location":"San Francisco, CA"}', '{"location":"New York, NY"}'
    assert read(w) == [
        Extension("keys", "response", echo, None, P),
        StreamStarted(
            "resp_0d873ee6ff271ee50069ccab5472c48190a0df4dbf84547a2a",
            "gpt-5-nano-2025-08-07",
            1775020884,
            None,
            "auto",
            P,
        ),
        BlockStarted(0, "reasoning", "reasoning", rs, P),
        BlockDone(0, "reasoning", "reasoning", rs, P, "completed"),
        BlockStarted(1, "tool_call", "function_call", fc1, P),
        ToolCallStarted(0, "call_0xi8hXSApey3her10vjUIx0j", "get_weather"),
        ArgumentsDelta(0, "call_0xi8hXSApey3her10vjUIx0j", sf),
        ToolCallDone(0, "call_0xi8hXSApey3her10vjUIx0j", "get_weather", sf),
        BlockDone(1, "tool_call", "function_call", fc1, P, "completed"),
        BlockStarted(2, "tool_call", "function_call", fc2, P),
        ToolCallStarted(1, "call_8fhPkmx5g5wyqqsTFMvzVtJw", "get_weather"),
        ArgumentsDelta(1, "call_8fhPkmx5g5wyqqsTFMvzVtJw", ny),
        ToolCallDone(1, "call_8fhPkmx5g5wyqqsTFMvzVtJw", "get_weather", ny),
        BlockDone(2, "tool_call", "function_call", fc2, P, "completed"),
        Extension(
            "keys", "response", {"completed_at": 1775020888, "service_tier": "default"}, None, P
        ),
        ChoiceFinished("tool_calls", "completed", stop_reason="tool_calls"),
        Usage(
            {
                "input_tokens": 136,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 678,
                "output_tokens_details": {"reasoning_tokens": 576},
                "total_tokens": 814,
            },
            P,
        ),
    ]


def test_encrypted_reasoning_gives_one_opaque_state_per_distinct_value_where_it_came() -> None:
    w = wire("pai_openai_gpt5_function_call_encrypted_reasoning.sse")
    added, done = w[2]["item"]["encrypted_content"], w[3]["item"]["encrypted_content"]
    terminal = w[-1]["response"]["output"][0]["encrypted_content"]
    assert len({added, done, terminal}) == 3  # three ciphertexts (docs/event-model.md §3.6)
    rs = "rs_0050471a34b36ae60068c97bac4dcc819595fd0f80d6b3c405"
    fc = "fc_0050471a34b36ae60068c97bf19d9c819590eaf42c0edc1042"
    call = "call_CWXgs68YprAjp6t0371hiPOI"
    assert read(w)[1:] == [
        StreamStarted(
            "resp_0050471a34b36ae60068c97b94a480819587a9d70cf2979b33",
            "gpt-5-2025-08-07",
            1758034836,
            None,
            "flex",
            P,
        ),
        BlockStarted(0, "reasoning", "reasoning", rs, P),
        OpaqueState(P, "encrypted_reasoning", added, 0),
        OpaqueState(P, "encrypted_reasoning", done, 0),
        BlockDone(0, "reasoning", "reasoning", rs, P, "completed"),
        BlockStarted(1, "tool_call", "function_call", fc, P),
        ToolCallStarted(0, call, "final_result"),
        *(ArgumentsDelta(0, call, d) for d in ['{"', "result", '":', "666", "6", "}"]),
        ToolCallDone(0, call, "final_result", '{"result":6666}'),
        BlockDone(1, "tool_call", "function_call", fc, P, "completed"),
        OpaqueState(P, "encrypted_reasoning", terminal, 0),
        ChoiceFinished("tool_calls", "completed", stop_reason="tool_calls"),
        Usage(w[-1]["response"]["usage"], P),
    ]


def test_a_file_search_and_its_file_citation_mid_text() -> None:
    w = wire("pai_openai_gpt4o_file_search_file_citations.sse")
    fs = "fs_006dcb10dc68b990006931d758d64c819b8936fb07f31c09d4"
    msg = "msg_006dcb10dc68b990006931d75a58dc819bb156d745aff1ee2a"
    citation = {
        "type": "file_citation",
        "file_id": "file-9RhPAs9YqVajpGXRfcgavJ",
        "filename": "tmp8l5_2pzy.txt",
        "index": 30,
    }
    assert read(w)[2:] == [
        BlockStarted(0, "server_tool_call", "file_search_call", fs, P),
        ServerToolCallStarted(fs, "file_search", "file_search"),
        ServerToolProgress(fs, "in_progress", None),
        ServerToolProgress(fs, "searching", None),
        ServerToolProgress(fs, "completed", None),
        ServerToolCallDone(fs, "file_search", "file_search", '["What is the capital of France?"]'),
        ServerToolResult(fs, "file_search", "file_search_call", False, None, {"results": None}),
        BlockDone(0, "server_tool_call", "file_search_call", fs, P, "completed"),
        BlockStarted(1, "message", "message", msg, P),
        PartStarted(1, 0, "text", "output_text"),
        *(TextDelta(t) for t in ["The", " capital", " of", " France", " is", " Paris"]),
        Citation("file_citation", None, None, None, 30, 30, citation, P),
        TextDelta("."),
        PartDone(1, 0, "text", "output_text"),
        BlockDone(1, "message", "message", msg, P, "completed"),
        Extension("keys", "response", {"service_tier": "default"}, None, P),
        ChoiceFinished("stop", "completed", stop_reason="end"),
        Usage(w[-1]["response"]["usage"], P),
    ]


def test_an_image_generation_call_gives_its_progress_partial_image_and_result() -> None:
    w = wire("vai_openai_gpt5_image_generation_partial_image.sse")
    partial = next(e for e in w if e["type"].endswith("partial_image"))
    framing = ("type", "item_id", "output_index", "sequence_number")
    done = next(e["item"] for e in w if e["type"].endswith("item.done") and e["output_index"] == 1)
    rs = "rs_0df93c0bb83a72f20068c979db90b4819e94cedbfda2d49af6"
    ig = "ig_0df93c0bb83a72f20068c979f589c0819e9f0fc2d1a27aa1b8"
    msg = "msg_0df93c0bb83a72f20068c97a0b36f4819ea5906451007f95e2"
    result = {k: done[k] for k in ("result", "background", "output_format", "quality", "size")}
    events = read(w)
    assert events[2:-3] == [
        BlockStarted(0, "reasoning", "reasoning", rs, P),
        BlockDone(0, "reasoning", "reasoning", rs, P, "completed"),
        BlockStarted(1, "server_tool_call", "image_generation_call", ig, P),
        ServerToolCallStarted(ig, "image_generation", "image_generation"),
        ServerToolProgress(ig, "in_progress", None),
        ServerToolProgress(ig, "generating", None),
        ServerToolProgress(
            ig, "partial_image", {k: v for k, v in partial.items() if k not in framing}
        ),
        ServerToolProgress(ig, "completed", None),
        Extension("keys", "item", {"revised_prompt": done["revised_prompt"]}, 1, P),
        ServerToolCallDone(ig, "image_generation", "image_generation", ""),
        ServerToolResult(ig, "image_generation", "image_generation_call", False, None, result),
        BlockDone(1, "server_tool_call", "image_generation_call", ig, P, "completed"),
        BlockStarted(2, "message", "message", msg, P),
        PartStarted(2, 0, "text", "output_text"),  # text "" in output_text.done: no delta
        PartDone(2, 0, "text", "output_text"),
        BlockDone(2, "message", "message", msg, P, "completed"),
    ]
    assert events[-2] == ChoiceFinished("stop", "completed", stop_reason="end")


def test_an_error_then_response_failed_give_two_stream_errors_and_a_provider_error() -> None:
    w = wire("vai_openai_gpt5nano_error_then_failed.sse")
    error, failed = w[2]["error"], w[3]["response"]["error"]
    out, raised = outcome(sse(w))
    assert out[2:] == [
        StreamError(
            error["message"], "insufficient_quota", "insufficient_quota", error, "event", P
        ),
        StreamError(failed["message"], None, "insufficient_quota", failed, "response", P),
    ]
    assert isinstance(raised, ProviderError)
    assert raised.payload == error
    assert "chunk 3" in str(raised)


def test_a_custom_tool_call_streams_its_free_text_input() -> None:
    w = wire("lingua_openai_gpt56terra_custom_tool_call.sse")
    added = next(
        e["item"]
        for e in w
        if e["type"] == "response.output_item.added" and e["item"]["type"] == "custom_tool_call"
    )
    deltas = [e["delta"] for e in w if e["type"] == "response.custom_tool_call_input.delta"]
    text = "".join(deltas)
    assert text == w[-2]["item"]["input"]
    call = added["call_id"]
    events = read(w)
    begin = events.index(CustomToolCallStarted(0, call, added["name"]))
    assert events[begin - 1] == BlockStarted(1, "tool_call", "custom_tool_call", added["id"], P)
    assert events[begin + 1 : begin + 1 + len(deltas)] == [
        CustomToolInputDelta(0, call, d) for d in deltas
    ]
    assert events[begin + 1 + len(deltas) :][:2] == [
        CustomToolCallDone(0, call, added["name"], text),
        BlockDone(1, "tool_call", "custom_tool_call", added["id"], P, "completed"),
    ]
    assert [e for e in events if isinstance(e, ChoiceFinished)] == [
        ChoiceFinished("tool_calls", "completed", stop_reason="tool_calls")
    ]


def test_a_march_2025_stream_without_sequence_numbers_is_read() -> None:
    w = wire("pai_openai_gpt4o_2025-03_function_call_noseq.sse")
    assert all("sequence_number" not in e for e in w)
    fc = "fc_67e554a1de488191af0831d35cbe082e0794405d35281ae2"
    call = "call_kL0PCQV7M2WMoVX8V8OtYSAL"
    assert read(w)[1:] == [
        StreamStarted(
            "resp_67e554a155508191900ee113293c4c830794405d35281ae2",
            "gpt-4o-2024-08-06",
            1743082657,
            None,
            None,
            P,
        ),
        BlockStarted(0, "tool_call", "function_call", fc, P),
        ToolCallStarted(0, call, "get_capital"),
        *(ArgumentsDelta(0, call, d) for d in ['{"', "country", '":"', "France", '"}']),
        ToolCallDone(0, call, "get_capital", '{"country":"France"}'),
        BlockDone(0, "tool_call", "function_call", fc, P, "completed"),
        ChoiceFinished("tool_calls", "completed", stop_reason="tool_calls"),
        Usage(w[-1]["response"]["usage"], P),
    ]
    assert read(wire("pai_openai_gpt4o_2025-03_text_noseq.sse"))[-2] == ChoiceFinished(
        "stop", "completed", stop_reason="end"
    )


def test_a_reasoning_summary_and_its_message_in_order() -> None:
    w = wire("lingua_openai_gpt5nano_reasoning_summary.sse")
    summary = [e["delta"] for e in w if e["type"] == "response.reasoning_summary_text.delta"]
    text = [e["delta"] for e in w if e["type"] == "response.output_text.delta"]
    events = read(w, done_events=True)
    structure = [e for e in events if isinstance(e, (BlockStarted, BlockDone, PartStarted))]
    assert [(type(e).__name__, e.type) for e in structure] == [
        ("BlockStarted", "reasoning"),
        ("PartStarted", "reasoning_summary"),
        ("BlockDone", "reasoning"),
        ("BlockStarted", "message"),
        ("PartStarted", "text"),
        ("BlockDone", "message"),
    ]
    assert [e for e in events if isinstance(e, ReasoningDelta)] == [
        ReasoningDelta(d, summary=True) for d in summary
    ]
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta(d) for d in text]
    assert ReasoningDone("".join(summary), summary=True) in events


def test_an_incomplete_response_finishes_with_max_tokens_and_an_incomplete_message() -> None:
    events = read(wire("lingua_openai_gpt5nano_incomplete_message.sse"))
    assert [e for e in events if isinstance(e, BlockDone)][-1].status == "incomplete"
    assert events[-2] == ChoiceFinished("length", "max_output_tokens", stop_reason="max_tokens")


def test_mcp_list_tools_and_an_mcp_call_name_their_server_and_give_the_output_as_text() -> None:
    w = wire("pai_openai_o4mini_mcp_list_tools_mcp_call.sse")
    events = read(w)
    starts = [e for e in events if isinstance(e, ServerToolCallStarted)]
    assert [(e.tool, e.name, e.server) for e in starts] == [
        ("mcp_list_tools", "mcp_list_tools", "deepwiki"),
        ("mcp", "ask_question", "deepwiki"),
    ]
    call = next(e["item"] for e in w if e["type"].endswith("item.done") and e["output_index"] == 2)
    deltas = [e["delta"] for e in w if e["type"] == "response.mcp_call_arguments.delta"]
    assert [e.delta for e in events if isinstance(e, ServerToolInputDelta)] == deltas
    done = next(e for e in events if isinstance(e, ServerToolCallDone) and e.tool == "mcp")
    assert done.input == call["arguments"] == "".join(deltas)
    result = next(e for e in events if isinstance(e, ServerToolResult) and e.tool == "mcp")
    assert result.text == call["output"]
    assert result.content == {"output": call["output"], "error": None, "approval_request_id": None}


def test_a_code_interpreter_call_streams_its_code_and_keeps_its_container() -> None:
    w = wire("pai_openai_gpt5_code_interpreter_reasoning_summary.sse")
    events = read(w)
    added = next(e for e in w if e["type"].endswith("item.added") and e["output_index"] == 1)
    container = {"container_id": added["item"]["container_id"]}
    first = events.index(
        BlockStarted(1, "server_tool_call", "code_interpreter_call", added["item"]["id"], P)
    )
    assert events[first - 1] == Extension("keys", "item", container, 1, P)
    done = next(e for e in events if isinstance(e, ServerToolCallDone))
    assert (done.input, done.input_format) == ("n = pow(123456, 123)\nlen(str(n))", "code")
    result = next(e for e in events if isinstance(e, ServerToolResult))
    assert result.content == {"outputs": None, **container}


# -- one row of the reading table each --------------------------------------------------------

ECHO_TYPED = {
    "id",
    "object",
    "created_at",
    "model",
    "service_tier",
    "status",
    "output",
    "usage",
    "error",
    "incomplete_details",
}
RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "created_at": 7,
    "model": "gpt-x",
    "status": "in_progress",
    "output": [],
    "usage": None,
    "error": None,
    "incomplete_details": None,
    "tools": [],
}
CREATED = {"type": "response.created", "response": RESPONSE}
IN_PROGRESS = {"type": "response.in_progress", "response": RESPONSE}
USAGE = {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
STARTED = StreamStarted("resp_1", "gpt-x", 7, None, None, P)
TOOLS = Extension("keys", "response", {"tools": []}, None, P)


def completed(**response: Any) -> dict[str, Any]:
    return {
        "type": "response.completed",
        "response": {**RESPONSE, "status": "completed", "usage": USAGE, **response},
    }


def numbered(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "sequence_number": n} for n, e in enumerate(events)]


def feed(*events: Any, **options: Any) -> list[StreamEvent]:
    """The events of a hand-made stream (sequence numbers added), fed to the sans-IO reader."""
    reader = ResponsesReader(**options)
    out: list[StreamEvent] = []
    for event in numbered(events):
        out += reader.feed(event)
    out += reader.close(out)
    return out


def body(*events: Any, terminal: dict[str, Any] | None = None, **options: Any) -> list[StreamEvent]:
    """The events between StreamStarted and the finish of a whole hand-made stream."""
    out = feed(CREATED, IN_PROGRESS, *events, terminal or completed(), **options)
    assert out[:2] == [TOOLS, STARTED]
    assert out[-1] == Usage(USAGE, P)
    assert isinstance(out[-2], ChoiceFinished)
    return out[2:-2]


def added(index: int, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "response.output_item.added", "output_index": index, "item": item}


def done(index: int, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "response.output_item.done", "output_index": index, "item": item}


def ev(kind: str, index: int = 0, **fields: Any) -> dict[str, Any]:
    return {"type": f"response.{kind}", "item_id": "x", "output_index": index, **fields}


MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "status": "in_progress",
    "content": [],
    "role": "assistant",
}
OUTPUT_TEXT = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}


def message(*events: dict[str, Any], text: str = "", status: str = "completed") -> list[Any]:
    part = {**OUTPUT_TEXT, "text": text}
    return [
        added(0, MESSAGE),
        ev("content_part.added", content_index=0, part=OUTPUT_TEXT),
        *events,
        ev("output_text.done", content_index=0, text=text, logprobs=[]),
        ev("content_part.done", content_index=0, part=part),
        done(0, {**MESSAGE, "status": status, "content": [part]}),
    ]


def delta(text: str, **fields: Any) -> dict[str, Any]:
    return ev("output_text.delta", content_index=0, delta=text, **{"logprobs": [], **fields})


MSG_OPEN = [
    BlockStarted(0, "message", "message", "msg_1", P),
    PartStarted(0, 0, "text", "output_text"),
]
MSG_CLOSE = [
    PartDone(0, 0, "text", "output_text"),
    BlockDone(0, "message", "message", "msg_1", P, "completed"),
]


def test_response_created_gives_stream_started_after_its_echo_keys() -> None:
    out = feed(CREATED, IN_PROGRESS, completed())
    assert out[:2] == [TOOLS, STARTED]
    assert out[2:] == [ChoiceFinished("stop", "completed", stop_reason="end"), Usage(USAGE, P)]


def test_response_created_carries_its_service_tier() -> None:
    created = {**CREATED, "response": {**RESPONSE, "service_tier": "flex"}}
    assert feed(created, completed(service_tier="flex"))[1] == StreamStarted(
        "resp_1", "gpt-x", 7, None, "flex", P
    )


def test_in_progress_and_queued_make_no_event() -> None:
    queued = {"type": "response.queued", "response": {**RESPONSE, "status": "queued"}}
    assert feed(CREATED, queued, IN_PROGRESS, completed())[2:3] == [
        ChoiceFinished("stop", "completed", stop_reason="end")
    ]


def test_a_lifecycle_response_that_changes_its_model_is_a_chunk_error() -> None:
    changed = {**IN_PROGRESS, "response": {**RESPONSE, "model": "other"}}
    with pytest.raises(ChunkError, match=r"chunk 2: 'response\.model' changed"):
        feed(CREATED, changed, completed())


def test_a_lifecycle_id_change_is_accepted_but_strictly_a_chunk_error() -> None:
    changed = {**IN_PROGRESS, "response": {**RESPONSE, "id": "resp_2"}}  # GitHub Copilot
    assert feed(CREATED, changed, completed())[1] == STARTED
    with pytest.raises(ChunkError, match=r"'response\.id' changed"):
        feed(CREATED, changed, completed(), strict=True)


def test_a_message_item_gives_a_block_with_its_phase() -> None:
    item = {**MESSAGE, "phase": "commentary"}
    out = body(added(0, item), done(0, {**item, "status": "completed"}))
    assert out == [
        BlockStarted(0, "message", "message", "msg_1", P, "commentary"),
        BlockDone(0, "message", "message", "msg_1", P, "completed"),
    ]


def test_output_text_parts_give_part_events_and_text() -> None:
    assert body(*message(delta("Hi"), delta(" there"), text="Hi there")) == [
        *MSG_OPEN,
        TextDelta("Hi"),
        TextDelta(" there"),
        *MSG_CLOSE,
    ]


def test_non_empty_logprobs_come_before_their_text() -> None:
    lp = [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105], "top_logprobs": []}]
    out = body(*message(delta("Hi", logprobs=lp), text="Hi"))
    assert out[2:4] == [Logprobs(lp, None), TextDelta("Hi")]


def test_an_annotation_gives_a_citation_with_its_range() -> None:
    citation = {
        "type": "url_citation",
        "start_index": 0,
        "end_index": 2,
        "title": "T",
        "url": "https://u",
    }
    annotation = ev(
        "output_text.annotation.added", content_index=0, annotation_index=0, annotation=citation
    )
    out = body(*message(delta("Hi"), annotation, text="Hi"))
    assert out[3] == Citation("url_citation", "https://u", "T", None, 0, 2, citation, P)


def test_a_refusal_part_gives_refusal_deltas() -> None:
    part = {"type": "refusal", "refusal": ""}
    events = [
        added(0, MESSAGE),
        ev("content_part.added", content_index=0, part=part),
        ev("refusal.delta", content_index=0, delta="No"),
        ev("refusal.done", content_index=0, refusal="No"),
        ev("content_part.done", content_index=0, part={**part, "refusal": "No"}),
        done(0, {**MESSAGE, "status": "completed"}),
    ]
    assert body(*events)[1:4] == [
        PartStarted(0, 0, "refusal", "refusal"),
        RefusalDelta("No"),
        PartDone(0, 0, "refusal", "refusal"),
    ]


def test_a_done_text_that_extends_the_deltas_gives_the_rest_as_a_delta() -> None:
    assert body(*message(delta("Hi"), text="Hi there"))[2:4] == [
        TextDelta("Hi"),
        TextDelta(" there"),
    ]


def test_a_done_text_that_differs_from_the_deltas_is_a_chunk_error() -> None:
    with pytest.raises(ChunkError, match=r"chunk 6: the \.done value of item 0 differs"):
        body(*message(delta("Hi"), text="Ho"))


REASONING = {"id": "rs_1", "type": "reasoning", "summary": []}
RS_OPEN = BlockStarted(0, "reasoning", "reasoning", "rs_1", P)
RS_DONE = BlockDone(0, "reasoning", "reasoning", "rs_1", P, "completed")


def test_a_reasoning_summary_part_gives_summary_reasoning() -> None:
    part = {"type": "summary_text", "text": ""}
    out = body(
        added(0, REASONING),
        ev("reasoning_summary_part.added", summary_index=0, part=part),
        ev("reasoning_summary_text.delta", summary_index=0, delta="Think"),
        ev("reasoning_summary_text.done", summary_index=0, text="Think"),
        ev("reasoning_summary_part.done", summary_index=0, part={**part, "text": "Think"}),
        done(0, {**REASONING, "summary": [{**part, "text": "Think"}]}),
    )
    assert out == [
        RS_OPEN,
        PartStarted(0, 0, "reasoning_summary", "summary_text"),
        ReasoningDelta("Think", summary=True),
        PartDone(0, 0, "reasoning_summary", "summary_text"),
        RS_DONE,
    ]


def test_a_reasoning_text_part_gives_reasoning_itself() -> None:
    part = {"type": "reasoning_text", "text": ""}
    out = body(
        added(0, REASONING),
        ev("content_part.added", content_index=0, part=part),
        ev("reasoning_text.delta", content_index=0, delta="Hmm"),
        ev("reasoning_text.done", content_index=0, text="Hmm"),
        ev("content_part.done", content_index=0, part={**part, "text": "Hmm"}),
        done(0, REASONING),
    )
    assert out[1:4] == [
        PartStarted(0, 0, "reasoning_text", "reasoning_text"),
        ReasoningDelta("Hmm"),
        PartDone(0, 0, "reasoning_text", "reasoning_text"),
    ]


def test_reasoning_text_without_its_part_starts_one_but_strictly_is_a_chunk_error() -> None:
    events = [
        added(0, REASONING),
        ev("reasoning_text.delta", content_index=0, delta="Hmm"),
        done(0, REASONING),
    ]
    assert body(*events) == [
        RS_OPEN,
        PartStarted(0, 0, "reasoning_text", "reasoning_text"),
        ReasoningDelta("Hmm"),
        PartDone(0, 0, "reasoning_text", "reasoning_text"),
        RS_DONE,
    ]
    with pytest.raises(ChunkError, match="never added"):
        body(*events, strict=True)


def test_encrypted_content_on_added_done_and_terminal_is_opaque_state_once_per_value() -> None:
    out = feed(
        CREATED,
        added(0, {**REASONING, "encrypted_content": "gAAA1"}),
        done(0, {**REASONING, "encrypted_content": "gAAA2"}),
        added(1, {**REASONING, "id": "rs_2", "encrypted_content": "gAAA3"}),
        done(1, {**REASONING, "id": "rs_2", "encrypted_content": "gAAA3"}),
        completed(
            output=[
                {**REASONING, "encrypted_content": "gAAA4"},
                {**REASONING, "id": "rs_2", "encrypted_content": "gAAA3"},
            ]
        ),
    )
    assert [e for e in out if isinstance(e, OpaqueState)] == [
        OpaqueState(P, "encrypted_reasoning", "gAAA1", 0),
        OpaqueState(P, "encrypted_reasoning", "gAAA2", 0),
        OpaqueState(P, "encrypted_reasoning", "gAAA3", 1),
        OpaqueState(P, "encrypted_reasoning", "gAAA4", 0),
    ]
    assert isinstance(
        out[out.index(OpaqueState(P, "encrypted_reasoning", "gAAA4", 0)) + 1], ChoiceFinished
    )


FUNCTION = {
    "id": "fc_1",
    "type": "function_call",
    "status": "in_progress",
    "arguments": "",
    "call_id": "call_1",
    "name": "f",
}
FC_OPEN = [
    BlockStarted(0, "tool_call", "function_call", "fc_1", P),
    ToolCallStarted(0, "call_1", "f"),
]


def function(
    *fragments: str, status: str = "completed", done_value: str | None = None
) -> list[Any]:
    text = "".join(fragments) if done_value is None else done_value
    return [
        added(0, FUNCTION),
        *(ev("function_call_arguments.delta", delta=f) for f in fragments),
        ev("function_call_arguments.done", arguments=text),
        done(0, {**FUNCTION, "status": status, "arguments": text}),
    ]


def test_a_function_call_is_done_at_its_completed_item_done() -> None:
    assert body(*function('{"a"', ":1}")) == [
        *FC_OPEN,
        ArgumentsDelta(0, "call_1", '{"a"'),
        ArgumentsDelta(0, "call_1", ":1}"),
        ToolCallDone(0, "call_1", "f", '{"a":1}'),
        BlockDone(0, "tool_call", "function_call", "fc_1", P, "completed"),
    ]


def test_a_completed_response_with_a_call_finishes_with_tool_calls() -> None:
    out = feed(CREATED, *function("{}"), completed())
    assert out[-2] == ChoiceFinished("tool_calls", "completed", stop_reason="tool_calls")


def test_a_function_call_done_incomplete_is_incomplete() -> None:
    out = body(*function('{"a"', status="incomplete"))
    assert out[-2:] == [
        ToolCallIncomplete(0, "call_1", "f", '{"a"', "incomplete"),
        BlockDone(0, "tool_call", "function_call", "fc_1", P, "incomplete"),
    ]


def test_arguments_only_in_the_done_event_are_one_delta() -> None:  # LM Studio
    assert body(*function(done_value='{"a":1}'))[2:4] == [
        ArgumentsDelta(0, "call_1", '{"a":1}'),
        ToolCallDone(0, "call_1", "f", '{"a":1}'),
    ]


CUSTOM = {
    "id": "ctc_1",
    "type": "custom_tool_call",
    "status": "in_progress",
    "input": "",
    "call_id": "call_c",
    "name": "sh",
}


def test_a_custom_tool_call_gives_the_custom_family() -> None:
    out = body(
        added(0, CUSTOM),
        ev("custom_tool_call_input.delta", delta="ls"),
        ev("custom_tool_call_input.done", input="ls -l"),
        done(0, {**CUSTOM, "status": "completed", "input": "ls -l"}),
    )
    assert out == [
        BlockStarted(0, "tool_call", "custom_tool_call", "ctc_1", P),
        CustomToolCallStarted(0, "call_c", "sh"),
        CustomToolInputDelta(0, "call_c", "ls"),
        CustomToolInputDelta(0, "call_c", " -l"),
        CustomToolCallDone(0, "call_c", "sh", "ls -l"),
        BlockDone(0, "tool_call", "custom_tool_call", "ctc_1", P, "completed"),
    ]


def test_a_custom_tool_call_never_done_at_response_incomplete_is_incomplete() -> None:
    incomplete = {
        "type": "response.incomplete",
        "response": {
            **RESPONSE,
            "status": "incomplete",
            "incomplete_details": {"reason": "max_output_tokens"},
            "usage": USAGE,
        },
    }
    out = feed(
        CREATED, added(0, CUSTOM), ev("custom_tool_call_input.delta", delta="ls"), incomplete
    )
    assert out[-4:] == [
        CustomToolCallIncomplete(0, "call_c", "sh", "ls", "response.incomplete"),
        BlockDone(0, "tool_call", "custom_tool_call", "ctc_1", P, "cut"),
        ChoiceFinished("length", "max_output_tokens", stop_reason="max_tokens"),
        Usage(USAGE, P),
    ]


WEB = {"id": "ws_1", "type": "web_search_call", "status": "in_progress"}


def test_a_built_in_tool_item_gives_server_tool_events_with_progress() -> None:
    action = {"type": "search", "query": "q"}
    out = body(
        added(0, WEB),
        ev("web_search_call.in_progress"),
        ev("web_search_call.searching"),
        ev("web_search_call.completed"),
        done(0, {**WEB, "status": "completed", "action": action}),
    )
    assert out == [
        BlockStarted(0, "server_tool_call", "web_search_call", "ws_1", P),
        ServerToolCallStarted("ws_1", "web_search", "web_search"),
        ServerToolProgress("ws_1", "in_progress", None),
        ServerToolProgress("ws_1", "searching", None),
        ServerToolProgress("ws_1", "completed", None),
        ServerToolCallDone("ws_1", "web_search", "web_search", '{"type":"search","query":"q"}'),
        ServerToolResult("ws_1", "web_search", "web_search_call", False, None, None),
        BlockDone(0, "server_tool_call", "web_search_call", "ws_1", P, "completed"),
    ]


def test_a_failed_mcp_call_is_an_error_result() -> None:
    item = {
        "id": "mcp_1",
        "type": "mcp_call",
        "status": "in_progress",
        "name": "ask",
        "server_label": "wiki",
        "arguments": "",
        "output": None,
        "error": None,
    }
    out = body(
        added(0, item),
        ev("mcp_call_arguments.delta", delta="{}"),
        ev("mcp_call_arguments.done", arguments="{}"),
        ev("mcp_call.failed"),
        done(0, {**item, "status": "failed", "arguments": "{}", "error": {"message": "down"}}),
    )
    assert out[1:3] == [
        ServerToolCallStarted("mcp_1", "mcp", "ask", "wiki"),
        ServerToolInputDelta("mcp_1", "{}"),
    ]
    assert out[-2] == ServerToolResult(
        "mcp_1", "mcp", "mcp_call", True, None, {"output": None, "error": {"message": "down"}}
    )


def test_extra_item_and_part_keys_come_as_extensions_before_their_events() -> None:
    item = {**REASONING, "status": "in_progress"}  # DeepSeek, xAI, LM Studio
    out = body(added(0, item), done(0, {**REASONING, "status": "completed"}))
    assert out == [
        Extension("keys", "item", {"status": "in_progress"}, 0, P),
        RS_OPEN,
        Extension("keys", "item", {"status": "completed"}, 0, P),
        RS_DONE,
    ]


def test_extra_event_keys_come_as_an_extension_before_the_event_s_events() -> None:
    out = body(*message(delta("Hi", agent="x"), text="Hi"))
    assert out[2:4] == [Extension("keys", "event", {"agent": "x"}, 0, P), TextDelta("Hi")]


def test_obfuscation_is_dropped() -> None:
    assert body(*message(delta("Hi", obfuscation="abc"), text="Hi"))[2] == TextDelta("Hi")


def test_terminal_only_keys_come_before_the_finish_and_moderation_after_usage() -> None:
    moderation = {"flagged": False}
    out = feed(CREATED, completed(completed_at=9, service_tier="default", moderation=moderation))
    assert out[2:] == [
        Extension("keys", "response", {"completed_at": 9, "service_tier": "default"}, None, P),
        ChoiceFinished("stop", "completed", stop_reason="end"),
        Usage(USAGE, P),
        Moderation(moderation),
    ]


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        (
            "max_output_tokens",
            ChoiceFinished("length", "max_output_tokens", stop_reason="max_tokens"),
        ),
        (
            "content_filter",
            ChoiceFinished("content_filter", "content_filter", stop_reason="content_filter"),
        ),
        ("budget", ChoiceFinished("stop", "budget", stop_reason="other")),
    ],
)
def test_response_incomplete_finishes_with_its_reason(reason: str, finish: ChoiceFinished) -> None:
    incomplete = {
        "type": "response.incomplete",
        "response": {**RESPONSE, "status": "incomplete", "incomplete_details": {"reason": reason}},
    }
    assert feed(CREATED, incomplete)[-1] == finish


def test_an_unknown_incomplete_reason_is_strictly_a_chunk_error() -> None:
    incomplete = {
        "type": "response.incomplete",
        "response": {
            **RESPONSE,
            "status": "incomplete",
            "incomplete_details": {"reason": "budget"},
        },
    }
    with pytest.raises(ChunkError, match=r"unknown incomplete_details\.reason 'budget'"):
        feed(CREATED, incomplete, strict=True)


ERROR = {
    "type": "error",
    "error": {"type": "server_error", "code": "server_error", "message": "boom", "param": None},
}
FAILED = {
    "type": "response.failed",
    "response": {
        **RESPONSE,
        "status": "failed",
        "error": {"code": "server_error", "message": "boom"},
    },
}


def test_an_error_cuts_the_open_call_and_block_then_response_failed_follows() -> None:
    reader = ResponsesReader()
    out: list[StreamEvent] = []
    for event in numbered(
        [CREATED, added(0, FUNCTION), ev("function_call_arguments.delta", delta="{"), ERROR, FAILED]
    ):
        out += reader.feed(event)
        if event["type"] == "error":
            assert reader.error is None  # response.failed may still come
    assert out[-4:] == [
        ToolCallIncomplete(0, "call_1", "f", "{", "error"),
        BlockDone(0, "tool_call", "function_call", "fc_1", P, "cut"),
        StreamError("boom", "server_error", "server_error", ERROR["error"], "event", P),
        StreamError("boom", None, "server_error", FAILED["response"]["error"], "response", P),
    ]
    assert reader.error is not None
    with pytest.raises(ProviderError, match="chunk 4: provider error: boom"):
        reader.close()


def test_response_failed_alone_cuts_and_reports_the_response_error() -> None:
    out, raised = outcome(numbered([CREATED, *message(delta("Hi"))[:3], FAILED]))
    assert out[-3:] == [
        PartDone(0, 0, "text", "output_text"),
        BlockDone(0, "message", "message", "msg_1", P, "cut"),
        StreamError("boom", None, "server_error", FAILED["response"]["error"], "response", P),
    ]
    assert isinstance(raised, ProviderError)


def test_an_error_in_the_sdk_s_shape_has_its_code_at_the_top() -> None:
    error = {"type": "error", "code": "rate_limited", "message": "slow down", "param": None}
    out, raised = outcome(numbered([CREATED, error]))
    assert out[-1] == StreamError(
        "slow down",
        None,
        "rate_limited",
        {"code": "rate_limited", "message": "slow down", "param": None},
        "event",
        P,
    )
    assert isinstance(raised, ProviderError)


def test_only_response_failed_may_follow_an_error() -> None:
    with pytest.raises(ChunkError, match=r"chunk 3: response\.completed after the error event"):
        feed(CREATED, ERROR, completed())


def test_an_unknown_event_is_kept_where_it_came() -> None:
    unknown = ev("reasoning_part.added", summary_index=0)  # vLLM
    out = body(added(0, REASONING), unknown, done(0, REASONING))
    payload = dict(unknown)
    assert out == [
        RS_OPEN,
        Extension("event", "response.reasoning_part.added", payload, 0, P),
        RS_DONE,
    ]


def test_an_unknown_item_is_kept_whole_as_an_extension_block() -> None:
    item = {"id": "cu_1", "type": "computer_call", "status": "in_progress", "action": {"x": 1}}
    out = body(
        added(0, item), ev("computer_call.progress"), done(0, {**item, "status": "completed"})
    )
    assert out == [
        Extension("keys", "item", item, 0, P),
        BlockStarted(0, "extension", "computer_call", "cu_1", P),
        Extension("event", "response.computer_call.progress", ev("computer_call.progress"), 0, P),
        Extension("keys", "item", {**item, "status": "completed"}, 0, P),
        BlockDone(0, "extension", "computer_call", "cu_1", P, "completed"),
    ]


@pytest.mark.parametrize("cut", [2, 3, 4])
def test_the_end_of_input_without_a_terminal_event_cuts_the_call_and_raises(cut: int) -> None:
    events = numbered(
        [
            CREATED,
            added(0, FUNCTION),
            ev("function_call_arguments.delta", delta="{"),
            *function("{")[2:],
        ]
    )
    out, raised = outcome(events[:cut])
    assert isinstance(raised, IncompleteStreamError)
    if cut < 4:
        assert out[-2:] == [
            ToolCallIncomplete(0, "call_1", "f", "{" if cut == 3 else "", "end_of_input"),
            BlockDone(0, "tool_call", "function_call", "fc_1", P, "cut"),
        ]


# -- framing ------------------------------------------------------------------------------------


def test_sequence_numbers_must_count_from_zero() -> None:
    reader = ResponsesReader()
    with pytest.raises(ChunkError, match="chunk 1: sequence_number 1 out of order: expected 0"):
        reader.feed({**CREATED, "sequence_number": 1})  # LiteLLM starts at 1


def test_a_skipped_sequence_number_is_a_chunk_error() -> None:
    reader = ResponsesReader()
    reader.feed({**CREATED, "sequence_number": 0})
    with pytest.raises(ChunkError, match="chunk 2: sequence_number 2 out of order: expected 1"):
        reader.feed({**IN_PROGRESS, "sequence_number": 2})


def test_sequence_numbers_are_on_every_event_or_on_none() -> None:
    reader = ResponsesReader()
    reader.feed(CREATED)
    with pytest.raises(ChunkError, match="chunk 2: sequence_number 1, after events that had none"):
        reader.feed({**IN_PROGRESS, "sequence_number": 1})
    reader = ResponsesReader()
    reader.feed({**CREATED, "sequence_number": 0})
    with pytest.raises(ChunkError, match="no sequence_number, after events that had one"):
        reader.feed(IN_PROGRESS)


def test_an_event_before_response_created_is_a_chunk_error() -> None:
    with pytest.raises(
        ChunkError, match=r"chunk 1: response\.in_progress before response\.created"
    ):
        feed(IN_PROGRESS)


def test_an_event_after_the_terminal_event_is_a_chunk_error() -> None:
    with pytest.raises(ChunkError, match="chunk 3: event after the terminal event"):
        feed(CREATED, completed(), IN_PROGRESS)


def test_the_sse_name_must_match_the_type() -> None:
    with pytest.raises(ChunkError, match="does not match the data's type"):
        ResponsesReader().feed(CREATED, "response.completed")


def test_the_reader_refuses_input_after_a_chunk_error() -> None:
    reader = ResponsesReader()
    with pytest.raises(ChunkError):
        reader.feed(IN_PROGRESS)
    with pytest.raises(UsageError):
        reader.feed(CREATED)


def test_openrouter_framing_without_event_lines_with_a_comment_and_done_is_read() -> None:
    w = wire("pai_openai_gpt5_web_search.sse")
    body_ = b": OPENROUTER PROCESSING\n\n" + sse(w, named=False) + b"data: [DONE]\n\n"
    assert read(body_) == read(w)


def test_protocol_responses_reads_a_stream_auto_detection_would_also_read() -> None:
    w = wire("vai_azure_gpt51_text.sse")
    assert read(w, protocol="responses") == read(w)
    with pytest.raises(ChunkError, match="not a chat-completion chunk"):
        read(w, protocol="chat")


# -- every recording ----------------------------------------------------------------------------


def _pieces(data: bytes, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    at = 0
    while at < len(data):
        size = rng.randint(1, 200)
        yield data[at : at + size]
        at += size


def _skip_if_the_sdk_alters_it(name: str) -> None:
    # openai < 2.39 dumps the `web_search` tool of the response's echo with other keys than the
    # JSON it was built from, so its objects do not carry the recording (tests_min's 1.99.2).
    version = tuple(int(part) for part in openai.__version__.split(".")[:2])
    if "web_search" in name and version < (2, 39):
        pytest.skip("openai < 2.39 dumps a web_search tool's echo with other keys")


@pytest.mark.parametrize("name", NAMES)
def test_dicts_sse_in_pieces_and_sdk_objects_give_the_same_events(name: str) -> None:
    _skip_if_the_sdk_alters_it(name)
    from openai._models import construct_type  # how the SDK's Stream builds its events
    from openai.types.responses import ResponseStreamEvent

    w = wire(name)
    expected = shown(w)
    raw = (RESPONSES / name).read_bytes()
    assert shown(raw) == expected
    assert shown(_pieces(raw, len(name))) == expected
    assert shown(raw.decode().splitlines(), lines=True) == expected
    objects = [construct_type(type_=ResponseStreamEvent, value=e) for e in w]
    assert shown(objects) == expected


@pytest.mark.parametrize("name", NAMES)
def test_every_cut_prefix_ends_in_an_incomplete_stream_error(name: str) -> None:
    w = wire(name)
    terminal = next(
        i
        for i, e in enumerate(w)
        if e["type"] in ("response.completed", "response.incomplete", "error", "response.failed")
    )
    for cut in range(1, terminal):
        out, raised = outcome(w[:cut])
        assert isinstance(raised, IncompleteStreamError), (name, cut)
        assert not any(isinstance(e, ChoiceFinished) for e in out)


# -- the openai SDK over HTTP -------------------------------------------------------------------

SDK_RECORDINGS = [
    "pai_openai_gpt5_function_call_encrypted_reasoning.sse",
    "pai_openai_gpt52_web_search_url_citations.sse",
    "lingua_openai_gpt5nano_reasoning_summary.sse",
]


def _client(name: str) -> openai.OpenAI:
    body_ = (RESPONSES / name).read_bytes()
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=body_
        )
    )
    return openai.OpenAI(
        api_key="k",
        base_url="http://127.0.0.1:9/v1",
        http_client=httpx.Client(transport=transport),
        max_retries=0,
    )


def _aclient(name: str) -> openai.AsyncOpenAI:
    body_ = (RESPONSES / name).read_bytes()
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=body_
        )
    )
    return openai.AsyncOpenAI(
        api_key="k",
        base_url="http://127.0.0.1:9/v1",
        http_client=httpx.AsyncClient(transport=transport),
        max_retries=0,
    )


@pytest.mark.parametrize("name", SDK_RECORDINGS)
def test_the_sdk_stream_and_response_stream_give_the_recording_s_events(name: str) -> None:
    _skip_if_the_sdk_alters_it(name)
    expected = read(wire(name))
    with _client(name) as client:
        assert read(client.responses.create(model="m", input="hi", stream=True)) == expected
        with client.responses.stream(model="m", input="hi") as stream:
            assert read(stream) == expected
            final = stream.get_final_response()
    assert final.id == expected[1].id  # type: ignore[union-attr]


@pytest.mark.parametrize("name", SDK_RECORDINGS)
async def test_the_async_sdk_streams_give_the_same_events(name: str) -> None:
    _skip_if_the_sdk_alters_it(name)
    expected = read(wire(name))
    async with _aclient(name) as client:
        stream = await client.responses.create(model="m", input="hi", stream=True)
        assert [e async for e in typedstream.aevents(stream)] == expected
        async with client.responses.stream(model="m", input="hi") as rstream:
            assert [e async for e in typedstream.aevents(rstream)] == expected
            await rstream.get_final_response()
