"""Exact OpenAI chunks from typed events: ``to_openai_chunks()``, ``to_sse()`` and async twins.

How it works. :class:`ChatWriter` is a sans-IO state machine: ``write(event)`` takes one
:data:`~typedstream.StreamEvent` and returns the wire chunks (plain JSON-ready dicts, in the
key order OpenAI sends) that the event completes; ``close()`` returns what is still held at
the end. There is no lookahead: a chunk is written as soon as its event arrives. The one
thing held back is a :class:`~typedstream.Logprobs` event, which the normalizer sends just
before the fragment it belongs to; it rides on that fragment's chunk, or on a chunk of its own
when something else comes next. The four public functions are thin loops over one writer:
:func:`to_openai_chunks` turns each wire dict into an ``openai`` ``ChatCompletionChunk``,
:func:`to_sse` dumps the same dicts as compact JSON frames; neither re-serializes the other.

The output follows the contract (normalization.md §5, openai-stream-semantics.md §12): one
envelope on every chunk, one choice per chunk, a ``role`` chunk per choice shaped by what comes
first, one tool-call entry per chunk with dense indexes and calls in sequence, an empty-delta
finish chunk per choice, a final ``choices: []`` usage chunk, and no non-OpenAI keys unless
asked for. Fragments of a call that arrive while an earlier call of the same choice is still
streaming (``events(..., defer_tool_call_done=True)`` on a provider that interleaves calls)
are held until that call is done, so calls always come out in sequence.

Chunk objects come from ``ChatCompletionChunk.model_validate(wire, strict=True)``: pydantic-core
builds the nested models about fifteen times faster than ``construct()``, strict mode coerces
nothing, and exactly the keys present become the set fields, so
``model_dump(mode="json", exclude_unset=True)`` gives the wire dict back. Data outside
``openai``'s types (a provider's odd logprobs or service tier) fails validation and falls
back to ``openai``'s own lenient ``construct()``, the way the ``openai`` client itself builds
chunks. ``openai`` is imported on first use, never by ``import typedstream``.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from contextlib import aclosing, closing
from typing import TYPE_CHECKING, Any, Final

from ._chat_vocab import CHUNK_OBJECT, DONE_BYTES, is_map
from ._check import OPENAI_USAGE_KEYS
from ._envelope import wrap
from ._errors import (
    ChunkError,
    IncompleteStreamError,
    ProviderError,
    TypedStreamError,
    UnwritableEventError,
    UsageError,
)
from ._events import (
    ArgumentsDelta,
    BlockStarted,
    ChoiceFinished,
    Citation,
    CustomToolCallDone,
    CustomToolCallIncomplete,
    CustomToolCallStarted,
    CustomToolInputDelta,
    Extension,
    Logprobs,
    Moderation,
    OpaqueState,
    ProviderData,
    RawChunk,
    ReasoningDelta,
    RefusalDelta,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
)
from ._json import dumps
from ._reader import aclose_source, close_source

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionChunk

_CUSTOM_CALL_EVENTS = (
    CustomToolCallStarted,
    CustomToolInputDelta,
    CustomToolCallDone,
    CustomToolCallIncomplete,
)

__all__ = [
    "ChatWriter",
    "ato_openai_chunks",
    "ato_sse",
    "error_payload",
    "openai_usage",
    "to_openai_chunks",
    "to_sse",
]

WireChunk = dict[str, Any]
"""One chunk as OpenAI sends it: a JSON-ready dict."""

_DONE_FRAME: Final = b"data: " + DONE_BYTES + b"\n\n"

# Role-chunk deltas by what the choice starts with (openai-stream-semantics.md §4.1).
_ROLE_TEXT: Final[Mapping[str, Any]] = {"role": "assistant", "content": "", "refusal": None}
_ROLE_REFUSAL: Final[Mapping[str, Any]] = {"role": "assistant", "content": None, "refusal": ""}
# Reasoning or provider data first (extensions kept): neither text nor a call is known yet.
_ROLE_UNDECIDED: Final[Mapping[str, Any]] = {"role": "assistant", "content": None, "refusal": None}


class _Call:
    """One tool call of one choice, as written."""

    __slots__ = ("done", "id", "index", "legacy", "pending")

    def __init__(self, index: int, legacy: bool, id: str) -> None:
        self.index = index  # dense output index
        self.legacy = legacy
        self.id = id
        self.done = False
        # Deltas held while an earlier call of the choice is still streaming; None once the
        # call has its turn and its deltas are written as they come.
        self.pending: list[dict[str, Any]] | None = None


class _Choice:
    """Writer state of one choice."""

    __slots__ = (
        "calls",
        "current",
        "finished",
        "index",
        "logprobs",
        "queue",
        "started",
        "thinking",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.started = False  # the role chunk was written
        self.finished = False
        self.calls: dict[int, _Call] = {}  # event index -> call
        self.current: _Call | None = None  # the call whose deltas are being written
        self.queue: deque[_Call] = deque()  # calls waiting for their turn, in order
        self.logprobs: dict[str, Any] | None = None  # held for the next fragment
        # With keep_extensions: the reasoning written since the last text, call, block or
        # thinking state; an Anthropic signature signs it (LiteLLM's thinking_blocks entry).
        self.thinking: list[str] | None = None


class ChatWriter:
    """Sans-IO writer: typed events in, OpenAI wire chunks (dicts) out.

    Feed it the events of one stream in order with :meth:`write` and call :meth:`close` at
    the end; each call returns the chunks it completes. :func:`to_openai_chunks` and
    :func:`to_sse` drive one for you.

    Args:
        keep_extensions: Also write what OpenAI does not send: reasoning as
            ``delta.reasoning_content``, :class:`~typedstream.ProviderData` under its key (on
            the delta, or on the tool-call entry of its call), usage fields such as ``cost``,
            and the opaque state and citations of other protocols in the shapes LiteLLM
            reads back (:class:`~typedstream.OpaqueState`: a ``thinking_blocks`` entry, a
            call's ``extra_content.google.thought_signature`` or a ``typedstream_state``
            envelope; :class:`~typedstream.Citation`: ``provider_specific_fields.citation``).
            Off by default, so the output is exactly OpenAI's vocabulary.
        include_usage: Write the final ``choices: []`` usage chunk when usage is known.
        id: Response id for every chunk, instead of the source's (or the generated one).
        model: Model name for every chunk, instead of the source's.
        created: ``created`` timestamp for every chunk, instead of the source's.

    A response without an id gets ``chatcmpl-`` + a hash of its
    :class:`~typedstream.StreamStarted` and the event after it, so writing the same events
    twice gives the same chunks. A missing ``model`` is written as ``""`` and a missing
    ``created`` as ``0``.

    Raises:
        UsageError: from :meth:`write`, for events that break the event contract (a fragment
            for a call that never started or is already done, content after a choice's
            finish, a second :class:`~typedstream.StreamStarted`).
    """

    __slots__ = (
        "_basis",
        "_choices",
        "_envelope",
        "_include_usage",
        "_keep_extensions",
        "_override_created",
        "_override_id",
        "_override_model",
        "_started",
    )

    def __init__(
        self,
        *,
        keep_extensions: bool = False,
        include_usage: bool = True,
        id: str | None = None,
        model: str | None = None,
        created: int | None = None,
    ) -> None:
        self._keep_extensions = keep_extensions
        self._include_usage = include_usage
        self._override_id = id
        self._override_model = model
        self._override_created = created
        self._started = False
        self._basis: StreamStarted | None = None  # waiting for the event that seeds the id
        self._envelope: dict[str, Any] = {}
        self._choices: dict[int, _Choice] = {}

    # -- public interface ------------------------------------------------------------------

    def write(self, event: StreamEvent) -> list[WireChunk]:
        """Take the next event; return the wire chunks it completes (often one, maybe none)."""
        if isinstance(event, (RawChunk, Extension)):
            # No chat field (docs/event-model.md §5.2); an Anthropic or Responses reader sends
            # the message's extra keys before StreamStarted, so they must not start the stream.
            return []
        if isinstance(event, StreamStarted):
            if self._started:
                raise UsageError("a second StreamStarted: one writer serializes one stream")
            self._start(event)
            return []
        if not self._started:  # events made by hand may omit StreamStarted
            self._start(StreamStarted(None, None, None))
        if self._basis is not None:
            self._set_envelope(self._basis, _generated_id(self._basis, event))
            self._basis = None
        out: list[WireChunk] = []
        if isinstance(event, TextDelta):
            self._fragment(self._choice(event.choice, event), "content", event.text, out)
        elif isinstance(event, ArgumentsDelta):
            self._arguments(event, out)
        elif isinstance(event, ToolCallStarted):
            self._call_started(event, out)
        elif isinstance(event, (ToolCallDone, ToolCallIncomplete)):
            # A cut call was written as far as it came; the finish chunk's reason
            # (`length`...) tells the client it is incomplete, as the provider did.
            self._call_done(event, out)
        elif isinstance(event, RefusalDelta):
            self._fragment(self._choice(event.choice, event), "refusal", event.text, out)
        elif isinstance(event, Logprobs):
            st = self._choice(event.choice, event)
            self._flush_logprobs(st, out)
            st.logprobs = {"content": event.content, "refusal": event.refusal}
        elif isinstance(event, ChoiceFinished):
            self._finish(event, out)
        else:
            self._write_rare(event, out)
        return out

    def _write_rare(self, event: StreamEvent, out: list[WireChunk]) -> None:
        if isinstance(event, (ReasoningDelta, ProviderData, OpaqueState, Citation)):
            if self._keep_extensions:
                self._write_extension(event, out)
        elif isinstance(event, BlockStarted):
            block_choice = self._choices.get(event.choice)
            if block_choice is not None:
                block_choice.thinking = None
        elif isinstance(event, Usage):
            self._flush_all(out)
            if self._include_usage:
                out.append({**self._envelope, "choices": [], "usage": self._usage(event)})
        elif isinstance(event, Moderation):
            self._flush_all(out)
            out.append({**self._envelope, "choices": [], "moderation": event.moderation})
        elif isinstance(
            event,
            (
                CustomToolCallStarted,
                CustomToolInputDelta,
                CustomToolCallDone,
                CustomToolCallIncomplete,
            ),
        ):
            raise UnwritableEventError(
                f"a custom (free-text) tool call cannot be written as a chat chunk: {event!r}",
                event,
            )
        # TextDone, ReasoningDone, RefusalDone: the fragments already carried the text; the
        # structure, server tools, Responses citations and extensions have no chat field
        # (docs/event-model.md §5.2).

    def _write_extension(
        self, event: ReasoningDelta | ProviderData | OpaqueState | Citation, out: list[WireChunk]
    ) -> None:
        if isinstance(event, ReasoningDelta):
            if event.text:
                st = self._extension(event.choice, {"reasoning_content": event.text}, event, out)
                if st.thinking is None:
                    st.thinking = [event.text]
                else:
                    st.thinking.append(event.text)
        elif isinstance(event, ProviderData):
            self._provider_data(event, out)
        elif event.via is not None:
            pass  # read from chat: its ProviderData carrier was written already
        elif isinstance(event, OpaqueState):
            self._opaque_state(event, out)
        elif event.protocol == "anthropic":  # LiteLLM's carrier of Anthropic citations
            citation = {"provider_specific_fields": {"citation": event.data}}
            self._extension(event.choice, citation, event, out)

    def _usage(self, event: Usage) -> dict[str, Any]:
        if event.protocol != "chat":  # another protocol's keys: the chat fields, from its figures
            return chat_usage(event)
        return dict(event.usage) if self._keep_extensions else openai_usage(event.usage)

    def _opaque_state(self, event: OpaqueState, out: list[WireChunk]) -> None:
        """Write a state in the chat carrier its origin's LiteLLM handler uses, else in an
        envelope (docs/event-model.md §5.2, §7)."""
        choice = event.choice
        if event.origin == "anthropic" and event.type != "compaction":
            block: dict[str, Any]
            if event.type == "thinking_signature":
                # LiteLLM rebuilds the signed block from thinking text and signature together.
                st = self._choices.get(choice)
                text = "".join(st.thinking) if st is not None and st.thinking else ""
                block = {"type": "thinking", "thinking": text, "signature": event.data}
            else:
                block = {"type": "redacted_thinking", "data": event.data}
            self._extension(choice, {"thinking_blocks": [block]}, event, out).thinking = None
            return
        st = self._choices.get(choice)
        if st is not None and event.origin == "gemini" and event.tool_id is not None:
            # On its call's entry, as Gemini's OpenAI-compatible API sends it (G6).
            for call in st.calls.values():
                if call.id == event.tool_id and not call.legacy:
                    google = {"google": {"thought_signature": event.data}}
                    entry = {"index": call.index, "extra_content": google}
                    self._call_delta(st, call, {"tool_calls": [entry]}, out)
                    return
        self._extension(choice, {"typedstream_state": [wrap(event)]}, event, out)

    def close(self) -> list[WireChunk]:
        """The events ended: return what is still held (logprobs with no fragment after them)."""
        out: list[WireChunk] = []
        self._flush_all(out)
        return out

    # -- envelope --------------------------------------------------------------------------

    def _start(self, event: StreamStarted) -> None:
        self._started = True
        if self._override_id is None and not event.id:
            self._basis = event  # the id is made when the next event arrives
        else:
            self._set_envelope(event, self._override_id or event.id or "")

    def _set_envelope(self, event: StreamStarted, response_id: str) -> None:
        created = self._override_created
        if created is None:
            created = event.created if event.created is not None else 0
        model = self._override_model
        if model is None:
            model = event.model or ""
        envelope: dict[str, Any] = {
            "id": response_id,
            "object": CHUNK_OBJECT,
            "created": created,
            "model": model,
        }
        if event.service_tier is not None:
            envelope["service_tier"] = event.service_tier
        if event.system_fingerprint is not None:
            envelope["system_fingerprint"] = event.system_fingerprint
        self._envelope = envelope

    def _chunk(
        self,
        choice: int,
        delta: dict[str, Any],
        logprobs: dict[str, Any] | None = None,
        finish_reason: str | None = None,
    ) -> WireChunk:
        chunk = self._envelope.copy()
        chunk["choices"] = [
            {"index": choice, "delta": delta, "logprobs": logprobs, "finish_reason": finish_reason}
        ]
        return chunk

    # -- choices ---------------------------------------------------------------------------

    def _choice(self, index: int, event: StreamEvent) -> _Choice:
        st = self._choices.get(index)
        if st is None:
            st = self._choices[index] = _Choice(index)
        elif st.finished:
            raise UsageError(f"{type(event).__name__} for choice {index} after its finish")
        return st

    def _open(self, st: _Choice, role_delta: Mapping[str, Any], out: list[WireChunk]) -> None:
        st.started = True
        out.append(self._chunk(st.index, dict(role_delta)))

    def _fragment(self, st: _Choice, key: str, text: str, out: list[WireChunk]) -> None:
        if not text:
            return  # an empty fragment carries nothing (OpenAI never sends one)
        st.thinking = None  # reasoning before this text is no longer the run a state signs
        if not st.started:
            self._open(st, _ROLE_TEXT if key == "content" else _ROLE_REFUSAL, out)
        logprobs, st.logprobs = st.logprobs, None
        out.append(self._chunk(st.index, {key: text}, logprobs))

    def _flush_logprobs(self, st: _Choice, out: list[WireChunk]) -> None:
        logprobs = st.logprobs
        if logprobs is None:
            return
        st.logprobs = None
        if not st.started:
            self._open(st, _ROLE_TEXT if logprobs["content"] else _ROLE_REFUSAL, out)
        out.append(self._chunk(st.index, {}, logprobs))

    def _flush_all(self, out: list[WireChunk]) -> None:
        for st in self._choices.values():
            self._flush_logprobs(st, out)

    def _finish(self, event: ChoiceFinished, out: list[WireChunk]) -> None:
        st = self._choice(event.choice, event)
        self._flush_logprobs(st, out)
        if not st.started:
            self._open(st, _ROLE_TEXT, out)  # an empty answer still gets its role chunk
        while st.queue:  # calls never reported done: written in sequence, as far as they came
            self._next_call(st, out)
        st.finished = True
        out.append(self._chunk(st.index, {}, None, event.reason))

    def _extension(
        self, choice: int, delta: dict[str, Any], event: StreamEvent, out: list[WireChunk]
    ) -> _Choice:
        # Provider data may follow a choice's finish (the normalizer passes it on); written
        # where it came, since extensions are outside OpenAI's shape anyway.
        st = self._choices.get(choice) or self._choice(choice, event)
        self._flush_logprobs(st, out)
        if not st.started:
            self._open(st, _ROLE_UNDECIDED, out)
        out.append(self._chunk(st.index, delta))
        return st

    def _provider_data(self, event: ProviderData, out: list[WireChunk]) -> None:
        st = self._choices.get(event.choice)
        call = st.calls.get(event.tool_index) if st and event.tool_index is not None else None
        if st is None or call is None or call.legacy:
            self._extension(event.choice, {event.key: event.value}, event, out)
        else:
            entry = {"index": call.index, event.key: event.value}
            self._call_delta(st, call, {"tool_calls": [entry]}, out)

    # -- tool calls ------------------------------------------------------------------------

    def _call_started(self, event: ToolCallStarted, out: list[WireChunk]) -> None:
        st = self._choice(event.choice, event)
        if event.index in st.calls:
            raise UsageError(f"tool call {event.index} of choice {st.index} started twice")
        self._flush_logprobs(st, out)
        call = _Call(len(st.calls), event.legacy, event.id)
        st.calls[event.index] = call
        st.thinking = None
        if call.legacy:
            delta: dict[str, Any] = {"function_call": {"name": event.name, "arguments": ""}}
        else:
            entry = {
                "index": call.index,
                "id": event.id,
                "type": "function",
                "function": {"name": event.name, "arguments": ""},
            }
            delta = {"tool_calls": [entry]}
        if st.current is not None and not st.current.done:
            call.pending = [delta]  # an earlier call is still streaming: wait for its turn
            st.queue.append(call)
            return
        st.current = call
        if st.started:
            out.append(self._chunk(st.index, delta))
            return
        # The call opens the choice: role, content null, the header (and refusal null for
        # tool_calls) in one chunk, as OpenAI sends a tool-call answer.
        st.started = True
        role: dict[str, Any] = {"role": "assistant", "content": None, **delta}
        if not call.legacy:
            role["refusal"] = None
        out.append(self._chunk(st.index, role))

    def _arguments(self, event: ArgumentsDelta, out: list[WireChunk]) -> None:
        if not event.delta:
            return
        st = self._choice(event.choice, event)
        call = st.calls.get(event.index)
        if call is None:
            raise UsageError(
                f"ArgumentsDelta for tool call {event.index} of choice {st.index} "
                "before its ToolCallStarted"
            )
        if call.done:
            raise UsageError(
                f"ArgumentsDelta for tool call {event.index} of choice {st.index} after its "
                "ToolCallDone"
            )
        self._flush_logprobs(st, out)
        if call.legacy:
            delta: dict[str, Any] = {"function_call": {"arguments": event.delta}}
        else:
            delta = {"tool_calls": [{"index": call.index, "function": {"arguments": event.delta}}]}
        self._call_delta(st, call, delta, out)

    def _call_delta(
        self, st: _Choice, call: _Call, delta: dict[str, Any], out: list[WireChunk]
    ) -> None:
        if call.pending is not None:  # still waiting for its turn
            call.pending.append(delta)
        else:
            out.append(self._chunk(st.index, delta))

    def _call_done(self, event: ToolCallDone | ToolCallIncomplete, out: list[WireChunk]) -> None:
        st = self._choice(event.choice, event)
        call = st.calls.get(event.index)
        if call is None:
            raise UsageError(
                f"{type(event).__name__} for tool call {event.index} of choice {st.index} "
                "before its ToolCallStarted"
            )
        call.done = True
        while st.queue and st.current is not None and st.current.done:
            self._next_call(st, out)

    def _next_call(self, st: _Choice, out: list[WireChunk]) -> None:
        call = st.queue.popleft()
        st.current = call
        out.extend(self._chunk(st.index, delta) for delta in call.pending or ())
        call.pending = None


def openai_usage(usage: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAI fields of a usage object (``cost`` and other extensions dropped).

    Fields whose value is null are dropped too: OpenAI sends numbers there.
    """
    out: dict[str, Any] = {}
    for key, value in usage.items():
        if value is None or key not in OPENAI_USAGE_KEYS:
            continue
        nested = OPENAI_USAGE_KEYS[key]
        if nested is None:
            out[key] = value
        elif is_map(value):
            details = {k: v for k, v in value.items() if k in nested and v is not None}
            if details:
                out[key] = details
    return out


