"""The incremental SSE decoder: pieces cut anywhere, every framing detail of the format."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from typedstream._sse import SSEDecoder, SSEEvent


def decode(*pieces: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    out: list[SSEEvent] = []
    for piece in pieces:
        out += decoder.feed(piece)
    return out + decoder.close()


def test_one_event_per_blank_line() -> None:
    assert decode(b"data: a\n\ndata: b\n\n") == [(None, b"a"), (None, b"b")]


def test_partial_lines_wait_for_the_rest() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"da") == []
    assert decoder.feed(b'ta: {"x"') == []
    assert decoder.feed(b": 1}\n") == []
    assert decoder.feed(b"\n") == [(None, b'{"x": 1}')]


def test_a_utf8_sequence_split_between_pieces_is_joined() -> None:
    raw = "data: é€😀\n\n".encode()
    for at in range(1, len(raw)):
        assert decode(raw[:at], raw[at:]) == [(None, "é€😀".encode())]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_lf_crlf_and_cr_all_end_lines(newline: bytes) -> None:
    raw = b"data: a" + newline + newline + b"data: b" + newline + newline
    assert decode(raw) == [(None, b"a"), (None, b"b")]
    for at in range(1, len(raw)):
        assert decode(raw[:at], raw[at:]) == [(None, b"a"), (None, b"b")]


def test_comment_lines_are_ignored() -> None:
    assert decode(b": keep-alive\n\n: OPENROUTER PROCESSING\ndata: a\n\n") == [(None, b"a")]


def test_event_field_names_the_next_event_only() -> None:
    assert decode(b"event: error\ndata: x\n\ndata: y\n\n") == [("error", b"x"), (None, b"y")]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert decode(b'data: {\ndata: "a": 1\ndata: }\n\n') == [(None, b'{\n"a": 1\n}')]


def test_data_without_space_and_bare_data_lines() -> None:
    assert decode(b"data:x\n\ndata\ndata: y\n\n") == [(None, b"x"), (None, b"\ny")]


def test_id_and_retry_fields_are_ignored() -> None:
    assert decode(b"id: 7\nretry: 100\ndata: a\n\n") == [(None, b"a")]


def test_done_payload_is_passed_on_as_data() -> None:
    assert decode(b"data: [DONE]\n\n") == [(None, b"[DONE]")]


def test_a_leading_byte_order_mark_is_dropped() -> None:
    assert decode(b"\xef\xbb", b"\xbfdata: a\n\n") == [(None, b"a")]


def test_an_unterminated_final_event_is_discarded() -> None:
    assert decode(b"data: a\n\ndata: b") == [(None, b"a")]
    assert decode(b"data: a\n\ndata: b\n") == [(None, b"a")]


def test_a_final_cr_completes_a_pending_blank_line() -> None:
    assert decode(b"data: a\r\r") == [(None, b"a")]


def test_line_mode_takes_lines_without_terminators() -> None:
    decoder = SSEDecoder()
    out: list[SSEEvent] = []
    for line in [b"event: x", b"data: a", b"", b": c", b"data: b", b""]:
        out += decoder.feed_line(line)
    assert out == [("x", b"a"), (None, b"b")]


def test_a_long_line_in_many_pieces_is_joined_once() -> None:
    payload = b"x" * 100_000
    pieces = [b"data: "] + [payload[i : i + 7] for i in range(0, len(payload), 7)] + [b"\n\n"]
    assert decode(*pieces) == [(None, payload)]


@st.composite
def bodies_and_cuts(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    texts = draw(
        st.lists(
            st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n")),
            max_size=6,
        )
    )
    newline = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    raw = b"".join(b"data: " + t.encode() + newline + newline for t in texts)
    offsets = draw(st.lists(st.integers(0, len(raw)), max_size=12))
    return raw, sorted(offsets)


@given(bodies_and_cuts())
def test_any_cutting_of_the_bytes_gives_the_same_events(case: tuple[bytes, list[int]]) -> None:
    raw, offsets = case
    pieces = [raw[a:b] for a, b in zip([0, *offsets], [*offsets, len(raw)], strict=True)]
    assert decode(*pieces) == decode(raw)
