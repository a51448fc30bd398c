"""Anthropic → events → Anthropic, on every recording of the Anthropic corpus (issue 15, "Done
when"; docs/event-model.md §10).

Each recording is read with ``typedstream.events()`` and written with ``to_anthropic_sse()``;
the two streams must add up to the same message as the ``anthropic`` SDK builds it
(``accumulate_event``, what ``MessageStream.get_final_message()`` uses), and be the same events
once the framing §10 allows is set aside (``FRAMING`` below spells it out). The output passes
``check_anthropic_events`` with no finding at all.

The two ``anthropicsdk_*`` fixtures were stored without the blank line that ends the last SSE
event (their README.txt). Read as they are, that last event (``message_stop``) is lost, as the
SSE standard and the SDK's decoder have it, so the stream is cut: the round trip uses the
stream as the API sent it, with its final blank line, and a separate test pins what the cut
file gives.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from corpus import CORPUS

import typedstream
from typedstream import check_anthropic_events, to_anthropic_events, to_anthropic_sse
from typedstream.testing import TOOLS, LoopbackProvider, Reply

anthropic = pytest.importorskip("anthropic")

ANTHROPIC = CORPUS / "anthropic"
RECORDINGS = sorted(p for p in ANTHROPIC.iterdir() if p.suffix in (".sse", ".jsonl"))
NAMES = [p.name for p in RECORDINGS]
UNTERMINATED = frozenset(
    p.name for p in RECORDINGS if p.suffix == ".sse" and not p.read_bytes().endswith(b"\n\n")
)


def parse(body: bytes) -> list[dict[str, Any]]:
    """The event payloads of an SSE body (each frame's ``data``), pings included."""
    out = []
    for frame in body.replace(b"\r\n", b"\n").split(b"\n\n"):
        data = [line[5:].lstrip(b" ") for line in frame.split(b"\n") if line.startswith(b"data:")]
        if data:
            out.append(json.loads(b"\n".join(data)))
    return out


def sent(path: Path) -> Any:
    """The recording as the API sent it: the SSE body (with its final blank line) or the
    decoded events of a ``.jsonl`` file."""
    raw = path.read_bytes()
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in raw.splitlines() if line.strip()]
    return raw if raw.endswith(b"\n\n") else raw + b"\n\n"


def original(path: Path) -> list[dict[str, Any]]:
    source = sent(path)
    return parse(source) if isinstance(source, bytes) else source


def written(path: Path) -> bytes:
    return b"".join(to_anthropic_sse(typedstream.events(sent(path))))


def sdk_message(events: list[dict[str, Any]], *, beta: bool = False) -> dict[str, Any]:
    """The message the ``anthropic`` SDK accumulates from ``events``, as JSON: the keys the
    wire sent plus what the SDK filled in. The beta accumulator also builds the blocks the
    stable one leaves as they started (``mcp_tool_use`` input, ``compaction`` content)."""
    from anthropic.lib.streaming._beta_messages import accumulate_event as beta_accumulate
    from anthropic.lib.streaming._messages import accumulate_event

    snapshot: Any = None
    buffers: dict[int, bytes] = {}
    headers = httpx.Headers()
    for event in events:
        if event["type"] == "ping":
            continue
        if beta:
            snapshot = beta_accumulate(
                event=event, current_snapshot=snapshot, json_bufs=buffers, request_headers=headers
            )
        else:
            snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=buffers)
    with warnings.catch_warnings():
        # Pydantic warns when it dumps a block type the SDK's union does not list.
        warnings.simplefilter("ignore", UserWarning)
        dumped: dict[str, Any] = snapshot.model_dump(mode="json", exclude_unset=True)
    return dumped


# -- What §10 allows to differ ----------------------------------------------------------------

_INPUT_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def _is_framing(event: dict[str, Any]) -> bool:
    """``ping``; the empty ``thinking_delta`` newer models send before the signature; the empty
    first ``input_json_delta`` of a tool block (the writer always writes it)."""
    if event["type"] == "ping":
        return True
    if event["type"] != "content_block_delta":
        return False
    delta = event["delta"]
    return (delta["type"] == "thinking_delta" and delta["thinking"] == "") or (
        delta["type"] == "input_json_delta" and delta["partial_json"] == ""
    )