def chat_usage(usage: Usage) -> dict[str, Any]:
    """The chat usage object of another protocol's :class:`~typedstream.Usage`, from its typed
    figures (docs/event-model.md §6): each field only when the figure is known."""
    out: dict[str, Any] = {
        key: value
        for key, value in (
            ("prompt_tokens", usage.input_tokens),
            ("completion_tokens", usage.output_tokens),
            ("total_tokens", usage.total_tokens),
        )
        if value is not None
    }
    prompt = {
        key: value
        for key, value in (
            ("cached_tokens", usage.cache_read_tokens),
            ("cache_write_tokens", usage.cache_write_tokens),
        )
        if value is not None
    }
    if prompt:
        out["prompt_tokens_details"] = prompt
    reasoning = usage.reasoning_tokens
    if reasoning is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return out


def _generated_id(started: StreamStarted, following: StreamEvent) -> str:
    # Seeded by the stream's metadata and the first event after it: deterministic (the same
    # events give the same id) without looking ahead of the first chunk.
    try:
        seed = f"{started!r}\n{following!r}".encode()
    except RecursionError:  # a value nested too deep to show (docs/errors.md): its kind instead
        seed = f"{started!r}\n{following.kind}".encode()
    return "chatcmpl-" + hashlib.sha256(seed).hexdigest()[:29]


