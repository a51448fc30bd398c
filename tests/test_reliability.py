"""Reliability: regressions found by the fuzz suite, truncation, concurrency, bounded memory.

Every ordering and completion rule (docs/events.md) has its own test, sync and async, in
`test_ordering.py`; the tests here add what it does not cover: cuts at every byte offset,
dropped connections of a real `openai` client, many interleaved streams in one event loop, and
memory that does not grow with the stream. Closing the source, however the consumer leaves, is
`test_closing.py`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sys
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import openai
import pytest
from corpus import Recording, recording, recordings
from helpers import (
    ENVELOPE,
    body,
    call,
    call_ids,
    chunk,
    collect,
    cut_off,
    recorded_sse,
    tools,
    without_start,
)
from test_ordering import drive

import typedstream
from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    ChunkError,
    IncompleteStreamError,
    Moderation,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
)


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


# -- ordering rules test_ordering.py leaves out ---------------------------------------------------


def test_a_moderation_chunk_after_the_finish_is_processed_and_comes_after_usage(
    mode: str,
) -> None:
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    moderation = {"output": {"type": "moderation_results", "flagged": False}}
    events, error = drive(
        [
            chunk({"content": "a"}, "stop"),
            {**chunk(), "choices": [], "moderation": moderation},
            {**chunk(), "choices": [], "usage": usage},
        ],
        mode,
    )
    assert error is None
    assert without_start(events) == [
        TextDelta("a"),
        ChoiceFinished("stop", "stop"),
        Usage(usage),
        Moderation(moderation),
    ]


# -- truncation: a call cut off is never reported done --------------------------------------


def _dones(events: list[StreamEvent]) -> dict[tuple[int, int], ToolCallDone]:
    return {(e.choice, e.index): e for e in events if isinstance(e, ToolCallDone)}


WITH_CALLS = tuple(
    r
    for r in recordings()
    if not r.is_error and _dones(collect(r.chunks(), id_factory=call_ids)[0])
)


def check_cut(full: list[StreamEvent], events: list[StreamEvent], error: Exception | None) -> None:
    """What a stream cut short may give: the full stream's calls, or an error - never a
    prefix of a call's arguments reported as done, and every open call cut off first."""
    delivered, cut = cut_off(events)
    for key, done in _dones(delivered).items():
        assert done == _dones(full)[key], "a ToolCallDone that is not the full stream's"
    started = {(e.choice, e.index) for e in delivered if isinstance(e, ToolCallStarted)}
    cut_calls = started - set(_dones(delivered))
    assert {(e.choice, e.index) for e in cut if isinstance(e, ToolCallIncomplete)} == cut_calls
    if cut_calls:
        assert isinstance(error, IncompleteStreamError)
    if isinstance(error, IncompleteStreamError):
        listed = {(c, i): arguments for c, i, _, arguments in error.open_tool_calls}
        assert cut_calls <= set(listed)
        for e in cut:
            assert isinstance(e, ToolCallIncomplete)
            assert e.arguments == listed[(e.choice, e.index)]
        for c, i, _, arguments in error.open_tool_calls:
            assert (c, i) not in _dones(events)
            if (c, i) in _dones(full):
                assert _dones(full)[(c, i)].arguments.startswith(arguments)
    else:
        assert error is None


def _offsets(body_bytes: bytes) -> list[int]:
    """Every offset; in long bodies, every offset from the first tool call on, and the
    frame boundaries (and the bytes around them) before it (cutting is quadratic)."""
    if len(body_bytes) <= 10_000:
        return list(range(len(body_bytes) + 1))
    markers = (body_bytes.find(b'"tool_calls": [{'), body_bytes.find(b"function_call"))
    start = body_bytes.rfind(b"\n\n", 0, min(i for i in markers if i >= 0))
    ends = [i for i in range(start) if body_bytes[i : i + 2] == b"\n\n"]
    before = {i + d for i in ends for d in (0, 1, 2, 3)}
    return sorted({*before, *range(start, len(body_bytes) + 1)})


