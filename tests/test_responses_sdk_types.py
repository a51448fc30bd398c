"""`to_responses_events()` builds each event as the `openai` SDK's own type for it.

The SDK's `ResponseStreamEvent` is a union told apart by `type`: an SDK too old to know an
event type builds it unvalidated as whichever class its union tries first (openai 1.66 builds a
`response.queued` as a `ResponseAudioDeltaEvent`, an `mcp_call` item as a
`ResponseOutputMessage`). The minimum `openai` of pyproject.toml is the oldest release that
knows every event and item type the writer writes for the recordings: custom tool calls need
openai 1.99.2 (docs/responses.md, "Writing Responses streams"). `nox -s tests_min` runs this on
that minimum.
"""

from __future__ import annotations

import contextlib
import json
import typing
from pathlib import Path
from typing import Any

import pytest
from corpus import CORPUS

import typedstream

RECORDINGS = sorted((CORPUS / "responses").glob("*.sse"))


def typed_as(model: Any) -> tuple[str, ...]:
    """The `type` values an SDK model class admits (its `type` field's Literal)."""
    field = type(model).model_fields.get("type")
    return () if field is None else typing.get_args(field.annotation)


def written(path: Path) -> list[Any]:
    out: list[Any] = []
    try:
        out.extend(typedstream.to_responses_events(typedstream.events(path.read_bytes())))
    except typedstream.ProviderError:
        assert "error" in path.name  # the one recording that ends in error + failed
    return out


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_every_written_event_and_item_is_the_sdk_type_for_it(path: Path) -> None:
    misbuilt = []
    for event in written(path):
        if event.type not in typed_as(event):
            misbuilt.append(f"{event.type} as {type(event).__name__}")
        item = getattr(event, "item", None)
        if item is not None and item.type not in typed_as(item):
            misbuilt.append(f"{item.type} item as {type(item).__name__}")
    assert misbuilt == []


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_every_written_event_dumps_back_to_the_sse_output(path: Path) -> None:
    frames: list[bytes] = []
    with contextlib.suppress(typedstream.ProviderError):
        frames.extend(typedstream.to_responses_sse(typedstream.events(path.read_bytes())))
    wire = [json.loads(frame.split(b"\ndata: ", 1)[1]) for frame in frames]
    dumped = [e.model_dump(mode="json", exclude_unset=True, warnings=False) for e in written(path)]
    assert dumped == wire
