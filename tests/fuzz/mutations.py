"""Seeded mutations of real recorded streams, for the fuzz suite.

A `Case` is built from one recording (`tests/corpus.py`) by a `random.Random(seed)`: either
its decoded chunks with one to three structural mutations (a key deleted, a value of the
wrong type, `null` anywhere, a known key added with junk, junk items, chunks duplicated,
dropped, swapped, shuffled or cut off), or its SSE bytes with byte-level damage (flipped,
inserted, deleted or duplicated bytes, a truncation) cut into random pieces. The same seed
always gives the same case, so a failure is reproduced by its seed alone.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from corpus import Recording, recordings
from helpers import call_ids, recorded_sse

# Values of every JSON type (and a few that are not JSON at all), to put where they do not belong.
JUNK_VALUES: tuple[Any, ...] = (
    None,
    0,
    -1,
    7,
    2**70,
    1.5,
    float("nan"),
    True,
    False,
    "",
    "x",
    "[DONE]",
    "function",
    [],
    [None],
    [{}],
    ["x", 1],
    {},
    {"x": 1},
    {"index": 0},
    {"type": "text", "text": 3},
)

# Keys the normalizer reads, to add where they were not.
KNOWN_KEYS: tuple[str, ...] = (
    "error",
    "usage",
    "choices",
    "moderation",
    "prompt_filter_results",
    "id",
    "model",
    "created",
    "system_fingerprint",
    "service_tier",
    "index",
    "delta",
    "finish_reason",
    "logprobs",
    "role",
    "content",
    "refusal",
    "reasoning",
    "reasoning_content",
    "tool_calls",
    "function_call",
    "function",
    "name",
    "arguments",
    "type",
    "thinking",
    "text",
    "thinking_blocks",
    "provider_specific_fields",
    "extra_content",
)

# Whole items that are not chunks at all, or chunks of the wrong API.
JUNK_ITEMS: tuple[Any, ...] = (
    None,
    0,
    3.5,
    "[DONE]",
    "x",
    b"\xff\xfe",
    b"data: {}\n\n",
    "data: [DONE]\n\n",
    [],
    [{"choices": []}],
    {},
    {"choices": None},
    {"choices": []},
    {"error": None},
    {"error": {"message": "overloaded", "code": 529}},
    {"error": "plain"},
    {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "hi"}},
    {"candidates": [{"content": {"parts": [{"text": "hi"}]}}]},
    {"choices": [], "usage": {"prompt_tokens": 1}},
    "data: \ud800\n\n",  # a lone surrogate: text that cannot be encoded
    bytearray(b"data: {}\n\n"),
    {1: "non-string key"},
    {"choices": [{"delta": {"content": "\ud800"}}]},
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
)

# Byte snippets to splice into SSE bodies.
JUNK_BYTES: tuple[bytes, ...] = (
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b":",
    b": keep-alive\n\n",
    b"data: ",
    b"data:",
    b"event: error\n",
    b"event: ping\n",
    b"data: [DONE]\n\n",
    b"\xff",
    b"\xe2\x82",  # the start of a 3-byte UTF-8 sequence
    b"\xef\xbb\xbf",  # a byte-order mark
    b"\x00",
    b"{",
    b"}",
    b'"',
    b"[",
    b"null",
    b"\\u",
    b"\\ud800",
)


@dataclass
class Case:
    """One fuzz case: a source built from a recording, and the options to read it with."""

    seed: int
    recording: str
    kind: str  # "chunks", "async", "objects", "bytes", "body", "lines"
    items: list[Any]
    options: dict[str, Any]
    mutations: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """What to read to reproduce it (the seed alone regenerates it)."""
        return (
            f"seed={self.seed} recording={self.recording} kind={self.kind} "
            f"options={self.options} mutations={self.mutations}"
        )


@dataclass(frozen=True)
class _Source:
    recording: Recording
    chunks: list[Any]
    body: bytes  # the SSE body: recorded, or rendered from the chunks


_SOURCES: list[_Source] = []


def sources() -> list[_Source]:
    """Every recording, decoded once (small ones first, for the weights below)."""
    if not _SOURCES:
        for rec in recordings():
            chunks = rec.chunks()
            _SOURCES.append(_Source(rec, chunks, recorded_sse(rec)))
    return _SOURCES


# -- structural mutations of decoded chunks ---------------------------------------------------


def _nodes(tree: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) below `tree`, depth first."""
    out: list[tuple[Any, Any]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            keys: Any = list(node)
        elif isinstance(node, list):
            keys = range(len(node))
        else:
            continue
        for key in keys:
            out.append((node, key))
            stack.append(node[key])
    return out


def _containers(tree: Any) -> list[Any]:
    return [tree] + [c[k] for c, k in _nodes(tree) if isinstance(c[k], (dict, list))]


def _pick_chunk(rng: random.Random, chunks: list[Any]) -> int | None:
    candidates = [i for i, c in enumerate(chunks) if isinstance(c, (dict, list))]
    return rng.choice(candidates) if candidates else None


def _edit_chunk(
    rng: random.Random, chunks: list[Any], edit: Callable[[random.Random, Any], str | None]
) -> str | None:
    at = _pick_chunk(rng, chunks)
    if at is None:
        return None
    chunks[at] = copy.deepcopy(chunks[at])  # only the edited chunk is copied
    what = edit(rng, chunks[at])
    return None if what is None else f"chunk[{at}]: {what}"


def _delete_key(rng: random.Random, tree: Any) -> str | None:
    nodes = _nodes(tree)
    if not nodes:
        return None
    container, key = rng.choice(nodes)
    del container[key]
    return f"deleted {key!r}"


def _wrong_type(rng: random.Random, tree: Any) -> str | None:
    nodes = _nodes(tree)
    if not nodes:
        return None
    container, key = rng.choice(nodes)
    old = container[key]
    if rng.random() < 0.4:  # the "same" value in another type
        if isinstance(old, str):
            new: Any = rng.choice([len(old), [old], {"text": old}, old.encode()])
        elif isinstance(old, dict):
            new = rng.choice([list(old.values()), list(old), str(old)])
        elif isinstance(old, list):
            new = rng.choice([dict(enumerate(old)), {"0": old}, len(old)])
        elif isinstance(old, bool):
            new = str(old).lower()
        elif isinstance(old, (int, float)):
            new = rng.choice([str(old), float(old), -old, [old]])
        else:
            new = rng.choice(JUNK_VALUES)
    else:
        new = rng.choice(JUNK_VALUES)
    container[key] = copy.deepcopy(new)
    return f"{key!r}: {old!r:.40} -> {new!r:.40}"


def _null(rng: random.Random, tree: Any) -> str | None:
    nodes = _nodes(tree)
    if not nodes:
        return None
    container, key = rng.choice(nodes)
    container[key] = None
    return f"{key!r} -> null"


def _add_key(rng: random.Random, tree: Any) -> str | None:
    maps = [c for c in _containers(tree) if isinstance(c, dict)]
    if not maps:
        return None
    target = rng.choice(maps)
    key = rng.choice(KNOWN_KEYS)
    value = copy.deepcopy(rng.choice(JUNK_VALUES))
    target[key] = value
    return f"added {key!r}: {value!r:.40}"


def _swap_values(rng: random.Random, tree: Any) -> str | None:
    nodes = _nodes(tree)
    if len(nodes) < 2:
        return None
    (c1, k1), (c2, k2) = rng.sample(nodes, 2)
    try:
        c1[k1], c2[k2] = c2[k2], c1[k1]
    except (KeyError, IndexError):  # one contained the other and moved: leave as is
        return None
    return f"swapped {k1!r} and {k2!r}"


def _junk_item(rng: random.Random, chunks: list[Any]) -> str | None:
    at = rng.randrange(len(chunks) + 1)
    item = copy.deepcopy(rng.choice(JUNK_ITEMS))
    chunks.insert(at, item)
    return f"junk item {item!r:.40} at {at}"


def _duplicate(rng: random.Random, chunks: list[Any]) -> str | None:
    if not chunks:
        return None
    at = rng.randrange(len(chunks))
    chunks.insert(at + rng.choice((1, 1, 2, 5)), chunks[at])
    return f"duplicated chunk {at}"


def _drop(rng: random.Random, chunks: list[Any]) -> str | None:
    if not chunks:
        return None
    at = rng.randrange(len(chunks))
    del chunks[at]
    return f"dropped chunk {at}"


def _swap(rng: random.Random, chunks: list[Any]) -> str | None:
    if len(chunks) < 2:
        return None
    a, b = rng.sample(range(len(chunks)), 2)
    chunks[a], chunks[b] = chunks[b], chunks[a]
    return f"swapped chunks {a} and {b}"


def _shuffle(rng: random.Random, chunks: list[Any]) -> str | None:
    if len(chunks) < 2:
        return None
    start = rng.randrange(len(chunks) - 1)
    stop = min(len(chunks), start + rng.choice((3, 5, 10, len(chunks))))
    window = chunks[start:stop]
    rng.shuffle(window)
    chunks[start:stop] = window
    return f"shuffled chunks {start}:{stop}"


def _cut_off(rng: random.Random, chunks: list[Any]) -> str | None:
    if not chunks:
        return None
    at = rng.randrange(len(chunks))
    del chunks[at:]
    return f"cut off at chunk {at}"


_STRUCTURAL: tuple[tuple[Callable[[random.Random, list[Any]], str | None], int], ...] = (
    (lambda rng, cs: _edit_chunk(rng, cs, _delete_key), 4),
    (lambda rng, cs: _edit_chunk(rng, cs, _wrong_type), 6),
    (lambda rng, cs: _edit_chunk(rng, cs, _null), 3),
    (lambda rng, cs: _edit_chunk(rng, cs, _add_key), 4),
    (lambda rng, cs: _edit_chunk(rng, cs, _swap_values), 1),
    (_junk_item, 2),
    (_duplicate, 2),
    (_drop, 2),
    (_swap, 1),
    (_shuffle, 1),
    (_cut_off, 2),
)


# -- byte-level damage to SSE bodies ------------------------------------------------------


def _damage(rng: random.Random, body: bytes) -> tuple[bytes, str]:
    op = rng.randrange(6)
    at = rng.randrange(len(body) + 1)
    if op == 0 and body:
        at = min(at, len(body) - 1)
        flipped = body[at] ^ (1 << rng.randrange(8))
        return body[:at] + bytes([flipped]) + body[at + 1 :], f"flipped byte {at}"
    if op == 1:
        junk = rng.choice(JUNK_BYTES)
        return body[:at] + junk + body[at:], f"inserted {junk!r} at {at}"
    if op == 2:
        stop = min(len(body), at + rng.choice((1, 2, 5, 50)))
        return body[:at] + body[stop:], f"deleted bytes {at}:{stop}"
    if op == 3:
        stop = min(len(body), at + rng.choice((1, 10, 200)))
        return body[:stop] + body[at:], f"duplicated bytes {at}:{stop}"
    if op == 4:
        return body[:at], f"truncated at byte {at}"
    ending = rng.choice((b"\r\n", b"\r"))
    return body.replace(b"\n", ending), f"line endings -> {ending!r}"


def _pieces(rng: random.Random, body: bytes) -> list[bytes]:
    sizes = (1, 2, 3, 7, 64, 512, 4096)
    out, at = [], 0
    while at < len(body):
        step = rng.choice(sizes)
        out.append(body[at : at + step])
        at += step
    return out


# -- edge inputs: deep nesting, huge tokens, NaN, surrogates, control characters, entries
# after a finish. Drawn from a random stream of their own, so that adding them left the
# cases of the older mutations (and the seeds that found bugs) unchanged.

EDGE_SHARE = 0.4
"""Share of the cases that get one edge input on top of their other damage."""

DEPTHS = (150, 200, 201, 202, 260, 1_000, 5_000)
HUGE = (10_000, 100_000, 1_000_000)
NON_FINITE = (float("nan"), float("inf"), float("-inf"))
ODD_TEXT = (
    "\ud800",  # lone surrogates: a leading one, a trailing one, a pair out of order
    "a\udfffb",
    "\udc00\ud800",
    "\x00",  # control characters, which JSON must escape
    "\x1f\x7f",
    "\r\n\t",
    "\u2028\u2029",  # line separators: valid JSON, broken JavaScript
    "\ufeff",
)
ODD_BYTES = (
    b"\\ud800",
    b"\\udfff\\ud800",
    b"\\u0000",
    b"\x00",
    b"\x01",
    b"\x1f",
    b"\t",
    b"\xe2\x80\xa8",  # U+2028
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e999",
)


def nested(rng: random.Random, depth: int) -> Any:
    """A value `depth` containers deep: lists and objects, with a scalar at the bottom."""
    value: Any = rng.choice((0, "x", None, 1.5))
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


def _leaf(rng: random.Random, tree: Any) -> tuple[Any, Any] | None:
    nodes = _nodes(tree)
    return rng.choice(nodes) if nodes else None


def _edge_value(rng: random.Random) -> tuple[Any, str]:
    kind = rng.randrange(5)
    if kind == 0:
        depth = rng.choice(DEPTHS)
        return nested(rng, depth), f"nested {depth} deep"
    if kind == 1:
        size = rng.choice(HUGE)
        return rng.choice("xé😀") * size, f"a string of {size} characters"
    if kind == 2:
        value = rng.choice(NON_FINITE)
        return value, repr(value)
    if kind == 3:
        text = rng.choice(ODD_TEXT)
        return f"a{text}z", repr(text)
    # A real-looking opaque value holding the odd thing, where the writers copy it.
    inner = rng.choice((*NON_FINITE, *ODD_TEXT, nested(rng, rng.choice(DEPTHS))))
    return {"prompt_tokens": 1, "completion_tokens": 1, "x": inner}, "an object holding it"


def _edge_chunk(rng: random.Random, chunks: list[Any]) -> str | None:
    at = _pick_chunk(rng, chunks)
    if at is None:
        return None
    chunk = chunks[at] = copy.deepcopy(chunks[at])
    value, what = _edge_value(rng)
    if isinstance(chunk, dict) and rng.random() < 0.4:
        # Where opaque values live: usage, provider data, logprobs, moderation, the error.
        key = rng.choice(("usage", "usage", "moderation", "error", "choices"))
        if key == "choices":
            entry = {"index": 0, "delta": {}, "finish_reason": None}
            entry[rng.choice(("logprobs", "provider_specific_fields", "delta"))] = value
            chunk[key] = [entry]
        else:
            chunk[key] = value
        return f"chunk[{at}]: {key} = {what}"
    picked = _leaf(rng, chunk)
    if picked is None:
        return None
    container, key = picked
    old = container[key]
    if isinstance(old, str) and isinstance(value, str) and rng.random() < 0.5:
        value = old + value  # text, arguments: keep the rest of the value intact
    container[key] = value
    return f"chunk[{at}]: {key!r} -> {what}"


def _after_finish(rng: random.Random, chunks: list[Any]) -> str | None:
    finishes = [
        i
        for i, c in enumerate(chunks)
        if isinstance(c, dict)
        and isinstance(c.get("choices"), list)
        and any(isinstance(e, dict) and e.get("finish_reason") for e in c["choices"])
    ]
    if not finishes:
        return None
    at = rng.choice(finishes) + 1
    entry = rng.choice(
        (
            {"content": "late"},
            {"reasoning_content": "late"},
            {"refusal": "late"},
            {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]},
            {"tool_calls": [{"index": 7, "id": "late", "function": {"name": "f"}}]},
            {},
        )
    )
    late: dict[str, Any] = {
        "id": "late",
        "choices": [{"index": rng.choice((0, 0, 1)), "delta": entry, "finish_reason": None}],
    }
    if rng.random() < 0.3:
        late["choices"][0]["finish_reason"] = "stop"
    if rng.random() < 0.3:
        late = {"id": "late", "choices": [], "usage": {"total_tokens": 1}}
    chunks.insert(at, late)
    return f"entry after the finish at {at}: {late!r:.60}"


