"""`check_responses_events()`: real Responses recordings pass, each rule catches its own break.

Every recording in tests/recordings/responses/ passes, or is flagged only for what the spec's
rule exceptions or the folder's README.txt say of it. Each rule of docs/responses.md is then
proven by a real recording mutated to break that rule alone: the checker reports that rule and
no other, from the raw SSE body and (for the rules of events, R4-R24) from the decoded events
alike.
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

from typedstream import Deviation, UsageError, check_responses_events
from typedstream._responses_check import RESPONSES_RULES, ResponsesChecker

Events = list[dict[str, Any]]

RESPONSES = CORPUS / "responses"
RECORDINGS = sorted(RESPONSES.glob("*.sse"))
FRAMING = {"R1", "R2", "R3"}

# What each recording is flagged for; every other recording passes as recorded.
# vai_* and lingua_* went through JSON.stringify, which spells the response's 1.0 as 1 (R3,
# README.txt); the 2025-03 wire has no sequence_number nor logprobs (R4, R16 exceptions); xAI
# puts sequence_number first and leaves logprobs off output_text.done (R3, R16); Copilot sorts
# keys and rotates the response and item ids (R3, R7, R10, R12, R22).
STRINGIFIED = {"R3"}
EXPECTED: dict[str, set[str]] = {
    "pai_openai_gpt4o_2025-03_text_noseq.sse": {"R4", "R16"},
    "pai_openai_gpt4o_2025-03_function_call_noseq.sse": {"R4"},
    "vai_xai_grokcodefast1_reasoning_summary.sse": {"R3", "R16"},
    "vai_githubcopilot_gpt53codex_item_id_rotation.sse": {"R3", "R7", "R10", "R12", "R22"},
    **{
        p.name: STRINGIFIED
        for p in RECORDINGS
        if p.name.startswith(("vai_", "lingua_"))
        and "xai" not in p.name
        and "copilot" not in p.name
    },
}

CITED = "pai_openai_gpt4o_file_search_file_citations.sse"
CALL = "pai_openai_gpt5_function_call_encrypted_reasoning.sse"
QUEUED = "pai_openai_gpt4o_background_queued.sse"
CODE = "pai_openai_gpt5_code_interpreter_reasoning_summary.sse"
MCP = "pai_openai_o4mini_mcp_list_tools_mcp_call.sse"
CUSTOM = "lingua_openai_gpt56terra_custom_tool_call.sse"
INCOMPLETE = "lingua_openai_gpt5nano_incomplete_message.sse"
FAILED = "vai_openai_gpt5nano_error_then_failed.sse"
IMAGE = "vai_openai_gpt5_image_generation_partial_image.sse"
SUMMARY = "pai_openai_o3mini_reasoning_summary.sse"
NOSEQ = "pai_openai_gpt4o_2025-03_text_noseq.sse"


_ADDED = "response.output_item.added"
_DONE = "response.output_item.done"


def rules(deviations: list[Deviation]) -> set[str]:
    return {d.rule for d in deviations}


def body(name: str) -> str:
    return (RESPONSES / name).read_bytes().decode()


def decoded(name: str) -> Events:
    """The events of a recording, decoded; the response's sampling numbers spelt as floats."""
    events = [json.loads(line[6:]) for line in body(name).split("\n") if line.startswith("data: ")]
    for event in events:
        response = event.get("response")
        for key in ("temperature", "top_p", "frequency_penalty", "presence_penalty"):
            if isinstance(response, dict) and isinstance(response.get(key), int):
                response[key] = float(response[key])
    return events


def sse(events: Events) -> bytes:
    """Events framed the way OpenAI frames them (type first)."""
    out = []
    for event in events:
        typed = {"type": event["type"], **event} if "type" in event else event
        data = json.dumps(typed, separators=(",", ":"), ensure_ascii=False)
        out.append(f"event: {event.get('type')}\ndata: {data}\n\n")
    return "".join(out).encode()


def both(events: Events, **options: Any) -> set[str]:
    """The rules broken by events, checked decoded and as an SSE body: both must agree."""
    from_events = check_responses_events(events, **options)
    from_body = check_responses_events(sse(events), **options)
    assert from_events == from_body
    return rules(from_events)


def mutant(name: str, change: Callable[[Events], object]) -> Events:
    events = copy.deepcopy(decoded(name))
    change(events)
    return events


