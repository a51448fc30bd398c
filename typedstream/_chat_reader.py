"""The chat-completion reader: chat chunks in, typed events out (sans-IO).

How it works. :class:`ChatReader` (public as :class:`~typedstream.Normalizer`) is fed one
chunk at a time. ``feed(chunk)`` reads the chunk and drives the protocol-neutral
:class:`~typedstream._state.StreamState`, which returns the events the chunk completes;
``close()`` says the source ended and returns the events of a complete end (or raises
:class:`~typedstream.IncompleteStreamError`). There is no I/O and no ``async`` here: the
feeder (``_reader.py``) and the sync/async drivers (``_drivers.py``) are thin layers over it.

This module holds everything that belongs to the chat wire:

* the shape checks (each field's type, a typed error naming the chunk and the field), the
  ``model_dump()`` conversion of ``openai`` and LiteLLM chunk objects, the ``[DONE]`` marker,
  error payloads and the chunk numbering;
* the merge policy (docs/merge-policy.md): role set once, ``id``/``name`` set once, empty
  fragments dropped, the rule for when a tool-call entry starts a new call, usage "last
  non-null wins", finish reason "first non-null wins" and its normalization;
* the order in which one delta's fields are read (reasoning, logprobs, content, refusal,
  provider data, tool calls, the legacy call, the finish), which is the order of its events;
* what counts as a complete end of a chat stream (``[DONE]``, every choice finished, or only
  text pending on an object iterator) and the strict/lenient split.

Ordering, completion, ids and done events are the state's. A chunk is applied atomically from
the caller's point of view: it yields all its events or, on a
:class:`~typedstream.ChunkError`, none of them. After any error the reader refuses further
input (a :class:`~typedstream.UsageError`), so a half-applied chunk can never be observed.

The hot path is tuned: ``type(x) is DICT`` before the general mapping check, one set test
that spares most deltas the lookups of rare keys, and the next fragment of the call being
streamed goes straight to :meth:`StreamState.tool_arguments` without the new-call rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ._chat_vocab import (
    DICT,
    DONE,
    FINISH_REASONS,
    LIST,
    STOP_REASONS,
    is_done_marker,
    is_list,
    is_map,
    type_name,
)
from ._envelope import unwrap
from ._errors import ChunkError, ProviderError, TypedStreamError, UsageError, bounded_repr
from ._events import Citation, FinishReason, OpaqueKind, OpaqueState, RawChunk, StreamEvent
from ._json import model_fields
from ._options import IdFactory, ReadOptions
from ._state import Call, CallStatus, Choice, StreamState

__all__ = ["ChatReader"]

# Delta keys whose values must go back to the provider on the next turn.
_MESSAGE_DATA_KEYS: Final = ("thinking_blocks", "reasoning_details", "provider_specific_fields")
_TOOL_DATA_KEYS: Final = ("extra_content", "provider_specific_fields")
_TOOL_DATA_KEY_SET: Final = frozenset(_TOOL_DATA_KEYS)
# Opaque state our chat writer carried in envelopes (docs/event-model.md §7).
_STATE_KEY: Final = "typedstream_state"
# Every delta key read besides `content` and `tool_calls`.
_RARE_DELTA_KEYS: Final = frozenset(
    (
        "role",
        "reasoning_content",
        "reasoning",
        "refusal",
        "function_call",
        *_MESSAGE_DATA_KEYS,
        _STATE_KEY,
    )
)

_EMPTY: Final[Mapping[str, Any]] = {}
_LEGACY: Final = "function_call"  # key of a choice's legacy call in `_ChatChoice.by_index`
_STREAMING: Final = CallStatus.STREAMING
_PENDING: Final = CallStatus.PENDING

_OPEN, _DONE_SEEN, _CLOSED, _FAILED, _ERRORED = range(5)


class _ChatChoice:
    """What the chat wire needs to know of one choice (``choices[].index``) besides its
    stream state: the role, and how entries find their call."""

    __slots__ = ("by_id", "by_index", "held", "names", "role", "signed", "st")

    def __init__(self, st: Choice) -> None:
        self.st = st
        self.role: object = None
        self.names: set[str] = set()  # every call name, for repeats after the finish
        self.by_index: dict[object, Call] = {}  # provider index (or _LEGACY) -> latest call
        self.by_id: dict[str, Call] = {}
        # Thought signatures of calls that have no name yet: (call, via, signature), sent
        # once the call's ToolCallStarted is.
        self.held: list[tuple[Call, str, str]] = []
        # Anthropic state already sent: LiteLLM repeats each thinking block under
        # `provider_specific_fields`, in the same delta or (rewritten by a writer) another.
        self.signed: set[str] = set()


class ChatReader:
    """Sans-IO reader turning chat-completion chunks into :data:`StreamEvent` lists.

    Feed it decoded chunks (mappings, or objects with ``model_dump()`` such as ``openai`` and
    LiteLLM chunks) and the ``"[DONE]"`` marker; call :meth:`close` when the source ends.
    :func:`typedstream.events` and :func:`typedstream.aevents` drive one for you; use it
    directly when you own the I/O. :class:`~typedstream.Normalizer` is the same class.

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
        self._state = StreamState(
            defer_tool_call_done=defer_tool_call_done,
            done_events=done_events,
            id_factory=id_factory,
        )
        self._status = _OPEN
        self._chunks = 0
        self._choices: dict[int, _ChatChoice] = {}
        self.error: ProviderError | None = None
        """The provider error an error chunk reported; :meth:`close` raises it."""

    @classmethod
    def from_options(cls, options: ReadOptions) -> ChatReader:
        """A reader reading as ``options`` say (its decoding options are not its own)."""
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
        return self._status in (_DONE_SEEN, _CLOSED)

    def feed(self, chunk: object) -> list[StreamEvent]:
        """Take one chunk (or ``"[DONE]"``) and return the events it completes.

        A provider error payload (a top-level ``error``) ends the stream: it returns
        :class:`~typedstream.ToolCallIncomplete` (``"error"``) for the open calls, then
        :class:`~typedstream.StreamError`, and sets :attr:`error`, which :meth:`close`
        raises. Stop reading the source there.

        Raises:
            ChunkError: the chunk is malformed or breaks the stream's rules, or it came
                after an error chunk.
            UsageError: the reader raised an error earlier.
        """
        if self._status != _OPEN:
            self._refuse()
        data = chunk if type(chunk) is DICT else None  # the usual chunk, read as it is
        if data is None and type(chunk) is str and is_done_marker(chunk):
            return self._end(done_marker=True, expect_done=self.expect_done)
        number = self._chunks = self._chunks + 1
        self._state.chunk = number
        out: list[StreamEvent] = []
        try:
            if self.raw:
                out.append(RawChunk(chunk, number))
            self._chunk(_as_mapping(chunk, number) if data is None else data, number, out)
        except TypedStreamError:
            self._status = _FAILED
            raise
        except Exception as exc:  # a shape no check anticipated: still a typed error
            self._status = _FAILED
            raise ChunkError(f"could not read the chunk: {exc!r}", number) from exc
        return out

    def close(
        self, out: list[StreamEvent] | None = None, *, expect_done: bool = False
    ) -> list[StreamEvent]:
        """Say the source ended; return the events of a complete end.

        Args:
            out: Where the events of an incomplete end go before the error is raised:
                :class:`~typedstream.ToolCallIncomplete` (``end_of_input``) for each open
                call. Without it they are not seen.
            expect_done: The transport turned out to mark its end with ``[DONE]`` (as if
                the reader had been made with ``expect_done=True``).

        Raises:
            ProviderError: an error chunk ended the stream (see :attr:`error`).
            IncompleteStreamError: the stream ended before it was complete; open tool calls
                are never reported done (they are cut off in ``out``).
            ChunkError: a tool call never received its name.
            UsageError: the reader raised an error earlier.
        """
        if self._status in (_DONE_SEEN, _CLOSED):
            self._status = _CLOSED
            return []
        if self.error is not None:
            raise self.error
        if self._status != _OPEN:
            self._refuse()
        return self._end(done_marker=False, expect_done=self.expect_done or expect_done, out=out)

    def reject(self, problem: str) -> ChunkError:
        """Count a chunk that could not even be decoded and fail; return the error to raise.

        For readers that decode chunks themselves: ``raise normalizer.reject("bad JSON")``.
        """
        if self._status != _OPEN:
            self._refuse()
        self._chunks += 1
        self._status = _FAILED
        return ChunkError(problem, self._chunks)

    # -- chunk level -----------------------------------------------------------------------

    def _refuse(self) -> None:
        if self._status == _FAILED:
            raise UsageError("the normalizer raised an error earlier; it takes no more input")
        if self._status == _ERRORED:
            raise ChunkError("chunk after the error chunk that ended the stream", self._chunks + 1)
        raise ChunkError("chunk after the end of the stream ([DONE])", self._chunks + 1)

    def _chunk(self, data: Mapping[str, Any], n: int, out: list[StreamEvent]) -> None:
        error = data.get("error")
        if error:
            self._error(error, n, out)
            return
        usage = data.get("usage")
        moderation = data.get("moderation")
        if usage is not None or moderation is not None:
            self._usage_and_moderation(usage, moderation, n)
        choices = data.get("choices")
        if choices is None:
            self._without_choices(data, usage is not None or moderation is not None, n, out)
            return
        if choices.__class__ is not list:
            raise ChunkError(f"'choices' must be a list, got {type_name(choices)}", n)
        if not self._state.started:
            if not choices and usage is None and "prompt_filter_results" in data:
                return  # Azure's content-filter preamble (F1): not the stream's envelope
            self._start(data, n, out)
        for entry in choices:
            self._choice(entry, n, out)

    def _error(self, error: object, n: int, out: list[StreamEvent]) -> None:
        # The error ends the stream like an Anthropic or Responses `error` event: the calls
        # it cut off and the error itself are facts a writer must write (event-model §12).
        if is_map(error):
            self._state.openai_error(error, out)
        else:
            message = error if isinstance(error, str) else bounded_repr(error)
            self._state.openai_error({"message": message}, out)
        self.error = ProviderError(error, n)
        self._status = _ERRORED

    def _usage_and_moderation(self, usage: object, moderation: object, n: int) -> None:
        if usage is not None:
            if not is_map(usage):
                raise ChunkError(f"'usage' must be an object, got {type_name(usage)}", n)
            if usage:  # LiteLLM once sent `usage: {}` on every chunk (E5)
                self._state.usage(usage)
        if moderation is not None:
            if not is_map(moderation):
                raise ChunkError(f"'moderation' must be an object, got {type_name(moderation)}", n)
            self._state.moderation(moderation)

    def _without_choices(
        self, data: Mapping[str, Any], usage_or_moderation: bool, n: int, out: list[StreamEvent]
    ) -> None:
        if (
            "choices" not in data
            and not usage_or_moderation
            and "prompt_filter_results" not in data
        ):
            raise ChunkError(
                "not a chat-completion chunk: no 'choices', 'usage' or 'error' "
                f"(keys: {', '.join(sorted(map(str, data))) or 'none'})",
                n,
            )
        # `choices: null` is skipped (LiteLLM #5165); a usage chunk may open the stream.
        if data.get("usage") is not None and not self._state.started:
            self._start(data, n, out)

    def _start(self, data: Mapping[str, Any], n: int, out: list[StreamEvent]) -> None:
        created = data.get("created")
        if created is not None:
            if created.__class__ is float and created.is_integer():
                created = int(created)
            elif created.__class__ is not int:
                raise ChunkError(f"'created' must be an integer, got {type_name(created)}", n)
        self._state.start(
            _opt_str(data, "id", n) or None,
            _opt_str(data, "model", n) or None,
            created,
            _opt_str(data, "system_fingerprint", n) or None,
            _opt_str(data, "service_tier", n) or None,
            out,
        )

    # -- choice level ----------------------------------------------------------------------

    def _choice(self, entry: object, n: int, out: list[StreamEvent]) -> None:
        if type(entry) is not DICT and not is_map(entry):
            raise ChunkError(f"each of 'choices' must be an object, got {type_name(entry)}", n)
        index: Any = entry.get("index")
        ch = self._choices.get(index) if index.__class__ is int else None
        if ch is None:  # a new choice, or an index to check (only valid ones are kept)
            ch = self._choice_of(index, n)
        delta = entry.get("delta")
        if delta is None:
            delta = _EMPTY
        elif type(delta) is not DICT and not is_map(delta):
            raise ChunkError(
                f"choice {ch.st.index}: 'delta' must be an object, got {type_name(delta)}", n
            )
        if ch.st.finished:
            self._after_finish(ch, delta, entry, n, out)
            return
        # Most deltas hold only `content` or `tool_calls`: one set check spares them the
        # lookups of every key they rarely carry.
        rare = not _RARE_DELTA_KEYS.isdisjoint(delta)
        if rare:
            self._role_and_reasoning(ch, delta, n, out)
        logprobs = entry.get("logprobs")
        if logprobs is not None:
            self._logprobs(ch.st, logprobs, n, out)
        content = delta.get("content")
        if content is not None:
            if content.__class__ is str:  # the usual delta: a text fragment
                if content:
                    self._state.text(ch.st, content, out)
            else:
                self._content(ch.st, content, n, out)
        if rare:
            self._refusal_and_data(ch, delta, n, out)
        tool_calls = delta.get("tool_calls")
        if tool_calls is not None:
            self._tool_calls(ch, tool_calls, n, out)
        if rare:
            self._legacy_entry(ch, delta.get("function_call"), n, out)
        finish = entry.get("finish_reason")
        if finish is not None:
            self._finish(ch.st, finish, n, out)

    def _choice_of(self, index: Any, n: int) -> _ChatChoice:
        """The choice ``choices[].index`` names (missing: 0), begun on first use."""
        if index is None:
            index = 0
        elif index.__class__ is not int or index < 0:
            raise ChunkError(
                f"'choices[].index' must be a non-negative integer, got {bounded_repr(index)}", n
            )
        ch = self._choices.get(index)
        if ch is None:
            ch = self._choices[index] = _ChatChoice(self._state.choice(index))
        return ch

    def _role_and_reasoning(
        self, ch: _ChatChoice, delta: Mapping[str, Any], n: int, out: list[StreamEvent]
    ) -> None:
        role = delta.get("role")
        if role is not None:
            if ch.role is None:
                ch.role = role
            elif role != ch.role and self.strict:
                was, now = bounded_repr(ch.role), bounded_repr(role)
                raise ChunkError(
                    f"choice {ch.st.index}: role changed from {was} to {now} (strict mode)", n
                )
        reasoning = delta.get("reasoning_content")
        if reasoning is not None:
            self._reasoning(ch.st, reasoning, "reasoning_content", n, out)
        other = delta.get("reasoning")
        if other is not None and other != reasoning:  # vLLM may send both, equal
            self._reasoning(ch.st, other, "reasoning", n, out)

    def _content(self, st: Choice, content: Any, n: int, out: list[StreamEvent]) -> None:
        if is_list(content):
            self._content_parts(st, content, n, out)
        else:
            raise ChunkError(
                f"choice {st.index}: 'content' must be a string or a list of parts, "
                f"got {type_name(content)}",
                n,
            )

    def _refusal_and_data(
        self, ch: _ChatChoice, delta: Mapping[str, Any], n: int, out: list[StreamEvent]
    ) -> None:
        st = ch.st
        refusal = delta.get("refusal")
        if refusal is not None:
            if refusal.__class__ is not str:
                raise ChunkError(
                    f"choice {st.index}: 'refusal' must be a string, got {type_name(refusal)}", n
                )
            if refusal:
                self._state.refusal(st, refusal, out)
        self._message_data(ch, delta, n, out)

    def _message_data(
        self, ch: _ChatChoice, delta: Mapping[str, Any], n: int, out: list[StreamEvent]
    ) -> None:
        """Message-level provider data, each followed by the typed facts it carries
        (docs/event-model.md §4.1), and the opaque state our writer enveloped."""
        st = ch.st
        for key in _MESSAGE_DATA_KEYS:
            value = delta.get(key)
            if value:
                self._state.provider_data(st, key, value, None, out)
                if key == "thinking_blocks":
                    _thinking_states(ch, key, value, n, out)
                elif key == "provider_specific_fields" and is_map(value):
                    blocks = value.get("thinking_blocks")
                    if blocks:
                        _thinking_states(ch, key, blocks, n, out)
                    citation = value.get("citation")
                    if citation is not None:
                        out.append(_citation(st.index, citation, n))
        states = delta.get(_STATE_KEY)
        if states is not None:
            _envelopes(st.index, states, n, out)

    def _reasoning(
        self, st: Choice, value: object, key: str, n: int, out: list[StreamEvent]
    ) -> None:
        if type(value) is not str:
            raise ChunkError(
                f"choice {st.index}: '{key}' must be a string, got {type_name(value)}", n
            )
        if value:
            self._state.reasoning(st, value, out)

    def _logprobs(self, st: Choice, logprobs: object, n: int, out: list[StreamEvent]) -> None:
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
            self._state.logprobs(st, content or None, refusal or None, out)

    def _content_parts(self, st: Choice, parts: list[Any], n: int, out: list[StreamEvent]) -> None:
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
                    self._state.text(st, text, out)
            elif kind == "thinking":
                self._thinking(st, part.get("thinking"), n, out)

    def _thinking(self, st: Choice, thinking: object, n: int, out: list[StreamEvent]) -> None:
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

    def _finish(self, st: Choice, raw: object, n: int, out: list[StreamEvent]) -> None:
        if raw == "":  # counts as none
            return
        if raw.__class__ is not str:
            raise ChunkError(
                f"choice {st.index}: 'finish_reason' must be a string, got {type_name(raw)}", n
            )
        assert isinstance(raw, str)
        reason: FinishReason | None = FINISH_REASONS.get(raw.lower())
        if reason is None and self.strict:
            raise ChunkError(f"choice {st.index}: unknown finish_reason {raw!r} (strict mode)", n)
        self._state.finish(st, reason, raw, out, STOP_REASONS.get(raw.lower(), "other"))

    def _after_finish(
        self,
        ch: _ChatChoice,
        delta: Mapping[str, Any],
        entry: Mapping[str, Any],
        n: int,
        out: list[StreamEvent],
    ) -> None:
        # A second finish chunk (D6), LiteLLM's phantom choice on its usage chunk and
        # `content: ""` chunks carry nothing; real data after the finish cannot be placed.
        st = ch.st
        for key in ("content", "refusal", "reasoning_content", "reasoning"):
            if delta.get(key):
                raise ChunkError(f"choice {st.index}: '{key}' arrived after the choice finished", n)
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            for call in tool_calls if is_list(tool_calls) else (tool_calls,):
                if _places_data(ch, call):
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
        self._message_data(ch, delta, n, out)

    # -- tool calls ------------------------------------------------------------------------

    def _tool_calls(
        self, ch: _ChatChoice, tool_calls: object, n: int, out: list[StreamEvent]
    ) -> None:
        if type(tool_calls) is not LIST and not is_list(tool_calls):
            raise ChunkError(
                f"choice {ch.st.index}: 'tool_calls' must be a list, got {type_name(tool_calls)}",
                n,
            )
        if len(tool_calls) == 1:  # the usual delta: spare it the enumerate()
            self._tool_entry(ch, tool_calls[0], 0, n, out)
        else:
            for position, call_entry in enumerate(tool_calls):
                self._tool_entry(ch, call_entry, position, n, out)

    def _tool_entry(
        self, ch: _ChatChoice, entry: object, position: int, n: int, out: list[StreamEvent]
    ) -> None:
        st = ch.st
        if type(entry) is not DICT and not is_map(entry):
            where = _entry_label(st.index, position)
            raise ChunkError(f"{where} must be an object, got {type_name(entry)}", n)
        provider_index, call_id = _entry_keys(entry, st.index, position, n)
        name, arguments = _function_fields(entry.get("function"), st.index, position, n)
        call = ch.by_index.get(provider_index) if name is None and call_id is None else None
        if call is not None and call.status is _STREAMING:
            # The usual entry: the next fragment of the call being streamed (what _resolve
            # and _apply would find and do, without the detour).
            if arguments:
                self._state.tool_arguments(st, call, arguments, out)
        else:
            call = self._resolve(ch, provider_index, call_id, name, False, n, out)
            self._apply(ch, call, call_id, name, arguments, position, n, out)
            if ch.held:
                self._release(ch, out)
        if not _TOOL_DATA_KEY_SET.isdisjoint(entry):
            for key in _TOOL_DATA_KEYS:
                value = entry.get(key)
                if value:
                    self._state.provider_data(st, key, value, call.index, out)
                    signature = _thought_signature(key, value, st.index, n)
                    if signature is None:
                        continue
                    if call.status is _PENDING:  # no ToolCallStarted yet: the state waits
                        ch.held.append((call, key, signature))
                    else:
                        out.append(_gemini_state(ch.st.index, call, key, signature))

    def _release(self, ch: _ChatChoice, out: list[StreamEvent]) -> None:
        """Send the held thought signatures of calls that have started now."""
        waiting: list[tuple[Call, str, str]] = []
        for call, via, signature in ch.held:
            if call.status is _PENDING:
                waiting.append((call, via, signature))
            else:
                out.append(_gemini_state(ch.st.index, call, via, signature))
        ch.held = waiting

    def _legacy_entry(self, ch: _ChatChoice, entry: object, n: int, out: list[StreamEvent]) -> None:
        if entry is None:  # the delta has no legacy call
            return
        name, arguments = _function_fields(entry, ch.st.index, None, n)
        call = self._resolve(ch, _LEGACY, None, name, True, n, out)
        self._apply(ch, call, None, name, arguments, None, n, out)

    def _resolve(
        self,
        ch: _ChatChoice,
        provider_index: object,
        call_id: str | None,
        name: str | None,
        legacy: bool,
        n: int,
        out: list[StreamEvent],
    ) -> Call:
        """Find the call an entry belongs to, or open a new one (the "new call" rule)."""
        if provider_index is not None:
            call = ch.by_index.get(provider_index)
        else:  # missing or null index (B1, B2): by id, else the open call
            call = ch.by_id.get(call_id) if call_id is not None else None
            if call is None and ch.st.open_calls:
                call = ch.st.open_calls[-1]
        if call is not None and self._same_call(ch, call, call_id, name, n):
            return call
        call = self._state.tool_open(ch.st, legacy, out)
        if legacy:
            ch.by_index[_LEGACY] = call
        elif provider_index is not None:
            ch.by_index[provider_index] = call
        return call

    def _same_call(
        self, ch: _ChatChoice, call: Call, call_id: str | None, name: str | None, n: int
    ) -> bool:
        """Whether an entry continues ``call`` rather than starting a new call."""
        if name is None or call.name is None or name == call.name:
            if call_id is None or call.id is None or call_id == call.id:
                return True
            if name is None:  # an id change without a name stays the same call (B6)
                if self.strict:
                    raise ChunkError(
                        f"choice {ch.st.index}: tool call {call.index} changed its id from "
                        f"{call.id!r} to {call_id!r} (strict mode)",
                        n,
                    )
                return True
            return False  # a header with a new id: a parallel call sharing the index (B4, B5)
        if call_id is not None and call_id == call.id:
            raise ChunkError(
                f"choice {ch.st.index}: tool call {call_id!r} renamed from {call.name!r} "
                f"to {name!r}",
                n,
            )
        return False  # a different name: a new call sharing the index (B5 without ids)

    def _apply(
        self,
        ch: _ChatChoice,
        call: Call,
        call_id: str | None,
        name: str | None,
        arguments: str | None,
        position: int | None,
        n: int,
        out: list[StreamEvent],
    ) -> None:
        if call.status is not _STREAMING and call.status is not _PENDING:
            if arguments:
                hint = (
                    ""
                    if self.defer_tool_call_done
                    else " (a provider that interleaves parallel calls needs "
                    "defer_tool_call_done=True)"
                )
                raise ChunkError(
                    f"{_entry_label(ch.st.index, position)}: arguments for tool call "
                    f"{call.index} ({call.out_id}), "
                    f"which was already reported done{hint}",
                    n,
                )
            return  # a repeat of a finished call's header carries nothing new
        if call_id is not None and call.id is None:
            ch.by_id[call_id] = call
        if name is not None and call.name is None:
            ch.names.add(name)
        self._state.tool_fragment(ch.st, call, call_id, name, arguments, out)

    # -- the end ---------------------------------------------------------------------------

    def _end(
        self, done_marker: bool, expect_done: bool, out: list[StreamEvent] | None = None
    ) -> list[StreamEvent]:
        if out is None:
            out = []
        state = self._state
        state.chunk = None  # no chunk is being read
        # An object iterator (no [DONE] expected) may end with only text pending (D3).
        complete = done_marker or self.assume_complete or state.settled(not expect_done)
        try:
            # A cut end reports each open call incomplete (event-model §12), as every
            # protocol's reader does, so a writer can close it before the error.
            state.end(complete, out, DONE, report_cut=True)
        except TypedStreamError:
            self._status = _FAILED
            raise
        self._status = _DONE_SEEN if done_marker else _CLOSED
        return out


