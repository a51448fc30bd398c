"""Run one fuzz case and judge it.

`run_case` reads a case's source with `events()` (or `aevents()`), under a per-case time
bound, and returns what a consumer saw. `check_case` then requires:

* the only exceptions are `TypedStreamError` subclasses (anything else is a bug);
* a `ChunkError`/`ProviderError` names its chunk (`.chunk` set, message "chunk N: …"), and
  for a source of plain items that chunk is the item being read when it was raised;
* a `ChunkError` never wraps an unexpected internal exception (`__cause__ is None`): the
  normalizer turns exceptions nobody anticipated into a `ChunkError` with a cause, so a
  cause means a missing check;
* the events obey the event protocol (`protocol.check_events`);
* `aevents()` gives exactly what `events()` gives;
* the other public functions take what `events()` gave without an untyped exception:
  `event_to_json()` of each event, `parse_arguments()` of each finished call, `to_sse()`
  (also with the error frame of the stream's error), `to_openai_chunks()`, `accumulate()`,
  and `check_openai_chunks()` of the source's chunks; and what they write is JSON (no
  `NaN`, no lone surrogate, valid UTF-8).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

import typedstream
from fuzz.mutations import Case
from fuzz.protocol import ProtocolViolation, check_error_names_chunk, check_events
from typedstream import (
    ChunkError,
    IncompleteStreamError,
    ProviderError,
    StreamEvent,
    ToolCallDone,
    TypedStreamError,
)

_T = TypeVar("_T")

# What the sinks import and build on first use (openai's types, pydantic adapters) takes
# seconds on a busy machine: done here, not inside the first case's time bound.
list(typedstream.to_openai_chunks([typedstream.TextDelta("x")]))
typedstream.event_to_json(typedstream.TextDelta("x"))
typedstream.ToolCallDone(0, "c", "f", "{}").parse_arguments(dict)

TIME_BOUND = 5.0
"""Seconds one case may take; a hang detector, not a speed target (see `bench/`)."""


class CaseTimeout(BaseException):
    """The case ran past `TIME_BOUND`."""


@dataclass
class Outcome:
    events: list[StreamEvent]
    error: BaseException | None
    pulled: int  # items taken from the source
    pulled_text: bool  # some item taken was str/bytes (its chunks are numbered by SSE events)


class _Counter:
    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.pulled = 0
        self.text = False

    def _take(self, item: Any) -> None:
        self.pulled += 1
        if isinstance(item, (str, bytes)) and item != "[DONE]":
            self.text = True

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self._take(item)
            yield item

    async def __aiter__(self) -> AsyncIterator[Any]:
        for item in self.items:
            await asyncio.sleep(0)
            self._take(item)
            yield item


def _as_objects(items: list[Any]) -> list[Any]:
    from openai._models import construct_type
    from openai.types.chat import ChatCompletionChunk

    out = []
    for item in items:
        try:
            out.append(
                construct_type(type_=ChatCompletionChunk, value=item)
                if isinstance(item, dict)
                else item
            )
        except Exception:  # the test's own conversion gave up: keep the plain item
            out.append(item)
    return out


_loop: asyncio.AbstractEventLoop | None = None


def _run_async(counter: _Counter, options: dict[str, Any], out: list[StreamEvent]) -> None:
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()

    async def main() -> None:
        async with typedstream.aevents(counter, **options) as stream:
            async for event in stream:
                out.append(event)

    _loop.run_until_complete(main())


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise CaseTimeout(f"the case ran past {TIME_BOUND} s")


@contextmanager
def _time_bound() -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_BOUND)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_case(case: Case, *, use_async: bool | None = None) -> Outcome:
    """Read the case's source; return the events and the error (if any)."""
    items = _as_objects(case.items) if case.kind == "objects" else case.items
    counter = _Counter(items)
    is_async = case.kind == "async" if use_async is None else use_async
    out: list[StreamEvent] = []
    error: BaseException | None = None
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_BOUND)
    try:
        if is_async:
            _run_async(counter, case.options, out)
        else:
            with typedstream.events(counter, **case.options) as stream:
                for event in stream:
                    out.append(event)
    except CaseTimeout:
        raise
    except Exception as exc:
        error = exc
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return Outcome(out, error, counter.pulled, counter.text)


