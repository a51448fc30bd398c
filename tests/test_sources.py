"""Every kind of source gives the same events: `openai` chunk objects and streams, LiteLLM
`ModelResponseStream` objects, mappings with None-valued keys, the "[DONE]" item."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from corpus import Recording, ids, recording, recordings
from helpers import body, call_ids, chunk, collect, mock_transport

import typedstream
from typedstream import RawChunk

RECORDINGS = recordings()
OK = tuple(r for r in RECORDINGS if not r.is_error)


def openai_chunks(rec: Recording) -> list[Any]:
    from openai._models import construct_type
    from openai.types.chat import ChatCompletionChunk

    return [construct_type(type_=ChatCompletionChunk, value=c) for c in rec.chunks()]


@pytest.mark.parametrize("rec", OK, ids=ids(OK))
def test_openai_chunk_objects_give_the_events_of_the_dicts(rec: Recording) -> None:
    assert collect(openai_chunks(rec), id_factory=call_ids) == collect(
        rec.chunks(), id_factory=call_ids
    )


@pytest.fixture(scope="module")
def litellm_types() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "True")
    os.environ.setdefault("LITELLM_MODE", "PRODUCTION")
    from litellm.types import utils

    return utils


LITELLM = tuple(r for r in RECORDINGS if r.name.startswith("litellm_"))


@pytest.mark.live
@pytest.mark.parametrize("rec", LITELLM, ids=ids(LITELLM))
def test_litellm_model_response_stream_objects_give_the_events_of_the_dicts(
    rec: Recording, litellm_types: Any
) -> None:
    objects = [litellm_types.ModelResponseStream(**c) for c in rec.chunks()]
    assert collect(objects, id_factory=call_ids) == collect(rec.chunks(), id_factory=call_ids)


def test_mappings_with_none_valued_keys_read_like_absent_keys() -> None:
    sparse = [chunk({"content": "a"}), chunk({}, "stop")]
    full = [
        {
            **chunk({"content": "a", "role": None, "tool_calls": None, "refusal": None}),
            "usage": None,
            "system_fingerprint": None,
        },
        {**chunk({"content": None, "function_call": None}, "stop"), "citations": None},
    ]
    assert collect(full, id_factory=call_ids) == collect(sparse, id_factory=call_ids)


def test_the_done_item_ends_a_mapping_stream() -> None:
    events, error = collect([chunk({"content": "a"}), "[DONE]"], id_factory=call_ids)
    assert error is None
    assert events[-1] == typedstream.ChoiceFinished("stop", None)


def test_raw_opt_in_carries_each_source_chunk_unchanged_before_its_events() -> None:
    rec = recording("openai_gpt4o_text_usage.sse")
    objects = openai_chunks(rec)
    events, error = collect(objects, raw=True, id_factory=call_ids)
    assert error is None
    raws = [e for e in events if isinstance(e, RawChunk)]
    assert [r.chunk for r in raws] == objects
    assert [r.number for r in raws] == list(range(1, len(objects) + 1))
    assert events[0] == raws[0]
    assert ([e for e in events if not isinstance(e, RawChunk)], None) == collect(
        objects, id_factory=call_ids
    )


def test_a_real_openai_stream_gives_the_events_of_its_body() -> None:
    import openai

    rec = recording("openai_gpt4o_parallel_tool_calls.sse")
    closed: list[str] = []
    client = openai.OpenAI(
        api_key="test", http_client=httpx.Client(transport=mock_transport(rec.body(), closed))
    )
    stream = client.chat.completions.create(model="gpt-4o", messages=[], stream=True)
    assert collect(stream, id_factory=call_ids) == collect(rec.body(), id_factory=call_ids)
    assert closed


async def test_a_real_openai_async_stream_gives_the_events_of_its_body() -> None:
    import openai

    rec = recording("openai_gpt4o_n3_choices.sse")
    closed: list[str] = []
    client = openai.AsyncOpenAI(
        api_key="test", http_client=httpx.AsyncClient(transport=mock_transport(rec.body(), closed))
    )
    stream = await client.chat.completions.create(model="gpt-4o", messages=[], stream=True)
    got = [e async for e in typedstream.aevents(stream, id_factory=call_ids)]
    assert (got, None) == collect(rec.body(), id_factory=call_ids)
    assert "aclose" in closed


def test_a_non_iterable_source_is_a_type_error_at_the_call() -> None:
    with pytest.raises(TypeError, match=r"iterable of chunks or events.*got int"):
        typedstream.events(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got NoneType"):
        typedstream.aevents(None)  # type: ignore[arg-type]


def test_a_path_source_is_a_type_error_that_says_to_pass_its_contents(tmp_path: Path) -> None:
    path = tmp_path / "stream.sse"
    with pytest.raises(TypeError, match=r"file path .*read_bytes\(\)"):
        typedstream.events(path)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="file path"):
        typedstream.aevents(path)  # type: ignore[arg-type]


async def test_aevents_takes_sync_sources_too() -> None:
    chunks = [chunk({"content": "a"}), chunk({"content": "b"}), chunk({}, "stop")]
    got = [e async for e in typedstream.aevents(body(*chunks))]
    assert got == list(typedstream.events(chunks))
