"""The exactness checker: does a chunk stream look exactly like what OpenAI sends?

How it works. :func:`check_openai_chunks` walks the chunks once, in order, keeping a little
state per stream (the first envelope, the usage and moderation chunks) and per choice (started,
finished, the tool calls seen and the one streaming). Each chunk is checked against the rules in
:data:`RULES`, and every break is reported as a :class:`Deviation` naming the 1-based chunk
number, the rule, the place and the offending value. Checking never stops at the first
deviation, and a malformed part of a chunk is reported and skipped, never raised.

The rules are what ``openai-stream-semantics.md`` documents as OpenAI's own behaviour. What
varies between real OpenAI recordings is deliberately not checked: how the role and the first
tool-call header are packed into chunks, key order, ``usage: null`` versus no ``usage`` key,
``refusal``/``logprobs`` keys that carry no value (present as null, or absent), and the random
``obfuscation`` padding.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ._chat_vocab import CHUNK_OBJECT, OPENAI_FINISH_REASONS, is_list, is_map
from ._errors import bounded_repr
from ._events import WireProtocol

__all__ = [
    "OPENAI_USAGE_KEYS",
    "RULES",
    "SSE_RULES",
    "Checker",
    "Deviation",
    "check_openai_chunks",
]

OPENAI_USAGE_KEYS: Final[Mapping[str, tuple[str, ...] | None]] = {
    "prompt_tokens": None,
    "completion_tokens": None,
    "total_tokens": None,
    "prompt_tokens_details": ("cached_tokens", "audio_tokens", "cache_write_tokens"),
    "completion_tokens_details": (
        "reasoning_tokens",
        "audio_tokens",
        "accepted_prediction_tokens",
        "rejected_prediction_tokens",
    ),
}
"""The usage fields OpenAI sends (``openai`` ``CompletionUsage``); nested keys per detail object."""

RULES: Final[Mapping[str, str]] = {
    # chunk level
    "not-an-object": "a chunk is not a JSON object",
    "missing-key": "an envelope key (id, object, created, model, choices) is missing",
    "wrong-type": "a known key has a value of the wrong JSON type",
    "wrong-object": 'object is not "chat.completion.chunk"',
    "empty-id": "the response id is empty",
    "envelope-changed": (
        "id, created, model, system_fingerprint or service_tier differs from the first chunk"
    ),
    "non-openai-key": "a key OpenAI does not send",
    "multiple-choices": "more than one choice in a chunk",
    "empty-chunk": "a chunk with no choices carries neither usage nor moderation",
    "usage-with-choices": "usage on a chunk with choices (OpenAI sends it on a choices: [] chunk)",
    "usage-repeated": "a second usage chunk",
    "chunk-after-usage": "a chunk with choices after the usage chunk",
    "moderation-not-alone": "moderation on a chunk that carries choices or usage",
    "chunk-after-moderation": "a chunk after the moderation chunk",
    # choice level
    "finish-reason-key-missing": "a choice without the finish_reason key (OpenAI sends null)",
    "choice-after-finish": "a chunk for a choice after its finish chunk",
    "role-missing": 'the first chunk of a choice has no role "assistant"',
    "wrong-role": 'role is not "assistant"',
    "role-repeated": "a role after the first chunk of the choice",
    "null-key": "a delta key sent as null where OpenAI omits it",
    "text-on-role-chunk": 'text on the role chunk (OpenAI sends content "" or null there)',
    "empty-fragment": "an empty content, refusal or arguments fragment",
    "finish-delta-not-empty": "the finish chunk's delta is not {}",
    "logprobs-on-finish": "logprobs on the finish chunk (OpenAI sends null)",
    "unknown-finish-reason": "a finish_reason outside OpenAI's vocabulary",
    "unfinished-choice": "a choice never got its finish chunk",
    # tool calls
    "tool-calls-not-one": "not exactly one tool-call entry in a chunk",
    "tool-call-without-index": "a tool-call entry without an integer index",
    "tool-index-not-dense": "a new tool call's index is not the next one (0, 1, 2, …)",
    "calls-interleaved": "a fragment for an earlier tool call after a later call started",
    "incomplete-header": "a tool call's first entry lacks its id, type, name or arguments",
    "wrong-tool-type": 'a tool call type other than "function"',
    "arguments-in-header": 'arguments in a tool call\'s header (OpenAI sends "" there)',
    "id-on-continuation": "an id (even null) on a continuation fragment",
    "type-on-continuation": "a type (even null) on a continuation fragment",
    "name-on-continuation": "a function name (even null) on a continuation fragment",
    "continuation-without-arguments": "a continuation entry without an arguments fragment",
}
"""Every rule id the checker reports, with what it means."""

SSE_RULES: Final[Mapping[str, str]] = {
    "missing-done": "an SSE body that ends without data: [DONE] (OpenAI always sends it)",
}
"""Rules of the SSE transport, which ``typedstream check`` reports for an SSE body (chunks
alone cannot break them)."""


@dataclass(frozen=True, slots=True)
class Deviation:
    """One place where a chunk stream differs from what OpenAI sends."""

    chunk: int
    """1-based number of the chunk (0 for a problem of the whole stream, at its end)."""
    rule: str
    """Stable rule id (kebab-case), e.g. ``type-on-continuation``; :attr:`message` explains it."""
    message: str
    """What is there, in words, e.g. ``id: null sent on a continuation fragment``."""
    path: str
    """Where in the chunk, e.g. ``choices[0].delta.tool_calls[0].type`` (``""``: the chunk)."""
    value: Any = None
    """The offending value."""
    protocol: WireProtocol = "chat"
    """Whose stream it is: ``"anthropic"`` (:func:`~typedstream.check_anthropic_events`, where
    :attr:`chunk` numbers events) or ``"chat"``."""

    def __str__(self) -> str:
        place = f"{self.unit} {self.chunk}" if self.chunk else "end of stream"
        where = f" at {self.path}" if self.path else ""
        return f"{place}: {self.message} [{self.rule}]{where}"

    @property
    def unit(self) -> str:
        """What :attr:`chunk` counts: ``"event"`` (Anthropic) or ``"chunk"``."""
        return "chunk" if self.protocol == "chat" else "event"


_ENVELOPE: Final = ("id", "object", "created", "model", "choices")
_COMPARED: Final = ("id", "created", "model", "system_fingerprint", "service_tier")
_TOP_KEYS: Final = frozenset(
    {*_ENVELOPE, "system_fingerprint", "service_tier", "usage", "obfuscation", "moderation"}
)
_CHOICE_KEYS: Final = frozenset({"index", "delta", "logprobs", "finish_reason"})
_DELTA_KEYS: Final = frozenset({"role", "content", "refusal", "tool_calls", "function_call"})
_ENTRY_KEYS: Final = frozenset({"index", "id", "type", "function"})
_FUNCTION_KEYS: Final = frozenset({"name", "arguments"})
_LOGPROBS_KEYS: Final = frozenset({"content", "refusal"})
_TOKEN_KEYS: Final = frozenset({"token", "logprob", "bytes", "top_logprobs"})
_TOP_TOKEN_KEYS: Final = frozenset({"token", "logprob", "bytes"})
_MISSING: Final = object()
_EMPTY: Final[Mapping[str, Any]] = {}
# Envelope keys with a JSON type: (key, Python type, null allowed).
_ENVELOPE_TYPES: Final[tuple[tuple[str, type, bool], ...]] = (
    ("id", str, False),
    ("object", str, False),
    ("created", int, False),
    ("model", str, False),
    ("choices", list, False),
    ("system_fingerprint", str, True),
    ("service_tier", str, True),
)


class _ChoiceState:
    __slots__ = ("calls", "current", "finished", "legacy_started")

    def __init__(self) -> None:
        self.finished = False
        self.calls = 0  # tool calls started so far (the next index is this)
        self.current: int | None = None  # index of the call streaming now
        self.legacy_started = False


class Checker:
    """The rules, one chunk at a time: :func:`check_openai_chunks` without holding anything.

    ``sink`` receives each :class:`Deviation` as it is found; feed the chunks to
    :meth:`chunk` in order and call :meth:`end` after the last one of a whole stream.
    """

    __slots__ = ("choices", "envelope", "moderation", "n", "sink", "usage")

    def __init__(self, sink: Callable[[Deviation], object]) -> None:
        self.sink = sink
        self.n = 0
        self.envelope: dict[str, object] | None = None
        self.choices: dict[int, _ChoiceState] = {}
        self.usage: int | None = None  # chunk number of the usage chunk
        self.moderation: int | None = None

    def flag(self, rule: str, path: str, value: object, message: str) -> None:
        self.sink(Deviation(self.n, rule, message, path, value))

    def unknown_keys(self, data: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
        for key, value in data.items():
            if key not in allowed:
                self.flag(
                    "non-openai-key",
                    f"{path}.{key}" if path else str(key),
                    value,
                    f"{_key(key)}: {_show(value)} sent; OpenAI does not send this key",
                )

    # -- chunk level -----------------------------------------------------------------------

    def chunk(self, item: object) -> None:
        """Check the next chunk."""
        self.n += 1
        data = _as_data(item)
        if data is None:
            self.flag("not-an-object", "", item, f"the chunk is {_a(item)}, not a JSON object")
            return
        if self.moderation is not None:
            self.flag(
                "chunk-after-moderation",
                "",
                None,
                f"a chunk after the moderation chunk (chunk {self.moderation})",
            )
        self.unknown_keys(data, _TOP_KEYS, "")
        self.envelope_keys(data)
        choices = data.get("choices")
        if not is_list(choices):
            return  # reported as missing or of the wrong type
        usage = data.get("usage")
        moderation = data.get("moderation")
        if usage is not None:
            self.check_usage(usage, bool(choices))
        if moderation is not None:
            self.check_moderation(moderation, choices, usage)
        if choices:
            self.check_choices(choices)
        elif usage is None and moderation is None:
            self.flag("empty-chunk", "choices", choices, "choices: [] without usage or moderation")

    def check_moderation(self, moderation: object, choices: list[Any], usage: object) -> None:
        if not is_map(moderation):
            self.flag(
                "wrong-type", "moderation", moderation, _wrong("moderation", moderation, "object")
            )
        elif choices or usage is not None:
            what = "choices" if choices else "usage"
            self.flag("moderation-not-alone", "moderation", None, f"moderation sent with {what}")
        self.moderation = self.n

    def check_choices(self, choices: list[Any]) -> None:
        if self.usage is not None and self.usage != self.n:
            self.flag(
                "chunk-after-usage",
                "choices",
                None,
                f"a chunk with choices after the usage chunk (chunk {self.usage})",
            )
        if len(choices) > 1:
            self.flag(
                "multiple-choices", "choices", len(choices), f"{len(choices)} choices in one chunk"
            )
        for position, choice in enumerate(choices):
            self.choice(choice, f"choices[{position}]")

    def envelope_keys(self, data: Mapping[str, Any]) -> None:
        for key in _ENVELOPE:
            if key not in data:
                self.flag("missing-key", key, None, f"no {_key(key)} key")
        valid = self.envelope_types(data)
        if "object" in valid and valid["object"] != CHUNK_OBJECT:
            self.flag(
                "wrong-object",
                "object",
                valid["object"],
                f'object: {_show(valid["object"])}, not "{CHUNK_OBJECT}"',
            )
        if valid.get("id") == "":
            self.flag("empty-id", "id", "", 'id: "" (an empty response id)')
        self.envelope_changes(data, valid)

    def envelope_types(self, data: Mapping[str, Any]) -> dict[str, object]:
        """The envelope keys whose value has the right type; the others are reported."""
        valid: dict[str, object] = {}
        for key, kind, nullable in _ENVELOPE_TYPES:
            value = data.get(key, _MISSING)
            if value is _MISSING:
                continue
            if (value is None and nullable) or (
                isinstance(value, kind) and not isinstance(value, bool)
            ):
                valid[key] = value
            else:
                self.flag("wrong-type", key, value, _wrong(key, value, _JSON_TYPES[kind]))
        return valid

    def envelope_changes(self, data: Mapping[str, Any], valid: Mapping[str, object]) -> None:
        compared = {key: data.get(key, _MISSING) for key in _COMPARED}
        if self.envelope is None:
            self.envelope = compared
            return
        for key in _COMPARED:
            value = compared[key]
            if key in _ENVELOPE and (value is _MISSING or key not in valid):
                continue  # already reported as missing or of the wrong type
            first = self.envelope[key]
            if value != first or (value is _MISSING) != (first is _MISSING):
                was = "no such key" if first is _MISSING else bounded_repr(first)
                now = "no such key" if value is _MISSING else bounded_repr(value)
                self.flag(
                    "envelope-changed",
                    key,
                    None if value is _MISSING else value,
                    f"{key} changed: chunk 1 had {was}, this chunk has {now}",
                )

    def check_usage(self, usage: object, with_choices: bool) -> None:
        if not is_map(usage):
            self.flag("wrong-type", "usage", usage, _wrong("usage", usage, "object"))
            return
        if with_choices:
            self.flag("usage-with-choices", "usage", usage, "usage sent on a chunk with choices")
        elif self.usage is not None:
            self.flag(
                "usage-repeated",
                "usage",
                usage,
                f"a second usage chunk (the first was chunk {self.usage})",
            )
        if self.usage is None:
            self.usage = self.n
        for key, value in usage.items():
            nested = OPENAI_USAGE_KEYS.get(key, _MISSING)
            if nested is _MISSING:
                self.flag(
                    "non-openai-key",
                    f"usage.{key}",
                    value,
                    f"{_key(key)}: {_show(value)} sent in usage; OpenAI does not send this key",
                )
            elif isinstance(nested, tuple) and is_map(value):
                for inner, inner_value in value.items():
                    if inner not in nested:
                        self.flag(
                            "non-openai-key",
                            f"usage.{key}.{inner}",
                            inner_value,
                            f"{_key(inner)}: {_show(inner_value)} sent in usage.{key}; "
                            "OpenAI does not send this key",
                        )

    # -- choice level ----------------------------------------------------------------------

    def choice(self, choice: object, path: str) -> None:
        if not is_map(choice):
            self.flag("wrong-type", path, choice, _wrong("the choice", choice, "object"))
            return
        self.unknown_keys(choice, _CHOICE_KEYS, path)
        found = self.choice_state(choice.get("index"), path)
        if found is None:
            return
        st, first = found
        delta = choice.get("delta")
        if not is_map(delta):
            self.flag("wrong-type", f"{path}.delta", delta, _wrong("delta", delta, "object"))
            delta = _EMPTY
        if "finish_reason" not in choice:
            self.flag("finish-reason-key-missing", path, None, "no finish_reason key")
        finish = choice.get("finish_reason")
        logprobs = choice.get("logprobs")
        if logprobs is not None:
            self.check_logprobs(logprobs, f"{path}.logprobs")
        self.delta(st, delta, first, f"{path}.delta")
        if finish is not None:
            self.finish(st, finish, delta, logprobs, path)

    def choice_state(self, index: object, path: str) -> tuple[_ChoiceState, bool] | None:
        """The state of the choice at ``index`` and whether this is its first chunk; ``None``
        (reported) for a bad index or a choice already finished."""
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            self.flag(
                "wrong-type",
                f"{path}.index",
                index,
                f"index: {_show(index)}, expected a non-negative integer",
            )
            return None
        st = self.choices.get(index)
        first = st is None
        if st is None:
            st = self.choices[index] = _ChoiceState()
        if st.finished:
            self.flag(
                "choice-after-finish",
                f"{path}.index",
                index,
                f"a chunk for choice {index} after its finish chunk",
            )
            return None
        return st, first

    def finish(
        self,
        st: _ChoiceState,
        finish: object,
        delta: Mapping[str, Any],
        logprobs: object,
        path: str,
    ) -> None:
        if not isinstance(finish, str):
            self.flag(
                "wrong-type",
                f"{path}.finish_reason",
                finish,
                _wrong("finish_reason", finish, "string"),
            )
        elif finish not in OPENAI_FINISH_REASONS:
            self.flag(
                "unknown-finish-reason",
                f"{path}.finish_reason",
                finish,
                f"finish_reason: {_show(finish)}, not one OpenAI sends",
            )
        if delta:
            self.flag(
                "finish-delta-not-empty",
                f"{path}.delta",
                dict(delta),
                f"the finish chunk's delta is {_show(dict(delta))}",
            )
        if logprobs is not None:
            self.flag(
                "logprobs-on-finish",
                f"{path}.logprobs",
                logprobs,
                f"logprobs: {_show(logprobs)} on the finish chunk",
            )
        st.finished = True

    def check_logprobs(self, logprobs: object, path: str) -> None:
        if not is_map(logprobs):
            self.flag("wrong-type", path, logprobs, _wrong("logprobs", logprobs, "object"))
            return
        self.unknown_keys(logprobs, _LOGPROBS_KEYS, path)
        for key in ("content", "refusal"):
            entries = logprobs.get(key)
            if entries is None:
                continue
            if not is_list(entries):
                self.flag(
                    "wrong-type",
                    f"{path}.{key}",
                    entries,
                    _wrong(f"logprobs.{key}", entries, "array"),
                )
                continue
            for i, entry in enumerate(entries):
                if is_map(entry):
                    self.unknown_keys(entry, _TOKEN_KEYS, f"{path}.{key}[{i}]")
                    tops = entry.get("top_logprobs")
                    if tops is not None and not is_list(tops):
                        where = f"{path}.{key}[{i}].top_logprobs"
                        self.flag("wrong-type", where, tops, "expected a list")
                        continue
                    for j, top in enumerate(tops or ()):
                        if is_map(top):
                            where = f"{path}.{key}[{i}].top_logprobs[{j}]"
                            self.unknown_keys(top, _TOP_TOKEN_KEYS, where)

    def delta(self, st: _ChoiceState, delta: Mapping[str, Any], first: bool, path: str) -> None:
        self.unknown_keys(delta, _DELTA_KEYS, path)
        self.role(delta.get("role", _MISSING), first, path)
        self.texts(delta, first, path)
        for key in ("tool_calls", "function_call"):
            value = delta.get(key, _MISSING)
            if value is None:
                self.flag("null-key", f"{path}.{key}", None, _null(key))
        tool_calls = delta.get("tool_calls")
        if tool_calls is not None:
            self.tool_calls(st, tool_calls, f"{path}.tool_calls")
        function_call = delta.get("function_call")
        if function_call is not None:
            self.function_call(st, function_call, f"{path}.function_call")

    def role(self, role: object, first: bool, path: str) -> None:
        if first:
            if role is _MISSING:
                self.flag("role-missing", path, None, "no role on the first chunk of the choice")
            elif role is None:
                self.flag("role-missing", path, None, "role: null on the first chunk of the choice")
        elif role is not _MISSING:
            if role is None:
                self.flag("null-key", f"{path}.role", role, _null("role"))
            else:
                self.flag(
                    "role-repeated",
                    f"{path}.role",
                    role,
                    f"role: {_show(role)} sent again after the first chunk of the choice",
                )
        if role is not _MISSING and role is not None and role != "assistant":
            self.flag("wrong-role", f"{path}.role", role, f'role: {_show(role)}, not "assistant"')

    def texts(self, delta: Mapping[str, Any], first: bool, path: str) -> None:
        for key in ("content", "refusal"):
            value = delta.get(key, _MISSING)
            if value is _MISSING or value is None:
                if value is None and key == "content" and not first:
                    self.flag("null-key", f"{path}.content", None, _null("content"))
                continue
            if not isinstance(value, str):
                self.flag("wrong-type", f"{path}.{key}", value, _wrong(key, value, "string"))
            elif first and value:
                self.flag(
                    "text-on-role-chunk",
                    f"{path}.{key}",
                    value,
                    f"{key}: {_show(value)} on the role chunk",
                )
            elif not first and not value:
                self.flag(
                    "empty-fragment", f"{path}.{key}", value, f'{key}: "" (an empty fragment)'
                )

    # -- tool calls ------------------------------------------------------------------------

    def tool_calls(self, st: _ChoiceState, tool_calls: object, path: str) -> None:
        if not is_list(tool_calls):
            self.flag("wrong-type", path, tool_calls, _wrong("tool_calls", tool_calls, "array"))
            return
        if len(tool_calls) != 1:
            self.flag(
                "tool-calls-not-one",
                path,
                len(tool_calls),
                f"{len(tool_calls)} tool-call entries in one chunk",
            )
        for position, entry in enumerate(tool_calls):
            self.tool_entry(st, entry, f"{path}[{position}]")

    def tool_entry(self, st: _ChoiceState, entry: object, path: str) -> None:
        if not is_map(entry):
            self.flag("wrong-type", path, entry, _wrong("the tool-call entry", entry, "object"))
            return
        self.unknown_keys(entry, _ENTRY_KEYS, path)
        fn = self.entry_function(entry.get("function", _MISSING), f"{path}.function")
        index = entry.get("index", _MISSING)
        if not isinstance(index, int) or isinstance(index, bool):
            what = "no index" if index is _MISSING else f"index: {_show(index)}"
            self.flag(
                "tool-call-without-index",
                f"{path}.index",
                None if index is _MISSING else index,
                f"a tool-call entry with {what}",
            )
        elif index >= st.calls:
            self.tool_header(st, entry, index, fn, path)
        else:
            self.tool_continuation(st, entry, index, fn, path)

    def entry_function(self, function: object, path: str) -> Mapping[str, Any]:
        """The entry's ``function`` object; ``{}`` when it is absent, null or (reported) not
        an object."""
        if function is _MISSING or function is None:
            return _EMPTY
        if not is_map(function):
            self.flag("wrong-type", path, function, _wrong("function", function, "object"))
            return _EMPTY
        self.unknown_keys(function, _FUNCTION_KEYS, path)
        return function

    def tool_header(
        self,
        st: _ChoiceState,
        entry: Mapping[str, Any],
        index: int,
        fn: Mapping[str, Any],
        path: str,
    ) -> None:
        """The first entry of a new call: its header."""
        if index != st.calls:
            self.flag(
                "tool-index-not-dense",
                f"{path}.index",
                index,
                f"a new tool call at index {index}, expected {st.calls}",
            )
        st.calls = index + 1
        st.current = index
        call_id = entry.get("id", _MISSING)
        if not isinstance(call_id, str) or not call_id:
            self.flag(
                "incomplete-header",
                f"{path}.id",
                None if call_id is _MISSING else call_id,
                f"tool call {index}'s header has {_what('id', call_id)}",
            )
        kind = entry.get("type", _MISSING)
        if kind is _MISSING or kind is None:
            self.flag(
                "incomplete-header",
                f"{path}.type",
                None,
                f"tool call {index}'s header has {_what('type', kind)}",
            )
        elif kind != "function":
            self.flag(
                "wrong-tool-type", f"{path}.type", kind, f'type: {_show(kind)}, not "function"'
            )
        self.header_function(fn, f"{path}.function", f"tool call {index}'s header")

    def tool_continuation(
        self,
        st: _ChoiceState,
        entry: Mapping[str, Any],
        index: int,
        fn: Mapping[str, Any],
        path: str,
    ) -> None:
        """A later entry of a call already started: an arguments fragment."""
        if st.current is not None and index < st.current:
            self.flag(
                "calls-interleaved",
                f"{path}.index",
                index,
                f"a fragment for tool call {index} after tool call {st.current} started",
            )
        for key, rule in (("id", "id-on-continuation"), ("type", "type-on-continuation")):
            if key in entry:
                self.flag(
                    rule,
                    f"{path}.{key}",
                    entry[key],
                    f"{key}: {_show(entry[key])} sent on a continuation fragment",
                )
        self.continuation_function(fn, f"{path}.function")

    def function_call(self, st: _ChoiceState, function_call: object, path: str) -> None:
        if not is_map(function_call):
            self.flag(
                "wrong-type", path, function_call, _wrong("function_call", function_call, "object")
            )
            return
        self.unknown_keys(function_call, _FUNCTION_KEYS, path)
        if not st.legacy_started:
            st.legacy_started = True
            self.header_function(function_call, path, "the function call's first fragment")
        else:
            self.continuation_function(function_call, path)

    def header_function(self, function: Mapping[str, Any], path: str, header: str) -> None:
        name = function.get("name", _MISSING)
        if not isinstance(name, str) or not name:
            self.flag(
                "incomplete-header",
                f"{path}.name",
                None if name is _MISSING else name,
                f"{header} has {_what('name', name)}",
            )
        arguments = function.get("arguments", _MISSING)
        if arguments is _MISSING or arguments is None:
            self.flag(
                "incomplete-header",
                f"{path}.arguments",
                None,
                f'{header} has {_what("arguments", arguments)} (OpenAI sends "")',
            )
        elif not isinstance(arguments, str):
            self.flag(
                "wrong-type",
                f"{path}.arguments",
                arguments,
                _wrong("arguments", arguments, "string"),
            )
        elif arguments:
            self.flag(
                "arguments-in-header",
                f"{path}.arguments",
                arguments,
                f'arguments: {_show(arguments)} in {header} (OpenAI sends "")',
            )

    def continuation_function(self, function: Mapping[str, Any], path: str) -> None:
        if "name" in function:
            self.flag(
                "name-on-continuation",
                f"{path}.name",
                function["name"],
                f"name: {_show(function['name'])} sent on a continuation fragment",
            )
        arguments = function.get("arguments")
        if arguments is None:
            what = (
                "no function"
                if not function
                else "no arguments"
                if "arguments" not in function
                else "arguments: null"
            )
            self.flag(
                "continuation-without-arguments",
                path,
                dict(function) or None,
                f"a continuation fragment with {what}",
            )
        elif not isinstance(arguments, str):
            self.flag(
                "wrong-type",
                f"{path}.arguments",
                arguments,
                _wrong("arguments", arguments, "string"),
            )
        elif not arguments:
            self.flag(
                "empty-fragment",
                f"{path}.arguments",
                arguments,
                'arguments: "" (an empty fragment)',
            )

    # -- end -------------------------------------------------------------------------------

    def end(self) -> None:
        """The stream ended completely: check what only its end shows."""
        self.n = 0
        for index, st in self.choices.items():
            if not st.finished:
                self.flag(
                    "unfinished-choice",
                    f"choice {index}",
                    index,
                    f"choice {index} never got its finish chunk",
                )


_JSON_TYPES: Final[Mapping[type, str]] = {str: "string", int: "integer", list: "array"}
_SHOW: Final = 60  # characters of a value shown in a message


def _show(value: object) -> str:
    """A value as JSON (what the stream sent), shortened."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):  # not JSON, or nested too deep to write
        text = bounded_repr(value)
    return text if len(text) <= _SHOW else text[: _SHOW - 1] + "…"