def facts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events without their framing (key order is not compared: dicts). ``message_delta``'s
    usage gets the input and cache figures of ``message_start`` it omitted: the values are
    cumulative (D3), so repeating them says the same."""
    start_usage: dict[str, Any] = {}
    out = []
    for event in events:
        if _is_framing(event):
            continue
        if event["type"] == "message_start":
            start_usage = event["message"]["usage"]
        elif event["type"] == "message_delta":
            usage = dict(event["usage"])
            for key in _INPUT_KEYS:
                if key not in usage and key in start_usage:
                    usage[key] = start_usage[key]
            event = {**event, "usage": usage}
        out.append(event)
    return out


# -- Anthropic → events → Anthropic -----------------------------------------------------------


@pytest.mark.parametrize("path", RECORDINGS, ids=NAMES)
@pytest.mark.parametrize("beta", [False, True], ids=["sdk", "beta_sdk"])
def test_the_round_trip_adds_up_to_the_sdks_message_of_the_original(path: Path, beta: bool) -> None:
    assert sdk_message(parse(written(path)), beta=beta) == sdk_message(original(path), beta=beta)


@pytest.mark.parametrize("path", RECORDINGS, ids=NAMES)
def test_the_round_trip_is_the_original_event_for_event_but_its_framing(path: Path) -> None:
    assert facts(parse(written(path))) == facts(original(path))


@pytest.mark.parametrize("path", RECORDINGS, ids=NAMES)
def test_the_round_trip_passes_the_checker(path: Path) -> None:
    assert check_anthropic_events(written(path)) == []


@pytest.mark.parametrize("path", RECORDINGS, ids=NAMES)
# Pydantic warns when it dumps a block type the SDK's union does not list (compaction).
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
def test_the_typed_round_trip_is_the_sse_one(path: Path) -> None:
    typed = to_anthropic_events(typedstream.events(sent(path)))
    assert [e.model_dump(mode="json", exclude_unset=True) for e in typed] == parse(written(path))


def test_the_originals_findings_are_only_their_own_framing() -> None:
    # What the checker flags in the recordings themselves; the round trip repairs all of it.
    flagged = {}
    for path in RECORDINGS:
        source = path.read_bytes() if path.suffix == ".sse" else original(path)
        findings = check_anthropic_events(source)
        if findings:
            flagged[path.name] = sorted({f.rule for f in findings})
    assert flagged == {
        **{name: ["A4"] for name in UNTERMINATED},  # no blank line after the last event
        "vercel_thirdparty_compat_opus45_input_tokens_in_message_delta.sse": ["A3"],  # ping
    }


@pytest.mark.parametrize("name", sorted(UNTERMINATED))
def test_a_fixture_without_its_final_blank_line_is_a_cut_stream_ending_in_an_error(
    name: str,
) -> None:
    # The SSE standard drops an event its blank line does not end: message_stop is lost, so
    # the source raises IncompleteStreamError and the writer ends the stream as Anthropic
    # ends a failed one (B8): the blocks as they came, then one error event.
    out: list[bytes] = []
    with pytest.raises(typedstream.IncompleteStreamError):
        out.extend(to_anthropic_sse(typedstream.events((ANTHROPIC / name).read_bytes())))
    events = parse(b"".join(out))
    whole = [e for e in facts(original(ANTHROPIC / name)) if e["type"].startswith("content")]
    assert [e for e in facts(events) if e["type"].startswith("content")] == whole
    assert events[-1]["type"] == "error"
    assert check_anthropic_events(b"".join(out)) == []


# -- The real anthropic SDK reads the writer's output over HTTP -------------------------------

REQUEST: dict[str, Any] = {
    "model": "claude-x",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "hi"}],
}


def _dump(message: Any) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dumped: dict[str, Any] = message.model_dump(mode="json", exclude_unset=True)
    return dumped


CALLS = ("tool_use", "server_tool_use", "mcp_tool_use")


class Streamed:
    """What ``client.messages.stream()`` gave: its text, thinking and tool-input events, and
    ``get_final_message()`` as JSON."""

    def __init__(self, provider: LoopbackProvider, reply: Reply, *, beta: bool = False) -> None:
        provider.respond(reply)
        self.text = ""
        self.thinking = ""
        self.inputs: list[Any] = []
        with anthropic.Anthropic(base_url=provider.root, api_key="k", max_retries=0) as client:
            messages = client.beta.messages if beta else client.messages
            with messages.stream(**REQUEST) as stream:
                for event in stream:
                    self._take(event)
                self.message = _dump(stream.get_final_message())

    def _take(self, event: Any) -> None:
        if event.type == "text":
            self.text += event.text
        elif event.type == "thinking":
            self.thinking += event.thinking
        elif event.type == "content_block_start" and event.content_block.type in CALLS:
            self.inputs.append(event.content_block.input)
        elif event.type == "input_json":  # the input parsed so far
            self.inputs[-1] = event.snapshot


def _written_reply(path: Path) -> Reply:
    return Reply("anthropic", tuple(to_anthropic_sse(typedstream.events(sent(path)))))


@pytest.mark.parametrize("path", RECORDINGS, ids=NAMES)
@pytest.mark.parametrize("beta", [False, True], ids=["messages", "beta_messages"])
def test_the_sdk_reads_the_round_trip_over_http_as_it_reads_the_original(
    loopback_provider: LoopbackProvider, path: Path, beta: bool
) -> None:
    ours = Streamed(loopback_provider, _written_reply(path), beta=beta)
    theirs = Streamed(loopback_provider, Reply.from_file(path), beta=beta)
    assert ours.message == theirs.message
    assert (ours.text, ours.thinking, ours.inputs) == (theirs.text, theirs.thinking, theirs.inputs)


@pytest.mark.parametrize("path", RECORDINGS, ids=NAMES)
def test_what_the_sdk_streams_is_the_recordings_text_thinking_and_tool_inputs(
    loopback_provider: LoopbackProvider, path: Path
) -> None:
    # Independent of the SDK's own reading of the original: the facts of the recording itself.
    content = sdk_message(original(path), beta=True)["content"]
    ours = Streamed(loopback_provider, _written_reply(path), beta=True)
    assert ours.text == "".join(b["text"] for b in content if b["type"] == "text")
    assert ours.thinking == "".join(b["thinking"] for b in content if b["type"] == "thinking")
    assert ours.inputs == [b["input"] for b in content if b["type"] in CALLS]


# -- …and the writer's output of LiteLLM streams from the loopback providers ------------------

LITELLM_STREAMS = [
    ("openai/gpt-4o", "openai_tools"),
    ("openai/gpt-4o", "openai_reasoning"),
    ("openai/gpt-4o", "openai_text_usage"),
    ("gemini/gemini-1.5-pro", "gemini_tools"),
    ("gemini/gemini-2.5-pro", "gemini_thinking"),
    ("anthropic/claude-3-7-sonnet-20250219", "anthropic_thinking"),
]


def _completion_blocks(completion: Any) -> list[dict[str, Any]]:
    """The Anthropic blocks of a chat completion's facts: its signed thinking (LiteLLM's
    ``thinking_blocks``), its text, its tool calls with their ids unchanged."""
    message = completion.choices[0].message
    blocks: list[dict[str, Any]] = [
        dict(b) for b in (message.model_extra or {}).get("thinking_blocks") or ()
    ]
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    blocks += [
        {
            "type": "tool_use",
            "id": call.id,
            "name": call.function.name,
            "input": json.loads(call.function.arguments),
        }
        for call in message.tool_calls or ()
    ]
    return blocks


@pytest.mark.live
@pytest.mark.parametrize(
    ("model", "scenario"), LITELLM_STREAMS, ids=[s for _, s in LITELLM_STREAMS]
)
def test_the_sdk_builds_the_chat_completion_of_a_litellm_stream(
    litellm: Any, loopback_provider: LoopbackProvider, model: str, scenario: str
) -> None:
    loopback_provider.respond(scenario)
    stream = litellm.completion(
        model=model,
        messages=REQUEST["messages"],
        tools=TOOLS,
        stream=True,
        api_base=loopback_provider.api_base(scenario.split("_")[0]),
        api_key="sk-test",
    )
    events = list(typedstream.events(stream))
    completion = typedstream.accumulate(events)
    body = tuple(to_anthropic_sse(events))
    assert check_anthropic_events(b"".join(body)) == []
    ours = Streamed(loopback_provider, Reply("anthropic", body))
    # State of another origin (a Gemini thought signature) rides in an envelope (event-model
    # §7) as a redacted_thinking block after its call; everything else is the completion's.
    envelopes = [b for b in ours.message["content"] if b["type"] == "redacted_thinking"]
    content = [b for b in ours.message["content"] if b not in envelopes]
    assert content == _completion_blocks(completion)
    states = [e for e in events if isinstance(e, typedstream.OpaqueState)]
    assert [json.loads(b["data"])["data"] for b in envelopes] == [
        s.data for s in states if s.origin == "gemini"
    ]
    assert ours.text == (completion.choices[0].message.content or "")
    assert ours.message["id"] == completion.id
    if completion.usage is not None:
        assert ours.message["usage"]["output_tokens"] == completion.usage.completion_tokens


# -- The signature survives the trip through chat ---------------------------------------------

SIGNED = [
    p
    for p in RECORDINGS
    if p.suffix == ".sse"
    and (b"signature_delta" in (raw := p.read_bytes()) or b'"redacted_thinking"' in raw)
]


def _signed_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in message["content"] if b["type"] in ("thinking", "redacted_thinking")]


@pytest.mark.parametrize("path", SIGNED, ids=[p.name for p in SIGNED])
def test_the_signature_survives_anthropic_to_chat_to_anthropic_byte_identical(path: Path) -> None:
    # Anthropic → events → chat SSE with keep_extensions (LiteLLM's thinking_blocks) →
    # events → Anthropic: each thinking block comes back with its text and its signature, each
    # redacted block with its data, byte for byte.
    chat = b"".join(typedstream.to_sse(typedstream.events(sent(path)), keep_extensions=True))
    body = b"".join(to_anthropic_sse(typedstream.events(chat)))
    assert check_anthropic_events(body) == []
    again = _signed_blocks(sdk_message(parse(body)))
    before = _signed_blocks(sdk_message(original(path)))
    assert again == before
    assert again  # every recording here has one
    for ours, theirs in zip(again, before, strict=True):
        value = "signature" if ours["type"] == "thinking" else "data"
        assert ours[value].encode() == theirs[value].encode()
