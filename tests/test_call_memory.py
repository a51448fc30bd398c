"""Memory per finished call: the normalizer keeps only what the merge policy needs.

Measured with tracemalloc (bytes still allocated after the calls are done), never by time.
"""

from __future__ import annotations

import tracemalloc

from typedstream import Normalizer

CALLS = 20_000


def bytes_per_finished_call(with_ids: bool) -> float:
    normalizer = Normalizer()
    normalizer.feed({"id": "chatcmpl-m", "choices": [{"index": 0, "delta": {}}]})
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(CALLS):
            entry: dict[str, object] = {
                "index": i,
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
            if with_ids:
                entry["id"] = f"call_{i:020d}"
            normalizer.feed({"choices": [{"index": 0, "delta": {"tool_calls": [entry]}}]})
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return kept / CALLS


def test_a_finished_call_keeps_no_fragments_and_no_list_entry() -> None:
    # Before: every call kept its own empty fragment list and a slot in a list of all calls
    # (about 380 B per call here); now about 320 B, most of it the id and the lookup tables.
    assert bytes_per_finished_call(with_ids=True) < 350


def test_a_finished_call_without_a_provider_id_keeps_less() -> None:
    assert bytes_per_finished_call(with_ids=False) < 330
