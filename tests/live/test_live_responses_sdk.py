"""The real `openai` SDK reads the Responses writer's output over HTTP (docs/responses.md,
"Writing Responses streams").

The chain is real: typed events -> `to_responses_sse()` -> an HTTP server on 127.0.0.1 ->
`client.responses.stream(...)`, whose `ResponseStreamState` rebuilds a snapshot from the
events and whose `get_final_response()` is the `response.completed` response.

- Every Responses recording: the SDK is given the recording's own bytes and the writer's
  output of the recording's events, and must see the same deltas and the same final response
  but for the non-facts docs/responses.md lists (the round trip's `ALLOWED`). The SDK raises
  on an `error` event and has no final response without `response.completed`: there the
  writer's output must make it raise the same way, after the same events.
- LiteLLM streams from the loopback OpenAI, Anthropic and Gemini providers: what the SDK
  rebuilds equals `typedstream.accumulate()` of the same events, and what the scenario says.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
import pytest
from corpus import CORPUS
from litellm_cases import CASES, Case
from test_responses_roundtrip import ALLOWED, _diff

import typedstream
from typedstream import StreamEvent
from typedstream.testing import LoopbackProvider

pytestmark = [
    pytest.mark.live,
    # The SDK's own parse of a web search item whose source type it does not know ("api")
    # warns while it dumps the response; the recording's bytes do it too.
    pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning"),
]

RESPONSES = CORPUS / "responses"
RECORDINGS = sorted(RESPONSES.glob("*.sse"))
ANTHROPIC = CORPUS / "anthropic"

# The SDK re-emits these with a `snapshot` of the text or arguments so far.
SNAPSHOTS = ("response.output_text.delta", "response.function_call_arguments.delta")


# -- the SDK over HTTP ---------------------------------------------------------------------------


@contextmanager
def serving(body: bytes) -> Iterator[str]:
    """A server on 127.0.0.1 answering every POST with ``body`` as an SSE stream."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class Read:
    """What `client.responses.stream()` gave: its events, its final response, what it raised."""

    events: list[Any] = field(default_factory=list)
    final: Any = None
    error: Exception | None = None

    def deltas(self) -> list[tuple[str, int, str]]:
        """Every delta the SDK yielded: (event type, output index, delta)."""
        return [(e.type, e.output_index, e.delta) for e in self.events if e.type.endswith(".delta")]

    def last_response(self) -> Any:
        """The final response, else the response of the last event that carries one."""
        if self.final is not None:
            return self.final
        return next(e.response for e in reversed(self.events) if hasattr(e, "response"))


def sdk_read(body: bytes) -> Read:
    read = Read()
    with (
        serving(body) as base_url,
        openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0) as client,
        client.responses.stream(model="gpt-5", input="hi") as stream,
    ):
        try:
            read.events.extend(stream)
            read.final = stream.get_final_response()
        except (openai.APIError, RuntimeError) as exc:
            read.error = exc
    return read


async def asdk_read(body: bytes) -> Read:
    read = Read()
    with serving(body) as base_url:
        async with (
            openai.AsyncOpenAI(base_url=base_url, api_key="sk-test", max_retries=0) as client,
            client.responses.stream(model="gpt-5", input="hi") as stream,
        ):
            read.events.extend([event async for event in stream])
            read.final = await stream.get_final_response()
    return read


def written(source: Any) -> bytes:
    """The writer's output for a source's events, up to the error that ends a failed stream."""
    frames: list[bytes] = []
    # A ProviderError is raised after the output ended in `error` + `response.failed`.
    with contextlib.suppress(typedstream.ProviderError):
        frames.extend(typedstream.to_responses_sse(typedstream.events(source)))
    return b"".join(frames)


def dump(response: Any) -> dict[str, Any]:
    # Unvalidated SDK objects: dump what arrived, not the model's defaults.
    dumped: dict[str, Any] = response.model_dump(mode="json", exclude_unset=True, warnings=False)
    return dumped


