"""``events``, ``check`` and ``normalize`` agree on how every input ends.

The three commands read through the library's one decoding layer, so on any input they give
the same outcome class: ok, provider error, cut off, or bad input (exit codes 0, 3, 4, 2).
``check`` exits 1 instead when it found deviations in a stream that was otherwise read; its
report then still says how the stream ended (``Report.ending``), and that must agree too.
Inputs: every recording of the corpus, and the inputs of the first fuzz seeds written as
files (chunk cases as JSON lines, byte cases as the damaged SSE body).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from corpus import Recording, ids, recordings
from fuzz.mutations import make_case

from typedstream._cli import check_source, main, open_source

SEEDS = range(300)
OUTCOMES = {0: "ok", 2: "bad input", 3: "provider error", 4: "cut off"}


def outcomes(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The outcome class of each command on ``path``."""
    found: dict[str, str] = {}
    for command in ("events", "normalize", "check"):
        code = main([command, str(path)])
        if command == "check" and code == 1:
            code = check_source(open_source(str(path), "auto", lambda: None)).ending
        found[command] = OUTCOMES[code]
    capsys.readouterr()
    return found


def assert_agree(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    found = outcomes(path, capsys)
    assert len(set(found.values())) == 1, found
    return found["events"]


@pytest.mark.parametrize("rec", recordings(), ids=ids(recordings()))
def test_the_commands_agree_on_every_recording(
    rec: Recording, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = "provider error" if rec.is_error else "ok"
    assert assert_agree(rec.path, capsys) == expected


def _jsonl(items: list[Any]) -> bytes:
    lines = []
    for item in items:
        if item == "[DONE]":
            lines.append(b"[DONE]")
            continue
        if isinstance(item, bytes):  # raw text among the chunks: a line as it is
            lines.append(item.replace(b"\n", b" "))
            continue
        try:
            lines.append(json.dumps(item, ensure_ascii=False, allow_nan=False).encode())
        except (TypeError, ValueError, RecursionError):  # no JSON form (NaN, objects, nesting
            # deeper than json.dumps goes): a line no parser takes
            lines.append(b"NaN" if isinstance(item, float) and math.isnan(item) else b"{")
    return b"".join(line + b"\n" for line in lines)


def fuzz_input(seed: int, tmp_path: Path) -> Path:
    case = make_case(seed)
    if case.kind in ("chunks", "async", "objects"):
        path = tmp_path / f"seed{seed}.jsonl"
        path.write_bytes(_jsonl(case.items))
        return path
    path = tmp_path / f"seed{seed}.sse"
    items = [i.encode("utf-8", "surrogatepass") if isinstance(i, str) else i for i in case.items]
    path.write_bytes((b"\n" if case.kind == "lines" else b"").join(items))
    return path


def test_the_commands_agree_on_the_fuzz_seeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, int] = {}
    for seed in SEEDS:
        path = fuzz_input(seed, tmp_path)
        try:
            outcome = assert_agree(path, capsys)
        except AssertionError as exc:
            raise AssertionError(f"seed {seed} ({path.name}): {exc}") from None
        seen[outcome] = seen.get(outcome, 0) + 1
    assert set(seen) == set(OUTCOMES.values()), seen  # every class is exercised


def test_an_error_event_without_details_is_a_provider_error_for_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        ],
    }
    for data in (b"{}", b'{"error": null}', b"upstream down"):
        path = tmp_path / "error.sse"
        path.write_bytes(
            b"data: " + json.dumps(first).encode() + b"\n\nevent: error\ndata: " + data + b"\n\n"
        )
        assert outcomes(path, capsys) == dict.fromkeys(
            ("events", "normalize", "check"), "provider error"
        ), data
        assert main(["check", str(path)]) == 3
