"""Reliability: regressions found by the fuzz suite, truncation, concurrency, bounded memory.

Every §4 rule has its own test, sync and async, in `test_ordering.py`; the tests here add
what it does not cover: cuts at every byte offset, dropped connections of a real `openai`
client, many interleaved streams in one event loop, and memory that does not grow with the
stream.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from builders import body, call, chunk, tools, without_start

import typedstream
from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    ChunkError,
    IncompleteStreamError,
    StreamEvent,
    TextDelta,
)


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


# -- regressions found by the fuzz suite (tests/test_fuzz.py) ---------------------------------


@pytest.mark.parametrize(
    ("source", "options", "started_in"),
    [
        ([tools(call(0, "a", arguments="{}")), "[DONE]"], {}, 1),
        ([tools(call(0, "a", arguments="{}"))], {"assume_complete": True}, 1),
        ([chunk({"content": "x"}), tools(call(0, "a", arguments="{}")), "[DONE]"], {}, 2),
    ],
    ids=["done-marker", "assume-complete", "second-chunk"],
)
def test_a_nameless_call_at_the_end_of_the_stream_names_the_chunk_that_started_it(
    mode: str, source: list[Any], options: dict[str, Any], started_in: int
) -> None:
    # Fuzz seed 644: at a complete end no chunk is being read, and the error had no number.
    _, error = drive(source, mode, **options)
    assert isinstance(error, ChunkError)
    assert error.chunk == started_in
    assert str(error) == (
        f"chunk {started_in}: choice 0: tool call 0 (started in chunk {started_in}) "
        "never received a function name"
    )


def test_a_str_piece_with_a_lone_surrogate_in_a_data_line_is_a_chunk_error(mode: str) -> None:
    # Fuzz seed 30318: `str.encode()` raised UnicodeEncodeError out of events().
    good = body(chunk({"content": "a"}), done=False).decode()
    events, error = drive([good, 'data: {"x": "\ud800"}\n\n'], mode)
    assert isinstance(error, ChunkError)
    assert error.chunk == 2
    assert str(error).startswith("chunk 2: malformed JSON")
    assert without_start(events) == [TextDelta("a")]


def test_a_lone_surrogate_in_an_sse_comment_is_ignored(mode: str) -> None:
    events, error = drive([": \ud800\n\n", body(chunk({"content": "a"}, "stop")).decode()], mode)
    assert error is None
    assert without_start(events) == [TextDelta("a"), ChoiceFinished("stop", "stop")]


def test_the_last_sse_event_completed_by_a_final_cr_is_delivered_before_incomplete(
    mode: str,
) -> None:
    # Fuzz seed 40655: with CR line endings the blank line that ends the last event is a
    # final lone CR, known only when the body ends; its events were dropped when the end
    # then raised IncompleteStreamError - the consumer never saw a fragment typedstream
    # had already counted into the open call.
    cr_body = body(tools(call(0, "c", "f", '{"a"')), tools(call(0, arguments=": 1")), done=False)
    events, error = drive(cr_body.replace(b"\n", b"\r"), mode)
    assert isinstance(error, IncompleteStreamError)
    assert error.open_tool_calls == ((0, 0, "f", '{"a": 1'),)
    assert [e.delta for e in events if isinstance(e, ArgumentsDelta)] == ['{"a"', ": 1"]
