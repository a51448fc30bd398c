"""Deterministic, OpenAI-shaped benchmark streams.

Each stream is a list of wire chunks (the JSON objects OpenAI sends) shaped like the 2025-2026
recordings in the corpus (``openai_2026_gpt4omini_*.sse``): the full envelope on every chunk
(``id``, ``object``, ``created``, ``model``, ``service_tier``, ``system_fingerprint``),
``usage: null`` and an ``obfuscation`` pad on every chunk (``stream_options.include_usage``),
a role chunk per choice, token-sized fragments, an empty-delta finish chunk per choice and a
final ``choices: []`` usage chunk. A seeded ``random.Random`` makes every run build the very
same bytes.

``scale`` multiplies the length of the stream (more tokens per text, longer arguments per
call) without changing its shape, to show how the per-chunk cost grows.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["STREAMS", "Stream", "build", "sse_body", "sse_pieces"]

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


def _cut(text: str, rng: random.Random) -> Iterator[str]:
    """Cut JSON text into fragments of 1-8 characters, as models stream arguments."""
    i = 0
    while i < len(text):
        step = rng.randint(1, 8)
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