def where(events: Events, kind: str, *, last: bool = False, nth: int = 0) -> int:
    found = [i for i, e in enumerate(events) if e["type"] == kind]
    return found[-1] if last else found[nth]


def renumber(events: Events) -> None:
    """Sequence numbers 0, 1, 2, … again after events were added or removed."""
    for number, event in enumerate(events):
        if "sequence_number" in event:
            event["sequence_number"] = number


def unpad(events: Events) -> None:
    """Drop the obfuscation padding (a delta changed length; OpenAI may leave it out)."""
    for event in events:
        event.pop("obfuscation", None)


def terminal_output(events: Events) -> list[dict[str, Any]]:
    output: list[dict[str, Any]] = events[-1]["response"]["output"]
    return output


# -- the recordings ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", RECORDINGS, ids=[p.name for p in RECORDINGS])
def test_recordings_pass_or_are_flagged_only_for_their_documented_quirk(path: Path) -> None:
    assert rules(check_responses_events(path.read_bytes())) == EXPECTED.get(path.name, set())


def test_every_expected_finding_names_a_recording() -> None:
    assert set(EXPECTED) <= {p.name for p in RECORDINGS}
    assert len(RECORDINGS) >= 26


@pytest.mark.parametrize("path", RECORDINGS, ids=[p.name for p in RECORDINGS])
def test_decoded_events_and_the_raw_body_agree_on_the_rules_of_events(path: Path) -> None:
    from_body = [d for d in check_responses_events(path.read_bytes()) if d.rule not in FRAMING]
    raw = [json.loads(line[6:]) for line in body(path.name).split("\n") if line[:6] == "data: "]
    assert from_body == check_responses_events(raw)


def test_reframed_recordings_with_float_spelling_pass_but_for_their_quirks() -> None:
    for path in RECORDINGS:
        expected = EXPECTED.get(path.name, set()) - FRAMING
        assert both(decoded(path.name)) == expected, path.name


def test_a_stream_without_sequence_numbers_is_flagged_once() -> None:
    found = [d for d in check_responses_events(decoded(NOSEQ)) if d.rule == "R4"]
    assert len(found) == 1
    assert found[0].chunk == 1


def test_a_body_fed_one_byte_at_a_time_reads_as_the_whole_body() -> None:
    raw = (RESPONSES / CITED).read_bytes().replace(b"\n", b"\r\n")
    found: list[Deviation] = []
    checker = ResponsesChecker(found.append)
    for i in range(len(raw)):
        checker.feed_sse(raw[i : i + 1])
    checker.close()
    assert found == check_responses_events(raw)
    assert rules(found) == {"R1"}


def test_objects_with_model_dump_are_read_as_their_json() -> None:
    class Event:
        def __init__(self, data: dict[str, Any]) -> None:
            self.data = data

        def model_dump(self, **_: Any) -> dict[str, Any]:
            return self.data

    assert check_responses_events([Event(e) for e in decoded(CALL)]) == []


def test_the_openai_sdk_events_are_read_through_model_dump() -> None:
    from openai._models import construct_type  # how the SDK's raw stream builds its events
    from openai.types.responses import ResponseStreamEvent

    events = [construct_type(type_=ResponseStreamEvent, value=e) for e in decoded(CALL)]
    assert type(events[-1]).__name__ == "ResponseCompletedEvent"
    assert check_responses_events(events) == []


def test_a_single_event_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not one event"):
        check_responses_events(decoded(CALL)[0])


def test_a_deviation_names_the_event_its_rule_and_what_is_there() -> None:
    events = mutant(CITED, lambda e: e[7].update(sequence_number=9))
    assert [str(d) for d in check_responses_events(events)] == [
        "event 8: sequence_number 9 after 6 [R4] at sequence_number",
        "event 9: sequence_number 8 after 9 [R4] at sequence_number",
    ]


def test_the_final_response_rule_is_only_checked_when_asked_for() -> None:
    assert both(decoded(CALL), final_response=True) == set()
    assert both(decoded(INCOMPLETE)) == set()
    assert both(decoded(INCOMPLETE), final_response=True) == {"R24"}
    assert both(decoded(FAILED), final_response=True) == {"R24"}


# -- incomplete streams ------------------------------------------------------------------------

CLEAN = [p.name for p in RECORDINGS if p.name not in EXPECTED or EXPECTED[p.name] == STRINGIFIED]