def _as_mapping(chunk: object, n: int) -> Mapping[str, Any]:
    if type(chunk) is DICT or is_map(chunk):
        return chunk
    dump = getattr(chunk, "model_dump", None)
    if dump is not None:  # `openai` and LiteLLM chunks (pydantic models), read without import
        try:
            data = dump(exclude_unset=True, warnings=False)
        except TypeError:  # a serializer pydantic never built (see model_fields)
            data = model_fields(chunk, f"chunk {n}")
        if is_map(data):
            return data
    if isinstance(chunk, (str, bytes)):
        raise ChunkError(f"expected a chunk object, got text: {chunk[:60]!r}", n)
    raise ChunkError(f"expected a chunk (a mapping or a model), got {type_name(chunk)}", n)


def _thinking_states(
    ch: _ChatChoice, via: str, blocks: object, n: int, out: list[StreamEvent]
) -> None:
    """An ``OpaqueState`` per LiteLLM thinking block with a signature, or redacted data, the
    first time the choice sees it."""
    choice = ch.st.index
    if not is_list(blocks):
        raise ChunkError(
            f"choice {choice}: '{via}' thinking_blocks must be a list, got {type_name(blocks)}", n
        )
    for block in blocks:
        if not is_map(block):
            raise ChunkError(
                f"choice {choice}: a thinking block must be an object, got {type_name(block)}", n
            )
        kind = block.get("type")
        field: str
        opaque: OpaqueKind
        if kind == "thinking":
            field, opaque = "signature", "thinking_signature"
        elif kind == "redacted_thinking":
            field, opaque = "data", "redacted_thinking"
        else:
            continue
        value = block.get(field)
        if value is None or value == "":  # text fragments carry no signature
            continue
        if value.__class__ is not str:
            raise ChunkError(
                f"choice {choice}: a {kind} block's '{field}' must be a string, "
                f"got {type_name(value)}",
                n,
            )
        if value not in ch.signed:
            ch.signed.add(value)
            out.append(OpaqueState("anthropic", opaque, value, None, None, via, choice))


