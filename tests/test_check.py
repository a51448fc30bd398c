"""`check_openai_chunks()`: OpenAI recordings pass, everything else is flagged for its quirk.

Each rule is proven by an OpenAI recording mutated to break that rule only: the checker must
reject the mutant for exactly that rule (and for no other).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from corpus import CORPUS, LITELLM, Recording, ids, recording, recordings

from typedstream import Deviation, check_openai_chunks
from typedstream._check import RULES

Chunks = list[dict[str, Any]]

OPENAI_WIRE = tuple(r for r in recordings() if r.is_openai) + tuple(
    Recording(p) for p in sorted(LITELLM.glob("wire_openai_*.jsonl"))
)
OTHERS = tuple(r for r in recordings() if not r.is_openai and not r.name.startswith("wire_openai_"))


@pytest.mark.parametrize("rec", OPENAI_WIRE, ids=ids(OPENAI_WIRE))
def test_openai_recordings_pass_as_recorded(rec: Recording) -> None:
    assert check_openai_chunks(rec.chunks()) == []


@pytest.mark.parametrize("rec", OPENAI_WIRE, ids=ids(OPENAI_WIRE))
def test_openai_chunk_objects_pass_too(rec: Recording) -> None:
    from openai.types.chat import ChatCompletionChunk

    objects = [ChatCompletionChunk.construct(**c) for c in rec.chunks()]
    assert check_openai_chunks(objects) == []


def test_the_openai_set_is_the_whole_openai_corpus() -> None:
    names = {r.name for r in OPENAI_WIRE}
    assert {p.name for p in CORPUS.glob("openai_*")} <= names
    assert len([n for n in names if n.startswith("wire_openai_")]) == 4


# Why each non-OpenAI recording is not OpenAI's shape (quirk ids of docs/provider-quirks.md).
# Every listed rule must be reported; other rules may fire as well.
NON_OPENAI: dict[str, set[str]] = {
    "alibaba_qwen3max_tool_call.jsonl": {
        "type-on-continuation",
        "id-on-continuation",
        "empty-fragment",
    },  # A2
    "azure_deepseek_v4_reasoning.jsonl": {"null-key", "non-openai-key"},  # A6, D7
    "azure_model_router_gpt5nano_text.jsonl": {
        "empty-chunk",
        "wrong-object",
        "empty-id",
        "non-openai-key",
    },  # F1
    "deepseek_reasoner_thinking.sse": {
        "non-openai-key",
        "null-key",
        "usage-with-choices",
        "finish-delta-not-empty",
    },  # A5, E1, D2
    "deepseek_reasoner_tool_call.jsonl": {
        "non-openai-key",
        "usage-with-choices",
        "finish-delta-not-empty",
    },  # G1, E1, D2
    "groq_gpt_oss_tool_use_failed_error.sse": {
        "non-openai-key",
        "missing-key",
        "unfinished-choice",
    },  # G2, F4
    "groq_llama33_tool_call.jsonl": {
        "arguments-in-header",
        "usage-with-choices",
        "non-openai-key",
    },  # C1, E1, E3
    "groq_qwen3_reasoning.jsonl": {"non-openai-key", "usage-with-choices"},  # G2, E1
    "mistral_api_glm_incremental_tool_call.jsonl": {
        "empty-fragment",
        "type-on-continuation",
        "name-on-continuation",
        "role-missing",
        "non-openai-key",
    },  # A4, A10, B3
    "mistral_magistral_content_parts.jsonl": {"wrong-type", "usage-with-choices"},  # G4, E1
    "mistral_magistral_thinking.sse": {
        "wrong-type",
        "usage-with-choices",
        "finish-delta-not-empty",
    },  # G4, E1, D2
    "mistral_small_tool_call.jsonl": {
        "tool-call-without-index",
        "finish-delta-not-empty",
        "usage-with-choices",
    },  # B1, D1, E1
    "openrouter_minimax_error_midstream.sse": {
        "role-repeated",
        "choice-after-finish",
        "non-openai-key",
    },  # A3, D6, G3
    "snowflake_cortex_claude_text.sse": {
        "empty-id",
        "role-repeated",
        "unfinished-choice",
        "null-key",
    },  # B10, A3, D3
    "together_via_hf_router_deepseek_r1.sse": {"role-repeated", "non-openai-key"},  # A3, F8
    "vllm_crusoe_llama33_text.sse": {
        "envelope-changed",
        "non-openai-key",
    },  # F7: fingerprint on the usage chunk only
    "xai_grok3mini_tool_call.jsonl": {
        "finish-reason-key-missing",
        "arguments-in-header",
        "non-openai-key",
    },  # D4, C1, G1
    "zai_glm47_thinking.sse": {
        "role-repeated",
        "finish-reason-key-missing",
        "usage-with-choices",
    },  # A3, D4, E1
    "litellm_anthropic_async.jsonl": {"type-on-continuation", "empty-fragment", "non-openai-key"},
    "litellm_anthropic_basic.jsonl": {
        "type-on-continuation",
        "usage-with-choices",
        "choice-after-finish",
    },
    "litellm_anthropic_redacted_thinking.jsonl": {
        "non-openai-key",
        "usage-with-choices",
        "choice-after-finish",
    },  # thinking_blocks, E1
    "litellm_anthropic_thinking.jsonl": {
        "non-openai-key",
        "type-on-continuation",
        "usage-with-choices",
        "choice-after-finish",
    },  # thinking_blocks, A1, E1
    "litellm_anthropic_web_search_citations.jsonl": {
        "non-openai-key",
        "type-on-continuation",
        "usage-with-choices",
        "choice-after-finish",
    },  # provider_specific_fields, A1, E1
    "litellm_gemini_thinking.jsonl": {
        "non-openai-key",
        "arguments-in-header",
        "tool-calls-not-one",
        "usage-with-choices",
    },  # provider_specific_fields, C1, E1
    "litellm_openai_tools_sync.jsonl": {"type-on-continuation", "null-key", "non-openai-key"},  # A1
    "litellm_openai_tools_usage_async.jsonl": {
        "type-on-continuation",
        "usage-with-choices",
        "choice-after-finish",
    },
    "litellm_openai_tools_usage_sync.jsonl": {
        "type-on-continuation",
        "usage-with-choices",
        "choice-after-finish",
    },
    "litellm_openai_tools_usage_sync2.jsonl": {
        "type-on-continuation",
        "usage-with-choices",
        "choice-after-finish",
    },
    "litellm_openai_toolsonly_async.jsonl": {"type-on-continuation", "null-key"},
    "litellm_openai_toolsonly_sync.jsonl": {"type-on-continuation", "null-key"},
}


def test_every_non_openai_recording_has_a_reason_listed() -> None:
    assert set(NON_OPENAI) == {r.name for r in OTHERS}


@pytest.mark.parametrize("rec", OTHERS, ids=ids(OTHERS))
def test_non_openai_recordings_are_flagged_for_their_quirks(rec: Recording) -> None:
    found = {d.rule for d in check_openai_chunks(rec.chunks())}
    assert NON_OPENAI[rec.name] <= found


# -- one mutation per rule --------------------------------------------------------------------

TEXT = "openai_gpt4o_text_usage.sse"  # role, 30 content chunks, finish, usage
PARALLEL = "openai_gpt4o_parallel_tool_calls.sse"  # role alone, call 0, call 1, finish, usage
SINGLE = "openai_gpt4o_tool_call_strict.sse"  # role + header, arguments, finish, usage
N3 = "openai_gpt4o_n3_choices.sse"
MODERATION = "openai_2026_gpt5_moderation.sse"  # role, 2 content, finish, usage, moderation
LOGPROBS = "openai_gpt4o_content_logprobs.sse"
LEGACY = "openai_legacy_function_call_gpt35_0613.jsonl"


def delta(chunk: dict[str, Any]) -> dict[str, Any]:
    d: dict[str, Any] = chunk["choices"][0]["delta"]
    return d


def entry(chunk: dict[str, Any]) -> dict[str, Any]:
    e: dict[str, Any] = delta(chunk)["tool_calls"][0]
    return e


def finish_at(chunks: Chunks) -> int:
    return next(
        i for i, c in enumerate(chunks) if c["choices"] and c["choices"][0]["finish_reason"]
    )


def usage_at(chunks: Chunks) -> int:
    return next(i for i, c in enumerate(chunks) if c.get("usage"))


def headers(chunks: Chunks) -> list[int]:
    return [
        i
        for i, c in enumerate(chunks)
        if c["choices"] and "id" in (delta(c).get("tool_calls") or [{}])[0]
    ]


def set_all(key: str, value: Any) -> Callable[[Chunks], None]:
    def mutate(chunks: Chunks) -> None:
        for c in chunks:
            c[key] = value

    return mutate


def merge_two_choices(chunks: Chunks) -> None:
    for i in range(1, len(chunks) - 1):
        a, b = chunks[i], chunks[i + 1]
        if (
            a["choices"]
            and b["choices"]
            and a["choices"][0]["index"] != b["choices"][0]["index"]
            and "role" not in delta(a) | delta(b)
            and delta(a).get("content")
            and delta(b).get("content")
        ):
            a["choices"].append(b["choices"][0])
            del chunks[i + 1]
            return
    raise AssertionError("no two adjacent content chunks of different choices")


def move_usage_to_finish(chunks: Chunks) -> None:
    chunks[finish_at(chunks)]["usage"] = chunks.pop(usage_at(chunks))["usage"]


def swap_finish_and_usage(chunks: Chunks) -> None:
    f, u = finish_at(chunks), usage_at(chunks)
    chunks[f], chunks[u] = chunks[u], chunks[f]


def moderation_on_usage_chunk(chunks: Chunks) -> None:
    moderation = chunks.pop()
    chunks[-1]["moderation"] = moderation["moderation"]


def text_on_role_chunk(chunks: Chunks) -> None:
    delta(chunks[0])["content"] = delta(chunks.pop(1))["content"]


def empty_fragment(chunks: Chunks) -> None:
    extra = copy.deepcopy(chunks[1])
    delta(extra)["content"] = ""
    chunks.insert(2, extra)


def content_in_finish(chunks: Chunks) -> None:
    last = chunks.pop(finish_at(chunks) - 1)
    delta(chunks[finish_at(chunks)])["content"] = delta(last)["content"]


def two_entries(chunks: Chunks) -> None:
    delta(chunks[2])["tool_calls"] += delta(chunks.pop(3))["tool_calls"]


def renumber_second_call(chunks: Chunks) -> None:
    for c in chunks:
        for e in (c["choices"] and delta(c).get("tool_calls")) or ():
            if e["index"] == 1:
                e["index"] = 2


def interleave(chunks: Chunks) -> None:
    second = headers(chunks)[1]
    chunks.insert(
        second + 1, chunks.pop(second - 1)
    )  # call 0's last fragment after call 1's header


def arguments_in_header(chunks: Chunks) -> None:
    entry(chunks[0])["function"]["arguments"] = entry(chunks.pop(1))["function"]["arguments"]


def type_on_continuations(chunks: Chunks) -> None:
    heads = headers(chunks)
    for i, c in enumerate(chunks):
        if i not in heads and c["choices"] and delta(c).get("tool_calls"):
            entry(c)["type"] = "function"


MUTATIONS: dict[str, tuple[str, Callable[[Chunks], object]]] = {
    "not-an-object": (TEXT, lambda c: c.__setitem__(3, ["not", "a", "chunk"])),
    "missing-key": (TEXT, lambda c: c[3].pop("model")),
    "wrong-type": (TEXT, lambda c: delta(c[3]).__setitem__("content", 7)),
    "wrong-object": (TEXT, set_all("object", "chat.completion")),
    "empty-id": (TEXT, set_all("id", "")),
    "envelope-changed": (TEXT, lambda c: c[4].__setitem__("model", "gpt-4o-mini")),
    "non-openai-key": (TEXT, lambda c: delta(c[2]).__setitem__("reasoning_content", "hm")),
    "multiple-choices": (N3, merge_two_choices),
    "empty-chunk": (TEXT, lambda c: c.insert(2, {**c[0], "choices": []})),
    "usage-with-choices": (TEXT, move_usage_to_finish),
    "usage-repeated": (TEXT, lambda c: c.append(copy.deepcopy(c[-1]))),
    "chunk-after-usage": (TEXT, swap_finish_and_usage),
    "moderation-not-alone": (MODERATION, moderation_on_usage_chunk),
    "chunk-after-moderation": (MODERATION, lambda c: c.append(copy.deepcopy(c[-1]))),
    "finish-reason-key-missing": (TEXT, lambda c: c[2]["choices"][0].pop("finish_reason")),
    "choice-after-finish": (
        TEXT,
        lambda c: c.insert(finish_at(c) + 1, copy.deepcopy(c[finish_at(c)])),
    ),
    "role-missing": (TEXT, lambda c: delta(c[0]).pop("role")),
    "wrong-role": (TEXT, lambda c: delta(c[0]).__setitem__("role", "user")),
    "role-repeated": (TEXT, lambda c: delta(c[2]).__setitem__("role", "assistant")),
    "null-key": (SINGLE, lambda c: delta(c[2]).__setitem__("content", None)),
    "text-on-role-chunk": (TEXT, text_on_role_chunk),
    "empty-fragment": (TEXT, empty_fragment),
    "finish-delta-not-empty": (TEXT, content_in_finish),
    "logprobs-on-finish": (
        LOGPROBS,
        (
            lambda c: c[finish_at(c)]["choices"][0].__setitem__(
                "logprobs", c[1]["choices"][0]["logprobs"]
            )
        ),
    ),
    "unknown-finish-reason": (
        TEXT,
        lambda c: c[finish_at(c)]["choices"][0].__setitem__("finish_reason", "end_turn"),
    ),
    "unfinished-choice": (TEXT, lambda c: c.pop(finish_at(c))),
    "tool-calls-not-one": (PARALLEL, two_entries),
    "tool-call-without-index": (PARALLEL, lambda c: entry(c[2]).pop("index")),
    "tool-index-not-dense": (PARALLEL, renumber_second_call),
    "calls-interleaved": (PARALLEL, interleave),
    "incomplete-header": (PARALLEL, lambda c: entry(c[1]).pop("id")),
    "wrong-tool-type": (PARALLEL, lambda c: entry(c[1]).__setitem__("type", "custom")),
    "arguments-in-header": (SINGLE, arguments_in_header),
    "id-on-continuation": (
        PARALLEL,
        lambda c: entry(c[2]).__setitem__("id", entry(c[1])["id"]),
    ),
    "type-on-continuation": (PARALLEL, type_on_continuations),
    "name-on-continuation": (
        LEGACY,
        lambda c: delta(c[2])["function_call"].__setitem__("name", "repl"),
    ),
    "continuation-without-arguments": (PARALLEL, lambda c: entry(c[2]).pop("function")),
}


def test_every_rule_has_a_mutation() -> None:
    assert set(MUTATIONS) == set(RULES)


def mutant(rule: str) -> Chunks:
    name, mutate = MUTATIONS[rule]
    chunks = copy.deepcopy(recording(name).chunks())
    assert check_openai_chunks(chunks) == []  # the original passes
    mutate(chunks)
    return chunks


@pytest.mark.parametrize("rule", sorted(MUTATIONS))
def test_a_mutant_breaking_one_rule_is_rejected_for_exactly_it(rule: str) -> None:
    deviations = check_openai_chunks(mutant(rule))
    assert deviations, f"{rule}: nothing reported"
    assert {d.rule for d in deviations} == {rule}, [str(d) for d in deviations]


def test_the_name_rule_covers_tool_calls_too() -> None:
    chunks = copy.deepcopy(recording(PARALLEL).chunks())
    entry(chunks[2])["function"]["name"] = "GetWeatherArgs"
    assert [(d.chunk, d.rule) for d in check_openai_chunks(chunks)] == [(3, "name-on-continuation")]


# -- what a deviation says --------------------------------------------------------------------


def test_a_deviation_names_the_chunk_the_place_and_the_value() -> None:
    chunks = mutant("type-on-continuation")
    first = check_openai_chunks(chunks)[0]
    assert first == Deviation(
        3,
        "type-on-continuation",
        'type: "function" sent on a continuation fragment',
        "choices[0].delta.tool_calls[0].type",
        "function",
    )
    assert str(first) == (
        'chunk 3: type: "function" sent on a continuation fragment [type-on-continuation] '
        "at choices[0].delta.tool_calls[0].type"
    )


def test_every_deviation_is_reported_not_only_the_first() -> None:
    deviations = check_openai_chunks(mutant("type-on-continuation"))
    assert len(deviations) == 20  # the argument fragments of both calls
    assert [d.chunk for d in deviations] == sorted(d.chunk for d in deviations)


def test_envelope_change_says_what_changed() -> None:
    (deviation,) = check_openai_chunks(mutant("envelope-changed"))
    assert deviation.chunk == 5
    assert deviation.value == "gpt-4o-mini"
    assert "chunk 1 had 'gpt-4o-2024-08-06'" in deviation.message


def test_an_unfinished_choice_is_reported_at_the_end_of_the_stream() -> None:
    (deviation,) = check_openai_chunks(mutant("unfinished-choice"))
    assert (deviation.chunk, deviation.value) == (0, 0)
    assert str(deviation) == (
        "end of stream: choice 0 never got its finish chunk [unfinished-choice] at choice 0"
    )


def test_a_prefix_can_be_checked_without_the_end_rules() -> None:
    assert check_openai_chunks(mutant("unfinished-choice"), complete=False) == []


def test_what_varies_between_openai_recordings_is_not_flagged() -> None:
    chunks = copy.deepcopy(recording(PARALLEL).chunks())
    for c in chunks:  # 2025 style: usage null everywhere, obfuscation, service tier
        c.setdefault("usage", None)
        c["obfuscation"] = "xYz"
        c["service_tier"] = "default"
        for choice in c["choices"]:
            choice.pop("logprobs")  # gpt-5 sends no logprobs key
    delta(chunks[0])["refusal"] = None  # refusal key carrying no value
    role = chunks.pop(0)  # pack the role with the first header, as single-call streams do
    delta(chunks[0]).update(delta(role))
    chunks[0] = dict(reversed(list(chunks[0].items())))  # key order
    assert check_openai_chunks(chunks) == []


def test_items_that_are_not_chunks_are_reported_not_raised() -> None:
    deviations = check_openai_chunks(["[DONE]", 42])
    assert [(d.chunk, d.rule) for d in deviations] == [(1, "not-an-object"), (2, "not-an-object")]


# -- messages say what is there ---------------------------------------------------------------


def test_a_null_id_on_a_continuation_is_called_null_not_repeated() -> None:
    chunks = copy.deepcopy(recording(PARALLEL).chunks())
    entry(chunks[2])["id"] = None  # LiteLLM sends `id: null` on every fragment
    (deviation,) = check_openai_chunks(chunks)
    assert deviation.rule == "id-on-continuation"
    assert deviation.message == "id: null sent on a continuation fragment"


def test_a_key_openai_does_not_send_is_named_with_its_value() -> None:
    chunks = copy.deepcopy(recording(PARALLEL).chunks())
    delta(chunks[2])["provider_specific_fields"] = None
    (deviation,) = check_openai_chunks(chunks)
    assert deviation.rule == "non-openai-key"
    assert deviation.message == (
        '"provider_specific_fields": null sent; OpenAI does not send this key'
    )


@pytest.mark.parametrize("rule", sorted(MUTATIONS))
def test_every_message_says_what_is_there_not_the_rule(rule: str) -> None:
    for deviation in check_openai_chunks(mutant(rule)):
        assert deviation.message != RULES[rule]
        assert "repeated" not in deviation.message


def test_litellm_messages_show_the_value_they_flag() -> None:
    import json

    shown = ("non-openai-key", "null-key", "id-on-continuation", "type-on-continuation")
    deviations = check_openai_chunks(recording("litellm_openai_tools_sync.jsonl").chunks())
    flagged = [d for d in deviations if d.rule in shown]
    assert len(flagged) > 50
    for deviation in flagged:
        value = deviation.value
        if isinstance(value, (str, int, type(None))):
            assert json.dumps(value) in deviation.message, deviation
