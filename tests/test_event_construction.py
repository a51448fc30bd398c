"""The normalizer's fast event constructors build exactly what the dataclass ``__init__`` builds."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from typedstream import ArgumentsDelta, ReasoningDelta, RefusalDelta, TextDelta, event_to_json
from typedstream._events import (
    new_arguments_delta,
    new_reasoning_delta,
    new_refusal_delta,
    new_summary_delta,
    new_text_delta,
)

CASES: list[tuple[Any, Any]] = [
    (new_text_delta("Hello", 2), TextDelta("Hello", choice=2)),
    (new_reasoning_delta("hmm", 0), ReasoningDelta("hmm")),
    (new_summary_delta("in short", 1, True), ReasoningDelta("in short", choice=1, summary=True)),
    (new_refusal_delta("I can't", 1), RefusalDelta("I can't", choice=1)),
    (new_arguments_delta(1, "call_1", '{"a"', 0), ArgumentsDelta(1, "call_1", '{"a"', choice=0)),
]


@pytest.mark.parametrize(("fast", "constructed"), CASES)
def test_fast_constructor_equals_dataclass_init(fast: Any, constructed: Any) -> None:
    assert type(fast) is type(constructed)
    assert fast == constructed
    assert hash(fast) == hash(constructed)
    assert repr(fast) == repr(constructed)
    assert dataclasses.asdict(fast) == dataclasses.asdict(constructed)
    assert fast.kind == constructed.kind


@pytest.mark.parametrize(("fast", "constructed"), CASES)
def test_fast_constructed_event_is_frozen(fast: Any, constructed: Any) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.choice = 5
    with pytest.raises((AttributeError, TypeError)):
        fast.extra = 1  # slotted: no instance dict


@pytest.mark.parametrize(("fast", "constructed"), CASES)
def test_fast_constructed_event_pickles_copies_and_serializes(fast: Any, constructed: Any) -> None:
    assert pickle.loads(pickle.dumps(fast)) == constructed
    assert copy.deepcopy(fast) == constructed
    assert dataclasses.replace(fast) == constructed
    assert event_to_json(fast) == event_to_json(constructed)
