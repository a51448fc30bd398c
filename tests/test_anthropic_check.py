"""`check_anthropic_events()`: real Anthropic recordings pass, each rule catches its own break.

Every recording in tests/recordings/anthropic/ passes, or is flagged only for what its README
says was done to it. Each rule of docs/anthropic.md is then proven by a real recording mutated
to break that rule alone: the checker reports that rule and no other, from the raw SSE body and
(for the rules of events, B1-D3) from the decoded events alike.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from corpus import CORPUS, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from typedstream import Deviation, UsageError, check_anthropic_events
from typedstream._anthropic_check import ANTHROPIC_RULES, AnthropicChecker

Events = list[dict[str, Any]]

ANTHROPIC = CORPUS / "anthropic"
RECORDINGS = sorted(p for p in ANTHROPIC.iterdir() if p.suffix in (".sse", ".jsonl"))
SSE_RECORDINGS = [p for p in RECORDINGS if p.suffix == ".sse"]

# What each recording is flagged for; every other recording passes as recorded.
EXPECTED: dict[str, set[str]] = {
    # Both SDK fixture files have no trailing newline (the SDK's decoder drops the last event).
    "anthropicsdk_sonnet37_finegrained_tool_max_tokens_cut.sse": {"A4"},
    "anthropicsdk_sonnet4_text_then_tool_use_unpadded.sse": {"A4"},
    # A third-party server: its ping is {"type":"ping"}, not Anthropic's {"type": "ping"}.
    "vercel_thirdparty_compat_opus45_input_tokens_in_message_delta.sse": {"A3"},
}


def rules(deviations: list[Deviation]) -> set[str]:
    return {d.rule for d in deviations}


def body(name: str) -> str:
    return (ANTHROPIC / name).read_bytes().decode()


def decoded(name: str) -> Events:
    """The events of a recording, decoded (SSE framing removed)."""
    path = ANTHROPIC / name
    text = path.read_text()
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return [json.loads(line[6:]) for line in text.split("\n") if line.startswith("data: ")]


def sse(events: Events) -> bytes:
    """Events framed the way Anthropic frames them (compact JSON, no padding)."""
    out = []
    for event in events:
        data = (
            '{"type": "ping"}'
            if event == {"type": "ping"}
            else json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        )
        out.append(f"event: {event.get('type')}\ndata: {data}\n\n")
    return "".join(out).encode()


def both(events: Events, **options: Any) -> set[str]:
    """The rules broken by events, checked decoded and as an SSE body: both must agree."""
    from_events = check_anthropic_events(events, **options)
    from_body = check_anthropic_events(sse(events), **options)
    assert from_events == from_body
    return rules(from_events)


def mutant(name: str, change: Callable[[Events], object]) -> Events:
    events = copy.deepcopy(decoded(name))
    change(events)
    return events


def where(events: Events, kind: str, *, delta: str | None = None, last: bool = False) -> int:
    found = [
        i
        for i, e in enumerate(events)
        if e["type"] == kind and (delta is None or e["delta"]["type"] == delta)
    ]
    return found[-1] if last else found[0]


TEXT = "llmanthropic_sonnet45_text.sse"
TOOL = "crewai_haiku35_text_then_tool_use.sse"
PARALLEL = "llmanthropic_haiku45_parallel_tool_use_noargs.sse"
THINKING = "pydanticai_sonnet4_thinking_signature.sse"
CITED = "llmanthropic_opus41_web_search_citations.sse"
CUT = "anthropicsdk_sonnet37_finegrained_tool_max_tokens_cut.sse"
RESUMED = "pydanticai_sonnet45_web_search_resumed_after_pause.sse"


# -- the recordings ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", RECORDINGS, ids=[p.name for p in RECORDINGS])
def test_recordings_pass_or_are_flagged_only_for_their_documented_quirk(path: Path) -> None:
    source: Any = path.read_bytes() if path.suffix == ".sse" else decoded(path.name)
    assert rules(check_anthropic_events(source)) == EXPECTED.get(path.name, set())


def test_every_expected_finding_names_a_recording() -> None:
    assert set(EXPECTED) <= {p.name for p in RECORDINGS}
    assert len(RECORDINGS) >= 23


@pytest.mark.parametrize("path", SSE_RECORDINGS, ids=[p.name for p in SSE_RECORDINGS])
def test_decoded_events_and_the_raw_body_agree_on_the_rules_of_events(path: Path) -> None:
    from_body = [d for d in check_anthropic_events(path.read_bytes()) if d.rule[0] != "A"]
    assert from_body == check_anthropic_events(decoded(path.name))


def test_reframed_recordings_pass_from_the_body_and_from_the_events() -> None:
    for path in RECORDINGS:
        assert both(decoded(path.name)) == set(), path.name


def test_a_body_fed_one_byte_at_a_time_reads_as_the_whole_body() -> None:
    raw = (ANTHROPIC / TOOL).read_bytes().replace(b"\n", b"\r\n")
    found: list[Deviation] = []
    checker = AnthropicChecker(found.append)
    for i in range(len(raw)):
        checker.feed_sse(raw[i : i + 1])
    checker.close()
    assert found == check_anthropic_events(raw)
    assert rules(found) == {"A1"}


def test_objects_with_model_dump_are_read_as_their_json() -> None:
    class Event:
        def __init__(self, data: dict[str, Any]) -> None:
            self.data = data

        def model_dump(self, **_: Any) -> dict[str, Any]:
            return self.data

    assert check_anthropic_events([Event(e) for e in decoded(TOOL)]) == []


def test_a_single_event_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not one event"):
        check_anthropic_events(decoded(TEXT)[0])


def test_a_deviation_names_the_event_its_rule_and_what_is_there() -> None:
    events = mutant(TEXT, lambda e: e[-2]["delta"].update(stop_reason="stop"))
    (found,) = check_anthropic_events(events)
    assert found == Deviation(
        len(events) - 1,
        "D1",
        'stop_reason: "stop", not one of Anthropic\'s seven',
        "delta.stop_reason",
        "stop",
        "anthropic",
    )
    assert str(found).startswith(f"event {len(events) - 1}: ")


def test_a_stream_ended_by_an_error_passes() -> None:
    events = decoded(TEXT)[:5]
    events.append({"type": "error", "error": {"type": "overloaded_error", "message": "x"}})
    assert both(events) == set()
    assert both([{"type": "error", "error": {"type": "api_error", "message": "x"}}]) == set()


def test_the_fine_grained_cut_keeps_its_invalid_input_and_its_open_block() -> None:
    events = decoded(CUT)
    assert both(events) == set()
    assert not any(e["type"] == "content_block_stop" and e["index"] == 1 for e in events)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
TYPES = st.sampled_from(
    [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
        "other",
    ]
)
EVENTS = st.lists(
    st.one_of(
        JSON,
        st.builds(
            lambda t, rest: {"type": t, **rest},
            TYPES,
            st.dictionaries(
                st.sampled_from(["index", "message", "content_block", "delta", "usage", "x"]),
                JSON,
                max_size=3,
            ),
        ),
    ),
    max_size=12,
)


@settings(deadline=None, max_examples=300)
@given(events=EVENTS)
def test_any_events_get_findings_never_an_exception(events: list[Any]) -> None:
    for deviation in check_anthropic_events(events):
        assert deviation.rule in ANTHROPIC_RULES


@settings(deadline=None, max_examples=300)
@given(noise=st.binary(max_size=40), at=st.integers(0, 2000))
def test_any_body_gets_findings_never_an_exception(noise: bytes, at: int) -> None:
    raw = (ANTHROPIC / TOOL).read_bytes()
    for deviation in check_anthropic_events(raw[:at] + noise + raw[at:]):
        assert deviation.rule in ANTHROPIC_RULES


@settings(deadline=None, max_examples=100)
@given(cuts=st.lists(st.integers(0, 3708), max_size=20), crlf=st.booleans())
def test_a_body_in_pieces_of_any_size_reads_as_the_whole_body(cuts: list[int], crlf: bool) -> None:
    raw = (ANTHROPIC / TOOL).read_bytes()
    raw = raw.replace(b"\n", b"\r\n") if crlf else raw
    bounds = [0, *sorted(cuts), len(raw)]
    found: list[Deviation] = []
    checker = AnthropicChecker(found.append)
    for start, end in itertools.pairwise(bounds):
        checker.feed_sse(raw[start:end])
    checker.close()
    assert found == check_anthropic_events(raw)


def test_malformed_events_are_reported_under_the_rule_of_their_field() -> None:
    start, *_ = decoded(TEXT)
    assert rules(check_anthropic_events([start, 7])) == {"A2", "B6"}
    assert rules(check_anthropic_events([start, {"type": None}])) == {"A2", "B6"}
    block = {"type": "content_block_start", "index": "0", "content_block": []}
    assert rules(check_anthropic_events([start, block])) == {"B2", "B6"}
    delta = {"type": "content_block_delta", "index": 0, "delta": "x"}
    assert "B3" in rules(check_anthropic_events([start, delta]))


# -- framing: one mutant per rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("\n", "\r\n"),
        lambda t: t.replace("event: ping\n", ": keep-alive\nevent: ping\n"),
        lambda t: t.replace("event: ping\n", "id: 7\nevent: ping\n"),
        lambda t: t.replace("event: message_stop\n", ""),
        lambda t: t.replace("event: ping\n", "event:ping\n"),
        lambda t: t + "event: done\ndata: [DONE]\n\n",
        lambda t: t.replace("\n\nevent: ping", "\n\n\nevent: ping"),
        lambda t: t + "\n",
        lambda t: t.replace('"text":"-"', '"text":"-\udc80"'),
    ],
    ids=[
        "crlf",
        "comment",
        "id",
        "data-only",
        "no-space",
        "done",
        "extra-blank",
        "trailing",
        "utf8",
    ],
)
def test_A1_breaks_of_the_event_framing(change: Callable[[str], str]) -> None:
    text = change(body(TEXT))
    assert text != body(TEXT)
    assert rules(check_anthropic_events(text)) == {"A1"}


def test_A2_an_event_name_that_is_not_the_type() -> None:
    text = body(TEXT).replace("event: message_stop", "event: message_end")
    assert rules(check_anthropic_events(text)) == {"A2"}


def test_A2_type_not_the_first_key() -> None:
    text = body(TEXT).replace(
        '{"type":"content_block_stop","index":0', '{"index":0,"type":"content_block_stop"'
    )
    assert rules(check_anthropic_events(text)) == {"A2"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"text":" Captain"', '"text": " Captain"'),
        ('"index":0             }', '"index":0                }'),
        ('{"type": "ping"}', '{"type": "ping" }'),
        ('{"type": "ping"}', '{"type":"ping"}'),
        ('"text":"-"', '"text":"\\u002d"'),
    ],
    ids=["space-after-colon", "16-spaces-padding", "padded-ping", "compact-ping", "escape"],
)
def test_A3_data_that_is_not_compact(old: str, new: str) -> None:
    assert old in body(TEXT)
    assert rules(check_anthropic_events(body(TEXT).replace(old, new))) == {"A3"}


@pytest.mark.parametrize("end", ["", "\n"])
def test_A4_a_last_event_without_its_blank_line(end: str) -> None:
    text = body(TEXT).removesuffix("\n\n") + end
    found = check_anthropic_events(text)
    assert rules(found) == {"A4"}
    assert found[0].chunk == len(decoded(TEXT))


# -- order ---------------------------------------------------------------------------------------


def test_B1_no_message_start() -> None:
    assert both(mutant(TEXT, lambda e: e.pop(0))) == {"B1"}


def test_B1_a_message_start_that_is_not_empty() -> None:
    def fill(events: Events) -> None:
        events[0]["message"]["content"] = [{"type": "text", "text": "hi"}]
        events[0]["message"]["stop_reason"] = "end_turn"

    assert both(mutant(TEXT, fill)) == {"B1"}
    assert both(mutant(TEXT, lambda e: e[0]["message"]["usage"].pop("input_tokens"))) == {"B1"}


def test_B1_a_second_message_start() -> None:
    assert both(mutant(TEXT, lambda e: e.insert(3, copy.deepcopy(e[0])))) == {"B1"}


def test_B2_a_block_index_that_skips_one() -> None:
    def renumber(events: Events) -> None:
        for event in events:
            if event.get("index") == 1:
                event["index"] = 2

    assert both(mutant(TOOL, renumber)) == {"B2"}


def test_B2_a_block_index_used_again() -> None:
    def reuse(events: Events) -> None:
        for event in events:
            if event.get("index") == 1:
                event["index"] = 0

    assert both(mutant(TOOL, reuse)) == {"B2"}


def test_B3_blocks_that_interleave() -> None:
    def interleave(events: Events) -> None:
        stop = where(events, "content_block_stop")
        events.insert(where(events, "content_block_start", last=True) + 1, events.pop(stop))

    assert both(mutant(TOOL, interleave)) == {"B3"}


def test_B3_a_delta_for_a_block_that_is_not_open() -> None:
    assert both(mutant(TEXT, lambda e: e[where(e, "content_block_delta")].update(index=1))) == {
        "B3"
    }


def test_B4_a_delta_of_another_block_type() -> None:
    def think(events: Events) -> None:
        events[where(events, "content_block_delta")]["delta"] = {
            "type": "thinking_delta",
            "thinking": "-",
        }

    assert both(mutant(TEXT, think)) == {"B4"}


def test_B5_a_block_left_open_at_message_delta() -> None:
    assert both(mutant(TEXT, lambda e: e.pop(where(e, "content_block_stop")))) == {"B5"}


def test_B5_the_cut_tool_block_is_tolerated_only_at_max_tokens() -> None:
    events = mutant(
        CUT, lambda e: e[where(e, "message_delta")]["delta"].update(stop_reason="end_turn")
    )
    assert both(events) == {"B5"}


def test_B6_a_stream_without_message_stop() -> None:
    found = check_anthropic_events(mutant(TEXT, lambda e: e.pop()))
    assert rules(found) == {"B6"}
    assert found[0].chunk == 0
    assert both(mutant(TEXT, lambda e: e.pop(where(e, "message_delta")))) == {"B6"}


def test_B6_an_event_after_message_stop() -> None:
    assert both(mutant(TEXT, lambda e: e.append({"type": "message_stop"}))) == {"B6"}
    assert both(mutant(TEXT, lambda e: e.append({"type": "ping"}))) == {"B6"}


def test_B7_a_ping_before_message_start() -> None:
    assert both(mutant(TEXT, lambda e: e.insert(0, {"type": "ping"}))) == {"B7"}


def test_B7_a_ping_that_carries_something() -> None:
    events = mutant(TEXT, lambda e: e[where(e, "ping")].update(data="x"))
    assert rules(check_anthropic_events(events)) == {"B7"}


def test_B8_events_after_an_error() -> None:
    def fail(events: Events) -> None:
        events.insert(5, {"type": "error", "error": {"type": "overloaded_error", "message": "x"}})
        del events[6 : where(events, "message_delta")]

    assert both(mutant(TEXT, fail)) == {"B8"}


# -- content -------------------------------------------------------------------------------------


def test_C1_a_text_block_that_does_not_start_empty() -> None:
    events = mutant(TEXT, lambda e: e[1]["content_block"].update(text="-"))
    assert both(events) == {"C1"}


def test_C1_citations_in_a_block_that_did_not_announce_them() -> None:
    def uncite(events: Events) -> None:
        first = where(events, "content_block_delta", delta="citations_delta")
        block = events[first]["index"]
        start = next(
            e for e in events if e["type"] == "content_block_start" and e["index"] == block
        )
        del start["content_block"]["citations"]

    assert both(mutant(CITED, uncite)) == {"C1"}


def test_C1_citations_after_the_text() -> None:
    def late(events: Events) -> None:
        first = where(events, "content_block_delta", delta="citations_delta")
        block = events[first]["index"]
        stop = next(
            i
            for i, e in enumerate(events)
            if e["type"] == "content_block_stop" and e["index"] == block
        )
        events.insert(stop - 1, events.pop(first))

    assert both(mutant(CITED, late)) == {"C1"}


def test_C2_a_thinking_block_without_its_signature() -> None:
    assert both(
        mutant(THINKING, lambda e: e.pop(where(e, "content_block_delta", delta="signature_delta")))
    ) == {"C2"}


def test_C2_thinking_after_the_signature() -> None:
    def late(events: Events) -> None:
        signature = where(events, "content_block_delta", delta="signature_delta")
        events.insert(signature, events.pop(signature - 1))

    assert both(mutant(THINKING, late)) == {"C2"}


def test_C3_tool_input_that_is_not_a_json_object() -> None:
    def cut(events: Events) -> None:
        last = where(events, "content_block_delta", delta="input_json_delta", last=True)
        events[last]["delta"]["partial_json"] = events[last]["delta"]["partial_json"][:-1]

    events = mutant(TOOL, cut)
    assert both(events) == {"C3"}
    assert both(events, fine_grained=True) == set()


def test_C3_a_tool_block_that_does_not_start_empty() -> None:
    start = mutant(
        TOOL,
        lambda e: e[where(e, "content_block_start", last=True)]["content_block"].update(
            input={"city": "x"}
        ),
    )
    assert both(start) == {"C3"}

    def merge(events: Events) -> None:
        first = where(events, "content_block_delta", delta="input_json_delta")
        events.pop(first)

    assert both(mutant(TOOL, merge)) == {"C3"}


def test_C4_a_tool_id_used_twice() -> None:
    def same(events: Events) -> None:
        starts = [e for e in events if e["type"] == "content_block_start"]
        starts[1]["content_block"]["id"] = starts[0]["content_block"]["id"]

    assert both(mutant(PARALLEL, same)) == {"C4"}


def test_C4_a_result_for_a_call_that_was_not_made() -> None:
    def stray(events: Events) -> None:
        for e in events:
            if e["type"] == "content_block_start" and e["content_block"]["type"].endswith(
                "_result"
            ):
                e["content_block"]["tool_use_id"] = "srvtoolu_01Unknown"

    assert both(mutant(CITED, stray)) == {"C4"}


def test_C4_a_stream_resumed_after_pause_turn_may_answer_the_previous_call() -> None:
    events = decoded(RESUMED)
    assert events[1]["content_block"]["type"] == "web_search_tool_result"
    assert both(events) == set()
    # ... but only at its start: after a text block, the same result is a stray.
    text = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    late = [events[0], text, {"type": "content_block_stop", "index": 0}]
    for e in copy.deepcopy(events[1:]):
        if "index" in e:
            e["index"] += 1
        late.append(e)
    assert both(late) == {"C4"}


# -- stop and usage ------------------------------------------------------------------------------


def test_D1_a_stop_reason_outside_the_seven() -> None:
    assert both(mutant(TEXT, lambda e: e[-2]["delta"].update(stop_reason="stop"))) == {"D1"}


def test_D1_a_stop_sequence_without_its_stop_reason() -> None:
    assert both(mutant(TEXT, lambda e: e[-2]["delta"].update(stop_sequence="```"))) == {"D1"}


def test_D2_tool_use_without_a_client_tool_call() -> None:
    assert both(mutant(TEXT, lambda e: e[-2]["delta"].update(stop_reason="tool_use"))) == {"D2"}


def test_D2_pause_turn_without_an_unanswered_server_tool() -> None:
    assert both(mutant(CITED, lambda e: e[-2]["delta"].update(stop_reason="pause_turn"))) == {"D2"}


def test_D3_output_tokens_below_message_start() -> None:
    assert both(mutant(TEXT, lambda e: e[-2]["usage"].update(output_tokens=0))) == {"D3"}


def test_D3_a_message_delta_without_output_tokens() -> None:
    assert both(mutant(TEXT, lambda e: e[-2]["usage"].pop("output_tokens"))) == {"D3"}


def test_D4_unknown_types_and_extra_keys_are_not_deviations() -> None:
    def future(events: Events) -> None:
        events[0]["message"]["future"] = {"x": 1}
        events[-2]["delta"]["future"] = 1
        events[-1]["future"] = True
        stop = where(events, "content_block_stop")
        events.insert(
            stop, {"type": "content_block_delta", "index": 0, "delta": {"type": "x_delta"}}
        )
        events[stop + 2 : stop + 2] = [  # after the stop of block 0
            {"type": "future_event", "anything": [1]},
            {"type": "content_block_start", "index": 1, "content_block": {"type": "hologram"}},
            {"type": "content_block_delta", "index": 1, "delta": {"type": "hologram_delta"}},
            {"type": "content_block_stop", "index": 1, "future": None},
        ]

    assert both(mutant(TEXT, future)) == set()


# -- the documentation ---------------------------------------------------------------------------


def test_the_guide_lists_exactly_the_rules() -> None:
    page = (ROOT / "docs" / "anthropic.md").read_text()
    listed = set(re.findall(r"(?m)^\| \*\*([A-D]\d)\*\* \|", page))
    assert listed == set(ANTHROPIC_RULES) | {"D4"}