def recorded_deltas(body: bytes) -> list[tuple[str, int, str]]:
    """The recording's own deltas, read from its JSON without typedstream or the SDK."""
    payloads = [
        json.loads(line[len("data: ") :])
        for line in body.decode().splitlines()
        if line.startswith("data: ")
    ]
    return [(p["type"], p["output_index"], p["delta"]) for p in payloads if "delta" in p]


def assert_snapshots_agree(read: Read) -> int:
    """Each `snapshot` is the deltas so far of its item, and a prefix of the item's final text
    or arguments; the last one is all of it. Returns how many snapshots were checked."""
    output = read.last_response().output
    so_far: dict[tuple[int, int], str] = {}
    for event in read.events:
        if event.type not in SNAPSHOTS:
            continue
        part = getattr(event, "content_index", -1)
        key = (event.output_index, part)
        so_far[key] = so_far.get(key, "") + event.delta
        assert event.snapshot == so_far[key]
        item = output[event.output_index]
        final = item.arguments if part < 0 else item.content[part].text
        assert final.startswith(event.snapshot)
    for (index, part), text in so_far.items():
        item = output[index]
        assert text == (item.arguments if part < 0 else item.content[part].text)
    return len(so_far)


# -- every Responses recording -------------------------------------------------------------------


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_the_sdk_sees_the_recorded_deltas_in_the_written_output(path: Path) -> None:
    body = path.read_bytes()
    ours = sdk_read(written(body))
    assert ours.deltas() == recorded_deltas(body)[: len(ours.deltas())]
    if ours.error is None or isinstance(ours.error, RuntimeError):  # read to the end
        assert ours.deltas() == recorded_deltas(body)


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_the_sdk_snapshots_agree_with_the_final_response(path: Path) -> None:
    ours = sdk_read(written(path.read_bytes()))
    if isinstance(ours.error, openai.APIError):  # it raised at `error`: no response to agree with
        assert not [e for e in ours.events if e.type in SNAPSHOTS]
        return
    assert_snapshots_agree(ours)


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_the_sdk_final_response_is_the_recordings_but_for_the_non_facts(path: Path) -> None:
    body = path.read_bytes()
    original, ours = sdk_read(body), sdk_read(written(body))
    assert [type(e).__name__ for e in ours.events] == [type(e).__name__ for e in original.events]
    assert type(ours.error) is type(original.error)
    if ours.error is not None:
        assert str(ours.error) == str(original.error)
    if isinstance(ours.error, openai.APIError):  # raised at `error`: nothing more to compare
        return
    differences = set(_diff(dump(ours.last_response()), dump(original.last_response())))
    assert differences == ALLOWED.get(path.name, set())


def test_the_sdk_raises_at_the_error_event_of_a_failed_stream() -> None:
    ours = sdk_read(written((RESPONSES / "vai_openai_gpt5nano_error_then_failed.sse").read_bytes()))
    assert isinstance(ours.error, openai.APIError)
    assert "exceeded your current quota" in ours.error.message
    assert [e.type for e in ours.events] == ["response.created", "response.in_progress"]


def test_the_sdk_has_no_final_response_for_an_incomplete_stream() -> None:
    ours = sdk_read(
        written((RESPONSES / "lingua_openai_gpt5nano_incomplete_message.sse").read_bytes())
    )
    assert isinstance(ours.error, RuntimeError)
    assert ours.events[-1].type == "response.incomplete"
    response = ours.last_response()
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output[-1].status == "incomplete"


async def test_the_async_sdk_reads_the_async_writers_output() -> None:
    path = RESPONSES / "pai_openai_gpt55_phase_text_then_function_call.sse"
    body = path.read_bytes()
    frames = [f async for f in typedstream.ato_responses_sse(typedstream.aevents(_chunks(body)))]
    ours, original = await asdk_read(b"".join(frames)), await asdk_read(body)
    assert ours.deltas() == recorded_deltas(body)
    assert assert_snapshots_agree(ours) == 2  # the message's text and the call's arguments
    assert set(_diff(dump(ours.final), dump(original.final))) == ALLOWED[path.name]


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for line in body.splitlines(keepends=True):
        yield line


