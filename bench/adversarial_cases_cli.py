"""Adversarial inputs of the ``typedstream`` command, for a ratio-based timing session.

``cli_detection_case(size)`` builds standard input that starts with ``size`` bytes of blanks
(what a keep-alive stream may send before its first event) and returns a thunk that runs the
command's format detection and reading on it, in 64 KiB pieces as ``os.read`` gives them.
Detection looks at each byte once and keeps O(1) of them, so ten times the input must cost
about ten times the time (the session checks ``x10 input => <= x30 time``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator

from typedstream._cli import Sniffer, Source, check_source

_PIECE = 1 << 16
_CHUNK = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
}


def cli_detection_case(size: int) -> Callable[[], object]:
    """A thunk detecting the format of, then reading, ``size`` blank bytes and one chunk."""
    blanks = (b"\n" + b" " * 63) * (size // 64) + b" " * (size % 64)
    data = blanks + b"data: " + json.dumps(_CHUNK).encode() + b"\n\ndata: [DONE]\n\n"
    pieces = [data[i : i + _PIECE] for i in range(0, len(data), _PIECE)]

    def run() -> object:
        def read() -> Generator[bytes, None, None]:
            yield from pieces

        stream = read()
        sniffer = Sniffer("<stdin>")
        for piece in stream:
            if sniffer.feed(piece) is not None:
                break
        chosen = sniffer.format or "jsonl"

        def rest() -> Generator[bytes, None, None]:
            yield sniffer.head(chosen)
            yield from stream

        report = check_source(Source("<stdin>", chosen, rest(), sniffer.newlines + 1))
        assert report.code == 0, report
        return report

    return run