@pytest.mark.parametrize("rec", WITH_CALLS, ids=[r.name for r in WITH_CALLS])
def test_sse_bytes_cut_at_every_offset_never_report_a_cut_call_done(rec: Recording) -> None:
    body_bytes = recorded_sse(rec)
    full, error = collect(body_bytes, id_factory=call_ids)
    assert error is None
    outcomes: set[str] = set()
    for at in _offsets(body_bytes):
        events, error = collect(body_bytes[:at], id_factory=call_ids)
        # SSE without [DONE]: incomplete unless every choice finished; the events are
        # always the first events of the whole stream, then the open calls cut off.
        delivered, _ = cut_off(events)
        assert delivered == full[: len(delivered)], at
        check_cut(full, events, error)
        outcomes.add(type(error).__name__)
    assert outcomes == {"IncompleteStreamError", "NoneType"}


@pytest.mark.parametrize("rec", WITH_CALLS, ids=[r.name for r in WITH_CALLS])
def test_chunk_iterators_cut_after_every_chunk_never_report_a_cut_call_done(
    rec: Recording,
) -> None:
    chunks = rec.chunks()
    full, _ = collect(chunks, id_factory=call_ids)
    for at in range(len(chunks) + 1):
        check_cut(full, *collect(chunks[:at], id_factory=call_ids))


@pytest.mark.parametrize("rec", WITH_CALLS[:4], ids=[r.name for r in WITH_CALLS[:4]])
async def test_async_sse_bytes_cut_at_every_frame_never_report_a_cut_call_done(
    rec: Recording,
) -> None:
    body_bytes = recorded_sse(rec)
    full, _ = collect(body_bytes, id_factory=call_ids)
    frame_ends = [i + 2 for i in range(len(body_bytes)) if body_bytes[i : i + 2] == b"\n\n"]
    for at in frame_ends:
        events: list[StreamEvent] = []
        error: Exception | None = None
        try:
            async for event in typedstream.aevents(body_bytes[:at], id_factory=call_ids):
                events.append(event)
        except typedstream.TypedStreamError as exc:
            error = exc
        expected, expected_error = collect(body_bytes[:at], id_factory=call_ids)
        assert (events, repr(error)) == (expected, repr(expected_error))
        check_cut(full, events, error)


# -- a real `openai` client whose connection drops mid-arguments -----------------------------

PARALLEL = recording("openai_gpt4o_parallel_tool_calls.sse")


def _transport(sent: bytes, *, then_fail: bool) -> httpx.MockTransport:
    """A server that sends `sent`, then ends the body (or drops the connection)."""

    class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
        def pieces(self) -> list[bytes]:
            return [sent[i : i + 97] for i in range(0, len(sent), 97)]

        def __iter__(self) -> Iterator[bytes]:
            yield from self.pieces()
            if then_fail:
                raise httpx.RemoteProtocolError("peer closed connection mid-body")

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for piece in self.pieces():
                yield piece
            if then_fail:
                raise httpx.RemoteProtocolError("peer closed connection mid-body")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Body())

    return httpx.MockTransport(handler)


def _openai_events(
    sent: bytes, mode: str, *, then_fail: bool = False
) -> tuple[list[StreamEvent], Exception | None]:
    """The events of an `openai` client stream (sync or async) over what the server sent."""
    import openai

    out: list[StreamEvent] = []
    transport = _transport(sent, then_fail=then_fail)
    options: dict[str, Any] = {"api_key": "test", "base_url": "http://127.0.0.1:9/v1"}
    try:
        if mode == "sync":
            client = openai.OpenAI(http_client=httpx.Client(transport=transport), **options)
            stream = client.chat.completions.create(model="gpt-4o", messages=[], stream=True)
            out.extend(typedstream.events(stream, id_factory=call_ids))
        else:

            async def main() -> None:
                http = httpx.AsyncClient(transport=transport)
                client = openai.AsyncOpenAI(http_client=http, **options)
                stream = await client.chat.completions.create(
                    model="gpt-4o", messages=[], stream=True
                )
                async for event in typedstream.aevents(stream, id_factory=call_ids):
                    out.append(event)

            asyncio.run(main())
    except Exception as exc:
        return out, exc
    return out, None


