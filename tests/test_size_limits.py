"""``max_chunk_bytes``: no line, SSE event or JSON chunk is buffered past the limit.

A body that never ends a line, or ``data:`` lines that never end their event, fail with a
:class:`ChunkError` naming the chunk and the limit as soon as the limit is crossed (not at
the end of the input), after every complete chunk before it was delivered, and the memory
held stays below about twice the limit however long the input goes on.
"""

from __future__ import annotations

import inspect
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

import typedstream
from typedstream import ChunkError, TextDelta
from typedstream._cli import main
from typedstream._reader import MAX_CHUNK_BYTES, Decoder

LIMIT = 100_000
PIECE = 4096
FIRST = b'data: {"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"}}]}\n\n'


class Pieces:
    """An endless source: a first good chunk, then ``piece`` again and again (fresh copies)."""

    def __init__(self, piece: bytes, first: bytes = FIRST) -> None:
        self.piece = piece
        self.first = first
        self.pulled = 0  # bytes taken from the source

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        self.pulled = len(self.first)
        while self.pulled < 1000 * LIMIT:  # a bound, so a broken limit fails instead of hanging
            self.pulled += len(self.piece)
            yield bytes(bytearray(self.piece))  # a new object, as a socket read gives


def read_until_error(source: Pieces, **options: object) -> tuple[list[str], ChunkError]:
    texts: list[str] = []
    with pytest.raises(ChunkError) as info:
        for event in typedstream.events(source, max_chunk_bytes=LIMIT, **options):  # type: ignore[arg-type]
            if isinstance(event, TextDelta):
                texts.append(event.text)
    return texts, info.value


@pytest.mark.parametrize(
    ("piece", "what"),
    [
        (b"x" * PIECE, "a line of more than 100000 bytes"),
        (b"data: " + b"x" * (PIECE - 7) + b"\n", "an event with more than 100000 bytes of data"),
        (b": " + b"x" * (PIECE - 2), "a line of more than 100000 bytes"),
    ],
    ids=["no-newline", "data-lines-without-blank-line", "endless-comment"],
)
def test_crossing_the_limit_fails_at_once_naming_the_chunk_and_the_limit(
    piece: bytes, what: str
) -> None:
    source = Pieces(piece)
    texts, error = read_until_error(source)
    assert texts == ["hi"]  # the chunk before it was delivered
    assert error.chunk == 2
    assert str(error) == f"chunk 2: {what} (max_chunk_bytes={LIMIT})"
    assert source.pulled <= LIMIT + 2 * PIECE + len(FIRST)  # not at the end of the input


def test_line_mode_has_the_same_limit() -> None:
    long_line = [FIRST.rstrip(b"\n"), b"", b"data: " + b"x" * LIMIT]
    with pytest.raises(ChunkError, match=r"chunk 2: a line of more than 100000 bytes"):
        list(typedstream.events(long_line, lines=True, max_chunk_bytes=LIMIT))
    many = [FIRST.rstrip(b"\n"), b"", *([b"data: " + b"x" * 1000] * 200)]
    with pytest.raises(ChunkError, match=r"chunk 2: an event with more than 100000 bytes"):
        list(typedstream.events(many, lines=True, max_chunk_bytes=LIMIT))


def test_a_whole_body_as_one_piece_has_the_same_limit() -> None:
    body = FIRST + b"data: " + b"x" * (3 * LIMIT)
    with pytest.raises(ChunkError, match=r"^chunk 2: a line of more than 100000 bytes"):
        list(typedstream.events(body, max_chunk_bytes=LIMIT))
    many = FIRST + b"data: xxxxxxxx\n" * LIMIT  # 1.5 MB: more than one window
    with pytest.raises(ChunkError, match=r"^chunk 2: an event with more than 100000 bytes"):
        list(typedstream.events(many, max_chunk_bytes=LIMIT))


async def test_aevents_has_the_same_limit() -> None:
    with pytest.raises(ChunkError, match=r"^chunk 2: a line of more than 100000 bytes"):
        async for _ in typedstream.aevents(Pieces(b"x" * PIECE), max_chunk_bytes=LIMIT):
            pass


def test_a_json_line_has_the_same_limit() -> None:
    decoder = Decoder(jsonl=True, max_chunk_bytes=LIMIT)
    got: list[object] = []
    decoder.feed(b'{"a": 1}\n{"b": ', lambda c: [c], got)
    assert got == [{"a": 1}]
    with pytest.raises(ChunkError, match=r"^chunk 2: a line of more than 100000 bytes"):
        for _ in range(LIMIT // PIECE + 2):
            decoder.feed(b" " * PIECE, lambda c: [c], got)


def test_chunks_within_the_limit_are_read_whatever_their_size() -> None:
    text = "y" * (LIMIT - 200)
    chunk = {"id": "c", "choices": [{"index": 0, "delta": {"content": text}}]}
    body = b"data: " + json.dumps(chunk).encode() + b"\n\n"
    pieces = [body[:5000], body[5000:], b"data: [DONE]\n\n"]
    events = list(typedstream.events(pieces, max_chunk_bytes=LIMIT, assume_complete=True))
    assert [e.text for e in events if isinstance(e, TextDelta)] == [text]


@pytest.mark.parametrize(
    "piece",
    [b"x" * 65536, b"data: " + b"x" * (65536 - 7) + b"\n"],
    ids=["no-newline", "data-lines-without-blank-line"],
)
def test_memory_stays_below_twice_the_limit_on_pathological_input(piece: bytes) -> None:
    limit = 2 * 1024 * 1024
    source = Pieces(piece)
    tracemalloc.start()
    try:
        with pytest.raises(ChunkError):
            for _ in typedstream.events(source, max_chunk_bytes=limit):
                pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * limit + 4 * len(piece), peak


def test_the_default_limit_is_16_mib_and_none_lifts_it() -> None:
    assert MAX_CHUNK_BYTES == 16 * 1024 * 1024
    for function in (typedstream.events, typedstream.aevents):
        default = inspect.signature(function).parameters["max_chunk_bytes"].default
        assert default == MAX_CHUNK_BYTES
    body = FIRST + b"data: " + b"x" * (LIMIT + 1) + b"\n\n"
    with pytest.raises(ChunkError, match="malformed JSON"):  # read whole: then not JSON
        list(typedstream.events(body, max_chunk_bytes=None))
    with pytest.raises(ValueError, match="max_chunk_bytes must be positive"):
        typedstream.events(body, max_chunk_bytes=0)


def test_the_command_takes_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "long.sse"
    path.write_bytes(FIRST + b"data: " + b"x" * 5000)
    for command in ("events", "check", "normalize"):
        assert main([command, "--max-chunk-bytes", "1000", str(path)]) == 2, command
        err = capsys.readouterr().err
        assert f"{path}: chunk 2: a line of more than 1000 bytes (max_chunk_bytes=1000)" in err
    assert main(["events", str(path)]) == 4  # within the default: a stream cut off
