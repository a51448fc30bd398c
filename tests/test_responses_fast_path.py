"""The Responses reader's fast path reads exactly what its handlers read.

:meth:`ResponsesReader.feed` takes the usual event (a text delta of the open part, an arguments
or input delta of the open call) without its handler. Here every recording, and every
recording with its deltas bent in ways the fast path must refuse (a key it does not know,
logprobs, a wrong index or sequence number, a delta that is not a string…), is read twice:
once as it comes and once with the fast path off (``_fast`` cleared before each event, so
each event goes through its handler). Both give the same events, or the same error.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from corpus import CORPUS, Recording
from hypothesis import given, settings
from hypothesis import strategies as st

from typedstream import ResponsesReader, TypedStreamError

RESPONSES = CORPUS / "responses"
NAMES = sorted(p.name for p in RESPONSES.glob("*.sse"))
DELTAS = frozenset(
    {
        "response.output_text.delta",
        "response.refusal.delta",
        "response.reasoning_text.delta",
        "response.reasoning_summary_text.delta",
        "response.function_call_arguments.delta",
        "response.custom_tool_call_input.delta",
    }
)


def _read(events: list[dict[str, Any]], fast: bool) -> tuple[list[Any], str | None]:
    """The events the reader returns (close included), and the error that stopped it."""
    reader = ResponsesReader()
    out: list[Any] = []
    try:
        for event in events:
            if not fast:
                reader._fast = None  # this event goes through its handler
            out += reader.feed(event, event.get("type"))
        out += reader.close()
    except TypedStreamError as error:
        return out, f"{type(error).__name__}: {error}"
    return out, None


def _events(name: str) -> list[dict[str, Any]]:
    return Recording(RESPONSES / name).chunks()


def _agree(events: list[dict[str, Any]]) -> None:
    assert _read(events, fast=True) == _read(copy.deepcopy(events), fast=False)


@pytest.mark.parametrize("name", NAMES)
def test_fast_path_reads_each_recording_as_the_handlers_do(name: str) -> None:
    _agree(_events(name))


def test_fast_path_takes_most_events_of_a_long_recording() -> None:
    # Not a timing: the path this file checks is the one the usual events take.
    events = _events("pai_openai_o3mini_reasoning_summary.sse")
    reader = ResponsesReader()
    handled = 0
    for event in events:
        before = reader._fast
        reader.feed(event, event["type"])
        handled += before is None or event["type"] != before.kind
    assert handled < 30 < len(events)


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda event: event.__setitem__(key, value)


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda event: event.pop(key, None)


def _bump(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda event: event.__setitem__(key, event[key] + 1) if key in event else None


BENDS: dict[str, Callable[[dict[str, Any]], None]] = {
    "unknown key": _set("x_gateway", {"id": 1}),
    "logprobs": _set("logprobs", [{"token": "a", "logprob": -0.1, "bytes": [97]}]),
    "logprobs not a list": _set("logprobs", "yes"),
    "empty delta": _set("delta", ""),
    "delta not a string": _set("delta", 7),
    "no delta": _drop("delta"),
    "output_index + 1": _bump("output_index"),
    "no output_index": _drop("output_index"),
    "output_index a bool": _set("output_index", True),
    "content_index + 1": _bump("content_index"),
    "summary_index + 1": _bump("summary_index"),
    "no content_index": _drop("content_index"),
    "content_index a bool": _set("content_index", False),
    "sequence_number + 1": _bump("sequence_number"),
    "no sequence_number": _drop("sequence_number"),
    "sequence_number a float": _set("sequence_number", 3.0),
    "no obfuscation": _drop("obfuscation"),
    "type of another delta": _set("type", "response.refusal.delta"),
}


@pytest.mark.parametrize("bend", list(BENDS))
@pytest.mark.parametrize(
    "name",
    [
        "pai_openai_o3mini_reasoning_summary.sse",
        "pai_openai_gpt55_phase_text_then_function_call.sse",
        "lingua_openai_gpt56terra_custom_tool_call.sse",
        "pai_deepseek_v4flash_reasoning_text_message.sse",
        "pai_openai_gpt4o_2025-03_text_noseq.sse",
    ],
)
def test_fast_path_and_handlers_agree_on_a_bent_delta(name: str, bend: str) -> None:
    events = _events(name)
    positions = [i for i, e in enumerate(events) if e["type"] in DELTAS]
    assert positions
    for position in (positions[0], positions[len(positions) // 2], positions[-1]):
        bent = copy.deepcopy(events)
        BENDS[bend](bent[position])
        _agree(bent)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_fast_path_and_handlers_agree_on_any_mix_of_bends(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(NAMES))
    events = copy.deepcopy(_events(name))
    positions = [i for i, e in enumerate(events) if e["type"] in DELTAS]
    if positions:
        for position in data.draw(st.lists(st.sampled_from(positions), max_size=3)):
            BENDS[data.draw(st.sampled_from(sorted(BENDS)))](events[position])
    _agree(events)
