"""The event classes: frozen, slotted, tagged, exported, JSON round trip."""

from __future__ import annotations

import dataclasses
import itertools
import typing

import pytest

import typedstream
from typedstream import StreamEvent

EVENT_CLASSES = typing.get_args(StreamEvent)

SAMPLES: list[StreamEvent] = [
    typedstream.StreamStarted("chatcmpl-1", "gpt-4o", 1700000000, "fp_1", "default"),
    typedstream.TextDelta("Hello", 1),
    typedstream.ReasoningDelta("hmm"),
    typedstream.RefusalDelta("no"),
    typedstream.ToolCallStarted(0, "call_1", "f"),
    typedstream.ArgumentsDelta(0, "call_1", '{"a"'),
    typedstream.ToolCallDone(0, "call_1", "f", '{"a": 1}', legacy=True),
    typedstream.ToolCallIncomplete(1, "call_2", "f", '{"a": ', "length", legacy=True),
    typedstream.TextDone("Hello"),
    typedstream.ReasoningDone("hmm"),
    typedstream.RefusalDone("no"),
    typedstream.Logprobs([{"token": "a", "logprob": -0.1, "bytes": [97], "top_logprobs": []}]),
    typedstream.ProviderData("thinking_blocks", [{"type": "thinking", "signature": "s"}], 0, 2),
    typedstream.ChoiceFinished("tool_calls", "tool_use"),
    typedstream.Usage({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}),
    typedstream.Moderation({"input": {}, "output": {}}),
    typedstream.RawChunk({"id": "x", "choices": []}, 1),
    typedstream.BlockStarted(0, "reasoning", "thinking", None, "anthropic"),
    typedstream.BlockDone(0, "reasoning", "thinking", None, "anthropic", "completed"),
    typedstream.PartStarted(0, 0, "text", "output_text"),
    typedstream.PartDone(0, 0, "text", "output_text"),
    typedstream.Citation(
        "url_citation",
        "https://example.com",
        "Example",
        None,
        0,
        7,
        {"type": "url_citation"},
        "responses",
    ),
    typedstream.CustomToolCallStarted(0, "call_1", "grammar"),
    typedstream.CustomToolInputDelta(0, "call_1", "SELECT"),
    typedstream.CustomToolCallDone(0, "call_1", "grammar", "SELECT 1"),
    typedstream.CustomToolCallIncomplete(0, "call_1", "grammar", "SEL", "incomplete"),
    typedstream.ServerToolCallStarted("srvtoolu_1", "web_search", "web_search"),
    typedstream.ServerToolInputDelta("srvtoolu_1", '{"query"'),
    typedstream.ServerToolProgress("ws_1", "searching", None),
    typedstream.ServerToolCallDone("srvtoolu_1", "web_search", "web_search", '{"query": "x"}'),
    typedstream.ServerToolResult(
        "srvtoolu_1", "web_search", "web_search_tool_result", False, None, []
    ),
    typedstream.OpaqueState("anthropic", "thinking_signature", "EqQBCg==", block=0),
    typedstream.StreamError(
        "Overloaded", "overloaded_error", None, {"type": "overloaded_error"}, "event", "anthropic"
    ),
    typedstream.Extension(
        "keys", "message_stop", {"amazon-bedrock-invocationMetrics": {}}, None, "anthropic"
    ),
]


def test_stream_event_is_a_plain_union_of_every_event_class() -> None:
    assert typing.get_origin(StreamEvent) is typing.Union
    assert {type(e) for e in SAMPLES} == set(EVENT_CLASSES)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_every_event_class_is_exported(cls: type) -> None:
    assert getattr(typedstream, cls.__name__) is cls
    assert cls.__name__ in typedstream.__all__


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_events_are_frozen_and_slotted(event: StreamEvent) -> None:
    assert dataclasses.is_dataclass(event)
    assert not hasattr(event, "__dict__")
    field = dataclasses.fields(event)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(event, field, None)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_kind_is_one_literal_per_class_and_not_positional(cls: type) -> None:
    hints = typing.get_type_hints(cls)
    (kind,) = typing.get_args(hints["kind"])
    assert "kind" not in cls.__match_args__
    assert kind == next(f.default for f in dataclasses.fields(cls) if f.name == "kind")


def test_kinds_are_distinct() -> None:
    kinds = [e.kind for e in SAMPLES]
    assert len(set(kinds)) == len(kinds)


def test_events_that_belong_to_a_choice_carry_it() -> None:
    without_choice = {"StreamStarted", "Usage", "Moderation", "RawChunk", "StreamError"}
    for cls in EVENT_CLASSES:
        names = {f.name for f in dataclasses.fields(cls)}
        assert ("choice" in names) == (cls.__name__ not in without_choice), cls


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_events_round_trip_through_json(event: StreamEvent) -> None:
    text = typedstream.event_to_json(event)
    assert f'"kind":"{event.kind}"' in text
    assert typedstream.event_from_json(text) == event


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_a_plain_type_adapter_of_stream_event_validates_the_json(event: StreamEvent) -> None:
    from pydantic import TypeAdapter

    assert TypeAdapter(StreamEvent).validate_json(typedstream.event_to_json(event)) == event


def test_every_field_has_a_docstring() -> None:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(typedstream._events))
    documented: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            body = node.body
            documented[node.name] = {
                stmt.target.id
                for stmt, after in itertools.pairwise(body)
                if isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            }
    for cls in EVENT_CLASSES:
        assert {f.name for f in dataclasses.fields(cls)} <= documented[cls.__name__], cls