def _citation(choice: int, citation: object, n: int) -> Citation:
    """The ``Citation`` of LiteLLM's ``provider_specific_fields.citation`` (Anthropic's
    citation object, as its ``citations_delta`` carried it)."""
    if not is_map(citation):
        raise ChunkError(
            f"choice {choice}: 'provider_specific_fields.citation' must be an object, "
            f"got {type_name(citation)}",
            n,
        )
    kind = citation.get("type")
    if not isinstance(kind, str):
        raise ChunkError(
            f"choice {choice}: a citation's 'type' must be a string, got {type_name(kind)}", n
        )
    url, title, cited_text = (
        _citation_text(citation, key, choice, n) for key in ("url", "title", "cited_text")
    )
    data = dict(citation)
    return Citation(
        kind,
        url,
        title,
        cited_text,
        None,
        None,
        data,
        "anthropic",
        "provider_specific_fields",
        choice,
    )


def _citation_text(citation: Mapping[str, Any], key: str, choice: int, n: int) -> str | None:
    value = citation.get(key)
    if value is None or value.__class__ is str:
        return value
    raise ChunkError(
        f"choice {choice}: a citation's '{key}' must be a string, got {type_name(value)}", n
    )


def _envelopes(choice: int, states: object, n: int, out: list[StreamEvent]) -> None:
    """The ``OpaqueState`` of each envelope in ``delta.typedstream_state``."""
    if not is_list(states):
        raise ChunkError(
            f"choice {choice}: '{_STATE_KEY}' must be a list, got {type_name(states)}", n
        )
    for value in states:
        state = unwrap(value, choice=choice, chunk=n) if value.__class__ is str else None
        if state is None:
            raise ChunkError(
                f"choice {choice}: a '{_STATE_KEY}' entry is not a typedstream envelope: "
                f"{bounded_repr(value)}",
                n,
            )
        out.append(state)