def _edge_bytes(rng: random.Random, body: bytes) -> tuple[bytes, str]:
    kind = rng.randrange(4)
    strings = [i + 1 for i in range(len(body)) if body[i : i + 1] == b'"']
    at = rng.choice(strings) if strings else rng.randrange(len(body) + 1)
    if kind == 0:  # inside a string (usually), or anywhere
        junk = rng.choice(ODD_BYTES)
        return body[:at] + junk + body[at:], f"inserted {junk!r} at {at}"
    if kind == 1:
        size = rng.choice(HUGE)
        return body[:at] + b"x" * size + body[at:], f"a token of {size} bytes at {at}"
    if kind == 2:
        depth = rng.choice(DEPTHS)
        opens = [rng.choice((b"[", b'{"k":')) for _ in range(depth)]
        closes = [b"]" if o == b"[" else b"}" for o in reversed(opens)]
        deep = b"".join([*opens, b"0", *closes])  # json.dumps() itself cannot go that deep
        frame = b'data: {"choices":[],"usage":' + deep + b"}\n\n"
        return frame + body, f"a usage chunk nested {depth} deep first"
    frames = body.split(b"\n\n")
    late = b'data: {"choices":[{"index":0,"delta":{"content":"late"},"finish_reason":null}]}'
    cut = rng.randrange(len(frames) + 1)
    return b"\n\n".join([*frames[:cut], late, *frames[cut:]]), f"a late content frame at {cut}"