# -- sinks -----------------------------------------------------------------------------------

_chunk_class: Any = None


def _chunk_model() -> Any:
    # openai is imported on first use only (never by `import typedstream`).
    global _chunk_class
    if _chunk_class is None:
        from openai.types.chat import ChatCompletionChunk

        _chunk_class = ChatCompletionChunk
    return _chunk_class


def _as_chunk_object(cls: Any, wire: WireChunk) -> ChatCompletionChunk:
    from pydantic import ValidationError

    try:
        chunk: ChatCompletionChunk = cls.model_validate(wire, strict=True)
    except ValidationError:  # data outside openai's types: built the lenient way, unchanged
        chunk = cls.construct(**wire)
    return chunk


def _frame(wire: WireChunk) -> bytes:
    return b"data: " + dumps(wire) + b"\n\n"  # always JSON: NaN, surrogates (docs/errors.md)


def error_payload(exc: BaseException) -> dict[str, Any]:
    """The ``{"message", "type", "code"}`` object of the error frame sent for ``exc``.

    A :class:`~typedstream.ProviderError` gives the provider's payload (``message``, ``type``
    and ``code`` filled in when missing); other typedstream errors give their message with
    type ``invalid_chunk``, ``incomplete_stream`` or ``typedstream_error``; any other
    exception (raised by the source itself) gives only its class name, type ``server_error``,
    so nothing internal reaches the client.
    """
    if isinstance(exc, ProviderError):
        payload = exc.payload
        body: dict[str, Any] = dict(payload) if is_map(payload) else {}
        body.setdefault("message", exc.message or str(exc))
        body.setdefault("type", "provider_error")
        body.setdefault("code", None)
        return body
    if isinstance(exc, TypedStreamError):
        if isinstance(exc, ChunkError):
            kind = "invalid_chunk"
        elif isinstance(exc, IncompleteStreamError):
            kind = "incomplete_stream"
        else:
            kind = "typedstream_error"
        return {"message": str(exc), "type": kind, "code": None}
    return {
        "message": f"the upstream stream failed ({type(exc).__name__})",
        "type": "server_error",
        "code": None,
    }