@settings(deadline=None, max_examples=150)
@given(name=st.sampled_from(CLEAN), data=st.data())
def test_a_stream_cut_between_events_is_flagged_as_incomplete(
    name: str, data: st.DataObject
) -> None:
    events = decoded(name)
    cut = data.draw(st.integers(0, len(events) - 1))
    found = check_responses_events(events[:cut])
    assert rules(found) & {"R5", "R6"}
    assert found[-1].chunk == 0


@settings(deadline=None, max_examples=150)
@given(name=st.sampled_from(CLEAN), data=st.data())
def test_a_body_cut_anywhere_is_flagged_as_incomplete(name: str, data: st.DataObject) -> None:
    raw = sse(decoded(name))
    cut = data.draw(st.integers(0, len(raw) - 1))
    found = rules(check_responses_events(raw[:cut]))
    whole_last_event = raw[:cut].rstrip(b"\n").endswith(raw.rstrip(b"\n")[-20:])
    assert found & {"R5", "R6"} or (whole_last_event and found == {"R1"})


# -- anything in, findings out ---------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
TYPES = st.sampled_from(
    [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
        "response.content_part.added",
        "response.output_text.delta",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.done",
        "response.function_call_arguments.done",
        "response.web_search_call.searching",
        "response.completed",
        "error",
        "other",
    ]
)
KEYS = st.sampled_from(
    ["output_index", "content_index", "summary_index", "item", "part", "response", "delta"]
)
EVENTS = st.lists(
    st.one_of(
        JSON,
        st.builds(
            lambda t, rest: {"type": t, **rest},
            TYPES,
            st.dictionaries(KEYS, JSON | st.integers(0, 2), max_size=4),
        ),
    ),
    max_size=12,
)


@settings(deadline=None, max_examples=300)
@given(events=EVENTS)
def test_any_events_get_findings_never_an_exception(events: list[Any]) -> None:
    for deviation in check_responses_events(events):
        assert deviation.rule in RESPONSES_RULES


@settings(deadline=None, max_examples=200)
@given(noise=st.binary(max_size=40), at=st.integers(0, 6000))
def test_any_body_gets_findings_never_an_exception(noise: bytes, at: int) -> None:
    raw = (RESPONSES / CITED).read_bytes()
    for deviation in check_responses_events(raw[:at] + noise + raw[at:]):
        assert deviation.rule in RESPONSES_RULES


@settings(deadline=None, max_examples=100)
@given(cuts=st.lists(st.integers(0, 9000), max_size=20), crlf=st.booleans())
def test_a_body_in_pieces_of_any_size_reads_as_the_whole_body(cuts: list[int], crlf: bool) -> None:
    raw = (RESPONSES / CITED).read_bytes()
    raw = raw.replace(b"\n", b"\r\n") if crlf else raw
    bounds = [0, *sorted(min(c, len(raw)) for c in cuts), len(raw)]
    found: list[Deviation] = []
    checker = ResponsesChecker(found.append)
    for start, end in itertools.pairwise(bounds):
        checker.feed_sse(raw[start:end])
    checker.close()
    assert found == check_responses_events(raw)


# -- framing: one mutant per rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("\n", "\r\n"),
        lambda t: t.replace(
            "event: response.in_progress\n", ": keep-alive\nevent: response.in_progress\n"
        ),
        lambda t: t.replace(
            "event: response.in_progress\n", "id: 7\nevent: response.in_progress\n"
        ),
        lambda t: re.sub(r"event: [^\n]*\n", "", t),
        lambda t: re.sub(r"(event: [^\n]*)\n(data: [^\n]*)\n", r"\2\n\1\n", t),
        lambda t: t.replace("event: response.in_progress\n", "event:response.in_progress\n"),
        lambda t: t.replace("event: response.in_progress\n", "event: response.progress\n"),
        lambda t: t.replace("\n\nevent: response.in_progress", "\n\n\nevent: response.in_progress"),
        lambda t: t.removesuffix("\n"),
        lambda t: t.replace('"delta":"The"', '"delta":"\\u0054he"', 1),
        lambda t: t.replace('"delta":"The"', '"delta":"The","x":"\udc80"', 1),
    ],
    ids=[
        "crlf",
        "comment",
        "id",
        "data-only",
        "data-first",
        "no-space",
        "wrong-name",
        "extra-blank",
        "unterminated",
        "escape",
        "utf8",
    ],
)
def test_R1_breaks_of_the_event_framing(change: Callable[[str], str]) -> None:
    text = change(body(CITED))
    assert text != body(CITED)
    assert rules(check_responses_events(text)) == {"R1"}


