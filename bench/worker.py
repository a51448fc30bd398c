"""One side of the A/B comparison (``bench/run.py --baseline REF``): a timing worker.

Usage (``bench/run.py`` starts it; it is not meant to be run by hand)::

    python bench/worker.py ROOT CPU

``ROOT`` is the directory holding the ``typedstream`` package to time: the working tree for
the new side, a ``git archive`` export of ``REF`` for the old one. It goes first on
``sys.path``, so this process imports that package and nothing of the other one: the two
implementations never share a module, whatever the refactor between them changed. ``CPU`` is
the core both workers are pinned to (``None``: no pinning, where the OS has no affinity call).
Only the public API is used (``events()``, ``to_sse()``), so any two versions can be compared.

The worker builds the bench streams (``bench/streams.py`` of the running bench, the same
bytes on both sides) and their inputs, then answers requests on stdin, one JSON line each:
``{"row": ..., "stream": ..., "loops": n}`` runs that row ``n`` times and answers
``{"seconds": s}``, the seconds per run. The parent interleaves the requests of the two
workers, so each worker sits idle on its pipe while the other one is timed.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# CPU time of this process, where its clock is fine-grained (Linux, macOS): on a machine shared
# with other work, the moments the process waits for a core are not the code's cost. Where it
# is coarse (Windows counts it in 15.6 ms ticks), wall-clock time.
clock = (
    time.process_time
    if time.get_clock_info("process_time").resolution <= 1e-6
    else time.perf_counter
)


def consume(items: Iterable[object]) -> None:
    deque(items, maxlen=0)


def _once(work: Callable[[], object], loops: int) -> float:
    gc.collect()
    start = clock()
    for _ in range(loops):
        work()
    return (clock() - start) / loops


def main(root: str, cpu: str) -> None:
    if cpu != "None":  # the core bench/run.py pins both sides to
        os.sched_setaffinity(0, {int(cpu)})
    sys.path.insert(0, root)
    import jiter
    import streams  # bench/streams.py, next to this script

    import typedstream

    package = Path(typedstream.__file__).resolve().parent
    if not package.is_relative_to(Path(root).resolve()):
        raise SystemExit(f"worker: imported typedstream from {package}, not from {root}")

    from_json = jiter.from_json
    works: dict[tuple[str, str], Callable[[], object]] = {}
    digests: dict[str, str] = {}
    chunks: dict[str, int] = {}
    for stream in streams.build(1) + streams.build(10):
        body = streams.sse_body(stream)
        pieces = streams.sse_pieces(body)
        dicts = [from_json(frame[6:]) for frame in body.split(b"\n\n")[:-2]]
        events = list(typedstream.events(pieces))
        output = b"".join(typedstream.to_sse(events))

        # The same paths as bench/run.py's rows of the same names.
        def floor(body: bytes = body) -> None:
            for line in body.split(b"\n"):
                if line.startswith(b"data: ") and line != b"data: [DONE]":
                    from_json(line[6:])

        def events_sse(pieces: list[bytes] = pieces) -> None:
            consume(typedstream.events(pieces))

        def events_dicts(dicts: list[Any] = dicts) -> None:
            consume(typedstream.events(dicts))

        def to_sse(events: list[Any] = events) -> None:
            consume(typedstream.to_sse(events))

        name = stream.name
        chunks[name] = len(stream.chunks)
        digests[name] = hashlib.sha256(output).hexdigest()
        works.update(
            {
                ("floor", name): floor,
                ("events_sse", name): events_sse,
                ("events_dicts", name): events_dicts,
                ("to_sse", name): to_sse,
            }
        )

    # As in bench/run.py: collections during timing scan only what the timed code allocates.
    gc.collect()
    gc.freeze()
    hello = {"package": str(package), "chunks": chunks, "digests": digests}
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        request: dict[str, Any] = json.loads(line)
        seconds = _once(works[request["row"], request["stream"]], request["loops"])
        print(json.dumps({"seconds": seconds}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
