"""Fuzzing with real streams: every mangled recording yields events or a typed error.

Each case is a recording from the corpus with structural damage (keys deleted, wrong types,
`null` anywhere, junk keys and items, chunks duplicated, dropped, swapped, shuffled or cut
off) or byte damage (flipped, inserted, deleted, duplicated bytes, truncation, other line
endings) cut into random pieces, and in 40% of the cases one edge input on top: a value nested
up to 5,000 deep, a token of up to a million characters, NaN or Infinity, lone surrogates,
control characters, entries after a finish; see `tests/fuzz/mutations.py`. `tests/fuzz/runner.py`
requires of each case: only `TypedStreamError`s escape, errors name the right chunk, a
`ChunkError` never wraps an unexpected exception, the events obey the protocol
(`tests/fuzz/protocol.py`), `aevents()` equals `events()`, every other public function takes
the events without an untyped exception and writes valid JSON, and the case ends within a
time bound.

Cases are generated from their seed alone. The normal suite runs `FUZZ_CASES` (default
1,500) seeds from `FUZZ_SEED` (default 0); `nox -s fuzz` runs a longer series. A failing
seed is reproduced with `FUZZ_SEED=<seed> FUZZ_CASES=1 pytest tests/test_fuzz.py`.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from fuzz.mutations import Case, make_case
from fuzz.protocol import ProtocolViolation, check_error_names_chunk, check_events
from fuzz.runner import check_case
from helpers import chunk

from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    ChunkError,
    IncompleteStreamError,
    Normalizer,
    ProviderError,
    StreamError,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
)

CASES = int(os.environ.get("FUZZ_CASES", "1500"))
FIRST = int(os.environ.get("FUZZ_SEED", "0"))
BATCH = 250


def _batches() -> list[range]:
    return [
        range(start, min(start + BATCH, FIRST + CASES))
        for start in range(FIRST, FIRST + CASES, BATCH)
    ]


@pytest.mark.parametrize("seeds", _batches(), ids=lambda r: f"seeds{r.start}-{r.stop - 1}")
def test_mangled_recordings_yield_events_or_a_typed_error_naming_the_chunk(seeds: range) -> None:
    failures: list[str] = []
    for seed in seeds:
        try:
            check_case(make_case(seed))
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, f"{len(failures)} failing case(s):\n" + "\n".join(failures[:5])


# Seeds that found core bugs; each bug has a named regression test in test_reliability.py
# (or, from 1,000,000 on, in test_unwritable_values.py).
FOUND_BUGS = {
    644: "a nameless call at the end of the stream: ChunkError without a chunk number",
    30318: "a str piece with a lone surrogate: UnicodeEncodeError escaped",
    40655: "a last SSE event ended by a final CR: its events lost before IncompleteStreamError",
    1026904: "check_openai_chunks() of top_logprobs that is not a list: TypeError escaped",
    1041367: "strict mode, a role nested 5,000 deep: repr() raised RecursionError",
}


@pytest.mark.parametrize("seed", sorted(FOUND_BUGS))
def test_seeds_that_found_bugs_pass(seed: int) -> None:
    check_case(make_case(seed, edge=False))  # the case as it was when it found the bug


def test_edge_inputs_reach_every_kind_of_source_and_every_kind_of_input() -> None:
    kinds: Counter[str] = Counter()
    inputs: Counter[str] = Counter()
    for seed in range(400):
        case = make_case(seed)
        for mutation in case.mutations:
            if mutation.startswith("edge: "):
                kinds[case.kind] += 1
                inputs[_edge_input(mutation)] += 1
    assert set(kinds) == {"chunks", "async", "objects", "bytes", "body", "lines"}, kinds
    for needed in ("deep", "huge", "non-finite", "surrogate", "control", "after finish"):
        assert inputs[needed] >= 3, inputs


def _edge_input(mutation: str) -> str:
    for needle, name in (
        ("deep", "deep"),
        ("characters", "huge"),
        ("a token of", "huge"),
        ("nan", "non-finite"),
        ("inf", "non-finite"),
        ("NaN", "non-finite"),
        ("Infinity", "non-finite"),
        ("1e999", "non-finite"),
        ("\\ud", "surrogate"),
        ("\\x", "control"),
        ("\\u0000", "control"),
        ("\\r", "control"),
        ("\\t", "control"),
        ("after the finish", "after finish"),
        ("late content", "after finish"),
    ):
        if needle in mutation:
            return name
    return "other"


def test_a_seed_always_gives_the_same_case() -> None:
    for seed in (0, 1, 40655):
        first, again = make_case(seed), make_case(seed)
        assert (first.recording, first.kind, first.mutations) == (
            again.recording,
            again.kind,
            again.mutations,
        )
        assert repr(first.items) == repr(again.items)


def test_the_cases_reach_every_outcome_and_every_kind_of_source() -> None:
    # A fuzzer that only ever produced, say, malformed JSON would pass without testing much.
    outcomes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for seed in range(300):
        case = make_case(seed)
        kinds[case.kind] += 1
        outcomes[type(check_case(case).error).__name__] += 1
    assert set(kinds) == {"chunks", "async", "objects", "bytes", "body", "lines"}
    for outcome in ("NoneType", "ChunkError", "ProviderError", "IncompleteStreamError"):
        assert outcomes[outcome] >= 5, outcomes


# -- the oracle catches what it must (a checker that accepts everything tests nothing) ------

START = StreamStarted("r", "m", 1)
ERROR = StreamError("x", None, None, {"message": "x"}, "event", "chat")


def test_the_protocol_check_accepts_a_well_formed_stream() -> None:
    check_events(
        [
            START,
            TextDelta("a"),
            ToolCallStarted(0, "c", "f"),
            ArgumentsDelta(0, "c", "{}"),
            ToolCallDone(0, "c", "f", "{}"),
            ChoiceFinished("tool_calls", None),
            Usage({"total_tokens": 1}),
        ],
        None,
    )


@pytest.mark.parametrize(
    ("events", "error", "rule"),
    [
        ([START, ToolCallStarted(0, "c", "f"), ToolCallDone(0, "c", "f", "{}")], None, "join"),
        ([START, ToolCallStarted(1, "c", "f")], None, "dense"),
        ([START, ToolCallStarted(0, "c", "f"), ChoiceFinished("tool_calls", None)], None, "open"),
        ([START, TextDelta("a")], None, "without finishing"),
        ([START, TextDelta("")], None, "non-empty"),
        ([TextDelta("a"), START], None, "before"),
        ([START, ChoiceFinished("stop", None), TextDelta("a")], None, "already finished"),
        ([START, TextDelta("a"), Usage({})], None, "Usage before"),
        (
            [START, ToolCallStarted(0, "c", "f"), ArgumentsDelta(0, "c", "{")],
            IncompleteStreamError("cut", (0,), ((0, 0, "f", "{"),)),
            "no ToolCallIncomplete before IncompleteStreamError",
        ),
        (
            [START, ToolCallStarted(0, "c", "f"), ToolCallIncomplete(0, "c", "f", "", "length")],
            IncompleteStreamError("cut", (0,), ((0, 0, "f", ""),)),
            "not cut by the end of input",
        ),
        ([START, ERROR], None, "not followed by ProviderError"),
        ([START, TextDelta("a")], ProviderError({"message": "x"}, 2), "without the StreamError"),
        ([START, ERROR, TextDelta("a")], ProviderError({}, 2), "nothing may follow StreamError"),
        (
            [START, ToolCallStarted(0, "c", "f"), ERROR],
            ProviderError({"message": "x"}, 2),
            "a call still open",
        ),
        (
            [START, ToolCallStarted(0, "c", "f"), ChoiceFinished("stop", "stop")],
            None,
            "open",
        ),
        ([START, ChoiceFinished("stop", "stop"), Usage({})], ChunkError("x", 3), "end-of-stream"),
        ([START], KeyError("x"), "untyped"),
    ],
)
def test_the_protocol_check_rejects_broken_streams(
    events: list[object], error: BaseException | None, rule: str
) -> None:
    with pytest.raises(ProtocolViolation, match=rule):
        check_events(events, error)  # type: ignore[arg-type]


def test_the_error_check_rejects_a_chunk_error_wrapping_an_internal_exception() -> None:
    error = ChunkError("could not read the chunk: KeyError('x')", 2)
    error.__cause__ = KeyError("x")
    with pytest.raises(ProtocolViolation, match="wraps an unexpected internal exception"):
        check_error_names_chunk(error)


@pytest.mark.parametrize("error", [ChunkError("no number"), ProviderError({}, 0)])
def test_the_error_check_rejects_errors_that_do_not_name_their_chunk(error: Exception) -> None:
    with pytest.raises(ProtocolViolation):
        check_error_names_chunk(error)


def test_the_case_check_rejects_an_error_that_blames_the_wrong_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = Case(0, "hand-made", "chunks", [chunk({"content": "a"}), {"choices": 1}], {})
    error = check_case(case).error
    assert isinstance(error, ChunkError)
    assert error.chunk == 2
    feed = Normalizer.feed

    def off_by_one(self: Normalizer, item: object) -> list[StreamEvent]:
        try:
            return feed(self, item)
        except ChunkError as exc:
            raise ChunkError(exc.problem, self.chunks + 1) from None

    monkeypatch.setattr(Normalizer, "feed", off_by_one)
    with pytest.raises(AssertionError, match="names chunk 3, the culprit is 2"):
        check_case(case)