def test_R2_a_done_sentinel() -> None:
    assert rules(check_responses_events(body(CITED) + "data: [DONE]\n\n")) == {"R2"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            '{"type":"response.in_progress","sequence_number":1,',
            '{"sequence_number":1,"type":"response.in_progress",',
        ),
        ('"delta":"The"', '"delta": "The"'),
        ('"temperature":1.0', '"temperature":1'),
    ],
    ids=["type-not-first", "space", "float-spelling"],
)
def test_R3_data_that_is_not_compact_or_not_type_first(old: str, new: str) -> None:
    assert old in body(CITED)
    assert rules(check_responses_events(body(CITED).replace(old, new))) == {"R3"}


# -- the stream ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e[5].update(sequence_number=7),
        lambda e: [event.update(sequence_number=event["sequence_number"] + 1) for event in e],
        lambda e: e[5].pop("sequence_number"),
        lambda e: e[5].update(sequence_number="5"),
    ],
    ids=["gap", "starts-at-1", "missing", "string"],
)
def test_R4_sequence_numbers_that_do_not_count_from_0(change: Callable[[Events], object]) -> None:
    assert both(mutant(CITED, change)) == {"R4"}


def test_R5_the_opening_events() -> None:
    def drop(kind: str) -> Callable[[Events], None]:
        def change(events: Events) -> None:
            events.pop(where(events, kind))
            renumber(events)

        return change

    assert both(mutant(CITED, drop("response.in_progress"))) == {"R5"}
    assert both(mutant(QUEUED, drop("response.queued"))) == {"R5"}

    def again(events: Events) -> None:
        events.insert(4, copy.deepcopy(events[1]))
        renumber(events)

    assert both(mutant(CITED, again)) == {"R5"}
    assert rules(check_responses_events([])) == {"R5"}


def test_R6_a_stream_without_its_terminal_event() -> None:
    found = check_responses_events(mutant(CITED, lambda e: e.pop()))
    assert rules(found) == {"R6"}
    assert found[0].chunk == 0


def test_R6_an_event_after_the_terminal_event() -> None:
    def after(events: Events) -> None:
        events.append(copy.deepcopy(events[-1]))
        renumber(events)

    assert both(mutant(CITED, after)) == {"R6"}


def test_R6_an_error_not_followed_by_response_failed() -> None:
    def late(events: Events) -> None:
        events.insert(3, events.pop(where(events, "error")))
        renumber(events)

    assert both(mutant(FAILED, late)) == {"R6"}
    assert both(mutant(FAILED, lambda e: e.pop())) == {"R6"}


def test_R7_the_response_changes_between_lifecycle_events() -> None:
    assert both(mutant(CITED, lambda e: e[1]["response"].update(model="gpt-4o"))) == {"R7"}
    assert both(mutant(CITED, lambda e: e[-1]["response"].update(created_at=1))) == {"R7"}
    assert both(mutant(CITED, lambda e: e[-1]["response"].update(temperature=0.5))) == {"R7"}


def test_R7_the_fields_a_terminal_event_may_change() -> None:
    def change(events: Events) -> None:
        events[-1]["response"].update(service_tier="priority", moderation={"x": 1})

    assert both(mutant(CITED, change)) == set()


def test_R8_an_opening_response_that_is_not_empty() -> None:
    assert both(mutant(CITED, lambda e: e[0]["response"].update(usage={"total_tokens": 1}))) == {
        "R8"
    }
    assert both(mutant(CITED, lambda e: e[1]["response"].update(output=[{}]))) == {"R8"}
    assert both(mutant(QUEUED, lambda e: e[0]["response"].update(status="in_progress"))) == {"R8"}


@pytest.mark.parametrize(
    ("name", "change"),
    [
        (CITED, lambda r: r.update(status="in_progress")),
        (CITED, lambda r: r.update(usage={"input_tokens": 1})),
        (INCOMPLETE, lambda r: r.update(incomplete_details={"reason": "length"})),
        (FAILED, lambda r: r["error"].pop("code")),
    ],
    ids=["status", "usage", "reason", "error"],
)
def test_R9_a_terminal_response_that_does_not_match_its_event(
    name: str, change: Callable[[dict[str, Any]], object]
) -> None:
    assert both(mutant(name, lambda e: change(e[-1]["response"]))) == {"R9"}


