"""Golden event sequences: every recording of the corpus as events.

`.sse` recordings are read as raw bytes, `.jsonl` ones as their parsed lines.

`tests/golden/<folder>/<recording>.events.jsonl` holds one line per event (`event_to_json`) and a
last line with the outcome: `{"outcome": "ok"}` or the error class and message. A refactor of
the reading core must leave every file identical; a change in behaviour changes the files in
its own commit, with the reason in the commit message (and CHANGELOG.md when users see it).

Recordings of protocols the library does not read yet (`anthropic/`, `responses/`) are here
too: their golden files pin today's outcome, so the commit that teaches the library to read
them shows exactly what changed.

Regenerate after a deliberate change: `TYPEDSTREAM_UPDATE_GOLDEN=1 pytest tests/test_golden.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from corpus import CORPUS

import typedstream

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("TYPEDSTREAM_UPDATE_GOLDEN") == "1"
FILES = sorted(
    path for path in CORPUS.rglob("*") if path.suffix in (".sse", ".jsonl") and path.is_file()
)


def _call_id(choice: int, index: int) -> str:
    # Streams without a response id get a random per-stream seed for their call ids; a
    # fixed factory keeps the golden files deterministic (the default ids have their own tests).
    return f"call_golden_{choice}_{index}"


def golden_lines(path: Path) -> list[str]:
    """The event lines and the outcome line of one recording."""
    lines: list[str] = []
    body = path.read_bytes()
    source: Any = body
    if path.suffix == ".jsonl":
        source = [json.loads(line) for line in body.splitlines() if line.strip()]
    try:
        for event in typedstream.events(source, id_factory=_call_id):
            lines.append(typedstream.event_to_json(event))
    except typedstream.TypedStreamError as exc:
        outcome = {"outcome": type(exc).__name__, "message": str(exc)}
    else:
        outcome = {"outcome": "ok"}
    lines.append(json.dumps(outcome, ensure_ascii=False))
    return lines


def golden_path(path: Path) -> Path:
    return GOLDEN / path.relative_to(CORPUS).with_name(path.name + ".events.jsonl")


def test_the_corpus_has_golden_files_for_every_folder() -> None:
    folders = {p.parent.relative_to(CORPUS).as_posix() for p in FILES}
    assert {".", "litellm", "anthropic", "responses"} <= folders
    assert len(FILES) >= 90


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_events_of_the_recording_equal_its_golden_file(path: Path) -> None:
    lines = golden_lines(path)
    target = golden_path(path)
    if UPDATE:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert target.exists(), f"no golden file for {path.name}: run with TYPEDSTREAM_UPDATE_GOLDEN=1"
    assert target.read_text(encoding="utf-8").splitlines() == lines