def _key(key: object) -> str:
    return json.dumps(key, ensure_ascii=False) if isinstance(key, str) else repr(key)


def _a(value: object) -> str:
    name = _json_type(value)
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _wrong(what: str, value: object, expected: str) -> str:
    return f"{what}: {_show(value)} is {_a(value)}, expected {_a_word(expected)}"


def _a_word(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _null(key: str) -> str:
    return f"{key}: null sent where OpenAI leaves the key out"


def _what(key: str, value: object) -> str:
    if value is _MISSING:
        return f"no {key}"
    return f"{key}: {_show(value)}"


def _as_data(item: object) -> Mapping[str, Any] | None:
    if is_map(item):
        return item
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        data = dump(mode="json", exclude_unset=True)
        if is_map(data):
            return data
    return None


def check_openai_chunks(
    chunks: Iterable[Mapping[str, Any] | Any], *, complete: bool = True
) -> list[Deviation]:
    """Check chunks against OpenAI's streaming semantics; return every deviation, in order.

    Args:
        chunks: Wire chunks as decoded JSON objects, or chunk objects (``openai``
            ``ChatCompletionChunk``; anything with ``model_dump()`` is read through
            ``model_dump(mode="json", exclude_unset=True)``). Not an SSE body: decode it first
            (the ``[DONE]`` terminator is not a chunk).
        complete: The chunks are a whole stream, so every choice must have finished. Pass
            ``False`` to check a prefix (a stream cut off by an error).

    Returns:
        One :class:`Deviation` per break of a rule in :data:`RULES`: empty when the chunks
        are exactly what OpenAI sends. What legitimately varies between real OpenAI streams
        (how role and the first tool-call header are packed, key order, ``usage: null``
        versus absent, ``refusal``/``logprobs`` keys carrying no value, ``obfuscation``) is
        never reported.
    """
    deviations: list[Deviation] = []
    checker = Checker(deviations.append)
    for item in chunks:
        checker.chunk(item)
    if complete:
        checker.end()
    return deviations


# Shared with the Anthropic checker (typedstream/_anthropic_check.py), which reports its findings
# in the same words.
show_json = _show
a_json_type = _a
wrong_type = _wrong
as_event_data = _as_data
