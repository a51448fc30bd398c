"""Hypothesis invariants: chunk boundaries and byte boundaries never change the stream.

1. Chunk-boundary invariance. (a) A drawn message (n choices with reasoning, text,
   refusal, tool calls, finish reason, usage) rendered twice as chunks with independently
   drawn fragment cuts *and* provider quirks of the merge policy: repeated role, `type`, ids
   and names on every fragment (A1-A7), `None`/`""` fields (A2, A10), several fields and
   tool-call entries packed in one chunk (C1, C2), missing tool-call indexes (B1), the finish
   reason on the last content chunk (D1) or missing (D3), usage on its own chunk, on the last
   chunk or on every chunk (E1, E2), choices interleaved. Both renderings must give the
   drawn strings back, the same events once adjacent deltas are joined, and the same
   accumulated completion. (b) Real recordings with every run of text, reasoning, refusal
   or argument fragments re-cut at drawn offsets (which both splits and merges chunks).
   Plain OpenAI-shaped splitting against `accumulate` is `test_accumulate_property.py`.
2. SSE byte-split invariance: any cutting of a real SSE body (mid-line, mid-UTF-8 sequence,
   between CR and LF), with LF, CRLF or CR line endings, gives the events of its parsed
   chunks.

The round trip through `to_openai_chunks` is `test_roundtrip_property.py`.
"""

from __future__ import annotations

import copy
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from corpus import Recording, recordings
from helpers import ENVELOPE, call_ids, collect, described, recorded_sse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from typedstream import (
    ArgumentsDelta,
    ReasoningDelta,
    RefusalDelta,
    StreamEvent,
    TextDelta,
    ToolCallDone,
    ToolCallIncomplete,
    accumulate,
)

Chunk = dict[str, Any]
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
NAMES = st.from_regex(r"[a-z_]{1,10}", fullmatch=True)


# -- helpers shared by both invariants ---------------------------------------------------


def joined(events: list[StreamEvent]) -> dict[int | None, list[StreamEvent]]:
    """The events of each choice (None: of the stream), each run of deltas joined into one.

    Chunk boundaries decide how a text is cut into deltas and how choices interleave;
    nothing else.
    """
    by_choice: dict[int | None, list[StreamEvent]] = {}
    for event in events:
        by_choice.setdefault(getattr(event, "choice", None), []).append(event)
    return {choice: _join(part) for choice, part in by_choice.items()}


def _join(events: list[StreamEvent]) -> list[StreamEvent]:
    out: list[StreamEvent] = []
    for event in events:
        last = out[-1] if out else None
        if (
            isinstance(event, (TextDelta, ReasoningDelta, RefusalDelta))
            and type(last) is type(event)
            and last.choice == event.choice
        ):
            out[-1] = type(event)(last.text + event.text, event.choice)
        elif (
            isinstance(event, ArgumentsDelta)
            and isinstance(last, ArgumentsDelta)
            and (last.choice, last.index) == (event.choice, event.index)
        ):
            out[-1] = ArgumentsDelta(last.index, last.id, last.delta + event.delta, last.choice)
        else:
            out.append(event)
    return out


def cut(rng: random.Random, text: str, most: int = 6) -> list[str]:
    """`text` cut at random offsets, empty pieces included (providers send those too)."""
    offsets = sorted(rng.randint(0, len(text)) for _ in range(rng.randint(0, most)))
    return [text[a:b] for a, b in itertools.pairwise([0, *offsets, len(text)])]


# -- 1a. drawn messages, rendered with provider quirks ------------------------------------


@dataclass
class Call:
    id: str | None  # None: the provider sends none, typedstream synthesizes one
    name: str
    arguments: str


@dataclass
class Message:
    reasoning: str = ""
    text: str = ""
    refusal: str = ""
    calls: list[Call] = field(default_factory=list)
    finish: str | None = "stop"