def _error_frame(exc: BaseException) -> bytes:
    try:
        return _frame({"error": error_payload(exc)})
    except TypedStreamError:  # a provider payload JSON cannot hold: send its message alone
        return _frame({"error": {"message": str(exc), "type": "provider_error", "code": None}})


def _writer(
    keep_extensions: bool,
    include_usage: bool,
    id: str | None,
    model: str | None,
    created: int | None,
    /,
) -> ChatWriter:
    # The one place the four output functions build their writer: their options are
    # ChatWriter's, in the order of their signatures.
    return ChatWriter(
        keep_extensions=keep_extensions,
        include_usage=include_usage,
        id=id,
        model=model,
        created=created,
    )


def to_openai_chunks(
    events: Iterable[StreamEvent],
    *,
    keep_extensions: bool = False,
    include_usage: bool = True,
    id: str | None = None,
    model: str | None = None,
    created: int | None = None,
) -> Iterator[ChatCompletionChunk]:
    """Re-serialize typed events as exactly the chunks OpenAI would have sent.

    ``for chunk in to_openai_chunks(events(litellm_stream)):`` gives any merge loop, the
    ``openai`` SDK's stream helpers or OpenAI Agents the deltas they expect, whatever the
    provider: role once, ``type``/``id``/``name`` only in each call's header, one call after
    another, a separate finish chunk, a final usage chunk.

    For each chunk, ``chunk.model_dump(mode="json", exclude_unset=True)`` is the wire object
    (keys OpenAI sends as null are set to ``None``, keys it omits are unset).

    Args:
        events: The events of one stream, normally ``typedstream.events(source)``.
        keep_extensions: Also keep what OpenAI does not send (``reasoning_content``, provider
            data such as ``thinking_blocks`` or ``reasoning_details``, usage fields such as
            ``cost``) for consumers that read them.
        include_usage: Yield the final ``choices: []`` usage chunk when usage is known.
        id: Response id to put on every chunk (default: the source's; a generated
            deterministic ``chatcmpl-…`` id when it had none).
        model: Model name to put on every chunk (default: the source's).
        created: ``created`` timestamp to put on every chunk (default: the source's).

    Errors raised while reading the events propagate after every chunk before them was
    yielded. Leaving the loop early closes ``events``.
    """
    cls = _chunk_model()
    writer = _writer(keep_extensions, include_usage, id, model, created)
    return _chunks(_wire(events, writer), cls)


