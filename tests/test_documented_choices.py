"""The choices the merge-policy page documents ("The choices we made") that no other test pins.

The others have their own tests: a different name without an id starts a new call
(test_merge_policy), reasoning under both keys counts once (test_merge_policy), finish
reasons are lower-cased (test_merge_policy), content after the finish is a ChunkError
(test_ordering), moderation after usage (test_reliability, test_corpus).
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import body, chunk, run, without_start

import typedstream
from typedstream import (
    ChoiceFinished,
    IncompleteStreamError,
    Logprobs,
    ProviderData,
    ReasoningDelta,
    ReasoningDone,
    RefusalDelta,
    RefusalDone,
    StreamEvent,
    TextDelta,
    TextDone,
    Usage,
)

TOKEN = {"token": "Hi", "logprob": -0.5, "bytes": [72, 105], "top_logprobs": []}
USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
DETAILS = [{"type": "reasoning.text", "text": "x", "index": 0}]


def test_provider_data_after_a_choices_finish_is_still_delivered() -> None:
    events = run(
        chunk({"content": "a"}, "stop"),
        chunk({"content": "", "reasoning_details": DETAILS}, "stop"),  # OpenRouter's second finish
    )
    assert without_start(events) == [
        TextDelta("a"),
        ChoiceFinished("stop", "stop"),
        ProviderData("reasoning_details", DETAILS),
    ]


def with_logprobs(delta: dict[str, Any], logprobs: dict[str, Any]) -> dict[str, Any]:
    return {**chunk(), "choices": [{"index": 0, "delta": delta, "logprobs": logprobs}]}


def test_logprobs_come_just_before_the_text_fragment_of_their_chunk() -> None:
    events = run(with_logprobs({"content": "Hi"}, {"content": [TOKEN]}), chunk({}, "stop"))
    assert without_start(events) == [
        Logprobs([TOKEN]),
        TextDelta("Hi"),
        ChoiceFinished("stop", "stop"),
    ]


def test_refusal_logprobs_come_just_before_the_refusal_fragment() -> None:
    logprobs = {"content": None, "refusal": [TOKEN]}
    events = run(with_logprobs({"refusal": "No"}, logprobs), chunk({}, "stop"))
    assert without_start(events) == [
        Logprobs(None, [TOKEN]),
        RefusalDelta("No"),
        ChoiceFinished("stop", "stop"),
    ]


def test_usage_from_the_first_chunk_still_comes_once_at_the_complete_end() -> None:
    events = run(chunk({"content": "a"}, usage=USAGE), chunk({"content": "b"}, "stop"))
    assert without_start(events) == [
        TextDelta("a"),
        TextDelta("b"),
        ChoiceFinished("stop", "stop"),
        Usage(USAGE),
    ]


def test_an_incomplete_stream_gets_no_usage() -> None:
    seen: list[StreamEvent] = []
    with pytest.raises(IncompleteStreamError):
        for event in typedstream.events(body(chunk({"content": "a"}, usage=USAGE), done=False)):
            seen.append(event)
    assert not any(isinstance(e, Usage) for e in seen)
    assert TextDelta("a") in seen


def test_no_done_events_unless_asked_for() -> None:
    chunks = [chunk({"reasoning_content": "r", "content": "t", "refusal": "n"}), chunk({}, "stop")]
    assert without_start(run(*chunks)) == [
        ReasoningDelta("r"),
        TextDelta("t"),
        RefusalDelta("n"),
        ChoiceFinished("stop", "stop"),
    ]


def test_done_events_carry_the_whole_text_just_before_the_finish() -> None:
    chunks = [
        chunk({"reasoning_content": "r1", "content": "t1"}),
        chunk({"reasoning_content": "r2", "content": "t2", "refusal": "n"}),
        chunk({}, "stop"),
    ]
    events = without_start(run(*chunks, done_events=True))
    assert events[-4:] == [
        ReasoningDone("r1r2"),
        TextDone("t1t2"),
        RefusalDone("n"),
        ChoiceFinished("stop", "stop"),
    ]