def test_R9_a_completed_response_may_carry_no_usage() -> None:
    assert both(mutant(CITED, lambda e: e[-1]["response"].update(usage=None))) == set()


# -- items ---------------------------------------------------------------------------------------


def test_R10_an_item_index_that_skips_one() -> None:
    def skip(events: Events) -> None:
        for event in events:
            if event.get("output_index") == 1:
                event["output_index"] = 2

    assert both(mutant(CITED, skip)) == {"R10"}


def test_R10_an_item_done_with_another_id_or_twice_or_never() -> None:
    def other(events: Events) -> None:
        events[where(events, "response.output_item.done")]["item"]["id"] = "fs_other"
        terminal_output(events)[0]["id"] = "fs_other"

    assert both(mutant(CITED, other)) == {"R10"}

    def twice(events: Events) -> None:
        done = where(events, "response.output_item.done", last=True)
        events.insert(done, copy.deepcopy(events[done]))
        renumber(events)

    assert both(mutant(CITED, twice)) == {"R10"}

    def never(events: Events) -> None:
        events.pop(where(events, "response.output_item.done", last=True))
        renumber(events)

    assert both(mutant(CITED, never)) == {"R10"}


def test_R11_items_that_overlap() -> None:
    def overlap(events: Events) -> None:
        done = where(events, "response.output_item.done")
        events.insert(done + 1, events.pop(done))
        renumber(events)

    assert both(mutant(CALL, overlap)) == {"R11"}


def test_R12_an_event_that_names_another_item() -> None:
    def rename(events: Events) -> None:
        events[where(events, "response.output_text.delta")]["item_id"] = "msg_other"

    assert both(mutant(CITED, rename)) == {"R12"}

    def stray(events: Events) -> None:
        event = {"type": "response.future.event", "sequence_number": 0, "output_index": 0}
        events.insert(-1, {**event, "item_id": "x"})
        renumber(events)

    assert both(mutant(CITED, stray)) == {"R12"}


def test_R12_an_event_of_another_item_type() -> None:
    def misplaced(events: Events) -> None:
        at = where(events, "response.file_search_call.completed")
        event = {"type": "response.function_call_arguments.delta", "delta": "{}"}
        events.insert(at, {**events[at], **event})
        renumber(events)

    assert both(mutant(CITED, misplaced)) == {"R12"}


def test_R13_an_item_added_not_empty_or_done_not_completed() -> None:
    def started(events: Events) -> None:
        events[where(events, "response.output_item.added")]["item"]["status"] = "completed"

    assert both(mutant(CITED, started)) == {"R13"}

    def filled(events: Events) -> None:
        events[where(events, "response.output_item.added", last=True)]["item"]["arguments"] = "{"

    assert both(mutant(CALL, filled)) == {"R13"}

    def unfinished(events: Events) -> None:
        events[where(events, "response.output_item.done", last=True)]["item"]["status"] = (
            "incomplete"
        )
        terminal_output(events)[-1]["status"] = "incomplete"

    assert both(mutant(CITED, unfinished)) == {"R13"}


def test_R13_a_message_may_be_done_incomplete_in_an_incomplete_response() -> None:
    done = [e for e in decoded(INCOMPLETE) if e["type"] == "response.output_item.done"]
    assert done[-1]["item"]["status"] == "incomplete"
    assert both(decoded(INCOMPLETE)) == set()


# -- content ---------------------------------------------------------------------------------


def test_R14_a_content_part_never_added_or_never_closed() -> None:
    def unannounced(events: Events) -> None:
        events.pop(where(events, "response.content_part.added"))
        renumber(events)

    assert both(mutant(CITED, unannounced)) == {"R14"}

    def unclosed(events: Events) -> None:
        events.pop(where(events, "response.output_text.done"))
        renumber(events)

    assert both(mutant(CITED, unclosed)) == {"R14"}

    def late(events: Events) -> None:
        events.insert(-1, events.pop(where(events, "response.content_part.done")))
        renumber(events)

    assert "R14" in both(mutant(CITED, late))


