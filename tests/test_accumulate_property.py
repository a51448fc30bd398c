"""Property: however a stream's fragments are split into chunks, it accumulates the same.

A message (text, reasoning, tool calls with JSON arguments, finish reason, usage) is drawn,
each of its strings cut at drawn offsets (empty fragments included, which providers send
too), and streamed as OpenAI-style chunks. The completion must equal the one of the same
message sent whole, and must hold exactly the drawn strings.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from helpers import ENVELOPE
from hypothesis import given, settings
from hypothesis import strategies as st

import typedstream
from typedstream import Accumulator, accumulate

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
JSON_VALUE = st.one_of(st.integers(-(10**6), 10**6), st.booleans(), st.none(), TEXT)
ARGUMENTS = st.dictionaries(TEXT, JSON_VALUE, max_size=4).map(json.dumps)
CALLS = st.lists(st.tuples(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), ARGUMENTS), max_size=3)
USAGE = st.none() | st.builds(
    lambda p, c: {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
    st.integers(0, 1000),
    st.integers(0, 1000),
)


def cut(data: st.DataObject, text: str) -> list[str]:
    """`text` cut at drawn offsets (possibly into empty pieces)."""
    offsets = data.draw(st.lists(st.integers(0, len(text)), max_size=6))
    bounds = [0, *sorted(offsets), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {**ENVELOPE, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def stream(
    reasoning: list[str],
    text: list[str],
    calls: list[tuple[str, list[str]]],
    finish: str,
    usage: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"reasoning_content": piece}) for piece in reasoning]
    chunks += [chunk({"content": piece}) for piece in text]
    for index, (name, pieces) in enumerate(calls):
        header = {"index": index, "id": f"call_{index}", "type": "function"}
        header["function"] = {"name": name, "arguments": ""}
        chunks.append(chunk({"tool_calls": [header]}))
        chunks += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            for piece in pieces
        ]
    chunks.append(chunk({}, finish))
    if usage is not None:
        chunks.append({**ENVELOPE, "choices": [], "usage": usage})
    return chunks


@settings(deadline=None)
@given(
    data=st.data(),
    text=TEXT,
    reasoning=TEXT,
    calls=CALLS,
    finish=st.sampled_from(["stop", "length", "tool_calls"]),
    usage=USAGE,
)
def test_fragment_boundaries_do_not_change_the_completion(
    data: st.DataObject,
    text: str,
    reasoning: str,
    calls: list[tuple[str, str]],
    finish: str,
    usage: dict[str, Any] | None,
) -> None:
    whole = stream([reasoning], [text], [(n, [a]) for n, a in calls], finish, usage)
    split = stream(
        cut(data, reasoning), cut(data, text), [(n, cut(data, a)) for n, a in calls], finish, usage
    )
    completion = accumulate(typedstream.events(split))
    assert completion == accumulate(typedstream.events(whole))

    (choice,) = completion.choices
    message = choice.message
    if text:
        assert message.content == text
    else:
        assert message.content == (None if calls else "")
    assert (message.model_extra or {}).get("reasoning_content") == (reasoning or None)
    got = [(t.id, t.function.name, t.function.arguments) for t in message.tool_calls or []]
    assert got == [(f"call_{i}", name, arguments) for i, (name, arguments) in enumerate(calls)]
    assert choice.finish_reason == ("tool_calls" if calls and finish == "stop" else finish)
    assert (completion.usage.model_dump(exclude_unset=True) if completion.usage else None) == usage


@settings(deadline=None)
@given(data=st.data(), text=TEXT, calls=CALLS)
def test_incremental_answers_are_prefixes_of_the_final_ones(
    data: st.DataObject, text: str, calls: list[tuple[str, str]]
) -> None:
    chunks = stream([], cut(data, text), [(n, cut(data, a)) for n, a in calls], "stop", None)
    acc = Accumulator()
    for event in typedstream.events(chunks):
        acc.add(event)
        assert text.startswith(acc.text())
        for index, (_, arguments) in enumerate(calls):
            assert arguments.startswith(acc.arguments(index))
            partial = acc.partial_arguments(index)  # never raises on a prefix of valid JSON
            assert partial is None or isinstance(partial, dict)
    assert acc.text() == text
    for index, (_, arguments) in enumerate(calls):
        assert acc.arguments(index) == arguments
        assert acc.partial_arguments(index) == json.loads(arguments)
