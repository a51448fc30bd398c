"""The SSE decoder against a deliberately naive decoder written from the SSE specification.

The reference reads the whole body at once, line by line; the decoder under test gets the
same bytes cut at arbitrary offsets, so any difference is a bug in its incremental handling.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from typedstream._sse import SSEDecoder

BOM = b"\xef\xbb\xbf"


def reference(body: bytes) -> list[tuple[str | None, bytes]]:
    if body.startswith(BOM):
        body = body[3:]
    lines = re.split(rb"\r\n|\r|\n", body)
    lines.pop()  # text after the last line terminator is not a complete line
    events: list[tuple[str | None, bytes]] = []
    data: list[bytes] = []
    event: str | None = None
    for line in lines:
        if not line:
            if data:
                events.append((event, b"\n".join(data)))
            data = []
            event = None
        elif line.startswith(b":"):
            continue
        else:
            name, _, value = line.partition(b":")
            if value.startswith(b" "):
                value = value[1:]
            if name == b"data":
                data.append(value)
            elif name == b"event":
                event = value.decode("utf-8", "replace")
    return events


payloads = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"))
lines = st.one_of(
    payloads.map(lambda t: b"data: " + t.encode()),
    payloads.map(lambda t: b"data:" + t.encode()),
    st.just(b"data"),
    st.sampled_from([b"event: error", b"event:message", b"event: "]),
    st.sampled_from([b": keep-alive", b":", b"id: 7", b"retry: 100", b"unknown: x"]),
    st.just(b""),
    st.just(b""),
)


@st.composite
def bodies_and_cuts(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    parts = [BOM] if draw(st.booleans()) else []
    for line in draw(st.lists(lines, max_size=30)):
        parts.append(line + draw(st.sampled_from([b"\n", b"\n", b"\r\n", b"\r"])))
    if draw(st.booleans()):
        parts.append(draw(lines))  # an unterminated last line
    body = b"".join(parts)
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=10)))
    return body, cuts


@settings(max_examples=400)
@given(bodies_and_cuts())
def test_decoder_matches_the_naive_reference_wherever_the_body_is_cut(
    case: tuple[bytes, list[int]],
) -> None:
    body, cuts = case
    decoder = SSEDecoder()
    got: list[tuple[str | None, bytes]] = []
    start = 0
    for cut in [*cuts, len(body)]:
        got += decoder.feed(body[start:cut])
        start = cut
    got += decoder.close()
    assert got == reference(body)


def test_an_event_begun_in_an_earlier_piece_is_completed_first() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: error\ndata: {}\n") == []
    assert decoder.feed(b"\ndata: a\n\ndata: b\n\n") == [
        ("error", b"{}"),
        (None, b"a"),
        (None, b"b"),
    ]


def test_a_held_cr_followed_by_an_unterminated_line_still_ends_the_event() -> None:
    # The CR ending piece one may be half of a CRLF, so it is held back; the next piece
    # shows it was a lone CR (a blank line), even though that piece ends no line itself.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r\n\r") == []
    assert decoder.feed(b"data: partial") == [(None, b"x")]
    assert decoder.close() == []


names = st.sampled_from([b"message_start", b"content_block_delta", b"error", b"", b" spaced"])
frames = st.one_of(
    st.tuples(names, payloads).map(lambda f: b"event: " + f[0] + b"\ndata: " + f[1].encode()),
    payloads.map(lambda t: b"data: " + t.encode()),
)
odd_lines = st.sampled_from(
    [b": ping", b"id: 7", b"data:x", b"event:x", b"data: a\ndata: b", b"", b"\r", b"\xef\xbb\xbf"]
)


@st.composite
def framed_bodies_and_cuts(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    # Mostly the one-line frames the decoder splits without its line reader, with now and
    # then a line that only the line reader reads, and cuts anywhere (inside frames too).
    parts = []
    for _ in range(draw(st.integers(0, 20))):
        frame = draw(frames) if draw(st.integers(0, 4)) else draw(odd_lines)
        parts.append(frame + b"\n\n")
    body = b"".join(parts) + draw(st.sampled_from([b"", b"event: x\n", b"data: cut"]))
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=10)))
    return body, cuts


@settings(max_examples=400)
@given(framed_bodies_and_cuts())
def test_runs_of_usual_frames_cut_anywhere_match_the_naive_reference(
    case: tuple[bytes, list[int]],
) -> None:
    body, cuts = case
    decoder = SSEDecoder()
    got: list[tuple[str | None, bytes]] = []
    start = 0
    for cut in [*cuts, len(body)]:
        got += decoder.feed(body[start:cut])
        start = cut
    got += decoder.close()
    assert got == reference(body)