def check_case(case: Case) -> Outcome:
    """Run the case and raise `AssertionError` (naming the case) on any broken rule."""
    started = time.perf_counter()
    try:
        outcome = run_case(case)
        _judge(case, outcome)
        with _time_bound():
            _check_sinks(case, outcome)
        if case.kind == "chunks" and "id_factory" in case.options:
            twin = run_case(case, use_async=True)
            if twin.events != outcome.events or repr(twin.error) != repr(outcome.error):
                raise ProtocolViolation(
                    f"aevents() differs from events(): {twin.error!r} vs {outcome.error!r}"
                )
    except (ProtocolViolation, CaseTimeout) as exc:
        raise AssertionError(f"{case.describe()}\n  -> {exc}") from exc
    except AssertionError as exc:
        raise AssertionError(f"{case.describe()}\n  -> {exc}") from exc
    assert time.perf_counter() - started < 3 * TIME_BOUND + 1
    return outcome


def _judge(case: Case, outcome: Outcome) -> None:
    error = outcome.error
    if error is not None and not isinstance(error, typedstream.TypedStreamError):
        raise ProtocolViolation(f"an untyped exception escaped: {error!r}") from error
    if error is not None:
        check_error_names_chunk(error)
    if (
        isinstance(error, (ChunkError, ProviderError))
        and not outcome.pulled_text
        and case.kind in ("chunks", "async", "objects")
    ):
        # Every item but "[DONE]" is one chunk: the error names the item being read.
        fed = sum(1 for item in case.items[: outcome.pulled] if item != "[DONE]")
        # At the end of the stream a call that never got its name is blamed on the chunk
        # that started it.
        ended = outcome.pulled == len(case.items) or case.items[outcome.pulled - 1] == "[DONE]"
        at_end = ended and isinstance(error, ChunkError)
        if error.chunk != fed and not (at_end and error.chunk is not None and error.chunk <= fed):
            raise ProtocolViolation(f"the error names chunk {error.chunk}, the culprit is {fed}")
    check_events(
        outcome.events,
        error,
        defer_tool_call_done=bool(case.options.get("defer_tool_call_done")),
        done_events=bool(case.options.get("done_events")),
        raw=bool(case.options.get("raw")),
    )
    if isinstance(error, IncompleteStreamError) and case.options.get("assume_complete"):
        raise ProtocolViolation("IncompleteStreamError although assume_complete=True")


def _typed(what: str, call: Callable[[], _T]) -> _T | None:
    """`call()`, or None if it raised a typed error; anything else is a violation."""
    try:
        return call()
    except TypedStreamError:
        return None
    except Exception as exc:
        raise ProtocolViolation(f"{what}: an untyped exception escaped: {exc!r}") from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_json(text: str | bytes, what: str) -> None:
    try:
        raw = text.encode() if isinstance(text, str) else text
        json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        pass  # deeper than this checker reads; the UTF-8 check above still held
    except ValueError as exc:  # UnicodeError included
        raise ProtocolViolation(f"{what} is not JSON ({exc}): {text[:120]!r}") from exc


def _check_sinks(case: Case, outcome: Outcome) -> None:
    events = outcome.events
    keep = case.seed % 2 == 1
    for event in events:
        text = _typed(
            f"event_to_json({type(event).__name__})", lambda e=event: typedstream.event_to_json(e)
        )
        if text is not None:
            _check_json(text, f"event_to_json({type(event).__name__})")
        if isinstance(event, ToolCallDone):
            _typed("parse_arguments()", event.parse_arguments)

    def failing() -> Iterator[StreamEvent]:
        yield from events
        if outcome.error is not None:
            raise outcome.error

    frames: list[bytes] = []

    def sse() -> None:
        for frame in typedstream.to_sse(failing(), error_frame=True, keep_extensions=keep):
            frames.append(frame)

    try:
        sse()
    except TypedStreamError:
        pass
    except Exception as exc:
        raise ProtocolViolation(f"to_sse(): an untyped exception escaped: {exc!r}") from exc
    for frame in frames:
        if not (frame.startswith(b"data: ") and frame.endswith(b"\n\n")):
            raise ProtocolViolation(f"to_sse() wrote a broken frame: {frame[:80]!r}")
        if frame != b"data: [DONE]\n\n":
            _check_json(frame[6:-2], "a to_sse() frame")
    _typed(
        "to_openai_chunks()",
        lambda: list(typedstream.to_openai_chunks(events, keep_extensions=keep)),
    )
    _typed("accumulate()", lambda: typedstream.accumulate(events))
    if case.kind in ("chunks", "async"):
        _typed(
            "check_openai_chunks()",
            lambda: typedstream.check_openai_chunks(case.items, complete=False),
        )
