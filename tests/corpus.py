"""The recorded streams (`tests/recordings/`), loaded for tests and benchmarks.

The recordings live in the repository (provenance in each folder's README.txt, attribution and
licences in NOTICE), so a plain clone runs the whole suite. `TYPEDSTREAM_CORPUS` points the
tests at another copy laid out the same way. A missing corpus fails the suite loudly instead of
skipping it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TYPEDSTREAM_CORPUS", ROOT / "tests" / "recordings"))
LITELLM = CORPUS / "litellm"

ERROR_RECORDINGS = frozenset(
    {"groq_gpt_oss_tool_use_failed_error.sse", "openrouter_minimax_error_midstream.sse"}
)


@dataclass(frozen=True)
class Recording:
    """One recorded stream."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def is_sse(self) -> bool:
        return self.path.suffix == ".sse"

    @property
    def is_openai(self) -> bool:
        """Recorded from api.openai.com (the `openai_*` files)."""
        return self.path.parent == CORPUS and self.name.startswith("openai_")

    @property
    def is_error(self) -> bool:
        return self.name in ERROR_RECORDINGS

    def body(self) -> bytes:
        """The raw bytes of the file (an SSE body for `.sse` files)."""
        return self.path.read_bytes()

    def chunks(self) -> list[dict[str, Any]]:
        """The chunks as decoded JSON objects, in order ([DONE] and SSE framing removed).

        An SSE `event: error` payload is returned as it is (it has a top-level `error`).
        """
        return [json.loads(line) for line in _payloads(self)]


def _payloads(recording: Recording) -> list[str]:
    text = recording.body().decode()
    if not recording.is_sse:
        return [line for line in text.splitlines() if line.strip()]
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip(" ") for line in block.split("\n") if line.startswith("data:")]
        if data and "\n".join(data) != "[DONE]":
            out.append("\n".join(data))
    return out


@cache
def recordings() -> tuple[Recording, ...]:
    """Every recording the core must read: the corpus, the LiteLLM output and OpenAI wire."""
    if not CORPUS.is_dir():
        raise RuntimeError(
            f"the recorded corpus is missing at {CORPUS}: restore tests/recordings/ "
            "or point TYPEDSTREAM_CORPUS at a copy"
        )
    files = sorted(p for p in CORPUS.iterdir() if p.suffix in (".sse", ".jsonl"))
    files += sorted(LITELLM.glob("litellm_*.jsonl"))
    files += sorted(LITELLM.glob("wire_openai_*.jsonl"))
    return tuple(Recording(p) for p in files)


def recording(name: str) -> Recording:
    """A recording by file name (from the corpus or its `litellm/` folder)."""
    for rec in recordings():
        if rec.name == name:
            return rec
    path = LITELLM / name
    if path.exists():
        return Recording(path)
    raise KeyError(name)


def ids(recs: tuple[Recording, ...] | list[Recording]) -> list[str]:
    return [r.name for r in recs]
