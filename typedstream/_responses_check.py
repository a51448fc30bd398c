"""The Responses exactness checker: does a Responses stream look exactly like what OpenAI sends?

How it works. :class:`ResponsesChecker` is sans-IO: :meth:`~ResponsesChecker.feed_sse` takes the
bytes of an SSE body in pieces of any size, cuts them into frames at blank lines and checks each
frame (rules R1-R3) before decoding its JSON; :meth:`~ResponsesChecker.feed` takes one decoded
event; :meth:`~ResponsesChecker.close` checks what only the end shows (a stream without its
terminal event). Between events it keeps counters, the reference ``response`` object of
``response.created``, and per output item its id, type and position in its own grammar. Streamed
text (output text, arguments, summaries, code) is kept as a running hash and a length, and a done
item as one hash per key, so nothing grows with the length of the text or the number of events.
:func:`check_responses_events` runs it over a whole body or an iterable of events.

The rules are :data:`RESPONSES_RULES`, the exactness rules R1-R24 of docs/responses.md. R23
(``encrypted_content`` is opaque) is about how a writer obtains a value and cannot be seen in one
stream, so it is never reported; R24 (what ``client.responses.stream().get_final_response()``
needs) is reported only when asked for. What the rules leave open is never reported: unknown event
and item types and extra keys, key order after ``type``, the spelling of floats in logprobs, and
``encrypted_content`` values, which differ between an item's added, done and terminal copies.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from ._chat_vocab import is_list, is_map
from ._check import Deviation
from ._check import a_json_type as _a
from ._check import as_event_data as _as_data
from ._check import show_json as _show
from ._errors import UsageError
from ._sse import BlankLineFrames

__all__ = ["RESPONSES_RULES", "ResponsesChecker", "check_responses_events"]

RESPONSES_RULES: Final[Mapping[str, str]] = {
    "R1": "each event is `event: <type>`, one `data: <json>` line, a blank line; raw UTF-8",
    "R2": "no data: [DONE]",
    "R3": "compact JSON whose first key is type; the response's sampling floats keep their .0",
    "R4": "every event has sequence_number 0, 1, 2, … (error included)",
    "R5": "response.created, then response.in_progress (after response.queued iff background)",
    "R6": "exactly one terminal event, the last; an error only right before response.failed",
    "R7": "the lifecycle responses agree on id, created_at, model, object and the echo fields",
    "R8": "created, queued and in_progress carry an empty, unfinished response",
    "R9": "the terminal status, usage, incomplete_details and error match the terminal event",
    "R10": "items are added as 0, 1, 2, … and each is done once, with the id and type it had",
    "R11": "items do not overlap: item k is done before item k+1 is added",
    "R12": "an event of item k comes between its added and done and names the item's id",
    "R13": "an item is added empty and in_progress, and done completed",
    "R14": "content parts 0, 1, … are added, closed by their text's .done, then content_part.done",
    "R15": "every .done value, done part and done item equals the deltas joined",
    "R16": "output_text deltas and .done carry logprobs; output_text parts carry annotations",
    "R17": "annotations are numbered 0, 1, … within their part, before output_text.done",
    "R18": "a function or custom tool call has one arguments (input) .done, without name",
    "R19": "summary parts 0, 1, … each run part.added, text.delta*, text.done, part.done",
    "R20": "obfuscation only on .delta events, padding the delta to a multiple of 16",
    "R21": "built-in tool events follow their tool's order and carry nothing extra",
    "R22": "the terminal response.output equals the done items in order",
    "R24": "(asked for) the stream ends in response.completed with one response id and no error",
}
"""Every rule id :func:`check_responses_events` reports, with what it means (R23, "an
``encrypted_content`` is opaque", cannot be checked on one stream)."""

_OPENING: Final = frozenset({"response.created", "response.queued", "response.in_progress"})
_TERMINAL: Final[Mapping[str, str]] = {
    "response.completed": "completed",
    "response.incomplete": "incomplete",
    "response.failed": "failed",
}
_ADDED: Final = "response.output_item.added"
_DONE: Final = "response.output_item.done"
# The response keys a terminal event may change from response.created (the rest echo it).
_TERMINAL_CHANGES: Final = frozenset(
    {
        "status",
        "output",
        "usage",
        "completed_at",
        "service_tier",
        "incomplete_details",
        "error",
        "moderation",
        "content_filters",
    }
)
# The keys an opening event may change from response.created (R8 checks them).
_OPENING_CHANGES: Final = frozenset({"status", "output", "usage", "error", "incomplete_details"})
_FLOATS: Final = ("temperature", "top_p", "frequency_penalty", "presence_penalty")
_INCOMPLETE_REASONS: Final = frozenset({"max_output_tokens", "content_filter"})

# Text streamed into a content part: the event family, the part type and its text key.
_PART_TEXT: Final[Mapping[str, tuple[str, str]]] = {
    "response.output_text": ("output_text", "text"),
    "response.refusal": ("refusal", "refusal"),
    "response.reasoning_text": ("reasoning_text", "text"),
}
# Text streamed into an item: item type -> (event family, the item's key, the rule of its order).
_ITEM_TEXT: Final[Mapping[str, tuple[str, str, str]]] = {
    "function_call": ("response.function_call_arguments", "arguments", "R18"),
    "custom_tool_call": ("response.custom_tool_call_input", "input", "R18"),
    "code_interpreter_call": ("response.code_interpreter_call_code", "code", "R21"),
    "mcp_call": ("response.mcp_call_arguments", "arguments", "R21"),
}
_SUMMARY: Final = (
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_part.done",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
)
_PART_EVENTS: Final = ("response.content_part.added", "response.content_part.done")
_ANNOTATION: Final = "response.output_text.annotation.added"


def _steps(tool: str, *names: str) -> tuple[tuple[frozenset[str], bool], ...]:
    """A tool's event order: each step is one or more alternative names, ``*`` marks a repeat."""
    out: list[tuple[frozenset[str], bool]] = []
    for name in names:
        star = name.endswith("*")
        alternatives = name.rstrip("*").split("|")
        out.append(
            (frozenset(a if "." in a else f"response.{tool}.{a}" for a in alternatives), star)
        )
    return tuple(out)


_CODE: Final = "response.code_interpreter_call_code"
_MCP_ARGS: Final = "response.mcp_call_arguments"
_TOOL_STEPS: Final[Mapping[str, tuple[tuple[frozenset[str], bool], ...]]] = {
    "web_search_call": _steps("web_search_call", "in_progress", "searching", "completed"),
    "file_search_call": _steps("file_search_call", "in_progress", "searching", "completed"),
    "code_interpreter_call": _steps(
        "code_interpreter_call",
        "in_progress",
        f"{_CODE}.delta*",
        f"{_CODE}.done",
        "interpreting",
        "completed",
    ),
    "mcp_list_tools": _steps("mcp_list_tools", "in_progress", "completed|failed"),
    "mcp_call": _steps(
        "mcp_call", "in_progress", f"{_MCP_ARGS}.delta*", f"{_MCP_ARGS}.done", "completed|failed"
    ),
    "image_generation_call": _steps(
        "image_generation_call", "in_progress", "generating", "partial_image*", "completed"
    ),
}
_PROGRESS_KEYS: Final = frozenset({"type", "item_id", "output_index", "sequence_number"})


def _hosts() -> dict[str, frozenset[str]]:
    """Every known item event type -> the item types it belongs to."""
    hosts: dict[str, frozenset[str]] = {}
    message, reasoning = frozenset({"message"}), frozenset({"reasoning"})
    for action in ("delta", "done"):
        hosts[f"response.output_text.{action}"] = message
        hosts[f"response.refusal.{action}"] = message
        hosts[f"response.reasoning_text.{action}"] = reasoning
        for kind, (family, _, _) in _ITEM_TEXT.items():
            hosts[f"{family}.{action}"] = frozenset({kind})
    hosts[_ANNOTATION] = message
    for name in _PART_EVENTS:
        hosts[name] = message | reasoning
    for name in _SUMMARY:
        hosts[name] = reasoning
    for kind, steps in _TOOL_STEPS.items():
        for names, _ in steps:
            for name in names:
                hosts[name] = frozenset({kind})
    return hosts


_HOSTS: Final = _hosts()
_PROGRESS: Final = frozenset(
    name
    for name, kinds in _HOSTS.items()
    if next(iter(kinds)) in _TOOL_STEPS
    and not name.startswith((_CODE, _MCP_ARGS))
    and not name.endswith("partial_image")
)
# The empty skeleton of an added item: key -> empty value, and whether the key must be there.
_SKELETONS: Final[Mapping[str, tuple[tuple[str, object, bool], ...]]] = {
    "message": (("content", [], True),),
    "function_call": (("arguments", "", True),),
    "custom_tool_call": (("input", "", True),),
    "code_interpreter_call": (("code", "", False),),
    "file_search_call": (("queries", [], False),),
    "mcp_call": (("arguments", "", False),),
    "mcp_list_tools": (("tools", [], False),),
    "reasoning": (("summary", [], True), ("content", [], False)),
}
# Item types that always carry a status (reasoning items carry one only on some servers).
_WITH_STATUS: Final = frozenset(
    {
        "message",
        "function_call",
        "custom_tool_call",
        "web_search_call",
        "file_search_call",
        "code_interpreter_call",
        "mcp_call",
        "image_generation_call",
    }
)
_MISSING: Final = object()
_EMPTY: Final[Mapping[str, Any]] = {}
# A JSON string or a run of whitespace outside strings, and the escapes OpenAI never writes.
_TOKENS: Final = re.compile(r'"(?:[^"\\]|\\.)*"|\s+')
_ESCAPE: Final = re.compile(r"\\(?:/|u([0-9a-fA-F]{4}))")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _digest(value: object) -> bytes:
    """A short fingerprint of a string, or of a JSON value regardless of key order."""
    if isinstance(value, str):
        return hashlib.sha1(value.encode("utf-8", "surrogatepass"), usedforsecurity=False).digest()
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return hashlib.sha1(
        b"\0" + text.encode("utf-8", "surrogatepass"), usedforsecurity=False
    ).digest()


def _item_digests(item: Mapping[str, Any]) -> dict[str, bytes]:
    """One fingerprint per key of an item; ``encrypted_content`` values never compare (§6)."""
    return {key: _digest(value) for key, value in item.items() if key != "encrypted_content"}


def _what(key: str, value: object) -> str:
    return f"no {key}" if value is _MISSING else f"{key}: {_show(value)}"


def _none(value: object) -> object:
    return None if value is _MISSING else value


class _Text:
    """Text streamed in deltas, as a running hash and a length; then the value of its .done."""

    __slots__ = ("closed", "done", "hash", "kind", "length", "notes")

    def __init__(self, kind: str) -> None:
        self.kind = kind  # the part type (output_text, refusal, reasoning_text, summary_text)
        self.hash = hashlib.sha1(usedforsecurity=False)
        self.length = 0
        self.done: tuple[bytes, int] | None = None  # the .done value's digest and length
        self.closed = False  # its content_part.done / reasoning_summary_part.done came
        self.notes: list[bytes] = []  # digests of the annotations, in order

    def add(self, delta: str) -> None:
        self.hash.update(delta.encode("utf-8", "surrogatepass"))
        self.length += len(delta)

    def final(self) -> tuple[bytes, int]:
        """The text as it stands: the .done value, else the deltas joined."""
        return self.done if self.done is not None else (self.hash.digest(), self.length)

    def differs(self, value: str) -> str | None:
        """How ``value`` differs from the text, in words, or None."""
        digest, length = self.final()
        if _digest(value) == digest:
            return None
        if len(value) != length:
            return f"{len(value)} characters, not the {length} streamed"
        return f"other text than the {length} characters streamed"


class _Item:
    """An output item: what its added said, and where it is in its own grammar."""

    __slots__ = (
        "done_at",
        "id",
        "index",
        "kind",
        "next_part",
        "next_summary",
        "parts",
        "step",
        "summaries",
        "text",
    )

    def __init__(self, index: int, item_id: object, kind: str) -> None:
        self.index = index
        self.id = item_id
        self.kind = kind
        self.done_at = 0  # the event of its output_item.done (0: open)
        self.parts: dict[int, _Text] = {}  # content parts by content_index
        self.next_part = 0
        self.summaries: dict[int, _Text] = {}  # summary parts by summary_index
        self.next_summary = 0
        self.step = 0  # position in _TOOL_STEPS
        self.text = _Text(kind) if kind in _ITEM_TEXT else None  # arguments, input, code


class ResponsesChecker:
    """The rules, one event at a time: :func:`check_responses_events` without holding anything.

    ``sink`` receives each :class:`Deviation` as it is found. Feed either the SSE body
    (:meth:`feed_sse`, in pieces of any size) or decoded events (:meth:`feed`), in order, and
    call :meth:`close` once at the end.
    """

    __slots__ = (
        "_frames",
        "digests",
        "ended",
        "error_at",
        "expect",
        "final_response",
        "incomplete",
        "items",
        "n",
        "next_seq",
        "open",
        "reference",
        "sink",
        "unnumbered",
    )

    def __init__(
        self, sink: Callable[[Deviation], object], *, final_response: bool = False
    ) -> None:
        self.sink = sink
        self.final_response = final_response
        self.n = 0
        self._frames = BlankLineFrames()
        self.expect: tuple[str, ...] = ("response.created",)  # the opening events still due
        self.reference: dict[str, Any] | None = None  # response.created's response, no output
        self.ended: tuple[str, int] | None = None  # the terminal event and its number
        self.error_at = 0  # the event number of an error not yet followed by response.failed
        self.next_seq = 0
        self.unnumbered = False  # the first event had no sequence_number
        self.items: dict[int, _Item] = {}
        self.open: set[int] = set()  # output indices added and not done
        self.digests: dict[int, dict[str, bytes]] = {}  # done items, key by key
        self.incomplete: list[tuple[int, int]] = []  # (item, event) done as incomplete

    def flag(
        self, rule: str, path: str, value: object, message: str, *, at: int | None = None
    ) -> None:
        number = self.n if at is None else at
        self.sink(Deviation(number, rule, message, path, value, "responses"))

    # -- framing (R1-R3) -------------------------------------------------------------------

    def feed_sse(self, data: bytes) -> None:
        """Check the next piece of an SSE body; whole frames are checked as they complete."""
        self.piece(data, last=False)

    def piece(self, data: bytes, *, last: bool) -> None:
        for frame in self._frames.split(data, last=last, events=self.n):
            self.frame(frame)

    def frame(self, raw: bytes) -> None:
        """Check one SSE frame (its lines, without the blank line that ends it)."""
        number = self.n + 1  # a frame that is no event is numbered as the event it precedes
        stripped = raw.lstrip(b"\n")
        if not stripped:
            self.flag("R1", "", None, "extra blank lines after this event", at=self.n)
            return
        if len(stripped) < len(raw):
            self.flag("R1", "", None, "extra blank lines before this event", at=number)
            raw = stripped
        if 0 < self._frames.carriage <= number:
            self._frames.carriage = -1
            self.flag("R1", "", None, "CR line endings (OpenAI sends LF only)", at=number)
        try:
            text = raw.decode()
        except UnicodeDecodeError as error:
            what = f"the frame is not UTF-8 ({error.reason} at byte {error.start})"
            self.flag("R1", "", None, what, at=number)
            text = raw.decode(errors="replace")
        if text == "data: [DONE]":
            self.flag(
                "R2", "data", "[DONE]", "data: [DONE] (OpenAI sends no end sentinel)", at=number
            )
            return
        name, payload = self.fields(text, number)
        if payload is None:
            return  # a frame of comments only: no event
        if payload == "[DONE]":
            self.flag(
                "R2", "data", payload, "data: [DONE] (OpenAI sends no end sentinel)", at=number
            )
            return
        self.n = number
        try:
            data = json.loads(payload)
        except ValueError as error:
            self.flag("R1", "data", payload, f"data is not JSON ({error})")
            return
        if is_map(data):
            self.framing(name, payload, data)
        self.event(data)

    def fields(self, text: str, number: int) -> tuple[str | None, str | None]:
        """The event name and the data of a frame's lines; R1 for anything else there."""
        name: str | None = None
        data: list[str] = []
        for position, line in enumerate(text.split("\n")):
            field, colon, value = line.partition(":")
            if field == "event" and position == 0 and value.startswith(" "):
                name = value[1:]
            elif field == "data" and position == 1 and name is not None and value.startswith(" "):
                data.append(value[1:])
            else:
                self.flag("R1", "", line, _stray_line(field, colon, value, position), at=number)
                if field == "event" and name is None:
                    name = value.removeprefix(" ")
                elif field == "data":
                    data.append(value.removeprefix(" "))
        if not data:
            if name is not None:
                self.flag("R1", "data", None, "an event without a data line", at=number)
            return name, None
        if name is None:
            self.flag("R1", "event", None, "no event: line", at=number)
        return name, "\n".join(data)

    def framing(self, name: str | None, payload: str, data: Mapping[str, Any]) -> None:
        """R1 (name, escapes) and R3 (compact, type first, floats) for one decoded event."""
        kind = data.get("type")
        if name is not None and kind != name:
            self.flag("R1", "type", kind, f"event: {name} carries type {_show(kind)}")
        first = next(iter(data), None)
        if first != "type" and "type" in data:
            self.flag("R3", "", first, f'the first key is {_show(first)}, not "type"')
        try:
            compact = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except ValueError:
            compact = ""
        if payload != compact:
            self.spelling(payload)
        response = data.get("response")
        if is_map(response):
            for key in _FLOATS:
                value = response.get(key)
                if _is_int(value):
                    self.flag(
                        "R3",
                        f"response.{key}",
                        value,
                        f"response.{key} is {value}, not {value}.0 (OpenAI keeps the .0)",
                    )

    def spelling(self, payload: str) -> None:
        """Whitespace outside strings (R3) and escaped printable characters (R1)."""
        for match in _TOKENS.finditer(payload):
            token = match.group()
            if token[0] != '"':
                self.flag(
                    "R3",
                    "data",
                    token,
                    f"data is not compact JSON: whitespace at character {match.start() + 1}",
                )
                return
            for escape in _ESCAPE.finditer(token):
                code = escape.group(1)
                if code is None or int(code, 16) >= 0x20:
                    self.flag(
                        "R1",
                        "data",
                        escape.group(),
                        f"{escape.group()} escaped in a string (OpenAI sends raw UTF-8)",
                    )
                    return

    # -- events (R4-R24) -------------------------------------------------------------------

    def feed(self, event: object) -> None:
        """Check the next decoded event (a JSON object, or an object with ``model_dump()``)."""
        self.n += 1
        self.event(event if is_map(event) else _as_data(event))

    def event(self, data: object) -> None:
        if not is_map(data) or not isinstance(data.get("type"), str):
            what = _a(data) if not is_map(data) else "an object without a string type"
            self.flag("R1", "type", None, f"the event is {what}, not an event")
            return
        kind: str = data["type"]
        self.sequence(data.get("sequence_number", _MISSING))
        self.obfuscation(kind, data)
        if self.final_response and data.get("error"):
            self.flag("R24", "error", data["error"], "a top-level error (the openai SDK raises)")
        if self.after_end(kind) or self.opening(kind):
            return
        if kind in _OPENING:
            self.lifecycle(kind, data.get("response", _MISSING))
        elif kind in _TERMINAL:
            self.terminal(kind, data.get("response", _MISSING))
        elif kind == "error":
            self.error_at = self.n
        elif kind == _ADDED:
            self.item_added(data.get("output_index", _MISSING), data.get("item", _MISSING))
        elif kind == _DONE:
            self.item_done(data.get("output_index", _MISSING), data.get("item", _MISSING))
        elif kind in _HOSTS or "output_index" in data:
            self.item_event(kind, data)

    def sequence(self, number: object) -> None:
        """R4: 0, 1, 2, … on every event."""
        if number is _MISSING:
            if self.n == 1:
                self.unnumbered = True
                self.flag(
                    "R4", "sequence_number", None, "no sequence_number (the pre-2025-06 wire)"
                )
            elif not self.unnumbered:
                self.flag(
                    "R4",
                    "sequence_number",
                    None,
                    f"no sequence_number after {self.next_seq - 1}",
                )
                self.next_seq += 1
            return
        if not _is_int(number):
            self.flag("R4", "sequence_number", number, f"sequence_number is {_a(number)}")
            self.next_seq += 1
            return
        assert isinstance(number, int)
        if self.unnumbered:
            what = f"sequence_number {number} in a stream whose first event had none"
            self.flag("R4", "sequence_number", number, what)
        elif number != self.next_seq:
            what = (
                f"the first sequence_number is {number}, not 0"
                if self.n == 1
                else f"sequence_number {number} after {self.next_seq - 1}"
            )
            self.flag("R4", "sequence_number", number, what)
        self.next_seq = number + 1

    def obfuscation(self, kind: str, data: Mapping[str, Any]) -> None:
        """R20: only on deltas, padding the delta to a multiple of 16 code points."""
        padding = data.get("obfuscation", _MISSING)
        if padding is _MISSING:
            return
        if not kind.endswith(".delta"):
            self.flag("R20", "obfuscation", padding, f"obfuscation on {kind}")
            return
        delta = data.get("delta")
        if not isinstance(padding, str) or not isinstance(delta, str):
            if not isinstance(padding, str):
                self.flag("R20", "obfuscation", padding, f"obfuscation is {_a(padding)}")
            return
        if (len(delta) + len(padding)) % 16:
            self.flag(
                "R20",
                "obfuscation",
                padding,
                f"a {len(delta)}-character delta with {len(padding)} characters of obfuscation"
                f" ({len(delta) + len(padding)}, not a multiple of 16)",
            )

    def after_end(self, kind: str) -> bool:
        """R6: nothing after the terminal event, only response.failed after an error."""
        if self.ended is not None:
            ended, at = self.ended
            self.flag("R6", "type", kind, f"{kind} after {ended} (event {at})")
            return True
        if self.error_at and kind != "response.failed":
            self.flag(
                "R6",
                "type",
                kind,
                f"{kind} after error (event {self.error_at}): only response.failed may follow",
            )
            self.error_at = 0
        return False

    def opening(self, kind: str) -> bool:
        """R5: created, [queued,] in_progress open the stream, each once. True: skip the event."""
        if self.expect:
            due = self.expect[0]
            if kind == due:
                self.expect = self.expect[1:]
                return False
            self.expect = ()
            what = "the stream opens with" if self.n == 1 else "the stream goes on with"
            self.flag("R5", "type", kind, f"{what} {kind}, not {due}")
            return False
        if kind in _OPENING:
            self.flag("R5", "type", kind, f"{kind} again, after the opening events")
            return True
        return False

    # -- the response object ----------------------------------------------------------------

    def lifecycle(self, kind: str, response: object) -> None:
        """R7, R8 and the status of created, queued and in_progress."""
        if not is_map(response):
            self.flag(
                "R8", "response", _none(response), f"{kind} with {_what('response', response)}"
            )
            return
        for key in ("output", "usage", "error", "incomplete_details"):
            # A slim response (xAI) leaves the null keys out; output must be there.
            got = response.get(key, _MISSING if key == "output" else None)
            empty: object = [] if key == "output" else None
            if got != empty or got is _MISSING:
                what = "no such key" if got is _MISSING else _show(got)
                self.flag(
                    "R8",
                    f"response.{key}",
                    _none(got),
                    f"response.{key}: {what}, not {_show(empty)}",
                )
        background = response.get("background") is True
        status = (
            "queued"
            if kind == "response.queued" or (kind == "response.created" and background)
            else "in_progress"
        )
        if response.get("status") != status:
            got = response.get("status", _MISSING)
            self.flag(
                "R8",
                "response.status",
                _none(got),
                f"{kind} with {_what('status', got)}, not {_show(status)}",
            )
        if self.reference is None:
            self.reference = {k: v for k, v in response.items() if k != "output"}
            if kind == "response.created":
                queued = ("response.queued",) if background else ()
                self.expect = (*queued, "response.in_progress")
            return
        self.echoes(kind, response, _OPENING_CHANGES)

    def echoes(self, kind: str, response: Mapping[str, Any], changes: frozenset[str]) -> None:
        """R7: the response keys this event shares with response.created are the same."""
        reference = self.reference
        if reference is None:
            return
        for key, was in reference.items():
            got = response.get(key, _MISSING)
            if key in changes or got is _MISSING or got == was:
                continue
            self.flag(
                "R7",
                f"response.{key}",
                got,
                f"response.{key} is {_show(got)} in {kind}, {_show(was)} in the first",
            )
            if key == "id" and self.final_response:
                self.flag(
                    "R24", "response.id", got, "the response id changed (the openai SDK raises)"
                )

    def terminal(self, kind: str, response: object) -> None:
        """R9, R7, R10, R13, R22 and R24 at the terminal event."""
        self.ended = (kind, self.n)
        self.error_at = 0
        if self.final_response and kind != "response.completed":
            self.flag("R24", "type", kind, f"the stream ends in {kind}, not response.completed")
        if kind != "response.failed":
            for index in sorted(self.open):
                item = self.items[index]
                self.flag("R10", "", index, f"{kind} while item {index} ({item.kind}) is open")
        if kind != "response.incomplete":
            for index, at in self.incomplete:
                what = f"item {index} was done incomplete (event {at})"
                self.flag("R13", "", index, f"{what} in a stream that ends in {kind}")
        if not is_map(response):
            self.flag(
                "R9", "response", _none(response), f"{kind} with {_what('response', response)}"
            )
            return
        self.echoes(kind, response, _TERMINAL_CHANGES)
        self.outcome(kind, response)
        self.output(response.get("output", _MISSING))

    def outcome(self, kind: str, response: Mapping[str, Any]) -> None:
        """R9: the status and what goes with it."""
        status = _TERMINAL[kind]
        got = response.get("status", _MISSING)
        if got != status:
            self.flag("R9", "response.status", _none(got), f"{kind} with {_what('status', got)}")
        if kind == "response.completed":
            usage = response.get("usage", _MISSING)
            if usage is not None and not self.usage_ok(usage):
                self.flag(
                    "R9", "response.usage", _none(usage), f"{kind} with {_what('usage', usage)}"
                )
        elif kind == "response.incomplete":
            details = response.get("incomplete_details")
            reason = details.get("reason", _MISSING) if is_map(details) else _MISSING
            if reason not in _INCOMPLETE_REASONS:
                what = _what("incomplete_details.reason", reason)
                self.flag("R9", "response.incomplete_details", _none(reason), f"{kind} with {what}")
        else:
            error = response.get("error")
            fields = (error.get("code"), error.get("message")) if is_map(error) else (None, None)
            if not all(isinstance(f, str) for f in fields):
                what = _what("error", response.get("error", _MISSING))
                self.flag(
                    "R9", "response.error", error, f"{kind} with {what}, not {{code, message}}"
                )

    @staticmethod
    def usage_ok(usage: object) -> bool:
        return is_map(usage) and all(
            _is_int(usage.get(key)) for key in ("input_tokens", "output_tokens", "total_tokens")
        )

    def output(self, output: object) -> None:
        """R22: the terminal output is the done items, in order."""
        if not is_list(output) or not all(is_map(item) for item in output):
            self.flag(
                "R22",
                "response.output",
                _none(output),
                f"{_what('response.output', output)}, not a list of items",
            )
            return
        done = [self.digests.get(i) for i in range(len(self.items))]
        if len(output) != len(done):
            self.flag(
                "R22",
                "response.output",
                len(output),
                f"response.output holds {len(output)} items, the stream {len(done)}",
            )
        for index, (item, streamed) in enumerate(zip(output, done, strict=False)):
            if streamed is None:
                continue
            got = _item_digests(item)
            key = next((k for k in {**streamed, **got} if got.get(k) != streamed.get(k)), None)
            if key is not None:
                self.flag(
                    "R22",
                    f"response.output[{index}].{key}",
                    item.get(key),
                    f"response.output[{index}].{key} differs from item {index}'s output_item.done",
                )

    # -- items (R10-R13) ----------------------------------------------------------------------

    def item_added(self, index: object, item: object) -> None:
        if not _is_int(index):
            self.flag(
                "R10",
                "output_index",
                _none(index),
                f"output_item.added with {_what('output_index', index)}",
            )
            return
        assert isinstance(index, int)
        expected = len(self.items)
        if index != expected:
            what = "again" if index in self.items else f"where item {expected} comes"
            self.flag("R10", "output_index", index, f"item {index} added {what}")
            if index in self.items:
                return
        for other in sorted(self.open):
            self.flag(
                "R11", "output_index", index, f"item {index} added while item {other} is open"
            )
        if not is_map(item) or not isinstance(item.get("type"), str):
            self.flag("R10", "item", _none(item), f"output_item.added with {_what('item', item)}")
            item = {"type": ""}
        record = _Item(index, item.get("id"), item["type"])
        self.items[index] = record
        self.open.add(index)
        self.skeleton(record.kind, item)

    def skeleton(self, kind: str, item: Mapping[str, Any]) -> None:
        """R13: an added item is empty and in progress."""
        for key, empty, required in _SKELETONS.get(kind, ()):
            got = item.get(key, _MISSING)
            if (got is _MISSING and required) or (got is not _MISSING and got != empty):
                what = "no such key" if got is _MISSING else _show(got)
                self.flag(
                    "R13",
                    f"item.{key}",
                    _none(got),
                    f"an added {kind} with {key}: {what}, not {_show(empty)}",
                )
        status = item.get("status", _MISSING)
        if (status is _MISSING and kind in _WITH_STATUS) or (
            status is not _MISSING and status != "in_progress"
        ):
            what = _what("status", status)
            self.flag("R13", "item.status", _none(status), f"an added {kind} with {what}")

    def item_done(self, index: object, item: object) -> None:
        if not _is_int(index):
            self.flag(
                "R10",
                "output_index",
                _none(index),
                f"output_item.done with {_what('output_index', index)}",
            )
            return
        assert isinstance(index, int)
        record = self.items.get(index)
        if record is None or record.done_at:
            what = "never added" if record is None else f"done at event {record.done_at}"
            self.flag("R10", "output_index", index, f"output_item.done for item {index}, {what}")
            return
        record.done_at = self.n
        self.open.discard(index)
        if not is_map(item):
            self.flag("R10", "item", item, f"output_item.done with {_what('item', item)}")
            return
        for key, was in (("id", record.id), ("type", record.kind)):
            if item.get(key) != was:
                got = item.get(key, _MISSING)
                self.flag(
                    "R10",
                    f"item.{key}",
                    _none(got),
                    f"item {index} done with {_what(key, got)}, added with {_show(was)}",
                )
        self.status_done(record, item.get("status", _MISSING))
        self.finish(record, item)
        self.digests[index] = _item_digests(item)
        record.parts, record.summaries, record.text = {}, {}, None  # nothing more to compare

    def status_done(self, record: _Item, status: object) -> None:
        """R13: a done item is completed (a message or a client call cut by the budget:
        incomplete, which the item types allow; the stream must then end incomplete)."""
        if status is _MISSING:
            if record.kind in _WITH_STATUS:
                self.flag("R13", "item.status", None, f"a done {record.kind} without a status")
        elif status == "incomplete" and record.kind in _MAY_BE_CUT:
            self.incomplete.append((record.index, self.n))
        elif status != "completed" and not (status == "failed" and record.kind == "mcp_call"):
            self.flag(
                "R13", "item.status", status, f"a done {record.kind} with status {_show(status)}"
            )

    def finish(self, record: _Item, item: Mapping[str, Any]) -> None:
        """What the item's own events streamed against the done item (R14, R15, R17-R19, R21)."""
        if record.kind == "message" or (record.kind == "reasoning" and record.parts):
            self.finish_parts(record, item.get("content", _MISSING))
        if record.kind == "reasoning":
            self.finish_summaries(record, item.get("summary", _MISSING))
        text = record.text
        if text is not None:
            family, key, rule = _ITEM_TEXT[record.kind]
            if rule == "R18" and text.done is None:
                self.flag("R18", "", None, f"item {record.index} done without {family}.done")
            self.compare(text, item.get(key, _MISSING), f"item.{key}", f"the done item's {key}")
        steps = _TOOL_STEPS.get(record.kind)
        if steps is not None:
            due = [names for names, star in steps[record.step :] if not star]
            if due:
                self.flag("R21", "", None, f"output_item.done before {' or '.join(sorted(due[0]))}")

    def compare(self, text: _Text, value: object, path: str, what: str) -> None:
        """R15: ``value`` is the text streamed."""
        if not isinstance(value, str):
            self.flag(
                "R15", path, _none(value), f"{what} is {_what(path.rpartition('.')[2], value)}"
            )
            return
        differs = text.differs(value)
        if differs is not None:
            self.flag("R15", path, value, f"{what} has {differs}")

    def finish_parts(self, record: _Item, content: object) -> None:
        """R14, R15, R17: the done item's content is the parts streamed, each closed."""
        if not is_list(content):
            self.flag(
                "R14",
                "item.content",
                _none(content),
                f"a done {record.kind} with {_what('content', content)}",
            )
            return
        streamed = record.next_part
        if len(content) != streamed:
            self.flag(
                "R14",
                "item.content",
                len(content),
                f"a done {record.kind} with {len(content)} content parts, {streamed} streamed",
            )
        for index, part in sorted(record.parts.items()):
            if not part.closed:
                self.flag(
                    "R14", "", index, f"item {record.index} done while content part {index} is open"
                )
            if index >= len(content) or not is_map(content[index]):
                continue
            got = content[index]
            key = "refusal" if part.kind == "refusal" else "text"
            self.compare(
                part,
                got.get(key, _MISSING),
                f"item.content[{index}].{key}",
                f"the done item's content[{index}]",
            )
            if part.kind == "output_text":
                self.annotations(
                    part, got.get("annotations", _MISSING), f"item.content[{index}].annotations"
                )

    def annotations(self, part: _Text, got: object, path: str) -> None:
        """R17: a part's annotations are the ones announced, in order."""
        if not is_list(got):
            return  # R16 reports it
        if [_digest(note) for note in got] != part.notes:
            self.flag(
                "R17",
                path,
                len(got),
                f"{len(got)} annotations that differ from the {len(part.notes)} announced",
            )

    def finish_summaries(self, record: _Item, summary: object) -> None:
        """R19, R15: the done reasoning item's summary is the parts streamed, each closed."""
        if not is_list(summary):
            self.flag(
                "R19",
                "item.summary",
                _none(summary),
                f"a done reasoning item with {_what('summary', summary)}",
            )
            return
        streamed = record.next_summary
        if len(summary) != streamed:
            self.flag(
                "R19",
                "item.summary",
                len(summary),
                f"a done reasoning item with {len(summary)} summary parts, {streamed} streamed",
            )
        for index, part in sorted(record.summaries.items()):
            if not part.closed:
                self.flag(
                    "R19", "", index, f"item {record.index} done while summary part {index} is open"
                )
            if index < len(summary) and is_map(summary[index]):
                text = summary[index].get("text", _MISSING)
                self.compare(
                    part, text, f"item.summary[{index}].text", f"the done item's summary[{index}]"
                )

    # -- the events of one item (R12-R21) -------------------------------------------------------

    def item_event(self, kind: str, data: Mapping[str, Any]) -> None:
        record = self.locate(kind, data)
        hosts = _HOSTS.get(kind)
        if record is None or hosts is None:
            return  # an unknown event type: only where it falls is checked
        if record.kind not in hosts:
            self.flag("R12", "type", kind, f"{kind} for item {record.index}, a {record.kind}")
            return
        if kind in _PROGRESS:
            extra = sorted(set(data) - _PROGRESS_KEYS)
            if extra:
                self.flag("R21", extra[0], data[extra[0]], f"{kind} carrying {_show(extra[0])}")
        if record.kind in _TOOL_STEPS:
            self.step(record, kind)
        family, _, action = kind.rpartition(".")
        if kind in _PART_EVENTS:
            self.part_event(record, action, data)
        elif family in _PART_TEXT:
            self.part_text(record, kind, data)
        elif kind == _ANNOTATION:
            self.annotation(record, data)
        elif kind in _SUMMARY:
            self.summary_event(record, kind, data)
        elif record.text is not None and family == _ITEM_TEXT[record.kind][0]:
            self.item_text(record, kind, data)

    def locate(self, kind: str, data: Mapping[str, Any]) -> _Item | None:
        """R12: the open item the event names, by output_index and item_id."""
        index = data.get("output_index", _MISSING)
        if not _is_int(index):
            self.flag(
                "R12", "output_index", _none(index), f"{kind} with {_what('output_index', index)}"
            )
            return None
        record = self.items.get(index)
        if record is None or record.done_at:
            what = "never added" if record is None else f"done at event {record.done_at}"
            self.flag("R12", "output_index", index, f"{kind} for item {index}, {what}")
            return None
        item_id = data.get("item_id", _MISSING)
        if item_id != record.id:
            self.flag(
                "R12",
                "item_id",
                _none(item_id),
                f"{kind} with {_what('item_id', item_id)} for item {index},"
                f" whose id is {_show(record.id)}",
            )
        return record

    def step(self, record: _Item, kind: str) -> None:
        """R21: a built-in tool's events come in its order."""
        steps = _TOOL_STEPS[record.kind]
        at = record.step
        while at < len(steps):
            names, star = steps[at]
            if kind in names:
                record.step = at if star else at + 1
                return
            if not star:
                break
            at += 1
        if at < len(steps):
            self.flag("R21", "type", kind, f"{kind} before {' or '.join(sorted(steps[at][0]))}")
        else:
            self.flag("R21", "type", kind, f"{kind} after the tool's last event")

    # -- content parts (R14-R17) ----------------------------------------------------------------

    def part_event(self, record: _Item, action: str, data: Mapping[str, Any]) -> None:
        index = data.get("content_index", _MISSING)
        part = data.get("part", _MISSING)
        if not _is_int(index):
            self.flag(
                "R14",
                "content_index",
                _none(index),
                f"content_part.{action} with {_what('content_index', index)}",
            )
            return
        assert isinstance(index, int)
        if not is_map(part) or not isinstance(part.get("type"), str):
            self.flag(
                "R14", "part", _none(part), f"content_part.{action} with {_what('part', part)}"
            )
            return
        if part["type"] == "output_text" and not is_list(part.get("annotations")):
            got = part.get("annotations", _MISSING)
            self.flag(
                "R16",
                "part.annotations",
                _none(got),
                f"an output_text part with {_what('annotations', got)}",
            )
        if action == "added":
            self.part_added(record, index, part)
        else:
            self.part_done(record, index, part)

    def part_added(self, record: _Item, index: int, part: Mapping[str, Any]) -> None:
        if index != record.next_part:
            self.flag(
                "R14",
                "content_index",
                index,
                f"content part {index} added where part {record.next_part} comes",
            )
            if index in record.parts:
                return
        for other, open_part in record.parts.items():
            if not open_part.closed:
                self.flag(
                    "R14",
                    "content_index",
                    index,
                    f"content part {index} added while part {other} is open",
                )
        kind: str = part["type"]
        wanted = ("reasoning_text",) if record.kind == "reasoning" else ("output_text", "refusal")
        if kind not in wanted and (record.kind == "reasoning" or kind == "reasoning_text"):
            self.flag("R14", "part.type", kind, f"a {kind} part in a {record.kind}")
        key = "refusal" if kind == "refusal" else "text"
        if part.get(key, "") != "":
            self.flag(
                "R13",
                f"part.{key}",
                part[key],
                f"a {kind} part added with {key}: {_show(part[key])}",
            )
        record.parts[index] = _Text(kind)
        record.next_part = max(record.next_part, index + 1)

    def part_done(self, record: _Item, index: int, part: Mapping[str, Any]) -> None:
        text = record.parts.get(index)
        if text is None or text.closed:
            what = "never added" if text is None else "closed already"
            self.flag("R14", "content_index", index, f"content_part.done for part {index}, {what}")
            return
        text.closed = True
        if text.kind in _PART_TEXT_KINDS and text.done is None:
            self.flag(
                "R14", "", index, f"content_part.done for part {index} before its {text.kind}.done"
            )
        key = "refusal" if text.kind == "refusal" else "text"
        self.compare(text, part.get(key, _MISSING), f"part.{key}", "content_part.done")
        if text.kind == "output_text":
            self.annotations(text, part.get("annotations"), "part.annotations")

    def open_part(self, record: _Item, kind: str, data: Mapping[str, Any]) -> _Text | None:
        """The part an event of text names, still taking text; R14 otherwise."""
        index = data.get("content_index", _MISSING)
        text = record.parts.get(index) if _is_int(index) else None
        if text is None:
            what = (
                _what("content_index", index)
                if not _is_int(index)
                else f"part {index}, never added"
            )
            self.flag("R14", "content_index", _none(index), f"{kind} for {what}")
            return None
        family = kind.rpartition(".")[0]
        if text.closed or text.done is not None:
            last = "content_part.done" if text.closed else f"{text.kind}.done"
            self.flag("R14", "type", kind, f"{kind} after part {index}'s {last}")
            return None
        if family in _PART_TEXT and text.kind != _PART_TEXT[family][0]:
            self.flag("R14", "type", kind, f"{kind} in a {text.kind} part")
            return None
        return text

    def part_text(self, record: _Item, kind: str, data: Mapping[str, Any]) -> None:
        text = self.open_part(record, kind, data)
        family, _, action = kind.rpartition(".")
        if family == "response.output_text" and not is_list(data.get("logprobs")):
            got = data.get("logprobs", _MISSING)
            self.flag("R16", "logprobs", _none(got), f"{kind} with {_what('logprobs', got)}")
        if text is not None:
            self.take(text, kind, action, data, _PART_TEXT[family][1])

    def take(self, text: _Text, kind: str, action: str, data: Mapping[str, Any], key: str) -> None:
        """A delta or the .done of streamed text (R15)."""
        if action == "delta":
            delta = data.get("delta", _MISSING)
            if isinstance(delta, str):
                text.add(delta)
            else:
                self.flag("R15", "delta", _none(delta), f"{kind} with {_what('delta', delta)}")
            return
        value = data.get(key, _MISSING)
        self.compare(text, value, key, kind)
        if isinstance(value, str):
            text.done = (_digest(value), len(value))
        else:
            text.done = text.final()

    def annotation(self, record: _Item, data: Mapping[str, Any]) -> None:
        index = data.get("content_index", _MISSING)
        text = record.parts.get(index) if _is_int(index) else None
        if text is None or text.kind != "output_text":
            what = "never added" if text is None else f"a {text.kind} part"
            self.flag(
                "R14", "content_index", _none(index), f"an annotation for part {index}, {what}"
            )
            return
        if text.done is not None or text.closed:
            what = f"an annotation after part {index}'s output_text.done"
            self.flag("R17", "content_index", index, what)
            return
        number = data.get("annotation_index", _MISSING)
        if number != len(text.notes):
            self.flag(
                "R17",
                "annotation_index",
                _none(number),
                f"{_what('annotation_index', number)} where {len(text.notes)} comes",
            )
        text.notes.append(_digest(data.get("annotation")))

    # -- reasoning summaries (R19) and item text (R18) ---------------------------------------

    def summary_event(self, record: _Item, kind: str, data: Mapping[str, Any]) -> None:
        index = data.get("summary_index", _MISSING)
        if not _is_int(index):
            self.flag(
                "R19", "summary_index", _none(index), f"{kind} with {_what('summary_index', index)}"
            )
            return
        assert isinstance(index, int)
        parts = record.summaries
        if kind == "response.reasoning_summary_part.added":
            self.summary_added(record, index, data.get("part"))
            return
        text = parts.get(index)
        if text is None or text.closed:
            what = "never added" if text is None else "after its reasoning_summary_part.done"
            self.flag("R19", "summary_index", index, f"{kind} for summary part {index}, {what}")
            return
        if kind == "response.reasoning_summary_part.done":
            text.closed = True
            if text.done is None:
                self.flag(
                    "R19",
                    "",
                    index,
                    f"summary part {index} done before its reasoning_summary_text.done",
                )
            part = data.get("part")
            got = part.get("text", _MISSING) if is_map(part) else _MISSING
            self.compare(text, got, "part.text", "reasoning_summary_part.done")
        elif text.done is not None:
            self.flag(
                "R19",
                "type",
                kind,
                f"{kind} after summary part {index}'s reasoning_summary_text.done",
            )
        else:
            self.take(text, kind, kind.rpartition(".")[2], data, "text")

    def summary_added(self, record: _Item, index: int, part: object) -> None:
        parts = record.summaries
        if index != record.next_summary:
            what = f"summary part {index} added where part {record.next_summary} comes"
            self.flag("R19", "summary_index", index, what)
            if index in parts:
                return
        for other, open_part in parts.items():
            if not open_part.closed:
                what = f"summary part {index} added while part {other} is open"
                self.flag("R19", "summary_index", index, what)
        text = part.get("text", "") if is_map(part) else ""
        if text != "":
            self.flag("R13", "part.text", text, f"a summary part added with text: {_show(text)}")
        parts[index] = _Text("summary_text")
        record.next_summary = max(record.next_summary, index + 1)

    def item_text(self, record: _Item, kind: str, data: Mapping[str, Any]) -> None:
        text = record.text
        assert text is not None
        family, key, rule = _ITEM_TEXT[record.kind]
        action = kind.rpartition(".")[2]
        if rule == "R18":
            if text.done is not None:
                self.flag("R18", "type", kind, f"{kind} after {family}.done")
                return
            if action == "done" and "name" in data:
                self.flag("R18", "name", data["name"], f"{kind} carrying name")
        elif text.done is not None:
            return  # R21 reported it
        self.take(text, kind, action, data, key)

    # -- the end ------------------------------------------------------------------------------

    def close(self) -> None:
        """The input ended: check what only its end shows."""
        self.piece(b"", last=True)
        rest = self._frames.rest()
        if rest.strip(b"\n"):
            self.frame(rest.rstrip(b"\n"))
            self.flag("R1", "", None, "the last event does not end with a blank line")
        elif rest:
            self.flag("R1", "", None, "extra blank lines after the last event")
        if self._frames.carriage > 0:
            self.flag(
                "R1", "", None, "CR line endings (OpenAI sends LF only)", at=self._frames.carriage
            )
        if self.ended is not None:
            return
        if not self.n:
            self.flag("R5", "", None, "no response.created: the stream is empty", at=0)
        elif self.error_at:
            self.flag(
                "R6",
                "",
                None,
                f"the stream ends after error (event {self.error_at}) without response.failed",
                at=0,
            )
        else:
            self.flag(
                "R6",
                "",
                None,
                f"the stream ends after event {self.n} without a terminal event",
                at=0,
            )
        if self.final_response:
            self.flag("R24", "", None, "the stream ends without response.completed", at=0)


# Items the budget may cut: done with status incomplete in a response.incomplete stream. A
# cut function call is not in the recordings; the openai types allow the status, and a writer
# must not present cut arguments as a completed call (docs/responses.md).
_MAY_BE_CUT: Final = frozenset({"message", "function_call", "custom_tool_call"})

_PART_TEXT_KINDS: Final = frozenset(kind for kind, _ in _PART_TEXT.values())


def _stray_line(field: str, colon: str, value: str, position: int) -> str:
    if not field and not colon:
        return "an empty line inside the frame (an extra blank line)"
    if not field:
        return f"a comment line {_show(':' + value)}"
    if field in ("event", "data") and colon and not value.startswith(" "):
        return f'{_show(field + ":" + value)}: no space after "{field}:"'
    if field == "event":
        return "the event line is not the frame's first line"
    if field == "data":
        return "a second data line" if position > 1 else "the frame opens with its data line"
    return f"a line {_show(field + colon + value)} (OpenAI sends only event: and data:)"


def check_responses_events(
    source: bytes | bytearray | memoryview | str | Iterable[Mapping[str, Any] | Any],
    *,
    final_response: bool = False,
) -> list[Deviation]:
    """Check an OpenAI Responses stream against OpenAI's own; return every deviation.

    Args:
        source: The raw SSE body (``bytes`` or ``str``), checked from its framing on; or the
            stream's events, decoded (JSON objects, or objects with ``model_dump()`` such as
            the ``openai`` SDK's ``ResponseStreamEvent``), in which case the framing rules
            R1-R3 do not apply.
        final_response: The stream is meant for ``client.responses.stream()`` and its
            ``get_final_response()``, so it must end in ``response.completed`` with no
            top-level ``error`` and one response id (R24).

    Returns:
        One :class:`Deviation` per break of a rule in :data:`RESPONSES_RULES`, in stream order;
        ``Deviation.chunk`` is the 1-based event number (0: the end of the stream). Empty when
        the stream is exactly what OpenAI sends.

    Raises:
        UsageError: ``source`` is a single event (a mapping), not a stream.
    """
    deviations: list[Deviation] = []
    checker = ResponsesChecker(deviations.append, final_response=final_response)
    if isinstance(source, str):
        checker.feed_sse(source.encode("utf-8", "surrogatepass"))
    elif isinstance(source, (bytes, bytearray, memoryview)):
        checker.feed_sse(bytes(source))
    elif is_map(source):
        raise UsageError("check_responses_events() takes a stream of events, not one event")
    else:
        for event in source:
            checker.feed(event)
    checker.close()
    return deviations
