"""Raw SSE payloads are parsed a few at a time before they are fed: nothing about it shows.

A piece holding many events (a whole body given as one ``bytes``) is read in batches; the
events, the order of errors and the chunk numbers in them are those of reading one payload
after another.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import body

import typedstream
from typedstream import ChunkError, TextDelta
from typedstream._reader import _BATCH

COUNT = 3 * _BATCH + 5  # more than three batches in one piece


def chunk(text: str) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {"content": text}}]}


def texts(count: int) -> list[bytes]:
    return [json.dumps(chunk(f"t{i} ")).encode() for i in range(count)]


def test_a_body_of_many_batches_gives_every_event_in_order() -> None:
    finish = json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    events = list(typedstream.events(body(*texts(COUNT), finish.encode())))
    assert [e.text for e in events if isinstance(e, TextDelta)] == [f"t{i} " for i in range(COUNT)]


def test_malformed_json_in_a_later_batch_comes_after_every_earlier_event() -> None:
    bad = 2 * _BATCH + 3  # 0-based position of the bad payload
    payloads = texts(COUNT)
    payloads[bad] = b'{"choices": ['
    got: list[str] = []
    with pytest.raises(ChunkError) as info:
        for event in typedstream.events(body(*payloads, done=False)):
            if isinstance(event, TextDelta):
                got.append(event.text)
    assert got == [f"t{i} " for i in range(bad)]
    assert info.value.chunk == bad + 1
    assert "malformed JSON" in str(info.value)


def test_an_earlier_bad_chunk_wins_over_later_malformed_json_in_the_same_batch() -> None:
    payloads = texts(COUNT)
    payloads[5] = json.dumps({"choices": "not a list"}).encode()
    payloads[7] = b"{not json"
    with pytest.raises(ChunkError) as info:
        list(typedstream.events(body(*payloads, done=False)))
    assert info.value.chunk == 6
    assert "'choices' must be a list" in str(info.value)


def test_done_in_the_middle_of_a_batch_ends_the_stream_there() -> None:
    payloads = [*texts(_BATCH + 2), b"[DONE]", b"{not json", *texts(3)]
    events = list(typedstream.events(body(*payloads, done=False)))
    assert [e.text for e in events if isinstance(e, TextDelta)] == [
        f"t{i} " for i in range(_BATCH + 2)
    ]