def ato_openai_chunks(
    events: AsyncIterable[StreamEvent] | Iterable[StreamEvent],
    *,
    keep_extensions: bool = False,
    include_usage: bool = True,
    id: str | None = None,
    model: str | None = None,
    created: int | None = None,
) -> AsyncIterator[ChatCompletionChunk]:
    """The async twin of :func:`to_openai_chunks` (same options, same chunks), normally over
    ``typedstream.aevents(source)``. Leaving the loop early closes ``events``."""
    cls = _chunk_model()
    writer = _writer(keep_extensions, include_usage, id, model, created)
    return _achunks(_awire(events, writer), cls)


def to_sse(
    events: Iterable[StreamEvent],
    *,
    error_frame: bool = False,
    keep_extensions: bool = False,
    include_usage: bool = True,
    id: str | None = None,
    model: str | None = None,
    created: int | None = None,
) -> Iterator[bytes]:
    """Re-serialize typed events as the exact SSE body OpenAI would send.

    Yields one ``data: <compact JSON>\\n\\n`` frame per chunk (the chunks of
    :func:`to_openai_chunks`), then ``data: [DONE]\\n\\n``: bytes a proxy can send as they are.

    If reading the events raises, no ``[DONE]`` is sent (it would tell the client the stream
    completed) and the exception propagates. With ``error_frame=True`` an OpenAI-style
    ``data: {"error": {"message", "type", "code"}}`` frame is yielded first (see
    :func:`error_payload`), for proxies whose clients should see why the stream stopped.

    The other options are those of :func:`to_openai_chunks`.
    """
    writer = _writer(keep_extensions, include_usage, id, model, created)
    return _sse(_wire(events, writer), error_frame)


