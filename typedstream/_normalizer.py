"""The sans-IO normalizer: chat-completion chunks in, typed events out.

How it works. :class:`Normalizer` is a state machine fed one chunk at a time. ``feed(chunk)``
reads the chunk, updates the state and returns the events the chunk completes; ``close()``
says the source ended and returns the events of a complete end (or raises
:class:`~typedstream.IncompleteStreamError`). There is no I/O and no ``async`` here: the
readers (``_reader.py``) and the sync/async drivers (``_drivers.py``) are thin layers over it.

Every lifecycle rule of the contract lives in this module:

* the merge policy (role set once, ``type``/``id``/``name`` set once, empty fragments
  dropped, the rule for when a tool-call entry starts a new call, usage "last non-null wins",
  finish reason "first non-null wins" and its normalization, synthesized call ids);
* ordering and completion (a call is done when the next call of its choice starts, when the
  choice finishes or at a complete end; a stream that may have been cut off never reports its
  open calls done);
* the strict/lenient split (strict mode rejects a changed role, an id change on a nameless
  entry, and unknown finish reasons; everything else is identical).

A chunk is applied atomically from the caller's point of view: it yields all its events or,
on a :class:`~typedstream.ChunkError`, none of them. After any error the normalizer refuses
further input, so a half-applied chunk can never be observed.

Per-choice and per-call state lives in small slotted classes. Text is never kept unless
``done_events=True``; tool arguments are kept as a list of fragments joined once, for
:class:`~typedstream.ToolCallDone`. The events made for nearly every chunk (text, reasoning
and refusal fragments, argument fragments) are built by the fast constructors of
``_events.py``, which skip the dataclass ``__init__`` and give equal events.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any, Final

from ._chat_vocab import DICT, DONE, FINISH_REASONS, LIST, is_list, is_map, type_name
from ._errors import (
    ChunkError,
    IncompleteStreamError,
    ProviderError,
    TypedStreamError,
    UsageError,
    bounded_repr,
)
from ._events import (
    ArgumentsDelta,
    ChoiceFinished,
    FinishReason,
    Logprobs,
    Moderation,
    ProviderData,
    RawChunk,
    ReasoningDone,
    RefusalDone,
    StreamEvent,
    StreamStarted,
    TextDone,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
    new_arguments_delta,
    new_reasoning_delta,
    new_refusal_delta,
    new_text_delta,
)
from ._options import IdFactory, ReadOptions

__all__ = ["DONE", "IdFactory", "Normalizer"]


# Delta keys whose values must go back to the provider on the next turn.
_MESSAGE_DATA_KEYS: Final = ("thinking_blocks", "reasoning_details", "provider_specific_fields")
_TOOL_DATA_KEYS: Final = ("extra_content", "provider_specific_fields")
_TOOL_DATA_KEY_SET: Final = frozenset(_TOOL_DATA_KEYS)
# Every delta key read besides `content` and `tool_calls`.
_RARE_DELTA_KEYS: Final = frozenset(
    ("role", "reasoning_content", "reasoning", "refusal", "function_call", *_MESSAGE_DATA_KEYS)
)

# The finishes that complete the open calls of their choice; any other cuts them off.
_COMPLETING: Final = frozenset(("stop", "tool_calls", "function_call"))

_EMPTY: Final[Mapping[str, Any]] = {}
# The fragments of every done call: a done call takes no fragment (that is a ChunkError),
# so they share one empty list instead of keeping one each.
_NO_PARTS: Final[list[str]] = []
_LEGACY: Final = "function_call"  # key of a choice's legacy call in `_Choice.by_index`

_OPEN, _DONE_SEEN, _CLOSED, _FAILED = range(4)


class _Call:
    """One tool call of one choice."""

    __slots__ = ("chunk", "done", "id", "index", "legacy", "name", "out_id", "parts", "started")

    def __init__(self, index: int, legacy: bool, chunk: int) -> None:
        self.index = index  # dense position within the choice
        self.legacy = legacy
        self.chunk = chunk  # where it started, for error messages
        self.id: str | None = None  # the provider's id, once known
        self.out_id = ""  # the id used in events (provider's or synthesized)
        self.name: str | None = None
        self.parts: list[str] = []
        self.started = False
        self.done = False


class _Choice:
    """State of one choice (``choices[].index``)."""

    __slots__ = (
        "by_id",
        "by_index",
        "calls",
        "finished",
        "index",
        "last",
        "names",
        "open_calls",
        "reasoning",
        "refusal",
        "role",
        "text",
    )

    def __init__(self, index: int, keep_text: bool) -> None:
        self.index = index
        self.role: object = None
        self.finished = False
        self.calls = 0  # how many calls started: the next dense index
        self.last: _Call | None = None  # the latest call, for D5's legacy check
        self.names: set[str] = set()  # every call name, for repeats after the finish
        self.open_calls: list[_Call] = []  # started or buffering, not done; in order
        self.by_index: dict[object, _Call] = {}  # provider index (or _LEGACY) -> latest call
        self.by_id: dict[str, _Call] = {}
        # Whole texts, only with done_events=True (otherwise no text is kept).
        self.text: list[str] | None = [] if keep_text else None
        self.reasoning: list[str] | None = [] if keep_text else None
        self.refusal: list[str] | None = [] if keep_text else None


class Normalizer:
    """Sans-IO state machine turning chat-completion chunks into :data:`StreamEvent` lists.

    Feed it decoded chunks (mappings, or objects with ``model_dump()`` such as ``openai`` and
    LiteLLM chunks) and the ``"[DONE]"`` marker; call :meth:`close` when the source ends.
    :func:`typedstream.events` and :func:`typedstream.aevents` drive one for you; use it
    directly when you own the I/O.

    Args:
        strict: Reject (with :class:`~typedstream.ChunkError`) a role that changes, an id that
            changes on an entry without a name, and unknown finish reasons, instead of
            repairing them.
        assume_complete: Treat the end of the source as a complete end even without a finish
            reason or ``[DONE]`` (for sources known to strip both).
        expect_done: The transport marks its end with ``[DONE]`` (raw SSE). Then a source that
            ends with a choice unfinished is incomplete even if only text was pending.
        defer_tool_call_done: Send every :class:`~typedstream.ToolCallDone` of a choice at its
            finish instead of when the next call starts, for providers that interleave the
            fragments of parallel calls.
        done_events: Also send :class:`~typedstream.TextDone`,
            :class:`~typedstream.ReasoningDone` and :class:`~typedstream.RefusalDone` with
            the whole text when a choice finishes (keeps the text in memory).
        raw: Send a :class:`~typedstream.RawChunk` with each source chunk before its events.
        id_factory: ``id_factory(choice, index)`` makes the id of a call that arrives
            without one. By default the id is ``call_`` + a hash of the response id, choice
            and index (or of a per-stream random seed when the response has no id).
    """

    def __init__(
        self,
        *,
        strict: bool = False,
        assume_complete: bool = False,
        expect_done: bool = False,
        defer_tool_call_done: bool = False,
        done_events: bool = False,
        raw: bool = False,
        id_factory: IdFactory | None = None,
    ) -> None:
        self.strict = strict
        self.assume_complete = assume_complete
        self.expect_done = expect_done
        self.defer_tool_call_done = defer_tool_call_done
        self.done_events = done_events
        self.raw = raw
        self.id_factory = id_factory
        self._state = _OPEN
        self._chunks = 0
        self._started = False
        self._response_id: str | None = None
        self._choices: dict[int, _Choice] = {}
        self._usage: dict[str, Any] | None = None
        self._moderation: dict[str, Any] | None = None
        self._seed: str | None = None

    @classmethod
    def from_options(cls, options: ReadOptions) -> Normalizer:
        """A normalizer reading as ``options`` say (its decoding options are not its own)."""
        return cls(
            strict=options.strict,
            assume_complete=options.assume_complete,
            expect_done=options.expect_done,
            defer_tool_call_done=options.defer_tool_call_done,
            done_events=options.done_events,
            raw=options.raw,
            id_factory=options.id_factory,
        )

    # -- public interface ------------------------------------------------------------------

    @property
    def chunks(self) -> int:
        """How many chunks were fed so far (``[DONE]`` not counted)."""
        return self._chunks

    @property
    def finished(self) -> bool:
        """True once the stream ended completely (``[DONE]`` or a successful :meth:`close`)."""
        return self._state in (_DONE_SEEN, _CLOSED)

    def feed(self, chunk: object) -> list[StreamEvent]:
        """Take one chunk (or ``"[DONE]"``) and return the events it completes.

        Raises:
            ChunkError: the chunk is malformed or breaks the stream's rules.
            ProviderError: the chunk is a provider error payload.
        """
        if self._state != _OPEN:
            self._refuse()
        data = chunk if type(chunk) is DICT else None  # the usual chunk, read as it is
        if data is None and type(chunk) is str and chunk.strip() == DONE:
            return self._end(done_marker=True)
        number = self._chunks = self._chunks + 1
        out: list[StreamEvent] = []
        try:
            if self.raw:
                out.append(RawChunk(chunk, number))
            self._chunk(_as_mapping(chunk, number) if data is None else data, number, out)
        except TypedStreamError:
            self._state = _FAILED
            raise
        except Exception as exc:  # a shape no check anticipated: still a typed error
            self._state = _FAILED
            raise ChunkError(f"could not read the chunk: {exc!r}", number) from exc
        return out

    def close(self) -> list[StreamEvent]:
        """Say the source ended; return the events of a complete end.

        Raises:
            IncompleteStreamError: the stream ended before it was complete; open tool calls
                are not reported done.
            ChunkError: a tool call never received its name.
        """
        if self._state in (_DONE_SEEN, _CLOSED):
            self._state = _CLOSED
            return []
        if self._state != _OPEN:
            self._refuse()
        return self._end(done_marker=False)

    def reject(self, problem: str) -> ChunkError:
        """Count a chunk that could not even be decoded and fail; return the error to raise.

        For readers that decode chunks themselves: ``raise normalizer.reject("bad JSON")``.
        """
        if self._state != _OPEN:
            self._refuse()
        self._chunks += 1
        self._state = _FAILED
        return ChunkError(problem, self._chunks)

    # -- chunk level -----------------------------------------------------------------------

    def _refuse(self) -> None:
        if self._state == _FAILED:
            raise UsageError("the normalizer raised an error earlier; it takes no more input")
        raise ChunkError("chunk after the end of the stream ([DONE])", self._chunks + 1)

    def _chunk(self, data: Mapping[str, Any], n: int, out: list[StreamEvent]) -> None:
        error = data.get("error")
        if error:
            raise ProviderError(error, n)
        usage = data.get("usage")
        if usage is not None:
            if not is_map(usage):
                raise ChunkError(f"'usage' must be an object, got {type_name(usage)}", n)
            if usage:  # LiteLLM once sent `usage: {}` on every chunk (E5)
                self._usage = dict(usage)
        moderation = data.get("moderation")
        if moderation is not None:
            if not is_map(moderation):
                raise ChunkError(f"'moderation' must be an object, got {type_name(moderation)}", n)
            self._moderation = dict(moderation)
        choices = data.get("choices")
        if choices is None:
            if (
                "choices" not in data
                and usage is None
                and moderation is None
                and "prompt_filter_results" not in data
            ):
                raise ChunkError(
                    "not a chat-completion chunk: no 'choices', 'usage' or 'error' "
                    f"(keys: {', '.join(sorted(map(str, data))) or 'none'})",
                    n,
                )
            if usage is not None and not self._started:
                self._start(data, n, out)
            return  # `choices: null` is skipped (LiteLLM #5165)
        if choices.__class__ is not list:
            raise ChunkError(f"'choices' must be a list, got {type_name(choices)}", n)
        if not self._started:
            if not choices and usage is None and "prompt_filter_results" in data:
                return  # Azure's content-filter preamble (F1): not the stream's envelope
            self._start(data, n, out)
        for entry in choices:
            self._choice(entry, n, out)

    def _start(self, data: Mapping[str, Any], n: int, out: list[StreamEvent]) -> None:
        self._started = True
        response_id = _opt_str(data, "id", n) or None
        self._response_id = response_id
        created = data.get("created")
        if created is not None:
            if created.__class__ is float and created.is_integer():
                created = int(created)
            elif created.__class__ is not int:
                raise ChunkError(f"'created' must be an integer, got {type_name(created)}", n)
        out.append(
            StreamStarted(
                response_id,
                _opt_str(data, "model", n) or None,
                created,
                _opt_str(data, "system_fingerprint", n) or None,
                _opt_str(data, "service_tier", n) or None,
            )
        )

    # -- choice level ----------------------------------------------------------------------

    def _choice(self, entry: object, n: int, out: list[StreamEvent]) -> None:
        if type(entry) is not DICT and not is_map(entry):
            raise ChunkError(f"each of 'choices' must be an object, got {type_name(entry)}", n)
        index = entry.get("index")
        if index is None:
            index = 0
        elif index.__class__ is not int or index < 0:
            raise ChunkError(
                f"'choices[].index' must be a non-negative integer, got {bounded_repr(index)}", n
            )
        st = self._choices.get(index)
        if st is None:
            st = self._choices[index] = _Choice(index, self.done_events)
        delta = entry.get("delta")
        if delta is None:
            delta = _EMPTY
        elif type(delta) is not DICT and not is_map(delta):
            raise ChunkError(
                f"choice {index}: 'delta' must be an object, got {type_name(delta)}", n
            )
        if st.finished:
            self._after_finish(st, delta, entry, n, out)
            return

        # Most deltas hold only `content` or `tool_calls`: one set check spares them the
        # lookups of every key they rarely carry.
        rare = not _RARE_DELTA_KEYS.isdisjoint(delta)
        if rare:
            role = delta.get("role")
            if role is not None:
                if st.role is None:
                    st.role = role
                elif role != st.role and self.strict:
                    was, now = bounded_repr(st.role), bounded_repr(role)
                    raise ChunkError(
                        f"choice {index}: role changed from {was} to {now} (strict mode)", n
                    )

            reasoning = delta.get("reasoning_content")
            if reasoning is not None:
                self._reasoning(st, reasoning, "reasoning_content", n, out)
            other = delta.get("reasoning")
            if other is not None and other != reasoning:  # vLLM may send both, equal
                self._reasoning(st, other, "reasoning", n, out)

        logprobs = entry.get("logprobs")
        if logprobs is not None:
            self._logprobs(st, logprobs, n, out)

        content = delta.get("content")
        if content is not None:
            if content.__class__ is str:
                if content:
                    out.append(new_text_delta(content, index))
                    if st.text is not None:
                        st.text.append(content)
            elif is_list(content):
                self._content_parts(st, content, n, out)
            else:
                raise ChunkError(
                    f"choice {index}: 'content' must be a string or a list of parts, "
                    f"got {type_name(content)}",
                    n,
                )

        if rare:
            refusal = delta.get("refusal")
            if refusal is not None:
                if refusal.__class__ is not str:
                    raise ChunkError(
                        f"choice {index}: 'refusal' must be a string, got {type_name(refusal)}",
                        n,
                    )
                if refusal:
                    out.append(new_refusal_delta(refusal, index))
                    if st.refusal is not None:
                        st.refusal.append(refusal)

            for key in _MESSAGE_DATA_KEYS:
                value = delta.get(key)
                if value:
                    out.append(ProviderData(key, value, index))

        tool_calls = delta.get("tool_calls")
        if tool_calls is not None:
            if type(tool_calls) is not LIST and not is_list(tool_calls):
                raise ChunkError(
                    f"choice {index}: 'tool_calls' must be a list, got {type_name(tool_calls)}",
                    n,
                )
            if len(tool_calls) == 1:  # the usual delta: spare it the enumerate()
                self._tool_entry(st, tool_calls[0], 0, n, out)
            else:
                for position, call_entry in enumerate(tool_calls):
                    self._tool_entry(st, call_entry, position, n, out)

        if rare:
            function_call = delta.get("function_call")
            if function_call is not None:
                self._legacy_entry(st, function_call, n, out)

        finish = entry.get("finish_reason")
        if finish is not None and finish != "":
            if finish.__class__ is not str:
                raise ChunkError(
                    f"choice {index}: 'finish_reason' must be a string, got {type_name(finish)}",
                    n,
                )
            self._finish(st, finish, n, out)

    def _reasoning(
        self, st: _Choice, value: object, key: str, n: int, out: list[StreamEvent]
    ) -> None:
        if type(value) is not str:
            raise ChunkError(
                f"choice {st.index}: '{key}' must be a string, got {type_name(value)}", n
            )
        if value:
            out.append(new_reasoning_delta(value, st.index))
            if st.reasoning is not None:
                st.reasoning.append(value)

    def _logprobs(self, st: _Choice, logprobs: object, n: int, out: list[StreamEvent]) -> None:
        if not is_map(logprobs):
            raise ChunkError(
                f"choice {st.index}: 'logprobs' must be an object, got {type_name(logprobs)}", n
            )
        content = logprobs.get("content")
        refusal = logprobs.get("refusal")
        for key, value in (("content", content), ("refusal", refusal)):
            if value is not None and not is_list(value):
                raise ChunkError(
                    f"choice {st.index}: 'logprobs.{key}' must be a list, got {type_name(value)}",
                    n,
                )
        if content or refusal:
            out.append(Logprobs(content or None, refusal or None, st.index))

    def _content_parts(self, st: _Choice, parts: list[Any], n: int, out: list[StreamEvent]) -> None:
        # Mistral Magistral (G4): [{"type": "text", "text"}, {"type": "thinking",
        # "thinking": [{"type": "text", "text"}]}]. Other part types (references, images)
        # are not text; they reach users through the raw opt-in only.
        for part in parts:
            if not is_map(part):
                raise ChunkError(
                    f"choice {st.index}: a content part must be an object, got {type_name(part)}",
                    n,
                )
            kind = part.get("type")
            if kind == "text":
                text = part.get("text")
                if text.__class__ is not str:
                    raise ChunkError(
                        f"choice {st.index}: a text part's 'text' must be a string, "
                        f"got {type_name(text)}",
                        n,
                    )
                if text:
                    out.append(new_text_delta(text, st.index))
                    if st.text is not None:
                        st.text.append(text)
            elif kind == "thinking":
                thinking = part.get("thinking")
                if thinking.__class__ is str:
                    self._reasoning(st, thinking, "thinking", n, out)
                elif is_list(thinking):
                    for inner in thinking:
                        if not is_map(inner):
                            raise ChunkError(
                                f"choice {st.index}: a thinking part must hold objects, "
                                f"got {type_name(inner)}",
                                n,
                            )
                        if inner.get("type") == "text":
                            self._reasoning(st, inner.get("text"), "thinking.text", n, out)
                elif thinking is not None:
                    raise ChunkError(
                        f"choice {st.index}: a thinking part's 'thinking' must be a string "
                        f"or a list, got {type_name(thinking)}",
                        n,
                    )

    def _after_finish(
        self,
        st: _Choice,
        delta: Mapping[str, Any],
        entry: Mapping[str, Any],
        n: int,
        out: list[StreamEvent],
    ) -> None:
        # A second finish chunk (D6), LiteLLM's phantom choice on its usage chunk and
        # `content: ""` chunks carry nothing; real data after the finish cannot be placed.
        for key in ("content", "refusal", "reasoning_content", "reasoning"):
            if delta.get(key):
                raise ChunkError(f"choice {st.index}: '{key}' arrived after the choice finished", n)
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            for call in tool_calls if is_list(tool_calls) else (tool_calls,):
                function = call.get("function") if is_map(call) else call
                if function is None:
                    continue
                if (
                    not is_map(function)
                    or function.get("arguments")
                    or (function.get("name") and not _repeats_known_call(st, call))
                ):
                    raise ChunkError(
                        f"choice {st.index}: a tool call arrived after the choice finished", n
                    )
        function_call = delta.get("function_call")
        if is_map(function_call) and function_call.get("arguments"):
            raise ChunkError(
                f"choice {st.index}: 'function_call' arrived after the choice finished", n
            )
        logprobs = entry.get("logprobs")
        if is_map(logprobs) and (logprobs.get("content") or logprobs.get("refusal")):
            raise ChunkError(f"choice {st.index}: logprobs arrived after the choice finished", n)
        for key in _MESSAGE_DATA_KEYS:
            value = delta.get(key)
            if value:
                out.append(ProviderData(key, value, st.index))

    # -- tool calls ------------------------------------------------------------------------

    def _tool_entry(
        self, st: _Choice, entry: object, position: int, n: int, out: list[StreamEvent]
    ) -> None:
        if type(entry) is not DICT and not is_map(entry):
            where = _entry_label(st.index, position)
            raise ChunkError(f"{where} must be an object, got {type_name(entry)}", n)
        provider_index = entry.get("index")
        if provider_index is not None and provider_index.__class__ is not int:
            raise ChunkError(
                f"{_entry_label(st.index, position)}: 'index' must be an integer, "
                f"got {type_name(provider_index)}",
                n,
            )
        call_id = entry.get("id")
        if call_id is not None and call_id.__class__ is not str:
            raise ChunkError(
                f"{_entry_label(st.index, position)}: 'id' must be a string, "
                f"got {type_name(call_id)}",
                n,
            )
        kind = entry.get("type")
        if kind is not None and kind.__class__ is not str:
            raise ChunkError(
                f"{_entry_label(st.index, position)}: 'type' must be a string, "
                f"got {type_name(kind)}",
                n,
            )
        name, arguments = _function_fields(entry.get("function"), st.index, position, n)
        call_id = call_id or None
        call = st.by_index.get(provider_index) if name is None and call_id is None else None
        if call is not None and call.started and not call.done:
            # The usual entry: the next fragment of the call being streamed (what _resolve
            # and _apply would find and do, without the detour).
            if arguments:
                call.parts.append(arguments)
                out.append(new_arguments_delta(call.index, call.out_id, arguments, st.index))
        else:
            call = self._resolve(st, provider_index, call_id, name, False, n, out)
            self._apply(st, call, call_id, name, arguments, position, n, out)
        if not _TOOL_DATA_KEY_SET.isdisjoint(entry):
            for key in _TOOL_DATA_KEYS:
                value = entry.get(key)
                if value:
                    out.append(ProviderData(key, value, st.index, call.index))

    def _legacy_entry(self, st: _Choice, entry: object, n: int, out: list[StreamEvent]) -> None:
        name, arguments = _function_fields(entry, st.index, None, n)
        call = self._resolve(st, _LEGACY, None, name, True, n, out)
        self._apply(st, call, None, name, arguments, None, n, out)

    def _resolve(
        self,
        st: _Choice,
        provider_index: object,
        call_id: str | None,
        name: str | None,
        legacy: bool,
        n: int,
        out: list[StreamEvent],
    ) -> _Call:
        """Find the call an entry belongs to, or start a new one (the "new call" rule)."""
        if provider_index is not None:
            call = st.by_index.get(provider_index)
        else:  # missing or null index (B1, B2): by id, else the open call
            call = st.by_id.get(call_id) if call_id is not None else None
            if call is None and st.open_calls:
                call = st.open_calls[-1]
        if call is not None:
            if name is None or call.name is None or name == call.name:
                if call_id is None or call.id is None or call_id == call.id:
                    return call
                if name is None:  # an id change without a name stays the same call (B6)
                    if self.strict:
                        raise ChunkError(
                            f"choice {st.index}: tool call {call.index} changed its id from "
                            f"{call.id!r} to {call_id!r} (strict mode)",
                            n,
                        )
                    return call
                # a header with a new id: a parallel call sharing the index (B4, B5)
            elif call_id is not None and call_id == call.id:
                raise ChunkError(
                    f"choice {st.index}: tool call {call_id!r} renamed from {call.name!r} "
                    f"to {name!r}",
                    n,
                )
            # else a different name: a new call sharing the index (B5 without ids)
        if not self.defer_tool_call_done:
            for previous in st.open_calls:
                self._call_done(st, previous, n, out)
            st.open_calls.clear()
        call = st.last = _Call(st.calls, legacy, n)
        st.calls += 1
        st.open_calls.append(call)
        if legacy:
            st.by_index[_LEGACY] = call
        elif provider_index is not None:
            st.by_index[provider_index] = call
        return call

    def _apply(
        self,
        st: _Choice,
        call: _Call,
        call_id: str | None,
        name: str | None,
        arguments: str | None,
        position: int | None,
        n: int,
        out: list[StreamEvent],
    ) -> None:
        if call.done:
            if arguments:
                hint = (
                    ""
                    if self.defer_tool_call_done
                    else " (a provider that interleaves parallel calls needs "
                    "defer_tool_call_done=True)"
                )
                raise ChunkError(
                    f"{_entry_label(st.index, position)}: arguments for tool call "
                    f"{call.index} ({call.out_id}), "
                    f"which was already reported done{hint}",
                    n,
                )
            return  # a repeat of a finished call's header carries nothing new
        if call_id is not None and call.id is None:
            call.id = call_id
            st.by_id[call_id] = call
        if name is not None and call.name is None:
            call.name = name
            st.names.add(name)
        if not call.started and call.name is not None:
            self._start_call(st, call, out)
        if arguments:
            call.parts.append(arguments)
            if call.started:
                out.append(new_arguments_delta(call.index, call.out_id, arguments, st.index))

    def _start_call(self, st: _Choice, call: _Call, out: list[StreamEvent]) -> None:
        call.started = True
        call.out_id = call.id or self._make_id(st.index, call.index)
        out.append(ToolCallStarted(call.index, call.out_id, call.name or "", st.index, call.legacy))
        if call.parts:  # fragments that arrived before the name (buffered, not lost)
            out.append(ArgumentsDelta(call.index, call.out_id, "".join(call.parts), st.index))

    def _call_done(self, st: _Choice, call: _Call, n: int | None, out: list[StreamEvent]) -> None:
        if not call.started:
            # At the end of the stream no chunk is being read: blame the one that opened it.
            raise ChunkError(
                f"choice {st.index}: tool call {call.index} (started in chunk {call.chunk}) "
                "never received a function name",
                call.chunk if n is None else n,
            )
        call.done = True
        arguments = "".join(call.parts)
        call.parts = _NO_PARTS
        out.append(
            ToolCallDone(call.index, call.out_id, call.name or "", arguments, st.index, call.legacy)
        )

    def _call_incomplete(
        self, st: _Choice, call: _Call, reason: str, n: int | None, out: list[StreamEvent]
    ) -> None:
        if not call.started:
            raise ChunkError(
                f"choice {st.index}: tool call {call.index} (started in chunk {call.chunk}) "
                "never received a function name",
                call.chunk if n is None else n,
            )
        call.done = True
        arguments = "".join(call.parts)
        call.parts = _NO_PARTS
        out.append(
            ToolCallIncomplete(
                call.index, call.out_id, call.name or "", arguments, reason, st.index, call.legacy
            )
        )

    def _make_id(self, choice: int, index: int) -> str:
        if self.id_factory is not None:
            return self.id_factory(choice, index)
        if self._response_id is not None:
            basis = self._response_id
        else:
            if self._seed is None:
                self._seed = secrets.token_hex(16)
            basis = self._seed
        digest = hashlib.sha256(f"{basis}:{choice}:{index}".encode()).hexdigest()
        return f"call_{digest[:24]}"

    # -- finishing -------------------------------------------------------------------------

    def _finish(self, st: _Choice, raw: str | None, n: int | None, out: list[StreamEvent]) -> None:
        reason: FinishReason | None
        if raw is None:
            reason = "stop"  # a complete end without a finish reason (D3)
        else:
            reason = FINISH_REASONS.get(raw.lower())
            if reason is None and self.strict:
                raise ChunkError(
                    f"choice {st.index}: unknown finish_reason {raw!r} (strict mode)", n
                )
        # Only `stop`, `tool_calls` and `function_call` say the open calls are complete;
        # `length`, `content_filter` and an unknown reason cut them off.
        cut = raw is not None and reason not in _COMPLETING
        for call in st.open_calls:
            if cut:
                self._call_incomplete(st, call, raw or "", n, out)
            else:
                self._call_done(st, call, n, out)
        st.open_calls.clear()
        st.finished = True
        if st.reasoning:
            out.append(ReasoningDone("".join(st.reasoning), st.index))
        if st.text:
            out.append(TextDone("".join(st.text), st.index))
        if st.refusal:
            out.append(RefusalDone("".join(st.refusal), st.index))
        st.text = st.reasoning = st.refusal = None
        if reason is None:
            reason = "stop"  # an unknown reason (lenient): never promoted to tool_calls
        elif reason == "stop" and st.last is not None:  # D5: calls but "stop" (or none at all)
            reason = "function_call" if st.last.legacy else "tool_calls"
        out.append(ChoiceFinished(reason, raw, st.index))

    def _end(self, done_marker: bool) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        try:
            if not done_marker and not self.assume_complete:
                self._check_complete()
            for st in self._choices.values():
                if not st.finished:
                    self._finish(st, None, None, out)
            if self._usage is not None:
                out.append(Usage(self._usage))
            if self._moderation is not None:
                out.append(Moderation(self._moderation))
        except TypedStreamError:
            self._state = _FAILED
            raise
        self._state = _DONE_SEEN if done_marker else _CLOSED
        return out

    def _check_complete(self) -> None:
        unfinished = [st for st in self._choices.values() if not st.finished]
        if self._choices and not unfinished:
            return
        open_calls = [(st.index, call) for st in unfinished for call in st.open_calls]
        if self._choices and not open_calls and not self.expect_done:
            return  # only text pending on an object iterator: complete (D3)
        if not self._choices:
            problem = "the stream ended before any choice arrived"
        else:
            parts: list[str] = []
            for choice, call in open_calls:
                label = f"{call.name!r}" if call.name else "unnamed"
                parts.append(f"tool call {call.index} ({label}) of choice {choice}")
            what = (
                "while " + ", ".join(parts) + " was still streaming; it is not reported done"
                if parts
                else "with choice(s) "
                + ", ".join(str(st.index) for st in unfinished)
                + " unfinished and no [DONE]"
            )
            problem = f"the stream ended {what}"
        raise IncompleteStreamError(
            problem,
            tuple(st.index for st in unfinished),
            tuple((c, call.index, call.name, "".join(call.parts)) for c, call in open_calls),
        )


def _as_mapping(chunk: object, n: int) -> Mapping[str, Any]:
    if type(chunk) is DICT or is_map(chunk):
        return chunk
    dump = getattr(chunk, "model_dump", None)
    if dump is not None:  # `openai` and LiteLLM chunks (pydantic models), read without import
        data = dump(exclude_unset=True, warnings=False)
        if is_map(data):
            return data
    if isinstance(chunk, (str, bytes)):
        raise ChunkError(f"expected a chunk object, got text: {chunk[:60]!r}", n)
    raise ChunkError(f"expected a chunk (a mapping or a model), got {type_name(chunk)}", n)


def _opt_str(data: Mapping[str, Any], key: str, n: int) -> str | None:
    value = data.get(key)
    if value is None or value.__class__ is str:
        return value
    raise ChunkError(f"'{key}' must be a string, got {type_name(value)}", n)


def _entry_label(choice: int, position: int | None) -> str:
    """How error messages name a tool-call entry (``position`` None: the legacy field).

    Built only when an error is raised, never for a well-formed entry.
    """
    if position is None:
        return f"choice {choice}: function_call"
    return f"choice {choice}: tool_calls[{position}]"


def _function_fields(
    function: object, choice: int, position: int | None, n: int
) -> tuple[str | None, str | None]:
    if function is None:
        return None, None
    if type(function) is not DICT and not is_map(function):
        raise ChunkError(
            f"{_entry_label(choice, position)}: 'function' must be an object, "
            f"got {type_name(function)}",
            n,
        )
    name = function.get("name")
    if name is not None and name.__class__ is not str:
        raise ChunkError(
            f"{_entry_label(choice, position)}: 'name' must be a string, got {type_name(name)}",
            n,
        )
    arguments = function.get("arguments")
    if arguments is not None and arguments.__class__ is not str:
        raise ChunkError(
            f"{_entry_label(choice, position)}: 'arguments' must be a string, "
            f"got {type_name(arguments)}",
            n,
        )
    return name or None, arguments


def _repeats_known_call(st: _Choice, entry: object) -> bool:
    """True if a tool-call entry after the finish only repeats a finished call's header."""
    if not is_map(entry):
        return False
    function = entry.get("function")
    name = function.get("name") if is_map(function) else None
    if name.__class__ is not str:
        return False
    call_id = entry.get("id")
    if not call_id:
        return name in st.names
    call = st.by_id.get(call_id) if call_id.__class__ is str else None
    return call is not None and call.name == name
