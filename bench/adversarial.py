"""Adversarial scaling check: crafted inputs must cost amortized O(1) per chunk and per call.

Usage::

    python bench/adversarial.py [CASE ...]      # or: nox -s adversarial

Each case is ``case(size) -> thunk``: it builds a crafted input of ``size`` units outside the
measurement and returns a function that processes it. For every case the thunk of size N and
of size 10N are timed (median of 3 runs each); a linear path takes about 10x as long, a
quadratic one about 100x. The check fails (exit 1) when ``time(10N) > 30 x time(N)``: wide
enough for a noisy shared machine, far below what a quadratic path needs.

A case lives in ``CASES`` (name -> (function, N)); adding one is one line there.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: import this checkout
    sys.path.insert(0, str(ROOT))

from adversarial_cases_cli import cli_detection_case  # noqa: E402  (bench/, next to this script)

import typedstream  # noqa: E402
from typedstream import Normalizer, ProviderData, StreamEvent  # noqa: E402
from typedstream._openai_out import ChatWriter  # noqa: E402

Thunk = Callable[[], object]
Case = Callable[[int], Thunk]

LIMIT = 30.0
"""The largest allowed time(10N) / time(N)."""


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "chatcmpl-adv", "choices": [choice]}


def _header(index: int) -> dict[str, Any]:
    function = {"name": f"tool_{index}", "arguments": "{}"}
    return {"index": index, "id": f"call_{index}", "function": function}


def repeats_after_finish_case(size: int) -> Thunk:
    """A choice with `size` calls, finished, then `size` repeats of the calls' headers."""
    chunks: list[Any] = [_chunk({"tool_calls": [_header(i)]}) for i in range(size)]
    chunks.append(_chunk({}, "tool_calls"))
    for i in range(size):
        repeat = {"index": i, "id": f"call_{i}", "function": {"name": f"tool_{i}"}}
        chunks.append(_chunk({"tool_calls": [repeat]}))

    def run() -> object:
        normalizer = Normalizer()
        for item in chunks:
            normalizer.feed(item)
        return normalizer.close()

    return run


def writer_deferred_calls_case(size: int) -> Thunk:
    """`size` calls queued behind the first (defer_tool_call_done=True), written as chunks."""
    chunks = [_chunk({"tool_calls": [_header(i)]}) for i in range(size)]
    chunks.append(_chunk({}, "tool_calls"))
    events: list[StreamEvent] = list(typedstream.events(chunks, defer_tool_call_done=True))

    def run() -> object:
        writer = ChatWriter()
        written = 0
        for event in events:
            written += len(writer.write(event))
        return written + len(writer.close())

    return run


def accumulator_tool_data_case(size: int) -> Thunk:
    """`size` fragments of tool-level provider data merged onto one call."""
    events: list[StreamEvent] = [
        typedstream.ToolCallStarted(0, "call_0", "tool", 0),
        *(ProviderData("extra_content", [{"n": i}], 0, 0) for i in range(size)),
        *(ProviderData("provider_specific_fields", {f"k{i}": i}, 0, 0) for i in range(size)),
    ]

    def run() -> object:
        acc = typedstream.Accumulator()
        for event in events:
            acc.add(event)
        return acc

    return run


CASES: dict[str, tuple[Case, int]] = {
    "normalizer: call headers repeated after the finish": (repeats_after_finish_case, 3_000),
    "writer: deferred calls queued behind the first": (writer_deferred_calls_case, 5_000),
    "accumulator: tool-level provider data": (accumulator_tool_data_case, 4_000),
    # N in bytes of blank input before the first event (32 MB took 20 s before the fix).
    "cli: format detection after blank input": (cli_detection_case, 2_000_000),
}
"""name -> (case, N); adding a case is one line here."""


def median_time(thunk: Thunk, runs: int = 3) -> float:
    # The cyclic collector is paused while timing: its passes grow with the live heap, not
    # with the work of the path, and would blur the ratio on large inputs.
    times: list[float] = []
    for _ in range(runs):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            thunk()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return statistics.median(times)


def check(name: str, case: Case, size: int) -> bool:
    small = median_time(case(size))
    large = median_time(case(size * 10))
    ratio = large / small if small > 0 else float("inf")
    ok = ratio <= LIMIT
    verdict = "ok" if ok else f"FAIL (> {LIMIT:g}x: not amortized O(1))"
    print(
        f"{name}: N={size}: {small * 1e3:.1f} ms, 10N: {large * 1e3:.1f} ms, "
        f"ratio {ratio:.1f}  {verdict}",
        flush=True,
    )
    return ok


def main(argv: list[str]) -> int:
    selected = {k: v for k, v in CASES.items() if not argv or any(a in k for a in argv)}
    if not selected:
        print(f"no case matches {argv}; cases: {', '.join(CASES)}", file=sys.stderr)
        return 2
    results = [check(name, case, size) for name, (case, size) in selected.items()]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