def _thought_signature(key: str, value: object, choice: int, n: int) -> str | None:
    """A Gemini thought signature on a tool-call entry: ``extra_content.google`` (Gemini's
    OpenAI-compatible API) or ``provider_specific_fields`` (LiteLLM); else ``None``."""
    if key == "extra_content":
        value = value.get("google") if is_map(value) else None
    if not is_map(value):
        return None
    signature = value.get("thought_signature")
    if signature is None or signature == "":
        return None
    if signature.__class__ is not str:
        raise ChunkError(
            f"choice {choice}: a tool call's thought_signature must be a string, "
            f"got {type_name(signature)}",
            n,
        )
    return signature


def _gemini_state(choice: int, call: Call, via: str, signature: str) -> OpaqueState:
    return OpaqueState("gemini", "thought_signature", signature, None, call.out_id, via, choice)


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


def _entry_keys(
    entry: Mapping[str, Any], choice: int, position: int, n: int
) -> tuple[int | None, str | None]:
    """A tool-call entry's ``index`` and ``id`` (``""`` read as none), type-checked."""
    provider_index = entry.get("index")
    if provider_index is not None and provider_index.__class__ is not int:
        raise ChunkError(
            f"{_entry_label(choice, position)}: 'index' must be an integer, "
            f"got {type_name(provider_index)}",
            n,
        )
    call_id = entry.get("id")
    if call_id is not None and call_id.__class__ is not str:
        raise ChunkError(
            f"{_entry_label(choice, position)}: 'id' must be a string, got {type_name(call_id)}",
            n,
        )
    kind = entry.get("type")
    if kind is not None and kind.__class__ is not str:
        raise ChunkError(
            f"{_entry_label(choice, position)}: 'type' must be a string, got {type_name(kind)}",
            n,
        )
    return provider_index, call_id or None


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


def _places_data(ch: _ChatChoice, entry: object) -> bool:
    """True if a tool-call entry after the finish carries something that has no place: any
    arguments, or a name that does not only repeat a finished call's header."""
    function = entry.get("function") if is_map(entry) else entry
    if function is None:
        return False
    return (
        not is_map(function)
        or bool(function.get("arguments"))
        or (bool(function.get("name")) and not _repeats_known_call(ch, entry))
    )


def _repeats_known_call(ch: _ChatChoice, entry: object) -> bool:
    """True if a tool-call entry after the finish only repeats a finished call's header."""
    if not is_map(entry):
        return False
    function = entry.get("function")
    name = function.get("name") if is_map(function) else None
    if name.__class__ is not str:
        return False
    call_id = entry.get("id")
    if not call_id:
        return name in ch.names
    call = ch.by_id.get(call_id) if call_id.__class__ is str else None
    return call is not None and call.name == name
