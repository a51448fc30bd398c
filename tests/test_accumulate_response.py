"""`Accumulator.response()`: the final OpenAI Responses `response` a stream adds up to.

It is the terminal response `to_responses_sse()` writes for the same events (one builder: the
`ResponsesWriter` the accumulator feeds), so for a Responses recording it equals the
recording's own terminal response but for the differences the round trip documents
(`test_responses_roundtrip.ALLOWED`: obfuscation, ...), and for any other source the terminal
response of `to_responses_events()`. It is also what the `openai` SDK's `ResponseStream` gives
as its final response, less the `parsed` slots of its structured-output helper.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from corpus import CORPUS, LITELLM, recordings
from test_responses_roundtrip import ALLOWED, _diff, _terminal

import typedstream
from typedstream import (
    Accumulator,
    ChoiceFinished,
    IncompleteStreamError,
    ResponsesWriter,
    StreamEvent,
    StreamStarted,
    TextDelta,
    UnwritableEventError,
    UsageError,
)
from typedstream.testing import scenario

RESPONSES = sorted((CORPUS / "responses").glob("*.sse"))
ANTHROPIC = sorted(p for p in (CORPUS / "anthropic").iterdir() if p.suffix in (".sse", ".jsonl"))
CHAT = [rec.path for rec in recordings()] + sorted(LITELLM.glob("wire_anthropic_*.jsonl"))
TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def source(path: Path) -> Any:
    """What `events()` reads for a recording: an SSE body, or its JSON objects."""
    if path.suffix == ".sse":
        return path.read_bytes()
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def read(path: Path) -> Iterator[StreamEvent]:
    return iter(typedstream.events(source(path)))


def fed(
    events: Iterable[StreamEvent], acc: Accumulator | None = None
) -> tuple[Accumulator, Exception | None]:
    """An accumulator fed ``events``, and the error that ended reading them, if one did."""
    acc = acc if acc is not None else Accumulator(response=True)
    try:
        for event in events:
            acc.add(event)
    except typedstream.TypedStreamError as exc:
        return acc, exc
    return acc, None


def written_terminal(events: Iterable[StreamEvent]) -> dict[str, Any] | None:
    """The response of the terminal event ``to_responses_sse()`` writes, error or not."""
    frames: list[bytes] = []
    with contextlib.suppress(typedstream.TypedStreamError):  # its error events come first
        frames.extend(typedstream.to_responses_sse(events))
    objects = [json.loads(frame.split(b"\ndata: ", 1)[1]) for frame in frames]
    ends = [obj["response"] for obj in objects if obj["type"] in TERMINAL]
    return ends[-1] if ends else None


# -- Every recording ---------------------------------------------------------------------------


# All but the one that fails (test_an_in_band_error_fails_the_response).
@pytest.mark.parametrize(
    "path", [p for p in RESPONSES if _terminal(p.read_bytes())], ids=lambda p: p.name
)
def test_a_responses_recording_gives_its_own_terminal_response(path: Path) -> None:
    original = _terminal(path.read_bytes())
    ours = typedstream.accumulate(typedstream.events(path.read_bytes()), into="response")
    assert set(_diff(ours, original)) == ALLOWED.get(path.name, set())


@pytest.mark.parametrize("path", RESPONSES + ANTHROPIC + CHAT, ids=lambda p: p.name)
def test_any_recording_gives_the_response_the_writer_ends_with(path: Path) -> None:
    acc, error = fed(read(path))
    if path.name == "openai_gpt4o_n3_choices.sse":
        with pytest.raises(UnwritableEventError, match="one choice"):
            acc.response()
        return
    assert acc.response(error=error) == written_terminal(read(path))


@pytest.mark.parametrize(
    "path",
    [p for p in RESPONSES if b"event: response.completed" in p.read_bytes()],
    ids=lambda p: p.name,
)
def test_the_response_is_the_openai_sdks_final_response(path: Path) -> None:
    from openai import NOT_GIVEN  # `omit` is newer than openai 1.99.2, the minimum
    from openai.lib.streaming.responses._responses import ResponseStreamState

    state: Any = ResponseStreamState(input_tools=NOT_GIVEN, text_format=NOT_GIVEN)
    with warnings.catch_warnings():
        # Pydantic warns when the SDK dumps an item shape its union does not list exactly.
        warnings.simplefilter("ignore", UserWarning)
        for wire in typedstream.to_responses_events(typedstream.events(path.read_bytes())):
            state.handle_event(wire)
        final = state._completed_response.model_dump(mode="json", exclude_unset=True)
    for item in final["output"]:  # the structured-output helper's slots
        item.pop("parsed_arguments", None)
        for part in item.get("content") or ():
            part.pop("parsed", None)
    ours = typedstream.accumulate(typedstream.events(path.read_bytes()), into="response")
    assert ours == final


# -- Statuses ----------------------------------------------------------------------------------


def test_a_cutting_stop_makes_the_response_incomplete() -> None:
    path = CORPUS / "responses" / "lingua_openai_gpt5nano_incomplete_message.sse"
    response = typedstream.accumulate(typedstream.events(path.read_bytes()), into="response")
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}


def test_a_chat_stream_cut_by_max_tokens_is_incomplete() -> None:
    body = (CORPUS / "openai_gpt4o_finish_length.sse").read_bytes()
    response = typedstream.accumulate(typedstream.events(body), into="response")
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response["output"][-1]["status"] == "incomplete"


def test_an_in_band_error_fails_the_response() -> None:
    body = (CORPUS / "responses" / "vai_openai_gpt5nano_error_then_failed.sse").read_bytes()
    acc = Accumulator(response=True)
    with pytest.raises(typedstream.ProviderError, match="exceeded your current quota"):
        for event in typedstream.events(body):
            acc.add(event)
    response = acc.response()
    assert response["status"] == "failed"
    assert response["error"]["code"] == "insufficient_quota"
    assert response == _last_response(body)


def test_another_protocols_in_band_error_fails_the_response_with_its_message() -> None:
    reply = scenario("anthropic_tools").error_after(5, "overloaded")
    acc, error = fed(typedstream.events(b"".join(reply.frames)))
    assert isinstance(error, typedstream.ProviderError)
    response = acc.response()
    assert response["status"] == "failed"
    assert response["error"] == {"code": "server_error", "message": "overloaded"}
    assert response["output"][0]["content"][0]["text"] == "Okay, let me check "


def test_a_cut_stream_leaves_the_response_in_progress_with_what_arrived() -> None:
    acc, error = fed(typedstream.events(b"".join(scenario("responses_tools").frames[:12])))
    assert isinstance(error, IncompleteStreamError)
    response = acc.response()
    assert response["status"] == "in_progress"
    assert response["usage"] is None
    statuses = [(item["type"], item["status"]) for item in response["output"]]
    assert statuses == [("message", "completed"), ("function_call", "in_progress")]
    assert response["output"][1]["arguments"] == '{"lo'


def test_the_error_that_ended_a_cut_stream_fails_the_response_for_good() -> None:
    acc, error = fed(typedstream.events(b"".join(scenario("responses_tools").frames[:12])))
    response = acc.response(error=error)
    assert response["status"] == "failed"
    assert response["error"]["code"] == "server_error"
    assert response["error"]["message"].startswith("the stream ended")
    acc.add(TextDelta("late"))
    assert acc.response() == response
    assert acc.response(error=RuntimeError("again")) == response


def test_a_stream_cut_after_a_cutting_stop_ends_incomplete() -> None:
    body = (CORPUS / "openai_gpt4o_finish_length.sse").read_bytes()
    events = [e for e in typedstream.events(body) if e.kind != "usage"]
    acc, _ = fed(events)
    cut = IncompleteStreamError("the stream ended after its finish")
    response = acc.response(error=cut)
    assert (response["status"], response["error"]) == ("incomplete", None)


def _last_response(body: bytes) -> dict[str, Any]:
    objects = [
        json.loads(line[6:]) for line in body.decode().splitlines() if line.startswith("data: ")
    ]
    response: dict[str, Any] = [o for o in objects if "response" in o][-1]["response"]
    return response


# -- Snapshots ---------------------------------------------------------------------------------


def test_snapshots_are_in_progress_until_the_finish_and_agree_with_the_final_response() -> None:
    path = CORPUS / "responses" / "pai_openai_o3mini_reasoning_summary.sse"
    events = list(typedstream.events(path.read_bytes()))
    final = typedstream.accumulate(events, into="response")
    acc = Accumulator(response=True)
    finished = started = False
    for event in events:
        acc.add(event)
        finished = finished or isinstance(event, ChoiceFinished)
        started = started or isinstance(event, StreamStarted)
        snapshot = acc.response()
        assert snapshot["status"] == ("completed" if finished else "in_progress")
        assert snapshot["id"] == (final["id"] if started else "")
        *done, last = snapshot["output"] or [None]
        # Items done are as they end, but for the copy of encrypted reasoning the terminal
        # response brings (rule R23).
        assert unsealed(done) == unsealed(final["output"][: len(done)])
        if last is not None and last != final["output"][len(done)]:  # the open item so far
            whole = final["output"][len(done)]
            for key in ("summary", "content"):
                for part, complete in zip(last.get(key, ()), whole.get(key, ()), strict=False):
                    assert complete["text"].startswith(part["text"])
    assert acc.response() == final


def unsealed(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in item.items() if k != "encrypted_content"} for item in items]


def test_a_snapshot_is_not_changed_by_later_events() -> None:
    acc = Accumulator(response=True)
    acc.extend([StreamStarted("chatcmpl-1", "gpt-x", 1700000000), TextDelta("Hel")])
    before = acc.response()
    acc.add(TextDelta("lo"))
    assert before["output"][0]["content"][0]["text"] == "Hel"
    assert acc.response()["output"][0]["content"][0]["text"] == "Hello"
    before["output"].clear()
    assert acc.response()["output"]


def test_changing_a_snapshot_does_not_change_the_accumulator() -> None:
    events = list(typedstream.events(scenario("responses_tools").payloads()))
    acc = Accumulator(response=True)
    acc.extend(events[:12])  # the message is done, a call streams
    acc.response()["output"][0]["content"].clear()
    acc.extend(events[12:])
    final = acc.response()
    assert final["output"][0]["content"][0]["text"] == "Let me check both."
    final["output"].clear()
    final["tools"].clear()
    assert len(acc.response()["output"]) == 3
    assert acc.response()["tools"]


def test_before_the_generated_id_is_seeded_the_id_is_empty() -> None:
    acc = Accumulator(response=True)
    assert acc.response()["id"] == ""
    acc.add(StreamStarted("chatcmpl-1", "gpt-x", 1700000000))
    early = acc.response()
    assert (early["id"], early["model"], early["status"]) == ("", "gpt-x", "in_progress")
    acc.add(TextDelta("Hi"))
    assert acc.response()["id"].startswith("resp_")


# -- Options and errors ------------------------------------------------------------------------


def test_without_the_opt_in_the_response_is_a_usage_error_saying_how() -> None:
    acc = Accumulator()
    acc.add(TextDelta("Hi"))
    with pytest.raises(UsageError, match=r"Accumulator\(response=True\)"):
        acc.response()


def test_the_opt_in_leaves_the_default_accumulators_add_untouched() -> None:
    plain = Accumulator()
    assert type(plain) is Accumulator
    assert type(plain).add is Accumulator.add  # no per-event test for a writer when off
    assert isinstance(Accumulator(response=True), Accumulator)


def test_a_subclass_cannot_opt_in_and_says_so() -> None:
    class Mine(Accumulator):
        __slots__ = ()

    assert type(Mine()) is Mine
    with pytest.raises(UsageError, match=r"Mine\(response=\.\.\.\)"):
        Mine(response=True)


def test_a_writer_given_to_the_accumulator_sets_the_echo_fields() -> None:
    writer = ResponsesWriter(model="gpt-5", echo={"instructions": "Be brief.", "tools": []})
    acc, _ = fed(
        typedstream.events(scenario("openai_tools").payloads()), Accumulator(response=writer)
    )
    response = acc.response()
    assert (response["model"], response["instructions"]) == ("gpt-5", "Be brief.")
    assert [item["type"] for item in response["output"]] == [
        "message",
        "function_call",
        "function_call",
    ]


def test_a_second_choice_fails_the_response_but_not_the_completion() -> None:
    acc = Accumulator(response=True)
    acc.extend([TextDelta("a"), TextDelta("b", choice=1)])
    assert [c.message.content for c in acc.completion().choices] == ["a", "b"]
    with pytest.raises(UnwritableEventError, match="one choice"):
        acc.response()


def test_what_is_not_an_event_is_refused_before_the_writer_sees_it() -> None:
    acc = Accumulator(response=True)
    with pytest.raises(TypeError, match=r"typedstream\.events"):
        acc.add({"choices": []})  # type: ignore[arg-type]
    assert acc.response()["output"] == []


def test_the_response_model_is_the_openai_sdks_response() -> None:
    from openai.types.responses import Response

    acc, _ = fed(typedstream.events(scenario("responses_tools").payloads()))
    model = acc.response_model()
    assert isinstance(model, Response)
    message = model.output[0]
    assert message.type == "message"
    assert [part.text for part in message.content if part.type == "output_text"] == [
        "Let me check both."
    ]
    assert model.model_dump(mode="json", exclude_unset=True) == acc.response()


async def test_aaccumulate_into_response() -> None:
    body = b"".join(scenario("responses_text").frames)
    ours = await typedstream.aaccumulate(typedstream.aevents(body), into="response")
    assert ours == scenario("responses_text").payloads()[-1]["response"]
