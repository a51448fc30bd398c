"""Property: re-serializing the events of an OpenAI-shaped stream gives the same events back.

Hypothesis generates chunk streams in OpenAI's own shapes (docs/openai-exact.md): n > 1
choices interleaved chunk by chunk, text, refusals, logprobs, single and parallel tool calls
(both ways OpenAI packs the role with the first header), legacy ``function_call``, 2024 and
2025 envelopes, usage and moderation chunks. For each,
``events(to_openai_chunks(events(x)))`` must equal ``events(x)`` exactly (ids included), and
the output must pass the checker and match its SSE form.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import typedstream
from typedstream import check_openai_chunks, to_openai_chunks, to_sse

Chunk = dict[str, Any]

text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8)
names = st.text(
    st.characters(categories=("L", "N"), include_characters="_"), min_size=1, max_size=12
)
call_ids = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=4, max_size=24
)


def token(fragment: str, logprob: float) -> dict[str, Any]:
    return {
        "token": fragment,
        "logprob": logprob,
        "bytes": list(fragment.encode()),
        "top_logprobs": [],
    }


@st.composite
def fragments(draw: st.DrawFn) -> list[str]:
    return draw(st.lists(text, min_size=1, max_size=4))


@st.composite
def choice_chunks(draw: st.DrawFn, index: int) -> list[Chunk]:
    """The choices[0] entries of one choice, in order, finish included."""
    out: list[Chunk] = []

    def add(delta: dict[str, Any], logprobs: Any = None, finish: str | None = None) -> None:
        out.append({"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish})

    kind = draw(st.sampled_from(["text", "refusal", "tools", "text_tools", "legacy", "empty"]))
    logprobs = draw(st.booleans())
    lp = st.floats(-20, 0, allow_nan=False)
    if kind in ("text", "text_tools", "empty"):
        add(
            {"role": "assistant", "content": "", "refusal": None},
            {"content": [], "refusal": None} if logprobs else None,
        )
        if kind != "empty":
            for fragment in draw(fragments()):
                add(
                    {"content": fragment},
                    {"content": [token(fragment, draw(lp))], "refusal": None} if logprobs else None,
                )
    if kind == "refusal":
        add(
            {"role": "assistant", "content": None, "refusal": ""},
            {"content": None, "refusal": []} if logprobs else None,
        )
        for fragment in draw(fragments()):
            add(
                {"refusal": fragment},
                {"content": None, "refusal": [token(fragment, draw(lp))]} if logprobs else None,
            )
    if kind in ("tools", "text_tools"):
        count = draw(st.integers(1, 3))
        ids = draw(st.lists(call_ids, min_size=count, max_size=count, unique=True))
        packed = kind == "tools" and draw(st.booleans())  # role + first header in one chunk
        if kind == "tools" and not packed:
            add({"role": "assistant", "content": None})  # OpenAI's parallel-call shape
        for i, call_id in enumerate(ids):
            entry = {
                "index": i,
                "id": call_id,
                "type": "function",
                "function": {"name": draw(names), "arguments": ""},
            }
            if packed and i == 0:
                add({"role": "assistant", "content": None, "tool_calls": [entry], "refusal": None})
            else:
                add({"tool_calls": [entry]})
            for fragment in draw(st.lists(text, max_size=4)):
                add({"tool_calls": [{"index": i, "function": {"arguments": fragment}}]})
    if kind == "legacy":
        name = draw(names)
        add(
            {"role": "assistant", "content": None, "function_call": {"name": name, "arguments": ""}}
        )
        for fragment in draw(fragments()):
            add({"function_call": {"arguments": fragment}})
    finish = {
        "text": st.sampled_from(["stop", "length", "content_filter"]),
        "empty": st.just("stop"),
        "refusal": st.just("stop"),
        "tools": st.just("tool_calls"),
        "text_tools": st.just("tool_calls"),
        "legacy": st.just("function_call"),
    }[kind]
    add({}, None, draw(finish))
    return out


usage_objects = st.fixed_dictionaries(
    {
        "prompt_tokens": st.integers(0, 10**6),
        "completion_tokens": st.integers(0, 10**6),
        "total_tokens": st.integers(0, 10**6),
    },
    optional={
        "prompt_tokens_details": st.fixed_dictionaries(
            {"cached_tokens": st.integers(0, 99), "audio_tokens": st.integers(0, 99)}
        ),
        "completion_tokens_details": st.fixed_dictionaries(
            {"reasoning_tokens": st.integers(0, 99)},
            optional={"accepted_prediction_tokens": st.integers(0, 9)},
        ),
    },
)


@st.composite
def openai_streams(draw: st.DrawFn) -> list[Chunk]:
    envelope: Chunk = {
        "id": "chatcmpl-" + draw(call_ids),
        "object": "chat.completion.chunk",
        "created": draw(st.integers(0, 2**31)),
        "model": draw(
            st.sampled_from(["gpt-4o-2024-08-06", "gpt-5-2025-08-07", "gpt-3.5-turbo-0613"])
        ),
    }
    modern = draw(st.booleans())  # 2025+: service tier, usage: null, obfuscation
    if modern:
        envelope["service_tier"] = "default"
    fingerprint = draw(st.sampled_from([None, "absent", "fp_5050236cbd"]))
    if fingerprint != "absent":
        envelope["system_fingerprint"] = fingerprint
    n = draw(st.integers(1, 3))
    queues = [draw(choice_chunks(i)) for i in range(n)]
    entries: list[Chunk] = []
    while any(queues):  # interleave the choices chunk by chunk, each in its own order
        live = [q for q in queues if q]
        entries.append(draw(st.sampled_from(live)).pop(0))
    chunks = [{**envelope, "choices": [entry]} for entry in entries]
    usage = draw(st.none() | usage_objects)
    if usage is not None:
        chunks.append({**envelope, "choices": [], "usage": usage})
    if draw(st.booleans()):
        moderation = {"input": {"type": "moderation_results", "model": "m", "results": []}}
        chunks.append({**envelope, "choices": [], "moderation": moderation})
    if modern:
        for i, chunk in enumerate(chunks):
            chunk.setdefault("usage", None)
            chunk["obfuscation"] = "x" * (i % 7 + 1)
    return chunks


@settings(max_examples=150, deadline=None)
@given(openai_streams())
def test_re_serialized_events_are_the_same_events(chunks: list[Chunk]) -> None:
    assert check_openai_chunks(chunks) == []  # the generator really makes OpenAI streams
    original = list(typedstream.events(chunks))
    again = list(typedstream.events(to_openai_chunks(typedstream.events(chunks))))
    assert again == original


@settings(max_examples=75, deadline=None)
@given(openai_streams())
def test_re_serialized_chunks_pass_the_checker_and_match_their_sse(chunks: list[Chunk]) -> None:
    dumped = [
        c.model_dump(mode="json", exclude_unset=True)
        for c in to_openai_chunks(typedstream.events(chunks))
    ]
    assert check_openai_chunks(dumped) == []
    frames = list(to_sse(typedstream.events(chunks)))
    assert frames[-1] == b"data: [DONE]\n\n"
    assert [json.loads(f[6:]) for f in frames[:-1]] == dumped