def ato_sse(
    events: AsyncIterable[StreamEvent] | Iterable[StreamEvent],
    *,
    error_frame: bool = False,
    keep_extensions: bool = False,
    include_usage: bool = True,
    id: str | None = None,
    model: str | None = None,
    created: int | None = None,
) -> AsyncIterator[bytes]:
    """The async twin of :func:`to_sse` (same options, same bytes), normally over
    ``typedstream.aevents(source)``; e.g. the body of a Starlette ``StreamingResponse``."""
    writer = _writer(keep_extensions, include_usage, id, model, created)
    return _asse(_awire(events, writer), error_frame)


# The loops. One sync and one async generator drive the writer; the sinks only convert
# what they yield, and close it (and so the events) when they are left early.


def _wire(events: Iterable[StreamEvent], writer: ChatWriter) -> Generator[WireChunk, None, None]:
    items = iter(events)
    try:
        for event in items:
            yield from writer.write(event)
        yield from writer.close()
    finally:
        close_source(items)


async def _awire(
    events: AsyncIterable[StreamEvent] | Iterable[StreamEvent], writer: ChatWriter
) -> AsyncGenerator[WireChunk, None]:
    items = aiter(events) if isinstance(events, AsyncIterable) else _from_sync(iter(events))
    try:
        async for event in items:
            for wire in writer.write(event):
                yield wire
        for wire in writer.close():
            yield wire
    finally:
        await aclose_source(items)


