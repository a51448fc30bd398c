"""A call the stream ends without completing is ToolCallIncomplete, never ToolCallDone.

A call is complete only when the stream says so: a `tool_calls`, `stop` or `function_call`
finish, the next call of its choice starting, `[DONE]`, or `assume_complete=True`. A
`length`, `content_filter` or unknown finish cuts the open calls off, and wins over `[DONE]`
and `assume_complete`. The `[DONE]` marker is only `[DONE]`, and an SSE error event is never
a clean end (the reader's part of the same issue).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from helpers import body, call, chunk, tools

import typedstream
from typedstream import (
    ChoiceFinished,
    ChunkError,
    ProviderError,
    StreamEvent,
    Tool,
    ToolArgumentsError,
    ToolCallDone,
    ToolCallIncomplete,
    Tools,
)

PREFIX = '{"to": "acct-1", "amount": 10'


def drive(source: Any, mode: str, **options: Any) -> list[StreamEvent]:
    """All events of `events()` or `aevents()` over a source."""
    if mode == "sync":
        return list(typedstream.events(source, **options))

    async def main() -> list[StreamEvent]:
        return [event async for event in typedstream.aevents(source, **options)]

    return asyncio.run(main())


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def cut_stream(finish: str, *, done: bool = False) -> list[Any]:
    items: list[Any] = [
        tools(call(0, "call_1", "transfer", PREFIX)),
        chunk({}, finish),
    ]
    if done:
        items.append("[DONE]")
    return items


def ends(events: list[StreamEvent]) -> list[StreamEvent]:
    """The call-ending and finishing events."""
    kinds = (ToolCallDone, ToolCallIncomplete, ChoiceFinished)
    return [e for e in events if isinstance(e, kinds)]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("length", "length"),
        ("max_tokens", "length"),
        ("content_filter", "content_filter"),
        ("safety", "content_filter"),
    ],
)
def test_a_cutting_finish_reports_the_open_call_incomplete_before_the_finish(
    mode: str, raw: str, reason: str
) -> None:
    assert ends(drive(cut_stream(raw), mode)) == [
        ToolCallIncomplete(0, "call_1", "transfer", PREFIX, raw),
        ChoiceFinished(reason, raw),  # type: ignore[arg-type]
    ]


@pytest.mark.parametrize("raw", ["error", "ERROR", "MALFORMED_FUNCTION_CALL"])
def test_an_unknown_finish_cuts_the_open_call_and_stays_stop(mode: str, raw: str) -> None:
    # Before: mapped to "tool_calls" (D5) and the call was reported done.
    assert ends(drive(cut_stream(raw), mode)) == [
        ToolCallIncomplete(0, "call_1", "transfer", PREFIX, raw),
        ChoiceFinished("stop", raw, stop_reason="other"),
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("tool_calls", "tool_calls"), ("stop", "tool_calls"), ("tool_use", "tool_calls")],
)
def test_a_completing_finish_reports_the_open_call_done(mode: str, raw: str, reason: str) -> None:
    assert ends(drive(cut_stream(raw), mode)) == [
        ToolCallDone(0, "call_1", "transfer", PREFIX),
        ChoiceFinished(reason, raw),  # type: ignore[arg-type]
    ]


def test_a_function_call_finish_completes_a_legacy_call(mode: str) -> None:
    items = [
        chunk({"function_call": {"name": "transfer", "arguments": "{}"}}),
        chunk({}, "function_call"),
    ]
    assert [type(e) for e in ends(drive(items, mode))] == [ToolCallDone, ChoiceFinished]


def test_a_call_completed_by_the_next_call_stays_done_when_a_length_cuts_the_next(
    mode: str,
) -> None:
    items = [
        tools(call(0, "call_1", "a", "{}")),
        tools(call(1, "call_2", "b", '{"x"')),
        chunk({}, "length"),
    ]
    assert ends(drive(items, mode)) == [
        ToolCallDone(0, "call_1", "a", "{}"),
        ToolCallIncomplete(1, "call_2", "b", '{"x"', "length"),
        ChoiceFinished("length", "length"),
    ]


def test_with_defer_tool_call_done_a_length_cuts_every_call_of_the_choice(mode: str) -> None:
    items = [
        tools(call(0, "call_1", "a", "{}")),
        tools(call(1, "call_2", "b", "{}")),
        chunk({}, "length"),
    ]
    events = drive(items, mode, defer_tool_call_done=True)
    assert [type(e) for e in ends(events)] == [
        ToolCallIncomplete,
        ToolCallIncomplete,
        ChoiceFinished,
    ]


def test_done_marker_completes_an_open_call(mode: str) -> None:
    items = [tools(call(0, "call_1", "transfer", PREFIX)), "[DONE]"]
    assert [type(e) for e in ends(drive(items, mode))] == [ToolCallDone, ChoiceFinished]


def test_a_cutting_finish_wins_over_the_done_marker(mode: str) -> None:
    events = drive(body(*cut_stream("length")), mode)
    assert [type(e) for e in ends(events)] == [ToolCallIncomplete, ChoiceFinished]


def test_a_cutting_finish_wins_over_assume_complete(mode: str) -> None:
    events = drive(cut_stream("length"), mode, assume_complete=True)
    assert [type(e) for e in ends(events)] == [ToolCallIncomplete, ChoiceFinished]


def test_strict_mode_also_reports_a_length_cut_incomplete(mode: str) -> None:
    events = drive(cut_stream("length"), mode, strict=True)
    assert [type(e) for e in ends(events)] == [ToolCallIncomplete, ChoiceFinished]


def test_strict_mode_rejects_an_unknown_finish_without_reporting_the_call(mode: str) -> None:
    seen: list[StreamEvent] = []
    with pytest.raises(ChunkError, match="unknown finish_reason 'error'"):
        seen.extend(typedstream.events(cut_stream("error"), strict=True))
    assert not ends(seen)


def test_a_cut_call_is_reserialized_exactly_with_its_finish_reason() -> None:
    chunks = list(typedstream.to_openai_chunks(typedstream.events(cut_stream("length"))))
    wire = [c.model_dump(mode="json", exclude_unset=True) for c in chunks]
    arguments = "".join(
        entry["function"].get("arguments", "")
        for w in wire
        for choice in w["choices"]
        for entry in choice["delta"].get("tool_calls", ())
    )
    assert arguments == PREFIX
    assert wire[-1]["choices"][0]["finish_reason"] == "length"
    again = ends(list(typedstream.events(chunks)))
    assert again == ends(list(typedstream.events(cut_stream("length"))))


def test_to_sse_of_a_cut_call_in_a_deferred_queue_keeps_every_call() -> None:
    items = [
        tools(call(0, "call_1", "a", '{"k": 1}')),
        tools(call(1, "call_2", "b", '{"k": 2')),
        chunk({}, "length"),
    ]
    events = list(typedstream.events(items, defer_tool_call_done=True))
    again = list(typedstream.events(b"".join(typedstream.to_sse(events))))
    assert ends(again) == [
        ToolCallDone(0, "call_1", "a", '{"k": 1}'),  # completed by the next call's start
        ToolCallIncomplete(1, "call_2", "b", '{"k": 2', "length"),
        ChoiceFinished("length", "length"),
    ]


def test_the_accumulator_lists_the_incomplete_calls() -> None:
    items = [
        tools(call(0, "call_1", "a", "{}")),
        tools(call(1, "call_2", "b", '{"x"')),
        chunk({}, "length"),
    ]
    acc = typedstream.Accumulator()
    acc.extend(typedstream.events(items))
    assert acc.incomplete_calls() == (ToolCallIncomplete(1, "call_2", "b", '{"x"', "length"),)
    assert acc.incomplete_calls(choice=3) == ()
    completion = acc.completion()
    choice = completion.choices[0]
    assert choice.finish_reason == "length"
    calls = choice.message.tool_calls or []
    assert [c.function.arguments for c in calls] == ["{}", '{"x"']  # as the provider sent


def test_tools_refuse_a_cut_call_passed_by_untyped_code() -> None:
    registry = Tools(Tool("transfer", dict))
    cut: Any = ToolCallIncomplete(0, "call_1", "transfer", "{}", "length")
    with pytest.raises(ToolArgumentsError, match="cut the call off"):
        registry.parse(cut)
    with pytest.raises(ToolArgumentsError, match="'length'"):
        registry["transfer"].parse(cut)


# -- the reader: what counts as the end marker ------------------------------------------------


def test_done_followed_by_garbage_is_not_the_end_marker(mode: str) -> None:
    raw = body(tools(call(0, "call_1", "transfer", PREFIX)), "[DONE]garbage", done=False)
    with pytest.raises(ChunkError, match="malformed JSON") as caught:
        drive(raw, mode)
    assert caught.value.chunk == 2


def test_done_with_surrounding_whitespace_is_the_end_marker(mode: str) -> None:
    raw = body(chunk({"content": "hi"}), done=False) + b"data:  [DONE] \n\n"
    assert [e.kind for e in drive(raw, mode)][-1] == "choice_finished"


def test_an_error_chunk_cuts_the_open_call_then_reports_the_error(mode: str) -> None:
    error = {"message": "upstream overloaded", "type": "server_error", "code": "overloaded"}
    seen: list[StreamEvent] = []

    def source() -> Any:
        yield tools(call(0, "call_1", "transfer", PREFIX))
        yield {"id": "chatcmpl-1", "choices": [], "error": error}

    with pytest.raises(ProviderError, match="upstream overloaded"):
        if mode == "sync":
            seen.extend(typedstream.events(source()))
        else:

            async def main() -> None:
                async for event in typedstream.aevents(source()):
                    seen.append(event)

            asyncio.run(main())
    assert seen[-2:] == [
        ToolCallIncomplete(0, "call_1", "transfer", PREFIX, "error"),
        typedstream.StreamError(
            "upstream overloaded", "server_error", "overloaded", error, "event", "chat"
        ),
    ]


def test_an_sse_error_event_whose_data_starts_with_done_is_a_provider_error(mode: str) -> None:
    raw = (
        body(tools(call(0, "call_1", "transfer", PREFIX)), done=False)
        + b"event: error\ndata: [DONE] upstream overloaded\n\n"
    )
    seen: list[StreamEvent] = []
    with pytest.raises(ProviderError, match=r"\[DONE\] upstream overloaded"):
        if mode == "sync":
            seen.extend(typedstream.events(raw))
        else:

            async def main() -> None:
                async for event in typedstream.aevents(raw):
                    seen.append(event)

            asyncio.run(main())
    # the open call was cut off by the error, never reported done
    assert ends(seen) == [ToolCallIncomplete(0, "call_1", "transfer", PREFIX, "error")]
    assert isinstance(seen[-1], typedstream.StreamError)
    assert seen[-1].message == "[DONE] upstream overloaded"