def _edge(seed: int, case: Case) -> None:
    """Add one edge input to the case, drawn from its own random stream."""
    rng = random.Random(f"edge:{seed}")
    if rng.random() >= EDGE_SHARE:
        return
    if case.kind in ("chunks", "async", "objects"):
        op = _after_finish if rng.random() < 0.2 else _edge_chunk
        what = op(rng, case.items)
    elif case.kind == "body":
        (item,) = case.items
        raw = item if isinstance(item, bytes) else item.encode("utf-8", "surrogatepass")
        raw, what = _edge_bytes(rng, raw)
        case.items = [raw]
    else:  # bytes pieces or lines: damage the joined body, cut it again the same way
        sep = b"\n" if case.kind == "lines" else b""
        raw, what = _edge_bytes(rng, sep.join(case.items))
        case.items = raw.split(b"\n") if case.kind == "lines" else _pieces(rng, raw)
    if what is not None:
        case.mutations.append(f"edge: {what}")


# -- cases -----------------------------------------------------------------------------


def make_case(seed: int, *, edge: bool = True) -> Case:
    """The fuzz case of this seed (deterministic); `edge=False` leaves out the edge input."""
    case = _make_case(seed)
    if edge:
        _edge(seed, case)
    return case


def _make_case(seed: int) -> Case:
    rng = random.Random(seed)
    pool = sources()
    # Small recordings more often: they are fast and their every chunk matters.
    source = rng.choice(pool if rng.random() < 0.3 else [s for s in pool if len(s.body) < 20_000])
    options: dict[str, Any] = {
        key: True
        for key in ("strict", "defer_tool_call_done", "done_events", "raw", "assume_complete")
        if rng.random() < 0.2
    }
    if rng.random() < 0.7:  # deterministic ids, so sync and async runs can be compared
        options["id_factory"] = call_ids
    mutations: list[str] = []
    if rng.random() < 0.75:
        kind = rng.choice(("chunks", "chunks", "chunks", "async", "objects"))
        items: list[Any] = list(source.chunks)
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            op = rng.choices([m for m, _ in _STRUCTURAL], [w for _, w in _STRUCTURAL])[0]
            what = op(rng, items)
            if what is not None:
                mutations.append(what)
        if rng.random() < 0.2:
            items.append("[DONE]")
            mutations.append("explicit [DONE] item")
        return Case(seed, source.recording.name, kind, items, options, mutations)
    body = source.body
    for _ in range(rng.choice((1, 1, 2, 3))):
        body, what = _damage(rng, body)
        mutations.append(what)
    kind = rng.choice(("bytes", "bytes", "body", "lines"))
    if kind == "bytes":
        items = _pieces(rng, body)
    elif kind == "body":
        items = [body if rng.random() < 0.5 else body.decode("utf-8", "replace")]
    else:
        items = body.split(b"\n")
        options["lines"] = True
    return Case(seed, source.recording.name, kind, items, options, mutations)