async def _from_sync(items: Iterator[StreamEvent]) -> AsyncGenerator[StreamEvent, None]:
    try:
        for item in items:
            yield item
    finally:
        close_source(items)


def _chunks(
    wires: Generator[WireChunk, None, None], cls: Any
) -> Generator[ChatCompletionChunk, None, None]:
    with closing(wires):
        for wire in wires:
            yield _as_chunk_object(cls, wire)


async def _achunks(
    wires: AsyncGenerator[WireChunk, None], cls: Any
) -> AsyncGenerator[ChatCompletionChunk, None]:
    async with aclosing(wires):
        async for wire in wires:
            yield _as_chunk_object(cls, wire)


def _sse(
    wires: Generator[WireChunk, None, None], error_frame: bool
) -> Generator[bytes, None, None]:
    with closing(wires):
        try:
            for wire in wires:
                yield _frame(wire)
        except Exception as exc:
            if error_frame:
                yield _error_frame(exc)
            raise
    yield _DONE_FRAME


async def _asse(
    wires: AsyncGenerator[WireChunk, None], error_frame: bool
) -> AsyncGenerator[bytes, None]:
    async with aclosing(wires):
        try:
            async for wire in wires:
                yield _frame(wire)
        except Exception as exc:
            if error_frame:
                yield _error_frame(exc)
            raise
    yield _DONE_FRAME
