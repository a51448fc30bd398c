"""The Anthropic exactness checker: does a Messages stream look exactly like what Anthropic sends?

How it works. :class:`AnthropicChecker` is sans-IO: :meth:`~AnthropicChecker.feed_sse` takes the
bytes of an SSE body in pieces of any size, cuts them into events at blank lines and checks each
event's framing (rules A1-A3) before decoding its JSON; :meth:`~AnthropicChecker.feed` takes one
decoded event; :meth:`~AnthropicChecker.close` checks what only the end shows (A4, an unfinished
stream). Between events it keeps a few counters and the open content block (its type, what it has
received, the tool input so far) plus the tool ids of the message: nothing per past event.
:func:`check_anthropic_events` runs it over a whole body or an iterable of events.

The rules are :data:`ANTHROPIC_RULES`, the ids of the exactness rules in docs/anthropic.md. What
the rules leave open is never reported: unknown event, block and delta types and extra keys (D4),
pings between any two events, key order inside objects, usage that differs between
``message_start`` and ``message_delta``. The two exceptions real streams show are tolerated: a
tool block left open when ``max_tokens`` cuts fine-grained tool input (B5, C3), and result blocks
that open a stream resumed after ``pause_turn`` answering the previous response's tool ids (C4).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from ._anthropic_vocab import ANTHROPIC_STOP_REASONS as STOP_REASONS
from ._chat_vocab import is_map
from ._check import Deviation
from ._check import a_json_type as _a
from ._check import as_event_data as _as_data
from ._check import show_json as _show
from ._check import wrong_type as _wrong
from ._errors import UsageError
from ._sse import BlankLineFrames

__all__ = ["ANTHROPIC_RULES", "AnthropicChecker", "check_anthropic_events"]

ANTHROPIC_RULES: Final[Mapping[str, str]] = {
    "A1": "each event is `event: <name>`, `data: <json>`, a blank line: UTF-8, LF, nothing else",
    "A2": "the event name equals the data's type, and type is the first key",
    "A3": 'compact JSON, up to 15 spaces before the final "}"; a ping is {"type": "ping"}',
    "A4": "the last event ends with a blank line",
    "B1": "the stream opens with one message_start (or an error) holding an empty message",
    "B2": "block indices are 0, 1, 2, … in start order",
    "B3": "one block open at a time; deltas and stops name the open block",
    "B4": "a delta's type belongs to its block's type",
    "B5": "every block is stopped before message_delta",
    "B6": "message_delta, then one message_stop, then nothing",
    "B7": "a ping comes after message_start and carries nothing",
    "B8": "nothing follows an error",
    "C1": 'a text block starts with "text": ""; citations only where announced, before the text',
    "C2": "a thinking block starts empty and ends with exactly one signature_delta",
    "C3": 'a tool block starts with "input": {} and "", and its input is a JSON object',
    "C4": "tool ids are non-empty and unique; a result answers an earlier tool call",
    "D1": "stop_reason is one of the seven; stop_sequence is set iff it is stop_sequence",
    "D2": "tool_use ends with a client tool call; pause_turn with an unanswered server tool",
    "D3": "message_delta carries the cumulative output_tokens; token counts are integers",
}
"""Every rule id :func:`check_anthropic_events` reports, with what it means (D4, "unknown
types and keys are fine", is the absence of findings)."""

_TOOL_BLOCKS: Final = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
_DELTAS_OF: Final[Mapping[str, frozenset[str]]] = {
    "text": frozenset({"text_delta", "citations_delta"}),
    "thinking": frozenset({"thinking_delta", "signature_delta"}),
    "tool_use": frozenset({"input_json_delta"}),
    "server_tool_use": frozenset({"input_json_delta"}),
    "mcp_tool_use": frozenset({"input_json_delta"}),
    "compaction": frozenset({"compaction_delta"}),
    "redacted_thinking": frozenset(),
}
_KNOWN_DELTAS: Final = frozenset[str]().union(*_DELTAS_OF.values())
_ID_PREFIXES: Final[Mapping[str, str]] = {
    "tool_use": "toolu_",
    "server_tool_use": "srvtoolu_",
    "mcp_tool_use": "mcptoolu_",
}
_BLOCK_EVENTS: Final = frozenset(
    {"content_block_start", "content_block_delta", "content_block_stop"}
)
_KNOWN_EVENTS: Final = _BLOCK_EVENTS | {
    "message_start",
    "message_delta",
    "message_stop",
    "ping",
    "error",
}
_PING: Final = '{"type": "ping"}'
_MAX_PADDING: Final = 15
_MISSING: Final = object()
_EMPTY: Final[Mapping[str, Any]] = {}
_NO_DELTAS: Final[frozenset[str]] = frozenset()


def _excerpt(text: str, at: int = 0) -> str:
    """Raw text from the wire around ``at``, shortened (not re-quoted: what the bytes say)."""
    start = max(0, at - 12)
    part = text[start : start + 40]
    return ("…" if start else "") + part + ("…" if start + 40 < len(text) else "")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_result(kind: str) -> bool:
    return kind.endswith("_tool_result")


class _Block:
    """The open content block."""

    __slots__ = (
        "citations",
        "deltas",
        "fragments",
        "index",
        "kind",
        "signed",
        "texted",
    )

    def __init__(self, index: int, kind: str, citations: bool) -> None:
        self.index = index
        self.kind = kind
        self.citations = citations  # the start carried "citations": []
        self.deltas = 0
        self.texted = False  # a text_delta arrived (citations must precede it)
        self.signed = False  # the signature_delta arrived
        self.fragments: list[str] = []  # partial_json of a tool block


class AnthropicChecker:
    """The rules, one event at a time: :func:`check_anthropic_events` without holding anything.

    ``sink`` receives each :class:`Deviation` as it is found. Feed either the SSE body
    (:meth:`feed_sse`, in pieces of any size) or decoded events (:meth:`feed`), in order, and
    call :meth:`close` once at the end.
    """

    __slots__ = (
        "_frames",
        "block",
        "client_tools",
        "delta_output",
        "ended",
        "fine_grained",
        "last_block",
        "leading_results",
        "message_delta",
        "n",
        "next_index",
        "open_server_tool",
        "sink",
        "start_output",
        "started",
        "tool_ids",
    )

    def __init__(self, sink: Callable[[Deviation], object], *, fine_grained: bool = False) -> None:
        self.sink = sink
        self.fine_grained = fine_grained
        self.n = 0
        self._frames = BlankLineFrames()
        self.started: int | None = None  # event number of message_start
        self.ended: tuple[str, int] | None = None  # ("message_stop" | "error", event number)
        self.message_delta: int | None = None
        self.start_output: int | None = None
        self.delta_output: int | None = None
        self.next_index = 0
        self.block: _Block | None = None
        self.last_block: str | None = None  # type of the latest block started
        self.open_server_tool: str | None = None  # latest server_tool_use id without a result
        self.client_tools = 0
        self.tool_ids: set[str] = set()
        self.leading_results = True  # no block other than a result block has started yet

    def flag(
        self, rule: str, path: str, value: object, message: str, *, at_end: bool = False
    ) -> None:
        self.sink(Deviation(0 if at_end else self.n, rule, message, path, value, "anthropic"))

    # -- framing (A1-A4) -------------------------------------------------------------------

    def feed_sse(self, data: bytes) -> None:
        """Check the next piece of an SSE body; whole events are checked as they complete."""
        self.piece(data, last=False)

    def piece(self, data: bytes, *, last: bool) -> None:
        for frame in self._frames.split(data, last=last, events=self.n):
            self.sse_event(frame)

    def sse_event(self, raw: bytes) -> None:
        """Check one SSE event (its lines, without the blank line that ends it)."""
        stripped = raw.lstrip(b"\n")
        if not stripped:
            self.flag("A1", "", None, "extra blank lines after this event")
            return
        self.n += 1
        if len(stripped) < len(raw):
            self.flag("A1", "", None, "extra blank lines before this event")
            raw = stripped
        if 0 < self._frames.carriage <= self.n:
            self._frames.carriage = -1
            self.flag("A1", "", None, "CR line endings (Anthropic sends LF only)")
        try:
            text = raw.decode()
        except UnicodeDecodeError as error:
            self.flag(
                "A1", "", None, f"the event is not UTF-8 ({error.reason} at byte {error.start})"
            )
            text = raw.decode(errors="replace")
        name, payload = self.fields(text)
        if payload is None:
            if name is not None:  # checked as the event its name says, with nothing in it
                self.event({"type": name})
            return
        if payload == "[DONE]":
            self.flag("A1", "data", payload, "data: [DONE] (Anthropic sends no end sentinel)")
            return
        try:
            data = json.loads(payload)
        except ValueError as error:
            self.flag("A1", "data", payload, f"data is not JSON ({error})")
            return
        if is_map(data):
            self.framing(name, payload, data)
        self.event(data)

    def fields(self, text: str) -> tuple[str | None, str | None]:
        """The event name and the data of an event's lines; A1 for anything else there."""
        name: str | None = None
        payload: str | None = None
        lines = text.split("\n")
        for position, line in enumerate(lines):
            field, colon, value = line.partition(":")
            if field == "event" and position == 0 and value.startswith(" "):
                name = value[1:]
            elif field == "data" and position == 1 and name is not None and value.startswith(" "):
                payload = value[1:]
            else:
                self.flag("A1", "", line, self.stray_line(field, colon, value, position))
                if field == "event" and name is None:
                    name = value.removeprefix(" ")
                elif field == "data" and payload is None:
                    payload = value.removeprefix(" ")
        if payload is None:
            self.flag("A1", "data", None, "an event without a data line")
        return name, payload

    @staticmethod
    def stray_line(field: str, colon: str, value: str, position: int) -> str:
        if not field and not colon:
            return "an empty line inside the event (an extra blank line)"
        if not field:
            return f"a comment line {_show(':' + value)}"
        if field in ("event", "data") and colon and not value.startswith(" "):
            return f'{_show(field + ":" + value)}: no space after "{field}:"'
        if field == "event":
            return "the event line is not the event's first line"
        if field == "data":
            return "a second data line" if position > 1 else "a data line without an event line"
        return f"a line {_show(field + colon + value)} (Anthropic sends only event: and data:)"

    def framing(self, name: str | None, payload: str, data: Mapping[str, Any]) -> None:
        """A2 and A3 for one decoded event."""
        kind = data.get("type")
        if name is not None and kind != name:
            self.flag("A2", "type", kind, f"event: {name} carries type {_show(kind)}")
        first = next(iter(data), None)
        if first != "type" and "type" in data:
            self.flag("A2", "", first, f'the first key is {_show(first)}, not "type"')
        if kind == "ping":
            if payload != _PING and len(data) == 1:
                self.flag("A3", "data", payload, f"ping data is {_excerpt(payload)}, not {_PING}")
            return
        try:
            compact = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except ValueError:  # NaN and friends: reported as not compact below
            compact = ""
        if payload == compact:
            return
        body = payload.rstrip(" ")
        padding = len(payload) - len(body)
        if body.endswith("}") and body[:-1].rstrip(" ") + "}" == compact:
            padding = len(body[:-1]) - len(body[:-1].rstrip(" "))
            if padding <= _MAX_PADDING:
                return
            self.flag("A3", "data", padding, f'{padding} spaces before the final "}}" (at most 15)')
            return
        if padding and body == compact:
            self.flag("A3", "data", padding, f'{padding} spaces after the final "}}"')
            return
        at = next(
            (i for i, (a, b) in enumerate(zip(payload, compact, strict=False)) if a != b),
            min(len(payload), len(compact)),
        )
        self.flag(
            "A3",
            "data",
            payload[at : at + 20],
            f"data is not compact JSON at character {at + 1}: {_excerpt(payload, at)}",
        )

    # -- events (B1-D3) --------------------------------------------------------------------

    def feed(self, event: object) -> None:
        """Check the next decoded event (a JSON object, or an object with ``model_dump()``)."""
        self.n += 1
        self.event(_as_data(event) if not is_map(event) else event)

    def event(self, data: object) -> None:
        if not is_map(data) or not isinstance(data.get("type"), str):
            what = f"{_a(data)}" if not is_map(data) else "an object without a string type"
            self.flag("A2", "type", None, f"the event is {what}, not an event")
            return
        kind: str = data["type"]
        if self.ended is not None:
            ended, at = self.ended
            rule = "B8" if ended == "error" else "B6"
            self.flag(rule, "", kind, f"{kind} after {ended} (event {at})")
            return
        if kind == "ping":
            self.ping(data)
            return
        if kind not in _KNOWN_EVENTS:
            return  # D4: an event type from the future
        if kind == "error":
            self.ended = ("error", self.n)
            return
        if self.started is None and kind != "message_start":
            self.started = -1  # reported once; checked from here on as if it had started
            self.flag("B1", "type", kind, f"the stream opens with {kind}, not message_start")
        if kind == "message_start":
            self.message_start(data)
        elif kind in _BLOCK_EVENTS:
            self.block_event(kind, data)
        elif kind == "message_delta":
            self.message_delta_event(data)
        else:
            self.message_stop()

    def ping(self, data: Mapping[str, Any]) -> None:
        if self.started is None:
            self.flag("B7", "", None, "a ping before message_start")
        extra = [key for key in data if key != "type"]
        if extra:
            self.flag("B7", extra[0], data[extra[0]], f"a ping carrying {_show(extra[0])}")

    def message_start(self, data: Mapping[str, Any]) -> None:
        if self.started is not None and self.started >= 0:
            self.flag(
                "B1", "", None, f"a second message_start (the first was event {self.started})"
            )
            return
        self.started = self.n
        message = data.get("message")
        if not is_map(message):
            self.flag("B1", "message", message, _wrong("message", message, "object"))
            return
        expected: tuple[tuple[str, object], ...] = (
            ("type", "message"),
            ("role", "assistant"),
            ("content", []),
            ("stop_reason", None),
            ("stop_sequence", None),
        )
        for key, value in expected:
            got = message.get(key, _MISSING)
            if got is _MISSING:
                self.flag("B1", f"message.{key}", None, f"no message.{key} key")
            elif got != value or type(got) is not type(value):
                self.flag(
                    "B1",
                    f"message.{key}",
                    got,
                    f"message.{key}: {_show(got)}, not {_show(value)}",
                )
        found = message.get("usage")
        usage: Mapping[str, Any] = found if is_map(found) else _EMPTY
        for key in ("input_tokens", "output_tokens"):
            count = usage.get(key, _MISSING)
            if not _is_int(count):
                what = "no such key" if count is _MISSING else _show(count)
                self.flag(
                    "B1",
                    f"message.usage.{key}",
                    None if count is _MISSING else count,
                    f"message.usage.{key}: {what}, not an integer",
                )
        output = usage.get("output_tokens")
        self.start_output = output if _is_int(output) else None

    # -- blocks ----------------------------------------------------------------------------

    def block_event(self, kind: str, data: Mapping[str, Any]) -> None:
        if self.message_delta is not None:
            self.flag("B6", "", kind, f"{kind} after message_delta (event {self.message_delta})")
            return
        index = data.get("index", _MISSING)
        if not _is_int(index):
            rule = "B2" if kind == "content_block_start" else "B3"
            what = "no index" if index is _MISSING else f"index: {_show(index)}"
            self.flag(rule, "index", None if index is _MISSING else index, f"{kind} with {what}")
            return
        if kind == "content_block_start":
            self.block_start(index, data.get("content_block"))
        elif kind == "content_block_delta":
            self.block_delta(index, data.get("delta"))
        else:
            self.block_stop(index)

    def block_start(self, index: int, block: object) -> None:
        if index != self.next_index:
            what = "started again" if index < self.next_index else "a gap"
            self.flag(
                "B2",
                "index",
                index,
                f"block {index} starts, expected block {self.next_index} ({what})",
            )
        self.next_index = max(self.next_index, index + 1)
        if self.block is not None:
            self.flag(
                "B3",
                "index",
                index,
                f"block {index} starts while block {self.block.index} is open",
            )
        if not is_map(block) or not isinstance(block.get("type"), str):
            self.flag("B4", "content_block", block, "content_block is not a typed block")
            self.block = _Block(index, "", False)
            return
        kind: str = block["type"]
        self.block = _Block(index, kind, block.get("citations", _MISSING) == [])
        self.last_block = kind
        if not _is_result(kind):
            self.leading_results = False
        if kind == "text" and block.get("text", _MISSING) != "":
            got = block.get("text", _MISSING)
            what = "no text key" if got is _MISSING else f"text: {_show(got)}"
            self.flag(
                "C1",
                "content_block.text",
                None if got is _MISSING else got,
                f'a text block starting with {what}, not ""',
            )
        elif kind == "thinking":
            self.thinking_start(block)
        elif kind in _TOOL_BLOCKS:
            self.tool_start(kind, block)
        elif _is_result(kind):
            self.result_start(kind, block)

    def thinking_start(self, block: Mapping[str, Any]) -> None:
        for key in ("thinking", "signature"):
            got = block.get(key, _MISSING)
            if got != "":
                what = f"no {key} key" if got is _MISSING else f"{key}: {_show(got)}"
                self.flag(
                    "C2",
                    f"content_block.{key}",
                    None if got is _MISSING else got,
                    f'a thinking block starting with {what}, not ""',
                )

    def tool_start(self, kind: str, block: Mapping[str, Any]) -> None:
        got = block.get("input", _MISSING)
        if got != {} or not is_map(got):
            what = "no input key" if got is _MISSING else f"input: {_show(got)}"
            self.flag(
                "C3",
                "content_block.input",
                None if got is _MISSING else got,
                f"a {kind} block starting with {what}, not {{}}",
            )
        tool_id = block.get("id", _MISSING)
        if not isinstance(tool_id, str) or not tool_id:
            what = "no id" if tool_id is _MISSING else f"id: {_show(tool_id)}"
            self.flag(
                "C4",
                "content_block.id",
                None if tool_id is _MISSING else tool_id,
                f"a {kind} block with {what}",
            )
            return
        if tool_id in self.tool_ids:
            self.flag("C4", "content_block.id", tool_id, f"tool id {_show(tool_id)} used again")
        for other, prefix in _ID_PREFIXES.items():
            if other != kind and tool_id.startswith(prefix):
                self.flag(
                    "C4",
                    "content_block.id",
                    tool_id,
                    f"a {kind} block with the {other} id {_show(tool_id)}",
                )
        self.tool_ids.add(tool_id)
        if kind == "tool_use":
            self.client_tools += 1
        elif kind == "server_tool_use":
            self.open_server_tool = tool_id

    def result_start(self, kind: str, block: Mapping[str, Any]) -> None:
        answers = block.get("tool_use_id", _MISSING)
        if not isinstance(answers, str) or not answers:
            what = "no tool_use_id" if answers is _MISSING else f"tool_use_id: {_show(answers)}"
            self.flag(
                "C4",
                "content_block.tool_use_id",
                None if answers is _MISSING else answers,
                f"a {kind} block with {what}",
            )
            return
        if answers == self.open_server_tool:
            self.open_server_tool = None
        if answers not in self.tool_ids and not self.leading_results:
            self.flag(
                "C4",
                "content_block.tool_use_id",
                answers,
                f"a {kind} answering {_show(answers)}, which no earlier block called",
            )

    def open_block(self, index: int, what: str) -> _Block | None:
        """The open block if ``index`` names it; B3 otherwise."""
        block = self.block
        if block is None:
            self.flag("B3", "index", index, f"{what} for block {index}, but no block is open")
            return None
        if block.index != index:
            self.flag(
                "B3", "index", index, f"{what} for block {index} while block {block.index} is open"
            )
            return None
        return block

    def block_delta(self, index: int, delta: object) -> None:
        block = self.open_block(index, "a delta")
        if block is None:
            return
        block.deltas += 1
        if not is_map(delta) or not isinstance(delta.get("type"), str):
            self.flag("B4", "delta", delta, "a delta without a string type")
            return
        kind: str = delta["type"]
        allowed = _DELTAS_OF.get(block.kind, _NO_DELTAS if _is_result(block.kind) else None)
        if allowed is not None and kind in _KNOWN_DELTAS and kind not in allowed:
            self.flag("B4", "delta.type", kind, f"a {kind} in a {block.kind} block")
            return
        if block.kind == "text":
            self.text_delta(block, kind)
        elif block.kind == "thinking":
            self.thinking_delta(block, kind)
        elif block.kind in _TOOL_BLOCKS and kind == "input_json_delta":
            self.input_delta(block, delta.get("partial_json", _MISSING))

    def text_delta(self, block: _Block, kind: str) -> None:
        if kind == "text_delta":
            block.texted = True
        elif kind == "citations_delta":
            if not block.citations:
                self.flag(
                    "C1",
                    "delta",
                    kind,
                    'a citations_delta in a text block that did not start with "citations": []',
                )
            elif block.texted:
                self.flag("C1", "delta", kind, "a citations_delta after the block's text")

    def thinking_delta(self, block: _Block, kind: str) -> None:
        if block.signed and kind in _KNOWN_DELTAS:
            what = "a second signature_delta" if kind == "signature_delta" else f"a {kind}"
            self.flag("C2", "delta", kind, f"{what} after the signature_delta")
        if kind == "signature_delta":
            block.signed = True

    def input_delta(self, block: _Block, fragment: object) -> None:
        if not isinstance(fragment, str):
            what = (
                "no partial_json"
                if fragment is _MISSING
                else _wrong("partial_json", fragment, "string")
            )
            self.flag(
                "C3",
                "delta.partial_json",
                None if fragment is _MISSING else fragment,
                f"an input_json_delta with {what}",
            )
            return
        if block.deltas == 1 and fragment:
            self.flag(
                "C3",
                "delta.partial_json",
                fragment,
                f'the first input_json_delta is {_show(fragment)}, not ""',
            )
        block.fragments.append(fragment)

    def block_stop(self, index: int) -> None:
        block = self.open_block(index, "content_block_stop")
        if block is None:
            return
        self.block = None
        if block.kind == "thinking" and not block.signed:
            self.flag("C2", "", None, f"thinking block {index} stopped without a signature_delta")
        elif block.kind in _TOOL_BLOCKS:
            self.tool_stop(block)

    def tool_stop(self, block: _Block) -> None:
        if block.deltas == 0:
            self.flag(
                "C3", "", None, f"{block.kind} block {block.index} stopped without input_json_delta"
            )
            return
        text = "".join(block.fragments)
        if not text or self.fine_grained:
            return
        try:
            value = json.loads(text)
        except ValueError:
            value = _MISSING
        if not is_map(value):
            what = "not valid JSON" if value is _MISSING else f"{_a(value)}, not a JSON object"
            self.flag(
                "C3",
                "",
                text,
                f"{block.kind} block {block.index}'s input {_show(text)} is {what}",
            )

    # -- the end of the message --------------------------------------------------------------

    def message_delta_event(self, data: Mapping[str, Any]) -> None:
        found = data.get("delta")
        delta: Mapping[str, Any] = found if is_map(found) else _EMPTY
        stop_reason = delta.get("stop_reason", _MISSING)
        block = self.block
        if block is not None:
            cut = block.kind in _TOOL_BLOCKS and stop_reason == "max_tokens"
            if not cut:
                self.flag(
                    "B5",
                    "",
                    block.index,
                    f"message_delta while {block.kind or 'untyped'} block {block.index} is open",
                )
            self.block = None
        self.message_delta = self.message_delta or self.n
        self.stop_reason(stop_reason, delta.get("stop_sequence", _MISSING))
        self.usage(data.get("usage", _MISSING))

    def stop_reason(self, stop_reason: object, stop_sequence: object) -> None:
        self.stop_values(stop_reason, stop_sequence)
        self.stop_consistency(stop_reason)

    def stop_values(self, stop_reason: object, stop_sequence: object) -> None:
        """D1: the stop reason is one of the seven, and stop_sequence goes with it."""
        if stop_reason not in STOP_REASONS:
            what = (
                "no stop_reason"
                if stop_reason is _MISSING
                else f"stop_reason: {_show(stop_reason)}"
            )
            self.flag(
                "D1",
                "delta.stop_reason",
                None if stop_reason is _MISSING else stop_reason,
                f"{what}, not one of Anthropic's seven",
            )
        if stop_reason == "stop_sequence":
            if not isinstance(stop_sequence, str) or not stop_sequence:
                what = "no" if stop_sequence is _MISSING else _show(stop_sequence)
                self.flag(
                    "D1",
                    "delta.stop_sequence",
                    None if stop_sequence is _MISSING else stop_sequence,
                    f"stop_reason stop_sequence with {what} stop_sequence",
                )
        elif stop_sequence is not None:
            what = (
                "no stop_sequence key"
                if stop_sequence is _MISSING
                else (f"stop_sequence: {_show(stop_sequence)}")
            )
            self.flag(
                "D1",
                "delta.stop_sequence",
                None if stop_sequence is _MISSING else stop_sequence,
                f"{what} with stop_reason {_show(stop_reason)} (Anthropic sends null)",
            )

    def stop_consistency(self, stop_reason: object) -> None:
        """D2: tool_use and pause_turn agree with the blocks that came."""
        if stop_reason == "tool_use" and not self.client_tools:
            self.flag(
                "D2",
                "delta.stop_reason",
                stop_reason,
                "stop_reason tool_use without a tool_use block",
            )
        elif stop_reason == "pause_turn" and (
            self.last_block != "server_tool_use" or self.open_server_tool is None
        ):
            last = self.last_block or "no block"
            what = "an answered server_tool_use" if self.last_block == "server_tool_use" else last
            self.flag(
                "D2",
                "delta.stop_reason",
                stop_reason,
                f"stop_reason pause_turn after {what}, not an unanswered server_tool_use",
            )

    def usage(self, usage: object) -> None:
        if not is_map(usage):
            what = "no usage" if usage is _MISSING else _wrong("usage", usage, "object")
            self.flag(
                "D3", "usage", None if usage is _MISSING else usage, f"message_delta with {what}"
            )
            return
        for key, value in usage.items():
            if key.endswith("_tokens") and value is not None and not _is_int(value):
                self.flag("D3", f"usage.{key}", value, _wrong(f"usage.{key}", value, "integer"))
        output = usage.get("output_tokens", _MISSING)
        if output is _MISSING:
            self.flag(
                "D3", "usage.output_tokens", None, "message_delta usage without output_tokens"
            )
            return
        if not _is_int(output):
            return  # reported above
        floor = max(
            (v for v in (self.start_output, self.delta_output) if v is not None), default=None
        )
        if floor is not None and output < floor:
            self.flag(
                "D3",
                "usage.output_tokens",
                output,
                f"output_tokens {output}, below the {floor} reported before",
            )
        self.delta_output = output

    def message_stop(self) -> None:
        if self.message_delta is None:
            self.flag("B6", "", None, "message_stop without a message_delta before it")
        self.ended = ("message_stop", self.n)

    def close(self) -> None:
        """The input ended: check what only its end shows."""
        self.piece(b"", last=True)
        rest = self._frames.rest()
        if rest.strip(b"\n"):
            self.sse_event(rest.rstrip(b"\n"))
            self.flag("A4", "", None, "the last event does not end with a blank line")
        elif rest:
            self.flag("A1", "", None, "extra blank lines after the last event")
        if self._frames.carriage > 0:
            self.flag("A1", "", None, "CR line endings (Anthropic sends LF only)")
        if self.ended is not None:
            return
        if self.started is None:
            self.flag("B1", "", None, "no message_start: the stream is empty", at_end=True)
            return
        missing = "message_stop" if self.message_delta else "message_delta and message_stop"
        self.flag("B6", "", None, f"the stream ends without {missing}", at_end=True)


def check_anthropic_events(
    source: bytes | bytearray | memoryview | str | Iterable[Mapping[str, Any] | Any],
    *,
    fine_grained: bool = False,
) -> list[Deviation]:
    """Check an Anthropic Messages stream against Anthropic's own; return every deviation.

    Args:
        source: The raw SSE body (``bytes`` or ``str``), checked from its framing on; or the
            stream's events, decoded (JSON objects, or objects with ``model_dump()`` such as
            the ``anthropic`` SDK's raw stream events), in which case the framing rules A1-A4
            do not apply.
        fine_grained: The request enabled fine-grained tool streaming (``eager_input_streaming``),
            so a tool block's input need not be valid JSON (C3).

    Returns:
        One :class:`Deviation` per break of a rule in :data:`ANTHROPIC_RULES`, in stream order;
        ``Deviation.chunk`` is the 1-based event number (0: the end of the stream). Empty when
        the stream is exactly what Anthropic sends.

    Raises:
        UsageError: ``source`` is a single event (a mapping), not a stream.
    """
    deviations: list[Deviation] = []
    checker = AnthropicChecker(deviations.append, fine_grained=fine_grained)
    if isinstance(source, str):
        checker.feed_sse(source.encode("utf-8", "surrogatepass"))
    elif isinstance(source, (bytes, bytearray, memoryview)):
        checker.feed_sse(bytes(source))
    elif is_map(source):
        raise UsageError("check_anthropic_events() takes a stream of events, not one event")
    else:
        for event in source:
            checker.feed(event)
    checker.close()
    return deviations
