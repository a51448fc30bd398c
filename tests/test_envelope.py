"""The opaque envelope (docs/event-model.md §7): exact format, byte-identical round trip,
native values never mistaken for one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from typedstream import ChunkError, OpaqueState
from typedstream._envelope import unwrap, wrap


def test_the_envelope_is_compact_json_with_the_documented_keys_in_order() -> None:
    state = OpaqueState("anthropic", "thinking_signature", "EvMCCkYICxgC")
    assert wrap(state) == (
        '{"typedstream":1,"origin":"anthropic","type":"thinking_signature",'
        '"data":"EvMCCkYICxgC","tool_id":null}'
    )


@given(
    st.sampled_from(["anthropic", "responses", "gemini"]),
    st.sampled_from(["thinking_signature", "redacted_thinking", "encrypted_reasoning"]),
    st.text(min_size=1),
    st.none() | st.text(),
)
def test_unwrap_gives_back_the_state_byte_identical(
    origin: str, kind: str, data: str, tool_id: str | None
) -> None:
    state = OpaqueState(origin, kind, data, None, tool_id)  # type: ignore[arg-type]
    assert unwrap(wrap(state)) == state


@pytest.mark.parametrize(
    "native",
    ["EqQBCkgIARABGAIiQH", "gAAAAABo3", "{not json", '{"a":1}', '{"typedstream":1}', ""],
)
def test_native_values_and_other_json_are_not_envelopes(native: str) -> None:
    assert unwrap(native) is None


def test_an_envelope_of_an_unknown_version_is_a_chunk_error() -> None:
    value = (
        '{"typedstream":2,"origin":"anthropic","type":"thinking_signature",'
        '"data":"x","tool_id":null}'
    )
    with pytest.raises(ChunkError, match="unknown version 2"):
        unwrap(value, chunk=3)