# -- LiteLLM streams from the loopback providers -------------------------------------------------


def sdk_reads_litellm(events: list[StreamEvent]) -> tuple[Read, Any]:
    """What the SDK reads from the writer's output of ``events``, and what accumulate() says."""
    return sdk_read(b"".join(typedstream.to_responses_sse(events))), typedstream.accumulate(events)


def text_of(read: Read, kind: str) -> str:
    return "".join(delta for name, _, delta in read.deltas() if name == kind)


def reasoning_of(response: Any) -> str:
    return "".join(
        part.text
        for item in response.output
        if item.type == "reasoning"
        for part in [*(item.content or ()), *item.summary]
    )


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.scenario)
def test_the_sdk_reads_a_litellm_stream_written_as_responses(
    litellm: Any, loopback: LoopbackProvider, case: Case
) -> None:
    events = list(typedstream.events(litellm.completion(**case.kwargs(loopback))))
    read, completion = sdk_reads_litellm(events)
    message = completion.choices[0].message
    calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or ()]
    assert read.error is None
    final = read.final
    assert final.status == "completed"
    # the deltas
    assert text_of(read, "response.output_text.delta") == (message.content or "") == case.text
    reasoning = text_of(read, "response.reasoning_text.delta") + text_of(
        read, "response.reasoning_summary_text.delta"
    )
    assert reasoning == (getattr(message, "reasoning_content", None) or "") == case.reasoning
    arguments = [d for name, _, d in read.deltas() if name.endswith("arguments.delta")]
    assert "".join(arguments) == "".join(args for _, _, args in calls)
    # the snapshots: one per text part and one per call
    assert assert_snapshots_agree(read) == bool(case.text) + len(calls)
    # the final response
    assert final.output_text == case.text
    assert reasoning_of(final) == case.reasoning
    function_calls = [o for o in final.output if o.type == "function_call"]
    assert [(o.call_id, o.name, o.arguments) for o in function_calls] == calls
    assert [c[1:] for c in calls] == [c[1:] for c in case.calls]
    usage = completion.usage
    assert (final.usage.input_tokens, final.usage.output_tokens, final.usage.total_tokens) == (
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.total_tokens,
    )


@pytest.mark.parametrize(
    ("model", "recording"),
    [
        (
            "anthropic/claude-sonnet-4-20250514",
            ANTHROPIC / "lingua_sonnet4_max_tokens_text_cut.sse",
        ),
        ("openai/gpt-4o", CORPUS / "openai_gpt4o_finish_length.sse"),
    ],
    ids=["anthropic", "openai"],
)
def test_a_litellm_max_tokens_stop_is_an_incomplete_response_to_the_sdk(
    litellm: Any, loopback_provider: LoopbackProvider, model: str, recording: Path
) -> None:
    loopback_provider.respond(recording)
    stream = litellm.completion(
        model=model,
        messages=[{"role": "user", "content": "Tell me a story."}],
        max_tokens=16,
        stream=True,
        stream_options={"include_usage": True},
        api_base=loopback_provider.api_base(
            "openai" if model.startswith("openai") else "anthropic"
        ),
        api_key="sk-loopback",
    )
    events = list(typedstream.events(stream))
    read, completion = sdk_reads_litellm(events)
    (choice,) = completion.choices
    assert choice.finish_reason == "length"
    assert isinstance(read.error, RuntimeError)  # no response.completed: no final response
    assert read.events[-1].type == "response.incomplete"
    response = read.last_response()
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    (message,) = [item for item in response.output if item.type == "message"]
    assert message.status == "incomplete"
    assert message.content[0].text == choice.message.content
    assert text_of(read, "response.output_text.delta") == choice.message.content
    assert assert_snapshots_agree(read) == 1
    if completion.usage is not None:
        assert response.usage.output_tokens == completion.usage.completion_tokens
