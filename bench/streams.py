"""Deterministic benchmark streams: OpenAI-shaped chunks and Anthropic-shaped events.

Each stream is a list of wire chunks (the JSON objects OpenAI sends) shaped like the 2025-2026
recordings in the corpus (``openai_2026_gpt4omini_*.sse``): the full envelope on every chunk
(``id``, ``object``, ``created``, ``model``, ``service_tier``, ``system_fingerprint``),
``usage: null`` and an ``obfuscation`` pad on every chunk (``stream_options.include_usage``),
a role chunk per choice, token-sized fragments, an empty-delta finish chunk per choice and a
final ``choices: []`` usage chunk. A seeded ``random.Random`` makes every run build the very
same bytes.

``scale`` multiplies the length of the stream (more tokens per text, longer arguments per
call) without changing its shape, to show how the per-chunk cost grows.

The Anthropic streams (``ANTHROPIC_STREAMS``) are Messages API event payloads shaped like the
2025-2026 recordings in ``tests/recordings/anthropic/`` (``llmanthropic_sonnet45_text``,
``pydanticai_sonnet4_thinking_signature``, ``llmanthropic_haiku45_parallel_tool_use_noargs``,
``crewai_haiku35_text_then_tool_use``): ``message_start`` with the full usage (cache fields,
``service_tier``, ``inference_geo``), one ``ping`` after the first ``content_block_start``,
``content_block_start``/``_delta``/``_stop`` per block, ``message_delta`` with the stop reason
and the final usage, ``message_stop``. Their SSE body (``anthropic_sse_body``) names each
event (``event: X``) and pads each payload with 0-15 spaces before its last ``}``, as the API
does; ``ping`` is written ``{"type": "ping"}``, as the API writes it.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ANTHROPIC_STREAMS",
    "STREAMS",
    "AnthropicStream",
    "Stream",
    "anthropic_sse_body",
    "build",
    "build_anthropic",
    "sse_body",
    "sse_pieces",
]

_PROSE = (
    "the capital of France is Paris which sits on the Seine and has been the political "
    "cultural and economic centre of the country for centuries its museums include the "
    "Louvre and the Musée d'Orsay while its cafés restaurants and markets draw visitors "
    "from all over the world every year, in spring the chestnut trees along the boulevards "
    "bloom and the river banks fill with people reading talking or simply watching boats"
)
_WORDS = _PROSE.split(" ")
_PAD = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Stream:
    """One benchmark stream: its name and its wire chunks (usage chunk included)."""

    name: str
    chunks: list[dict[str, Any]]


class _Envelope:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.id = "chatcmpl-" + "".join(rng.choice(_PAD) for _ in range(29))

    def chunk(self, choices: list[dict[str, Any]], usage: Any = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": 1782955818,
            "model": "gpt-4o-mini-2024-07-18",
            "service_tier": "default",
            "system_fingerprint": "fp_d0469e1700",
            "choices": choices,
            "usage": usage,
            "obfuscation": "".join(self.rng.choice(_PAD) for _ in range(self.rng.randint(2, 12))),
        }


def _choice(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}


def _tokens(rng: random.Random, count: int) -> Iterator[str]:
    """Word-like text fragments, as a tokenizer cuts prose (a leading space, 1-2 words)."""
    for i in range(count):
        word = _WORDS[rng.randrange(len(_WORDS))]
        yield word if i == 0 else " " + word


def _usage(completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": 364,
        "completion_tokens": completion,
        "total_tokens": 364 + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _cut(text: str, rng: random.Random, most: int = 8) -> Iterator[str]:
    """Cut JSON text into fragments of 1-``most`` characters, as models stream arguments."""
    i = 0
    while i < len(text):
        step = rng.randint(1, most)
        yield text[i : i + step]
        i += step


def text_stream(scale: int = 1) -> Stream:
    """One choice of prose: a role chunk, 400xscale text chunks, finish and usage."""
    rng = random.Random(1)
    env = _Envelope(rng)
    count = 400 * scale
    chunks = [env.chunk([_choice(0, {"role": "assistant", "content": "", "refusal": None})])]
    chunks += [env.chunk([_choice(0, {"content": t})]) for t in _tokens(rng, count)]
    chunks.append(env.chunk([_choice(0, {}, "stop")]))
    chunks.append(env.chunk([], _usage(count)))
    return Stream("text" if scale == 1 else f"textx{scale}", chunks)


def tools_stream(scale: int = 1) -> Stream:
    """Three long parallel tool calls, one after another (OpenAI's order): ~400xscale chunks."""
    rng = random.Random(2)
    env = _Envelope(rng)
    chunks = [env.chunk([_choice(0, {"role": "assistant", "content": None})])]
    for index, name in enumerate(("search_documents", "write_report", "send_email")):
        body = "".join(_tokens(rng, 70 * scale))
        arguments = json.dumps({"query": body, "limit": 10, "tags": ["a", "b"]}, ensure_ascii=False)
        call_id = "call_" + "".join(rng.choice(_PAD) for _ in range(24))
        header = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        chunks.append(env.chunk([_choice(0, {"tool_calls": [header]})]))
        for part in _cut(arguments, rng):
            entry = {"index": index, "function": {"arguments": part}}
            chunks.append(env.chunk([_choice(0, {"tool_calls": [entry]})]))
    chunks.append(env.chunk([_choice(0, {}, "tool_calls")]))
    chunks.append(env.chunk([], _usage(len(chunks))))
    return Stream("tools" if scale == 1 else f"toolsx{scale}", chunks)


def n3_stream(scale: int = 1) -> Stream:
    """Three choices interleaved by index (``n=3``), ~133xscale text chunks each."""
    rng = random.Random(3)
    env = _Envelope(rng)
    count = 133 * scale
    texts = [list(_tokens(rng, count)) for _ in range(3)]
    chunks: list[dict[str, Any]] = []
    for index in range(3):
        role = {"role": "assistant", "content": "", "refusal": None}
        chunks.append(env.chunk([_choice(index, role)]))
    for position in range(count):
        for index in range(3):
            chunks.append(env.chunk([_choice(index, {"content": texts[index][position]})]))
    for index in range(3):
        chunks.append(env.chunk([_choice(index, {}, "stop")]))
    chunks.append(env.chunk([], _usage(3 * count)))
    return Stream("n=3" if scale == 1 else f"n=3x{scale}", chunks)


STREAMS = (text_stream, tools_stream, n3_stream)
"""The stream builders, each taking ``scale``."""


def build(scale: int = 1) -> list[Stream]:
    """Every benchmark stream at ``scale``."""
    return [make(scale) for make in STREAMS]


def sse_body(stream: Stream) -> bytes:
    """The SSE body OpenAI would send for the stream (compact JSON, ``[DONE]`` at the end)."""
    frames = [
        b"data: " + json.dumps(c, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"
        for c in stream.chunks
    ]
    return b"".join(frames) + b"data: [DONE]\n\n"


def sse_pieces(body: bytes, size: int = 4096) -> list[bytes]:
    """The body cut into ``size``-byte pieces, as an HTTP client's ``iter_bytes()`` gives it."""
    return [body[i : i + size] for i in range(0, len(body), size)]


# -- Anthropic Messages streams ----------------------------------------------------------------


@dataclass(frozen=True)
class AnthropicStream:
    """One Anthropic benchmark stream: its name and its event payloads (``ping`` included)."""

    name: str
    events: list[dict[str, Any]]


def _anthropic_id(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice(_PAD) for _ in range(22))


def _message_start(rng: random.Random, input_tokens: int) -> dict[str, Any]:
    usage = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 1,
        "service_tier": "standard",
        "inference_geo": "not_available",
    }
    message = {
        "model": "claude-sonnet-4-5-20250929",
        "id": _anthropic_id(rng, "msg_01"),
        "type": "message",
        "role": "assistant",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return {"type": "message_start", "message": message}


def _message_end(stop_reason: str, input_tokens: int, output: int) -> list[dict[str, Any]]:
    usage = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output,
    }
    delta = {"stop_reason": stop_reason, "stop_sequence": None, "stop_details": None}
    return [{"type": "message_delta", "delta": delta, "usage": usage}, {"type": "message_stop"}]


def _block(index: int, content_block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": content_block}


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def _stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


_PING = {"type": "ping"}


def _phrases(rng: random.Random, count: int, most: int) -> Iterator[str]:
    """``count`` fragments of 1-``most`` words, as Claude streams text and thinking."""
    words = _tokens(rng, count * most)
    for _ in range(count):
        yield "".join(next(words) for _ in range(rng.randint(1, most)))


def _signature(rng: random.Random) -> str:
    """A base64 thinking signature of the usual length (about 500 characters)."""
    return "".join(rng.choice(_PAD + "+/") for _ in range(492)) + "AQ=="


def anthropic_text_stream(scale: int = 1) -> AnthropicStream:
    """A thinking block (60xscale deltas and a signature), then 400xscale text deltas."""
    rng = random.Random(11)
    events = [
        _message_start(rng, 43),
        _block(0, {"type": "thinking", "thinking": "", "signature": ""}),
    ]
    events.append(_PING)
    events += [
        _delta(0, {"type": "thinking_delta", "thinking": t}) for t in _phrases(rng, 60 * scale, 5)
    ]
    events.append(_delta(0, {"type": "thinking_delta", "thinking": ""}))
    events.append(_delta(0, {"type": "signature_delta", "signature": _signature(rng)}))
    events += [_stop(0), _block(1, {"type": "text", "text": ""})]
    events += [_delta(1, {"type": "text_delta", "text": t}) for t in _phrases(rng, 400 * scale, 3)]
    events.append(_stop(1))
    events += _message_end("end_turn", 43, 2 * 460 * scale)
    return AnthropicStream("a-text" if scale == 1 else f"a-textx{scale}", events)


def anthropic_tools_stream(scale: int = 1) -> AnthropicStream:
    """A short text block, then three long ``tool_use`` blocks streamed as ``input_json_delta``."""
    rng = random.Random(12)
    events = [_message_start(rng, 542), _block(0, {"type": "text", "text": ""}), _PING]
    events += [_delta(0, {"type": "text_delta", "text": t}) for t in _phrases(rng, 12, 3)]
    events.append(_stop(0))
    for index, name in enumerate(("search_documents", "write_report", "send_email"), 1):
        body = "".join(_tokens(rng, 100 * scale))
        arguments = json.dumps({"query": body, "limit": 10, "tags": ["a", "b"]}, ensure_ascii=False)
        tool = {
            "type": "tool_use",
            "id": _anthropic_id(rng, "toolu_01"),
            "name": name,
            "input": {},
            "caller": {"type": "direct"},
        }
        events += [
            _block(index, tool),
            _delta(index, {"type": "input_json_delta", "partial_json": ""}),
        ]
        events += [
            _delta(index, {"type": "input_json_delta", "partial_json": part})
            for part in _cut(arguments, rng, 12)
        ]
        events.append(_stop(index))
    events += _message_end("tool_use", 542, len(events))
    return AnthropicStream("a-tools" if scale == 1 else f"a-toolsx{scale}", events)


ANTHROPIC_STREAMS = (anthropic_text_stream, anthropic_tools_stream)
"""The Anthropic stream builders, each taking ``scale``."""


def build_anthropic(scale: int = 1) -> list[AnthropicStream]:
    """Every Anthropic benchmark stream at ``scale``."""
    return [make(scale) for make in ANTHROPIC_STREAMS]


def anthropic_sse_body(stream: AnthropicStream) -> bytes:
    """The SSE body the Messages API would send: named events, padded compact JSON."""
    rng = random.Random(stream.name)
    frames = []
    for event in stream.events:
        kind = event["type"]
        if kind == "ping":
            data = '{"type": "ping"}'
        else:
            text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
            data = text[:-1] + " " * rng.randint(0, 15) + "}"
        frames.append(f"event: {kind}\ndata: {data}\n\n".encode())
    return b"".join(frames)


# -- OpenAI Responses streams ------------------------------------------------------------------

RESPONSES_RECORDINGS = Path(__file__).resolve().parent.parent / "tests" / "recordings" / "responses"
"""Where the recorded Responses streams the bench replays live (tests/recordings/README.txt)."""

# Bench name -> recording: a long stream (o3-mini, 676 events: four reasoning summary parts
# then a message) and a short one (gpt-5.5, 33 events: reasoning, a commentary message, a
# function call). Both are byte-exact captures of the API (the pai_* provenance class).
RESPONSES_SOURCES: dict[str, str] = {
    "r-summary": "pai_openai_o3mini_reasoning_summary",
    "r-call": "pai_openai_gpt55_phase_text_then_function_call",
}
# The text deltas a longer stream repeats (function call arguments stay whole JSON).
_TEXT_DELTAS = frozenset(
    {
        "response.output_text.delta",
        "response.refusal.delta",
        "response.reasoning_text.delta",
        "response.reasoning_summary_text.delta",
    }
)


@dataclass(frozen=True)
class ResponsesStream:
    """One Responses benchmark stream: its name and its event payloads, in wire order."""

    name: str
    events: list[dict[str, Any]]


def _recorded_events(path: Path) -> list[dict[str, Any]]:
    """The data payloads of a recorded Responses SSE body, decoded."""
    events = []
    for frame in path.read_bytes().split(b"\n\n"):
        for line in frame.split(b"\n"):
            if line.startswith(b"data: "):
                events.append(json.loads(line[6:]))
    return events


def _lengthen(events: list[dict[str, Any]], scale: int) -> list[dict[str, Any]]:
    """The stream with every text delta sent ``scale`` times, still a valid stream.

    Each part's whole text (its ``.done`` event, its part, its item and the terminal
    response repeat it) becomes the repeated deltas joined, and ``sequence_number`` counts
    the longer stream again. Function call arguments are left as they are: repeating their
    deltas would not be JSON.
    """
    texts: dict[tuple[Any, ...], tuple[list[str], list[str]]] = {}
    longer: list[dict[str, Any]] = []
    for event in events:
        if event["type"] in _TEXT_DELTAS:
            key = (
                event["type"],
                event.get("output_index"),
                event.get("content_index"),
                event.get("summary_index"),
            )
            old, new = texts.setdefault(key, ([], []))
            old.append(event["delta"])
            new += [event["delta"]] * scale
            longer += [dict(event) for _ in range(scale)]
        else:
            longer.append(event)
    whole = {"".join(old): "".join(new) for old, new in texts.values() if "".join(old)}

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return whole.get(value, value)
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value

    longer = [e if e["type"] in _TEXT_DELTAS else swap(e) for e in longer]
    if "sequence_number" in events[0]:
        for number, event in enumerate(longer):
            event["sequence_number"] = number
    return longer


def build_responses(scale: int = 1) -> list[ResponsesStream]:
    """Every Responses benchmark stream, its text deltas sent ``scale`` times."""
    found = []
    for name, recording in RESPONSES_SOURCES.items():
        events = _recorded_events(RESPONSES_RECORDINGS / f"{recording}.sse")
        if scale != 1:
            events, name = _lengthen(events, scale), f"{name}x{scale}"
        found.append(ResponsesStream(name, events))
    return found


def responses_sse_body(stream: ResponsesStream) -> bytes:
    """The SSE body the Responses API sends: ``event: <type>`` and compact JSON per event
    (for the unscaled streams, the recordings' very bytes)."""
    return b"".join(
        b"event: "
        + event["type"].encode()
        + b"\ndata: "
        + json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        + b"\n\n"
        for event in stream.events
    )
