"""Chunk objects whose `model_dump()` fails are read from the fields they set.

pydantic 2.9 (the minimum) leaves a placeholder serializer on some `openai` models built with
`construct()`, and their `model_dump()` raises `TypeError`. The reader then takes the fields
that were set, as `model_dump(exclude_unset=True)` would have given them.
"""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

import typedstream
from typedstream import ChunkError, TextDelta


class _Delta(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    content: str | None = None
    role: str | None = None


class _Choice(pydantic.BaseModel):
    index: int = 0
    delta: _Delta
    finish_reason: str | None = None


class _Chunk(pydantic.BaseModel):
    id: str
    choices: list[_Choice]

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        raise TypeError("'MockValSer' object cannot be converted to 'SchemaSerializer'")


def _chunk(text: str, finish: str | None = None, **extra: Any) -> _Chunk:
    delta = _Delta.model_construct(content=text, **extra)
    choice = _Choice.model_construct(index=0, delta=delta, finish_reason=finish)
    return _Chunk.model_construct(id="chatcmpl-1", choices=[choice])


def test_a_chunk_whose_model_dump_fails_gives_the_events_of_its_set_fields() -> None:
    events = list(typedstream.events([_chunk("Hel"), _chunk("lo", "stop")]))
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("Hel"), TextDelta("lo")]
    assert events[-1] == typedstream.ChoiceFinished("stop", "stop")


def test_extra_keys_of_a_chunk_whose_model_dump_fails_are_read_too() -> None:
    chunk = _chunk("", reasoning_content="thinking")
    events = list(typedstream.events([chunk, _chunk("", "stop")]))
    assert typedstream.ReasoningDelta("thinking") in events


def test_a_chunk_nested_too_deep_for_the_fallback_is_a_chunk_error() -> None:
    deep: Any = "x"
    for _ in range(300):
        deep = [deep]
    chunk = _chunk("a", provider_specific_fields=deep)
    with pytest.raises(ChunkError, match="chunk 1"):
        list(typedstream.events([chunk]))