def _cuts_inside_arguments(body_bytes: bytes) -> list[int]:
    """Ends of the frames after which some call's arguments are still incomplete."""
    ends, at = [], 0
    while (found := body_bytes.find(b"\n\n", at)) != -1:
        at = found + 2
        frame = body_bytes[:at].rsplit(b"\n\n", 2)[-2]
        if b'"arguments"' in frame:
            ends.append(at)
    return ends


@pytest.mark.parametrize("then_fail", [False, True], ids=["body-ends", "connection-error"])
def test_a_call_cut_off_by_a_dropped_openai_connection_is_never_reported_done(
    mode: str, then_fail: bool
) -> None:
    body_bytes = PARALLEL.body()
    full, _ = collect(body_bytes, id_factory=call_ids)
    cuts = _cuts_inside_arguments(body_bytes)
    assert len(cuts) > 20
    for at in cuts[:-1]:  # the last arguments frame completes the last call
        events, error = _openai_events(body_bytes[:at], mode, then_fail=then_fail)
        delivered, _ = cut_off(events)
        assert delivered == full[: len(delivered)]
        assert any(isinstance(e, ToolCallStarted) for e in events)
        if then_fail:
            # The client's own exception, unchanged, after every earlier event (openai 2
            # lets httpx's error through, openai 3 raises its APIConnectionError).
            assert type(error) in (httpx.RemoteProtocolError, openai.APIConnectionError)
            # (a source that raises is not an end of input: no call is cut off)
            assert events == cut_off(collect(body_bytes[:at], id_factory=call_ids)[0])[0]
        else:
            # The `openai` client ends silently when the body ends without [DONE].
            assert isinstance(error, IncompleteStreamError)
            assert error.open_tool_calls
            check_cut(full, events, error)
        open_calls = {(e.choice, e.index) for e in events if isinstance(e, ToolCallStarted)}
        assert open_calls - set(_dones(events)), "the cut call has no ToolCallDone"


def test_an_openai_error_payload_mid_stream_propagates_as_the_clients_api_error(
    mode: str,
) -> None:
    import openai

    sent = body(
        chunk({"role": "assistant", "content": ""}),
        tools(call(0, "call_a", "search", '{"query": "x"')),
        {"error": {"message": "overloaded", "type": "server_error", "code": 529}},
        done=False,
    )
    events, error = _openai_events(sent, mode)
    assert type(error) is openai.APIError
    assert error.body == {"message": "overloaded", "type": "server_error", "code": 529}
    assert without_start(events) == [
        ToolCallStarted(0, "call_a", "search"),
        ArgumentsDelta(0, "call_a", '{"query": "x"'),
    ]


# -- concurrency: normalizers share no state ---------------------------------------------------


