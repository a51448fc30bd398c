"""Nothing from the stream reaches the terminal as a control sequence.

A stream can carry an OSC window title, a clear-screen, a BEL, an 8-bit CSI or a
bidirectional override in a provider error message, in a JSON key, or in any value ``check``
quotes. Every command escapes them in what it prints (event lines are reprs; ``--json`` and
``normalize`` output stay JSON, with the escapes JSON has for them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import body

from typedstream._cli import main

NASTY = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202etxt"
# C0 but LF, DEL, C1, and the bidirectional overrides and isolates, as UTF-8.
CONTROL = re.compile(
    rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)


def chunk(delta: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}],
        **extra,
    }


def frames(*payloads: Any, error_event: Any = None) -> bytes:
    out = body(*payloads, done=False, ensure_ascii=False)
    if error_event is not None:
        out += b"event: error\ndata: " + json.dumps(error_event).encode() + b"\n\n"
    return out


INPUTS = {
    # A provider error message: events, normalize and check print it.
    "provider-error": frames(
        chunk({"role": "assistant", "content": ""}), error_event={"message": NASTY}
    ),
    # A chunk typedstream cannot read names its keys.
    "keys-in-chunk-error": frames(chunk({"role": "assistant", "content": ""}), {NASTY: 1}),
    # Text and keys check quotes as deviations; the events carry the text.
    "values-in-deviations": frames(
        chunk({"role": "assistant", "content": NASTY}, **{NASTY: NASTY}),
        chunk({}, system_fingerprint=NASTY),
    )
    + b"data: [DONE]\n\n",
}
COMMANDS = {
    "events": ["events"],
    "events-json": ["events", "--json"],
    "check": ["check"],
    "normalize": ["normalize"],
}


@pytest.mark.parametrize("source", INPUTS)
@pytest.mark.parametrize("command", COMMANDS)
def test_no_control_character_from_the_stream_is_printed(
    command: str, source: str, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "stream.sse"
    path.write_bytes(INPUTS[source])
    main([*COMMANDS[command], str(path)])
    captured = capsysbinary.readouterr()
    printed = captured.out + captured.err
    assert printed  # it did print something from the stream
    assert not CONTROL.search(printed), printed
    if command in ("events-json", "normalize"):
        lines = [line.removeprefix(b"data: ") for line in captured.out.splitlines()]
        for line in lines:  # still JSON, still the same values
            if line and line != b"[DONE]":
                json.loads(line)


def test_escaped_text_still_says_what_was_there(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "stream.sse"
    path.write_bytes(INPUTS["provider-error"])
    assert main(["events", str(path)]) == 3
    err = capsysbinary.readouterr().err.decode()
    assert "provider error: \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202etxt" in err