def test_R15_a_done_text_that_is_not_the_deltas_joined() -> None:
    def changed(events: Events) -> None:
        events[where(events, "response.output_text.delta")]["delta"] += "!"
        unpad(events)

    assert both(mutant(CITED, changed)) == {"R15"}

    def arguments(events: Events) -> None:
        events[where(events, "response.function_call_arguments.delta")]["delta"] += " "
        unpad(events)

    assert both(mutant(CALL, arguments)) == {"R15"}

    def code(events: Events) -> None:
        events[where(events, "response.code_interpreter_call_code.delta")]["delta"] += " "
        unpad(events)

    assert both(mutant(CODE, code)) == {"R15"}

    def summary(events: Events) -> None:
        events[where(events, "response.reasoning_summary_text.delta")]["delta"] += " "
        unpad(events)

    assert both(mutant(CODE, summary)) == {"R15"}

    def custom(events: Events) -> None:
        events[where(events, "response.custom_tool_call_input.delta")]["delta"] += " "
        unpad(events)

    assert both(mutant(CUSTOM, custom)) == {"R15"}


def test_R16_logprobs_and_annotations_left_out() -> None:
    assert both(
        mutant(CITED, lambda e: e[where(e, "response.output_text.delta")].pop("logprobs"))
    ) == {"R16"}
    assert both(
        mutant(
            CITED, lambda e: e[where(e, "response.content_part.added")]["part"].pop("annotations")
        )
    ) == {"R16"}


def test_R17_annotations_misnumbered_or_late() -> None:
    def misnumbered(events: Events) -> None:
        events[where(events, "response.output_text.annotation.added")]["annotation_index"] = 1

    assert both(mutant(CITED, misnumbered)) == {"R17"}

    def late(events: Events) -> None:
        note = events.pop(where(events, "response.output_text.annotation.added"))
        events.insert(where(events, "response.output_text.done") + 1, note)
        renumber(events)

    assert both(mutant(CITED, late)) == {"R17"}


def test_R18_function_call_arguments_done_missing_twice_or_named() -> None:
    def missing(events: Events) -> None:
        events.pop(where(events, "response.function_call_arguments.done"))
        renumber(events)

    assert both(mutant(CALL, missing)) == {"R18"}

    def twice(events: Events) -> None:
        done = where(events, "response.function_call_arguments.done")
        events.insert(done, copy.deepcopy(events[done]))
        renumber(events)

    assert both(mutant(CALL, twice)) == {"R18"}

    def named(events: Events) -> None:
        events[where(events, "response.function_call_arguments.done")]["name"] = "final_result"

    assert both(mutant(CALL, named)) == {"R18"}


def test_R19_summary_parts_out_of_order() -> None:
    def interleaved(events: Events) -> None:
        second = where(events, "response.reasoning_summary_part.added", nth=1)
        events.insert(where(events, "response.reasoning_summary_part.done"), events.pop(second))
        renumber(events)

    assert both(mutant(SUMMARY, interleaved)) == {"R19"}

    def misnumbered(events: Events) -> None:
        events[where(events, "response.reasoning_summary_part.added", nth=1)]["summary_index"] = 2

    assert "R19" in both(mutant(SUMMARY, misnumbered))

    def unclosed(events: Events) -> None:
        events.pop(where(events, "response.reasoning_summary_text.done"))
        renumber(events)

    assert both(mutant(CODE, unclosed)) == {"R19"}


def test_R20_obfuscation_off_a_delta_or_not_padding_to_16() -> None:
    def misplaced(events: Events) -> None:
        events[where(events, "response.function_call_arguments.done")]["obfuscation"] = "abc"

    assert both(mutant(CALL, misplaced)) == {"R20"}

    def short(events: Events) -> None:
        delta = events[where(events, "response.function_call_arguments.delta")]
        delta["obfuscation"] = delta["obfuscation"] + "x"

    assert both(mutant(CALL, short)) == {"R20"}