def _stream_chunks(i: int) -> list[dict[str, Any]]:
    def at(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            **ENVELOPE,
            "id": f"chatcmpl-{i}",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    return [
        at({"role": "assistant", "content": ""}),
        *(at({"content": f"s{i}.{k} "}) for k in range(4)),
        at({"tool_calls": [call(0, f"call_{i}", f"tool_{i % 7}", "")]}),
        *(at({"tool_calls": [call(0, arguments=part)]}) for part in ('{"n": ', str(i), "}")),
        at({}, "tool_calls"),
        {**at({}), "choices": [], "usage": {"total_tokens": i}},
    ]


def _expected_events(i: int) -> list[StreamEvent]:
    """Written out by hand from `_stream_chunks`, not by the code under test."""
    return [
        StreamStarted(f"chatcmpl-{i}", "test-model", 1700000000),
        *(TextDelta(f"s{i}.{k} ") for k in range(4)),
        ToolCallStarted(0, f"call_{i}", f"tool_{i % 7}"),
        ArgumentsDelta(0, f"call_{i}", '{"n": '),
        ArgumentsDelta(0, f"call_{i}", str(i)),
        ArgumentsDelta(0, f"call_{i}", "}"),
        ToolCallDone(0, f"call_{i}", f"tool_{i % 7}", f'{{"n": {i}}}'),
        ChoiceFinished("tool_calls", "tool_calls"),
        Usage({"total_tokens": i}),
    ]


async def test_a_thousand_interleaved_aevents_streams_each_get_exactly_their_own_events() -> None:
    pulls: list[int] = []  # which stream each chunk was read from, in loop order

    async def source(i: int) -> AsyncIterator[dict[str, Any]]:
        rng = random.Random(i)
        for item in _stream_chunks(i):
            for _ in range(rng.randint(1, 3)):  # as a proxy awaits its upstream
                await asyncio.sleep(0)
            pulls.append(i)
            yield item

    async def consume(i: int) -> list[StreamEvent]:
        async with typedstream.aevents(source(i)) as events:
            return [event async for event in events]

    results = await asyncio.gather(*(consume(i) for i in range(1000)))
    for i, events in enumerate(results):
        assert events == _expected_events(i), i
    # They really interleaved: every stream had started before any stream ended.
    first = {i: pulls.index(i) for i in range(1000)}
    last = {i: len(pulls) - 1 - pulls[::-1].index(i) for i in range(1000)}
    assert max(first.values()) < min(last.values())


# -- bounded memory --------------------------------------------------------------------------

CHUNKS = 200_000
PEAK_BOUND = 4_000_000  # bytes; jiter's bounded string cache takes about 1 MB of it


def _peak_while_reading(items: Iterator[Any]) -> int:
    """Peak traced memory while reading the events of `items`, keeping none of them."""
    tracemalloc.start()
    try:
        count = 0
        for _ in typedstream.events(items):
            count += 1
        assert count == CHUNKS + 2  # start, the fragments, finish
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _text_chunks() -> Iterator[dict[str, Any]]:
    yield chunk({"role": "assistant", "content": ""})
    for i in range(CHUNKS):
        yield chunk({"content": f"w{i} "})  # distinct fragments: none can be shared
    yield chunk({}, "stop")


def test_kept_fragments_would_exceed_the_bound_many_times() -> None:
    # What the bound below guards against: 200,000 retained fragments.
    retained = CHUNKS * (sys.getsizeof(TextDelta("w100000 ")) + sys.getsizeof("w100000 "))
    assert retained > 5 * PEAK_BOUND


def test_a_200000_chunk_text_stream_keeps_no_per_chunk_objects() -> None:
    assert _peak_while_reading(_text_chunks()) < PEAK_BOUND


def test_a_200000_frame_sse_body_keeps_no_per_chunk_objects() -> None:
    # Frames from a template: encoding JSON under tracemalloc would take most of the time.
    before, after = json.dumps(chunk({"content": "<>"})).encode().split(b"<>")
    # About 64 KiB per piece, as httpx reads them.
    pieces = (
        b"".join(b"data: %sw%d %s\n\n" % (before, i, after) for i in range(at, at + 400))
        for at in range(0, CHUNKS, 400)
    )
    first = b"data: %s\n\n" % json.dumps(chunk({"role": "assistant", "content": ""})).encode()
    last = b"data: %s\n\ndata: [DONE]\n\n" % json.dumps(chunk({}, "stop")).encode()
    assert _peak_while_reading(itertools.chain([first], pieces, [last])) < PEAK_BOUND