@st.composite
def messages(draw: st.DrawFn) -> list[Message]:
    out = []
    call_number = itertools.count()
    for _ in range(draw(st.integers(1, 2))):
        calls = [
            Call(
                draw(st.none() | st.just(f"call_{next(call_number)}")),
                draw(NAMES),
                draw(TEXT),
            )
            for _ in range(draw(st.integers(0, 3)))
        ]
        out.append(
            Message(
                draw(TEXT),
                draw(TEXT),
                draw(st.just("") | TEXT),
                calls,
                draw(st.sampled_from(["stop", "length", "tool_calls", "end_turn", None])),
            )
        )
    return out


# Where each delta key sits in the order the normalizer reads a delta; a chunk may pack
# fields only in this order (a later fragment cannot come first in the same chunk).
_RANK = {"reasoning_content": 1, "reasoning": 1, "content": 2, "refusal": 3}


def _pack(rng: random.Random, deltas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge neighbouring deltas into one chunk where a provider could (C1, C2)."""
    out: list[dict[str, Any]] = []
    for delta in deltas:
        last = out[-1] if out else None
        if last is not None and rng.random() < 0.3 and _fits(last, delta):
            for key, value in delta.items():
                if value is None:
                    last.setdefault(key, None)
                elif key == "tool_calls":
                    last["tool_calls"] = [*(last.get("tool_calls") or []), *value]
                else:
                    last[key] = value
        else:
            out.append(dict(delta))
    return out


def _fits(first: dict[str, Any], then: dict[str, Any]) -> bool:
    # A repeated role is the same on every delta: it does not constrain the order.
    present = [_RANK.get(k, 9) for k, v in first.items() if v is not None and k != "role"]
    later = [_RANK.get(k, 9) for k, v in then.items() if v is not None and k != "role"]
    if 9 in present:  # tool calls: only more tool-call entries may follow in the chunk
        return set(later) <= {9}
    return not present or not later or max(present) < min(later)


def render(rng: random.Random, choices: list[Message], usage: Chunk | None) -> list[Any]:
    """One way a provider could stream these messages, with drawn cuts and quirks."""
    quirks = {
        q for q in ("repeat", "nulls", "no_index", "finish_on_last", "pack") if rng.random() < 0.4
    }
    if any(c.id is None for m in choices for c in m.calls):
        quirks.discard("no_index")  # without ids and indexes two calls are indistinguishable
    per_choice: list[list[Chunk]] = []
    for number, message in enumerate(choices):
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        key = rng.choice(("reasoning_content", "reasoning"))
        deltas += [{key: piece} for piece in cut(rng, message.reasoning)]
        deltas += [{"content": piece} for piece in cut(rng, message.text)]
        deltas += [{"refusal": piece} for piece in cut(rng, message.refusal) if message.refusal]
        for index, call in enumerate(message.calls):
            pieces = cut(rng, call.arguments)
            header: dict[str, Any] = {"id": call.id, "type": "function"}
            header["function"] = {"name": call.name, "arguments": pieces[0]}
            entries = [header]
            for piece in pieces[1:]:
                entry: dict[str, Any] = {"function": {"arguments": piece}}
                if "repeat" in quirks:  # LiteLLM: type (and sometimes id, name) every time
                    entry["type"] = "function"
                    entry["id"] = call.id if rng.random() < 0.5 else None
                    entry["function"]["name"] = call.name if rng.random() < 0.5 else ""
                entries.append(entry)
            for entry in entries:
                if "no_index" not in quirks:
                    entry["index"] = index
                if entry.get("id") is None and "nulls" not in quirks:
                    entry.pop("id", None)
                deltas.append({"tool_calls": [entry]})
        if "repeat" in quirks:
            deltas = [{"role": "assistant", **d} for d in deltas]
        if "nulls" in quirks:  # None-valued keys read like absent keys
            deltas = [{"content": None, "refusal": None, "tool_calls": None, **d} for d in deltas]
        if "pack" in quirks:
            deltas = _pack(rng, deltas)
        entries = [{"index": number, "delta": d, "finish_reason": None} for d in deltas]
        if message.finish is not None:
            if "finish_on_last" in quirks:
                entries[-1]["finish_reason"] = message.finish
            else:
                entries.append({"index": number, "delta": {}, "finish_reason": message.finish})
        per_choice.append([{**ENVELOPE, "choices": [e]} for e in entries])
    # Interleave the choices, each in its own order.
    chunks: list[Any] = []
    queues = [list(q) for q in per_choice]
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        chunks.append(queue.pop(0))
    placement = rng.choice(("own", "last", "every"))
    if usage is not None:
        if placement == "own":
            chunks.append({**ENVELOPE, "choices": [], "usage": usage})
        elif placement == "last":
            chunks[-1] = {**chunks[-1], "usage": usage}
        else:  # every chunk: earlier counts, the last non-null one wins
            partial = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
            chunks = [{**c, "usage": partial} for c in chunks[:-1]] + [
                {**chunks[-1], "usage": usage}
            ]
    if any(m.finish is None for m in choices) or rng.random() < 0.3:
        chunks.append("[DONE]")
    return chunks


USAGE = st.none() | st.builds(
    lambda p, c: {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
    st.integers(1, 1000),
    st.integers(1, 1000),
)


@settings(deadline=None, max_examples=150)
@given(choices=messages(), usage=USAGE, seeds=st.tuples(st.integers(), st.integers()))
def test_any_chunking_with_any_repaired_quirk_gives_the_same_stream(
    choices: list[Message], usage: Chunk | None, seeds: tuple[int, int]
) -> None:
    first = render(random.Random(seeds[0]), choices, usage)
    second = render(random.Random(seeds[1]), choices, usage)
    events, error = collect(first)
    assert error is None

    # The drawn strings come back, joined from the deltas of each choice.
    for number, message in enumerate(choices):
        mine = [e for e in events if getattr(e, "choice", None) == number]
        assert "".join(e.text for e in mine if isinstance(e, ReasoningDelta)) == message.reasoning
        assert "".join(e.text for e in mine if isinstance(e, TextDelta)) == message.text
        assert "".join(e.text for e in mine if isinstance(e, RefusalDelta)) == message.refusal
        done = [e for e in mine if isinstance(e, (ToolCallDone, ToolCallIncomplete))]
        # Only the last call can still be open at the finish; a cutting finish cuts it.
        cut = message.finish in ("length", "content_filter")
        assert [isinstance(d, ToolCallIncomplete) for d in done] == [
            cut and i == len(done) - 1 for i in range(len(done))
        ]
        assert [(d.index, d.name, d.arguments) for d in done] == [
            (i, c.name, c.arguments) for i, c in enumerate(message.calls)
        ]
        for call, d in zip(message.calls, done, strict=True):
            assert d.id == (call.id or d.id)
            assert d.id.startswith("call_")

    # A second, independent rendering: the same stream once deltas are joined, the same
    # completion, the same synthesized ids.
    again, error = collect(second)
    assert error is None
    assert joined(again) == joined(events)
    assert accumulate(again) == accumulate(events)


# -- 1b. real recordings, re-cut -------------------------------------------------------------

_FRAGMENT_KEYS = ("content", "reasoning_content", "reasoning", "refusal")


def _fragment(chunk: Any) -> tuple[Any, ...] | None:
    """(choice, key, tool index) of a chunk that carries nothing but one text fragment."""
    if not isinstance(chunk, dict) or any(chunk.get(k) for k in ("usage", "error", "moderation")):
        return None
    choices = chunk.get("choices")
    if not isinstance(choices, list) or len(choices) != 1:
        return None
    (entry,) = choices
    if any(v is not None for k, v in entry.items() if k not in ("index", "delta")):
        return None  # finish_reason, logprobs, provider extras: keep the chunk whole
    delta = entry.get("delta") or {}
    carried = {k: v for k, v in delta.items() if v is not None and v != "" and k != "role"}
    if len(carried) != 1:
        return None
    ((key, value),) = carried.items()
    if key in _FRAGMENT_KEYS and isinstance(value, str):
        return (entry.get("index"), key, None)
    if key == "tool_calls" and isinstance(value, list) and len(value) == 1:
        (call,) = value
        function = call.get("function") or {}
        if (
            {k for k, v in call.items() if v} <= {"index", "type", "function"}
            and {k for k, v in function.items() if v} == {"arguments"}
            and isinstance(function["arguments"], str)
        ):
            return (entry.get("index"), key, call.get("index"))
    return None


def _text_of(chunk: Chunk, key: str) -> str:
    delta = chunk["choices"][0]["delta"]
    return str(
        delta["tool_calls"][0]["function"]["arguments"] if key == "tool_calls" else delta[key]
    )


def _with_text(chunk: Chunk, key: str, text: str) -> Chunk:
    out = copy.deepcopy(chunk)
    delta = out["choices"][0]["delta"]
    if key == "tool_calls":
        delta["tool_calls"][0]["function"]["arguments"] = text
    else:
        delta[key] = text
    return out


def recut(rng: random.Random, chunks: list[Chunk]) -> list[Chunk]:
    """Every run of fragment-only chunks of one text or call, joined and cut anew."""
    out: list[Chunk] = []
    for key, run in itertools.groupby(chunks, key=lambda c: _fragment(c) or id(c)):
        group = list(run)
        if not isinstance(key, tuple):
            out += group
            continue
        field_name = key[1]
        text = "".join(_text_of(c, field_name) for c in group)
        out += [_with_text(group[0], field_name, piece) for piece in cut(rng, text, most=8)]
    return out


RECUTTABLE = tuple(
    r for r in recordings() if not r.is_error and any(_fragment(c) for c in r.chunks())
)


@pytest.mark.parametrize("rec", RECUTTABLE, ids=[r.name for r in RECUTTABLE])
@settings(deadline=None, max_examples=8, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers())
def test_recordings_recut_at_any_fragment_boundary_give_the_same_stream(
    rec: Recording, seed: int
) -> None:
    original = rec.chunks()
    recut_chunks = recut(random.Random(seed), original)
    events, error = collect(original, id_factory=call_ids)
    again, again_error = collect(recut_chunks, id_factory=call_ids)
    assert again_error == error is None
    assert joined(again) == joined(events)
    assert accumulate(again) == accumulate(events)


def test_recut_really_changes_the_chunking() -> None:
    # The re-cutting must not be a no-op, or the property above would test nothing.
    rec = next(r for r in RECUTTABLE if r.name == "openai_gpt4o_text_usage.sse")
    original = rec.chunks()
    recut_chunks = recut(random.Random(3), original)
    assert len(recut_chunks) != len(original)
    assert collect(recut_chunks)[0] != collect(original)[0]


# -- 2. SSE byte-split invariance ---------------------------------------------------------


BODIES = tuple(r for r in recordings() if len(recorded_sse(r)) < 100_000)
_EXPECTED: dict[str, tuple[list[StreamEvent], str | None]] = {}


def _expected(rec: Recording) -> tuple[list[StreamEvent], str | None]:
    if rec.name not in _EXPECTED:
        events, error = collect(rec.chunks(), id_factory=call_ids)
        _EXPECTED[rec.name] = events, described(error)
    return _EXPECTED[rec.name]


@st.composite
def cut_bodies(draw: st.DrawFn) -> tuple[Recording, list[bytes]]:
    rec = draw(st.sampled_from(BODIES))
    body = recorded_sse(rec).replace(b"\r\n", b"\n")
    body = body.replace(b"\n", draw(st.sampled_from([b"\n", b"\r\n", b"\r"])))
    # Where cuts matter most: inside UTF-8 sequences, between CR and LF, at line starts.
    tricky = [
        i
        for i in range(1, len(body))
        if 0x80 <= body[i] < 0xC0 or body[i - 1 : i + 1] in (b"\r\n", b"\n\n", b"\nd")
    ]
    anywhere = st.integers(0, len(body))
    at = st.sampled_from(tricky) | anywhere if tricky else anywhere
    offsets = sorted(draw(st.lists(at, max_size=40)))
    bounds = [0, *offsets, len(body)]
    return rec, [body[a:b] for a, b in itertools.pairwise(bounds)]


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(case=cut_bodies())
def test_any_cutting_of_a_recorded_sse_body_gives_the_events_of_its_chunks(
    case: tuple[Recording, list[bytes]],
) -> None:
    rec, pieces = case
    events, error = collect(pieces, id_factory=call_ids)
    assert (events, described(error)) == _expected(rec)