def test_R21_built_in_tool_events_out_of_order_or_carrying_more() -> None:
    def swapped(events: Events) -> None:
        at = where(events, "response.file_search_call.searching")
        events[at], events[at + 1] = events[at + 1], events[at]
        renumber(events)

    assert both(mutant(CITED, swapped)) == {"R21"}

    def extra(events: Events) -> None:
        events[where(events, "response.file_search_call.in_progress")]["status"] = "x"

    assert both(mutant(CITED, extra)) == {"R21"}

    def skipped(events: Events) -> None:
        events.pop(where(events, "response.code_interpreter_call.interpreting"))
        renumber(events)

    assert both(mutant(CODE, skipped)) == {"R21"}

    def mcp(events: Events) -> None:
        events.pop(where(events, "response.mcp_call_arguments.done"))
        renumber(events)

    assert both(mutant(MCP, mcp)) == {"R21"}

    def image(events: Events) -> None:
        events.pop(where(events, "response.image_generation_call.generating"))
        renumber(events)

    assert both(mutant(IMAGE, image)) == {"R21"}


def test_R22_a_terminal_output_that_is_not_the_done_items() -> None:
    assert both(mutant(CITED, lambda e: terminal_output(e).pop())) == {"R22"}

    def edited(events: Events) -> None:
        terminal_output(events)[-1]["content"][0]["text"] += "!"

    assert both(mutant(CITED, edited)) == {"R22"}


def test_R22_encrypted_content_never_compares() -> None:
    def reencrypted(events: Events) -> None:
        terminal_output(events)[0]["encrypted_content"] = "gAAAA-other"

    assert both(mutant(CALL, reencrypted)) == set()


def test_R24_an_id_change_or_an_error_breaks_get_final_response() -> None:
    found = both(
        mutant(CITED, lambda e: e[-1]["response"].update(id="resp_x")), final_response=True
    )
    assert found == {"R7", "R24"}


def test_unknown_events_items_and_keys_are_not_deviations() -> None:
    def future(events: Events) -> None:
        events[0]["response"]["future"] = {"x": 1}
        events[-1]["future"] = True
        events[where(events, "response.output_text.delta")]["future"] = 1
        item = {"id": "hg_1", "type": "hologram", "status": "in_progress"}
        done = {**item, "status": "completed"}
        at = len(events) - 1
        events[at:at] = [
            {"type": "response.future_event", "sequence_number": 0, "anything": [1]},
            {"type": _ADDED, "sequence_number": 0, "output_index": 2, "item": item},
            {"type": "response.hologram.flicker", "sequence_number": 0, "output_index": 2},
            {"type": _DONE, "sequence_number": 0, "output_index": 2, "item": done},
        ]
        events[at + 2]["item_id"] = "hg_1"
        terminal_output(events).append(done)
        renumber(events)

    assert both(mutant(CITED, future)) == set()


# -- the documentation ---------------------------------------------------------------------------


def test_the_guide_lists_exactly_the_rules() -> None:
    page = (ROOT / "docs" / "responses.md").read_text()
    listed = set(re.findall(r"(?m)^\| \*\*(R\d+)\*\* \|", page))
    assert listed == set(RESPONSES_RULES) | {"R23"}


def test_openrouter_framing_is_read_and_flagged_for_its_lines_and_done_only() -> None:
    payloads = [line for line in body(CALL).split("\n") if line.startswith("data: ")]
    text = ": OPENROUTER PROCESSING\n\n" + "".join(f"{p}\n\n" for p in payloads)
    found = check_responses_events(text + "data: [DONE]\n\n")
    assert rules(found) == {"R1", "R2"}
    assert {d.message for d in found if d.rule == "R1"} == {
        'a comment line ": OPENROUTER PROCESSING"',
        "the frame opens with its data line",
        "no event: line",
    }


def test_bedrock_framing_data_before_event_is_read_and_flagged_as_framing_only() -> None:
    text = re.sub(r"(event: [^\n]*)\n(data: [^\n]*)\n", r"\2\n\1\n", body(CALL))
    found = check_responses_events(text)
    assert rules(found) == {"R1"}
    assert [d for d in found if d.rule != "R1"] == []
    assert {d.chunk for d in found} == set(range(1, len(decoded(CALL)) + 1))


def test_a_function_call_done_incomplete_is_flagged_unless_the_response_is_incomplete() -> None:
    # The budget may cut a call as it cuts a message (the openai item types allow the status).
    def cut(events: list[dict[str, Any]]) -> None:
        calls = [
            e
            for e in events
            if e["type"] == "response.output_item.done" and e["item"]["type"] == "function_call"
        ]
        assert calls
        calls[0]["item"]["status"] = "incomplete"

    assert "R13" in {d.rule for d in check_responses_events(mutant(CALL, cut))}
