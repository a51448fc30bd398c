"""Ordering and completion (docs/events.md): each rule, sync and async."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from helpers import body, call, chunk, kinds, tools, without_start

import typedstream
from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    ChunkError,
    IncompleteStreamError,
    ProviderError,
    StreamError,
    StreamEvent,
    TextDelta,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
)

USAGE = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}


def drive(source: Any, mode: str, **options: Any) -> tuple[list[StreamEvent], Exception | None]:
    """Run `events()` or `aevents()` over a source; return events and the error, if any."""
    out: list[StreamEvent] = []
    try:
        if mode == "sync":
            out.extend(typedstream.events(source, **options))
        else:

            async def main() -> None:
                async for event in typedstream.aevents(source, **options):
                    out.append(event)

            asyncio.run(main())
    except Exception as exc:
        return out, exc
    return out, None


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- per choice order; chunks after a finish ------------------------------------------------


def test_events_of_each_choice_come_in_stream_order(mode: str) -> None:
    events, _ = drive(
        [
            chunk({"content": "a"}, choice=0),
            chunk({"content": "x"}, choice=1),
            chunk({"content": "b"}, choice=0),
            chunk({}, "stop", choice=1),
            chunk({}, "stop", choice=0),
        ],
        mode,
    )
    assert without_start(events) == [
        TextDelta("a", 0),
        TextDelta("x", 1),
        TextDelta("b", 0),
        ChoiceFinished("stop", "stop", 1),
        ChoiceFinished("stop", "stop", 0),
    ]


def test_chunks_after_a_choice_finished_are_still_processed(mode: str) -> None:
    events, error = drive(
        [
            chunk({"content": "a"}, "stop", choice=0),
            chunk({"content": "b"}, choice=1),  # another choice
            chunk({"content": ""}, "stop", choice=0),  # a second finish chunk (D6)
            chunk({}, choice=0),  # LiteLLM's phantom choice on its usage chunk
            {**chunk(), "choices": [], "usage": USAGE},
            chunk({}, "stop", choice=1),
        ],
        mode,
    )
    assert error is None
    assert without_start(events) == [
        TextDelta("a", 0),
        ChoiceFinished("stop", "stop", 0),
        TextDelta("b", 1),
        ChoiceFinished("stop", "stop", 1),
        Usage(USAGE),
    ]


def test_content_after_its_choice_finished_is_a_chunk_error(mode: str) -> None:
    events, error = drive([chunk({"content": "a"}, "stop"), chunk({"content": "late"})], mode)
    assert isinstance(error, ChunkError)
    assert error.chunk == 2
    assert "after the choice finished" in str(error)
    assert without_start(events) == [TextDelta("a"), ChoiceFinished("stop", "stop")]


def test_an_error_after_a_choice_finished_is_still_raised(mode: str) -> None:
    events, error = drive(
        [chunk({"content": "a"}, "length"), {**chunk(), "error": {"message": "boom"}}], mode
    )
    assert isinstance(error, ProviderError)
    assert without_start(events) == [
        TextDelta("a"),
        ChoiceFinished("length", "length"),
        StreamError("boom", None, None, {"message": "boom"}, "event", "chat"),
    ]


# -- when a tool call is done ----------------------------------------------------------------


def test_a_call_is_done_when_the_next_call_of_its_choice_starts(mode: str) -> None:
    events, _ = drive(
        [tools(call(0, "a", "f", "{}")), tools(call(1, "b", "g", "{}")), "[DONE]"], mode
    )
    assert kinds(without_start(events)) == [
        "tool_call_started",
        "arguments_delta",
        "tool_call_done",
        "tool_call_started",
        "arguments_delta",
        "tool_call_done",
        "choice_finished",
    ]


def test_a_call_is_done_when_its_choice_finishes(mode: str) -> None:
    events, _ = drive([tools(call(0, "a", "f", "{}")), chunk({}, "tool_calls")], mode)
    assert without_start(events)[-2:] == [
        ToolCallDone(0, "a", "f", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]


def test_a_call_of_another_choice_does_not_end_an_open_call(mode: str) -> None:
    events, _ = drive(
        [
            tools(call(0, "a", "f", "{")),
            chunk({"tool_calls": [call(0, "b", "g", "{}")]}, choice=1),
            tools(call(0, arguments="}")),
            chunk({}, "tool_calls", choice=0),
            chunk({}, "tool_calls", choice=1),
        ],
        mode,
    )
    assert [e for e in events if isinstance(e, ToolCallDone)] == [
        ToolCallDone(0, "a", "f", "{}", 0),
        ToolCallDone(0, "b", "g", "{}", 1),
    ]


def test_defer_tool_call_done_reports_every_call_at_the_finish(mode: str) -> None:
    # Providers that interleave the fragments of parallel calls.
    events, error = drive(
        [
            tools(call(0, "a", "f", "{")),
            tools(call(1, "b", "g", "{")),
            tools(call(0, arguments="}")),
            tools(call(1, arguments="}")),
            chunk({}, "tool_calls"),
        ],
        mode,
        defer_tool_call_done=True,
    )
    assert error is None
    assert without_start(events)[-3:] == [
        ToolCallDone(0, "a", "f", "{}"),
        ToolCallDone(1, "b", "g", "{}"),
        ChoiceFinished("tool_calls", "tool_calls"),
    ]


def test_interleaved_calls_without_defer_are_a_chunk_error_that_names_the_option(
    mode: str,
) -> None:
    _, error = drive(
        [
            tools(call(0, "a", "f", "{")),
            tools(call(1, "b", "g", "{")),
            tools(call(0, arguments="}")),
        ],
        mode,
    )
    assert isinstance(error, ChunkError)
    assert "defer_tool_call_done=True" in str(error)


# -- complete ends -----------------------------------------------------------------------


def test_complete_when_every_choice_that_appeared_finished(mode: str) -> None:
    events, error = drive(body(chunk({"content": "a"}, "stop"), done=False), mode)
    assert error is None
    assert events[-1] == ChoiceFinished("stop", "stop")


@pytest.mark.parametrize("marker", ["sse", "item"])
def test_done_marker_makes_the_end_complete(mode: str, marker: str) -> None:
    chunks = [chunk({"content": "a"}), tools(call(0, "c", "f", '{"x": 1}'))]
    source: Any = body(*chunks) if marker == "sse" else [*chunks, "[DONE]"]
    events, error = drive(source, mode)
    assert error is None
    assert without_start(events)[-2:] == [
        ToolCallDone(0, "c", "f", '{"x": 1}'),
        ChoiceFinished("tool_calls", None),
    ]


def test_items_after_the_done_marker_are_not_read(mode: str) -> None:
    events, error = drive([chunk({"content": "a"}), "[DONE]", "garbage"], mode)
    assert error is None
    assert events[-1] == ChoiceFinished("stop", None)


def test_assume_complete_makes_any_end_complete(mode: str) -> None:
    events, error = drive(
        body(tools(call(0, "c", "f", "{}")), done=False), mode, assume_complete=True
    )
    assert error is None
    assert ToolCallDone(0, "c", "f", "{}") in events


def test_at_a_complete_end_calls_are_done_then_choices_finish_then_usage(mode: str) -> None:
    events, _ = drive(
        [
            {**tools(call(0, "a", "f", "{}")), "usage": USAGE},
            chunk({"content": "x"}, choice=1),
            "[DONE]",
        ],
        mode,
    )
    assert without_start(events)[-4:] == [
        ToolCallDone(0, "a", "f", "{}", 0),
        ChoiceFinished("tool_calls", None, 0),
        ChoiceFinished("stop", None, 1),
        Usage(USAGE),
    ]


# -- incomplete ends -------------------------------------------------------------------------


def test_sse_body_without_done_and_an_unfinished_choice_is_incomplete(mode: str) -> None:
    events, error = drive(body(chunk({"content": "partial"}), done=False), mode)
    assert isinstance(error, IncompleteStreamError)
    assert error.unfinished_choices == (0,)
    assert without_start(events) == [TextDelta("partial")]


def test_open_tool_call_at_an_incomplete_end_is_never_reported_done(mode: str) -> None:
    # A parsable prefix of the arguments is not a finished call.
    chunks = [tools(call(0, "a", "search", '{"query": "x"}'))]
    for source in (chunks, body(*chunks, done=False)):
        events, error = drive(source, mode)
        assert isinstance(error, IncompleteStreamError)
        assert "tool call 0 ('search') of choice 0 was still streaming" in str(error)
        assert error.open_tool_calls == ((0, 0, "search", '{"query": "x"}'),)
        assert without_start(events) == [
            ToolCallStarted(0, "a", "search"),
            ArgumentsDelta(0, "a", '{"query": "x"}'),
            ToolCallIncomplete(0, "a", "search", '{"query": "x"}', "end_of_input"),
        ]


def test_object_iterator_ending_with_only_text_pending_is_complete(mode: str) -> None:
    # D3: several providers never send a finish reason; text cannot run a tool.
    events, error = drive([chunk({"content": "a"})], mode)
    assert error is None
    assert events[-1] == ChoiceFinished("stop", None)


def test_source_ending_before_any_choice_is_incomplete(mode: str) -> None:
    for source in ([], b"", [{"choices": [], "id": "", "prompt_filter_results": []}]):
        events, error = drive(source, mode)
        assert isinstance(error, IncompleteStreamError)
        assert events == []


def test_unterminated_final_sse_event_is_discarded(mode: str) -> None:
    good = body(chunk({"content": "a"}), done=False)
    cut = json.dumps(chunk({"content": "b"}, "stop"))
    events, error = drive(good + f"data: {cut}".encode(), mode)
    assert isinstance(error, IncompleteStreamError)  # the finish chunk never completed
    assert without_start(events) == [TextDelta("a")]


# -- errors --------------------------------------------------------------------------------


def test_provider_error_chunk_raises_after_all_earlier_events(mode: str) -> None:
    error_chunk = {**chunk(), "error": {"message": "overloaded", "code": 529}}
    events, error = drive(body(chunk({"content": "a"}), error_chunk), mode)
    assert isinstance(error, ProviderError)
    assert (error.chunk, error.payload, error.code) == (2, error_chunk["error"], 529)
    assert without_start(events) == [
        TextDelta("a"),
        StreamError("overloaded", None, "529", error_chunk["error"], "event", "chat"),
    ]


def test_sse_error_event_raises_provider_error(mode: str) -> None:
    sse = body(chunk({"content": "a"}), done=False) + b'event: error\ndata: {"message": "x"}\n\n'
    events, error = drive(sse, mode)
    assert isinstance(error, ProviderError)
    assert error.payload == {"message": "x"}
    assert without_start(events) == [
        TextDelta("a"),
        StreamError("x", None, None, {"message": "x"}, "event", "chat"),
    ]


def test_sse_error_event_with_plain_text_data_raises_provider_error(mode: str) -> None:
    events, error = drive(b"event: error\ndata: upstream timed out\n\n", mode)
    assert isinstance(error, ProviderError)
    assert error.message == "upstream timed out"
    # an error before any chunk: the stream never started, the error is its only event (read
    # as Anthropic's: nothing tells the protocol, docs/event-model.md)
    assert [(e.kind, getattr(e, "message", None)) for e in events] == [
        ("stream_error", "upstream timed out")
    ]


def test_an_error_chunk_that_is_not_an_object_is_a_stream_error_with_that_message(
    mode: str,
) -> None:
    events, error = drive([chunk({"content": "a"}), {"error": "rate limited"}], mode)
    assert isinstance(error, ProviderError)
    assert error.payload == "rate limited"
    assert events[-1] == StreamError(
        "rate limited", None, None, {"message": "rate limited"}, "event", "chat"
    )


def test_what_follows_an_error_chunk_is_not_read(mode: str) -> None:
    read: list[object] = []

    def source() -> Any:
        for item in [chunk({"content": "a"}), {"error": {"message": "x"}}, chunk({"content": "b"})]:
            read.append(item)
            yield item

    events, error = drive(source(), mode)
    assert isinstance(error, ProviderError)
    assert len(read) == 2
    assert [e.kind for e in without_start(events)] == ["text_delta", "stream_error"]


def test_the_chat_reader_returns_the_error_chunks_events_and_close_raises_its_error() -> None:
    reader = typedstream.ChatReader()
    reader.feed(chunk({"content": "a"}))
    out = reader.feed({"error": {"message": "x"}})
    assert out == [StreamError("x", None, None, {"message": "x"}, "event", "chat")]
    assert isinstance(reader.error, ProviderError)
    assert reader.error.chunk == 2
    with pytest.raises(ProviderError, match="chunk 2: provider error: x"):
        reader.close()


def test_a_chunk_after_the_error_chunk_is_a_chunk_error() -> None:
    reader = typedstream.ChatReader()
    reader.feed({"error": {"message": "x"}})
    with pytest.raises(ChunkError, match="chunk 2: chunk after the error chunk"):
        reader.feed(chunk({"content": "a"}))


def test_exceptions_raised_by_the_source_propagate_unchanged_after_earlier_events(
    mode: str,
) -> None:
    class Boom(Exception):
        pass

    def source() -> Any:
        yield chunk({"content": "a"})
        raise Boom("connection reset")

    events, error = drive(source(), mode)
    assert type(error) is Boom
    assert without_start(events) == [TextDelta("a")]


def test_malformed_json_is_a_chunk_error_naming_the_chunk(mode: str) -> None:
    sse = body(chunk({"content": "a"}), "{not json", done=False)
    events, error = drive(sse, mode)
    assert isinstance(error, ChunkError)
    assert error.chunk == 2
    assert "malformed JSON" in str(error)
    assert without_start(events) == [TextDelta("a")]


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"choices": "x"}, "'choices' must be a list, got str"),
        ({"choices": [1]}, "each of 'choices' must be an object, got int"),
        ({"choices": [{"index": "0"}]}, "'choices[].index' must be a non-negative integer"),
        ({"choices": [{"delta": []}]}, "'delta' must be an object, got list"),
        ({"choices": [{"delta": {"content": 5}}]}, "'content' must be a string or a list"),
        ({"choices": [{"delta": {"tool_calls": {}}}]}, "'tool_calls' must be a list"),
        (
            {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": {}}}]}}]},
            "tool_calls[0]: 'arguments' must be a string, got dict",
        ),
        ({"choices": [{"finish_reason": 1}]}, "'finish_reason' must be a string, got int"),
        ({"choices": [], "usage": 3}, "'usage' must be an object, got int"),
        (["not", "a", "chunk"], "expected a chunk (a mapping or a model), got list"),
    ],
)
def test_wrong_types_are_chunk_errors_naming_chunk_and_problem(
    mode: str, bad: Any, problem: str
) -> None:
    events, error = drive([chunk({"content": "a"}), bad], mode)
    assert isinstance(error, ChunkError)
    assert error.chunk == 2
    assert problem in str(error)
    assert str(error).startswith("chunk 2: ")
    assert TextDelta("a") in events


@pytest.mark.parametrize(
    ("envelope", "problem"),
    [
        ({"id": 7}, "'id' must be a string, got int"),
        ({"model": ["m"]}, "'model' must be a string, got list"),
        ({"created": "yesterday"}, "'created' must be an integer, got str"),
    ],
)
def test_wrong_envelope_types_on_the_first_chunk_are_chunk_errors(
    mode: str, envelope: dict[str, Any], problem: str
) -> None:
    _, error = drive([{**chunk({"content": "a"}), **envelope}], mode)
    assert isinstance(error, ChunkError)
    assert str(error) == f"chunk 1: {problem}"


def test_nothing_but_typed_errors_escape_for_odd_items(mode: str) -> None:
    for bad in (None, 3, 2.5, object(), b"\xff\xfe", {"choices": [{"delta": {"role": []}}]}):
        _, error = drive([bad], mode)
        assert error is None or isinstance(error, typedstream.TypedStreamError), repr(bad)


def test_sse_error_event_with_null_data_is_still_a_provider_error(mode: str) -> None:
    _, error = drive(b"event: error\ndata: null\n\n", mode)
    assert isinstance(error, ProviderError)
    assert error.payload == {"message": "error event without details"}


def test_a_mapping_after_raw_sse_text_is_a_chunk_error(mode: str) -> None:
    _, error = drive([body(chunk({"content": "a"}), done=False), chunk({"content": "b"})], mode)
    assert isinstance(error, ChunkError)
    assert "mixed raw SSE text with a dict item" in str(error)
