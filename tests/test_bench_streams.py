"""The Anthropic and Responses benchmark streams (``bench/streams.py``) are streams the
providers could send.

The bench times typedstream and the ``anthropic`` and ``openai`` SDKs on them
(docs/performance.md): if they broke a rule of the protocol, the rows would time an error
path, or the SDK a half-built message. Nothing here is timed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import jiter
import pytest

import typedstream
from typedstream._anthropic_check import check_anthropic_events
from typedstream._responses_check import check_responses_events

BENCH_STREAMS = Path(__file__).resolve().parent.parent / "bench" / "streams.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_streams", BENCH_STREAMS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


streams = _load()
SCALES = (1, 3)
ALL = [make(scale) for scale in SCALES for make in streams.ANTHROPIC_STREAMS]


@pytest.mark.parametrize("stream", ALL, ids=lambda s: s.name)
def test_anthropic_bench_stream_passes_the_anthropic_checker(stream: Any) -> None:
    assert check_anthropic_events(streams.anthropic_sse_body(stream)) == []


@pytest.mark.parametrize("stream", ALL, ids=lambda s: s.name)
def test_anthropic_bench_body_names_each_event_and_decodes_to_its_payloads(stream: Any) -> None:
    frames = streams.anthropic_sse_body(stream).split(b"\n\n")
    assert frames.pop() == b""
    names = [frame.split(b"\n")[0].removeprefix(b"event: ").decode() for frame in frames]
    payloads = [jiter.from_json(frame.split(b"\n")[1].removeprefix(b"data: ")) for frame in frames]
    assert payloads == stream.events
    assert names == [event["type"] for event in stream.events]


def test_anthropic_bench_body_is_padded_like_the_api() -> None:
    body = streams.anthropic_sse_body(streams.anthropic_text_stream())
    assert b" }\n\n" in body
    assert b'data: {"type": "ping"}\n\n' in body


def test_anthropic_bench_streams_are_the_same_on_every_build() -> None:
    first = [streams.anthropic_sse_body(s) for s in streams.build_anthropic(2)]
    assert first == [streams.anthropic_sse_body(s) for s in streams.build_anthropic(2)]


def _sdk_message(stream: Any) -> Any:
    """The message the SDK's path in the bench builds: construct_type + accumulate_event."""
    pytest.importorskip("anthropic")
    from anthropic._models import construct_type
    from anthropic.lib.streaming._messages import accumulate_event
    from anthropic.types import RawMessageStreamEvent

    snapshot = None
    json_bufs: dict[int, bytes] = {}
    for value in stream.events:
        if value["type"] != "ping":
            event = construct_type(type_=RawMessageStreamEvent, value=value)
            snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    return snapshot


def test_sdk_path_builds_thinking_with_its_signature_then_text() -> None:
    stream = streams.anthropic_text_stream()
    message = _sdk_message(stream)
    thinking, text = message.content
    assert thinking.type == "thinking"
    assert len(thinking.signature) > 400
    assert text.type == "text"
    assert text.text == "".join(
        e["delta"]["text"]
        for e in stream.events
        if e["type"] == "content_block_delta"
        if e["delta"]["type"] == "text_delta"
    )
    assert message.stop_reason == "end_turn"


def test_sdk_path_builds_three_tool_calls_with_their_whole_input() -> None:
    stream = streams.anthropic_tools_stream()
    message = _sdk_message(stream)
    calls = [block for block in message.content if block.type == "tool_use"]
    assert [call.name for call in calls] == ["search_documents", "write_report", "send_email"]
    for call in calls:
        assert call.input["limit"] == 10
        assert len(json.dumps(call.input)) > 400
    assert message.stop_reason == "tool_use"


# -- the Responses streams (issue 16) ----------------------------------------------------------

R_ALL = [s for scale in (1, 3) for s in streams.build_responses(scale)]


@pytest.mark.parametrize("stream", R_ALL, ids=lambda s: s.name)
def test_responses_bench_stream_passes_the_responses_checker(stream: Any) -> None:
    body = streams.responses_sse_body(stream)
    assert check_responses_events(body, final_response=True) == []


@pytest.mark.parametrize("stream", streams.build_responses(1), ids=lambda s: s.name)
def test_responses_bench_body_is_the_recording_byte_for_byte(stream: Any) -> None:
    path = streams.RESPONSES_RECORDINGS / f"{streams.RESPONSES_SOURCES[stream.name]}.sse"
    assert streams.responses_sse_body(stream) == path.read_bytes()


@pytest.mark.parametrize("scale", [2, 10])
def test_longer_responses_stream_repeats_each_text_delta_and_its_whole_text(scale: int) -> None:
    base, longer = streams.build_responses(1)[0], streams.build_responses(scale)[0]
    deltas = [e["delta"] for e in base.events if e["type"].endswith("text.delta")]
    assert [e["delta"] for e in longer.events if e["type"].endswith("text.delta")] == [
        d for d in deltas for _ in range(scale)
    ]
    assert [e["sequence_number"] for e in longer.events] == list(range(len(longer.events)))
    assert _text(longer.events) == "".join(
        d for d in _text_deltas(base.events) for _ in range(scale)
    )


def _text(events: list[dict[str, Any]]) -> str:
    """The answer's text as typedstream reads the stream (its .done values checked)."""
    return "".join(e.text for e in typedstream.events(events) if e.kind == "text_delta")


def _text_deltas(events: list[dict[str, Any]]) -> list[str]:
    return [e["delta"] for e in events if e["type"] == "response.output_text.delta"]


def test_responses_bench_streams_are_the_same_on_every_build() -> None:
    first = [streams.responses_sse_body(s) for s in streams.build_responses(3)]
    assert first == [streams.responses_sse_body(s) for s in streams.build_responses(3)]


def test_sdk_path_builds_the_final_response_of_each_responses_stream() -> None:
    """The openai SDK's path in the bench (construct_type + handle_event) reads the streams
    to the end: its completed response has the recording's output."""
    from openai import NOT_GIVEN  # `omit` is newer than openai 1.99.2, the minimum
    from openai._models import construct_type
    from openai.lib.streaming.responses import ResponseStreamState
    from openai.types.responses import ResponseStreamEvent

    for stream in streams.build_responses(2):
        state: Any = ResponseStreamState(input_tools=NOT_GIVEN, text_format=NOT_GIVEN)
        for value in stream.events:
            state.handle_event(construct_type(type_=ResponseStreamEvent, value=value))
        final = state._completed_response
        assert final is not None
        assert [item.type for item in final.output] == [
            item["type"] for item in stream.events[-1]["response"]["output"]
        ]
