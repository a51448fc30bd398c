"""Events back into the completion a non-streamed call would have returned.

How it works. :class:`Accumulator` is sans-IO: :meth:`Accumulator.add` takes one event at a
time and only updates small per-choice and per-call records; nothing is joined or built
until asked. Every string (text, reasoning, refusal, tool arguments, reasoning-detail text)
is a :class:`_Text`: a list of fragments joined on demand, and the joined string is cached
(and kept as the list's only element) until the next fragment arrives: accumulating n
fragments is O(n), and a string is joined at most once per fragment however often it is
read. :meth:`Accumulator.completion` builds an ``openai.types.chat.ChatCompletion`` from the
records on each call (a fresh object: later events never change a snapshot already handed
out); :func:`accumulate` and :func:`aaccumulate` are loops over an accumulator.

The completion is built the way the ``openai`` client builds the responses it returns
(``model_construct``, which builds nested models too, without validation), so a provider's
off-spec values (an unknown ``service_tier``, usage extras such as ``cost``) pass through
instead of failing a finished stream. Provider data is merged the way LiteLLM's
``stream_chunk_builder`` merges it (``litellm_core_utils/streaming_chunk_builder_utils.py``),
so the message goes back through LiteLLM unchanged; :meth:`Accumulator.completion` documents
every field.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast, overload

from ._anthropic_message import CallText, ChoiceText, MessageRecord, build_message
from ._errors import ToolArgumentsError, TypedStreamError, UnwritableEventError, UsageError
from ._events import (
    ArgumentsDelta,
    BlockDone,
    BlockStarted,
    ChoiceFinished,
    Citation,
    CustomToolCallDone,
    CustomToolCallIncomplete,
    CustomToolCallStarted,
    CustomToolInputDelta,
    Extension,
    FinishReason,
    Logprobs,
    Moderation,
    OpaqueState,
    PartDone,
    PartStarted,
    ProviderData,
    RawChunk,
    ReasoningDelta,
    ReasoningDone,
    RefusalDelta,
    RefusalDone,
    ServerToolCallDone,
    ServerToolCallStarted,
    ServerToolInputDelta,
    ServerToolProgress,
    ServerToolResult,
    StreamError,
    StreamEvent,
    StreamStarted,
    TextDelta,
    TextDone,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
)
from ._json import copy as bounded_copy
from ._responses_out import ResponsesWriter

if TYPE_CHECKING:
    from anthropic.types import Message as AnthropicMessage
    from openai.types.chat import ChatCompletion
    from openai.types.responses import Response

__all__ = ["Accumulator", "PartialMode", "aaccumulate", "accumulate"]

PartialMode: TypeAlias = Literal["trailing-strings", "on"]
"""How :meth:`Accumulator.partial_arguments` treats a string still being streamed:
``"trailing-strings"`` keeps it as far as it came (``{"city": "Par"}``), for UIs that show
arguments as they are typed; ``"on"`` leaves it out until its closing quote (``{}``)."""

# reasoning_details fields that arrive in fragments (OpenRouter streams `text` piecewise).
_DETAIL_TEXT_KEYS: Final = frozenset({"text", "summary", "data"})


class _Text:
    """A string kept as fragments, joined on demand and cached until the next fragment."""

    __slots__ = ("_counted", "_joined", "_parts", "_size")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._joined: str | None = ""
        self._size = 0  # the length of the first `_counted` parts
        self._counted = 0

    def __bool__(self) -> bool:
        return bool(self._parts)

    def add(self, fragment: str) -> None:
        self._parts.append(fragment)
        self._joined = None

    def set(self, text: str) -> None:
        self._parts = [text] if text else []
        self._joined = text
        self._size, self._counted = len(text), len(self._parts)

    def get(self) -> str:
        joined = self._joined
        if joined is None:
            joined = self._joined = "".join(self._parts)
            self._parts = [joined]  # the next join starts from one piece
            self._size, self._counted = len(joined), 1
        return joined

    def size(self) -> int:
        """The length so far, without joining: amortized O(1) per fragment (block offsets)."""
        parts = self._parts
        counted = self._counted
        if counted < len(parts):
            self._size += sum(len(part) for part in parts[counted:])
            self._counted = len(parts)
        return self._size


class _Call:
    """One tool call of one choice."""

    __slots__ = ("arguments", "cut", "data", "done", "id", "index", "legacy", "name", "partial")

    def __init__(self, index: int) -> None:
        self.index = index
        self.id = ""
        self.name = ""
        self.legacy = False
        self.done = False
        self.cut: ToolCallIncomplete | None = None  # the event, if the stream cut the call off
        self.arguments = _Text()
        self.data: dict[str, Any] = {}  # tool-level provider data
        self.partial: tuple[PartialMode, Any] | None = None  # cached partial parse


class _Choice:
    """Everything received for one choice."""

    __slots__ = (
        "calls",
        "data",
        "details",
        "fields",
        "finish",
        "finished",
        "index",
        "logprobs",
        "reasoning",
        "refusal",
        "text",
        "thinking",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.text = _Text()
        self.reasoning = _Text()
        self.refusal = _Text()
        self.calls: dict[int, _Call] = {}
        # [content entries, refusal entries], each None until a Logprobs event brings some.
        self.logprobs: list[list[dict[str, Any]] | None] | None = None
        self.finish: FinishReason | None = None
        self.finished: ChoiceFinished | None = None
        self.thinking: _ThinkingBlocks | None = None
        self.details: _ReasoningDetails | None = None
        self.fields: _ProviderFields | None = None
        self.data: dict[str, Any] = {}  # message-level provider data under other keys

    def call(self, index: int) -> _Call:
        call = self.calls.get(index)
        if call is None:
            call = self.calls[index] = _Call(index)
        return call


class Accumulator:
    """Rebuild the completion from typed events, incrementally (sans-IO).

    Feed it the events of one stream with :meth:`add`; at any moment ask for the current
    text, reasoning or refusal of a choice, the current arguments of a tool call, their
    partial parse, or the whole :meth:`completion` so far::

        acc = typedstream.Accumulator()
        for event in typedstream.events(stream):
            acc.add(event)
            if isinstance(event, typedstream.ArgumentsDelta):
                show(acc.partial_arguments(event.index, choice=event.choice))
        completion = acc.completion()

    Queries about a choice or call that has not appeared yet answer with what has arrived
    for it: ``""`` (or ``None`` for :meth:`partial_arguments`).

    Args:
        response: Also build the final OpenAI Responses ``response`` (:meth:`response`):
            ``True``, or a new :class:`~typedstream.ResponsesWriter` made with the options
            the response should have (``echo=``, ``model=``...), which the accumulator then
            drives. Off by default, and then it costs nothing.
    """

    __slots__ = ("_choices", "_message", "_moderation", "_started", "_usage", "_usage_event")

    def __new__(cls, *, response: bool | ResponsesWriter = False) -> Accumulator:
        # The opt-in is a subclass that also feeds a writer, so that the plain add() keeps
        # its speed (it is benchmarked) instead of testing for a writer on every event.
        if response is not False and cls is Accumulator:
            return object.__new__(_ResponseAccumulator)
        return object.__new__(cls)

    def __init__(self, *, response: bool | ResponsesWriter = False) -> None:
        if response is not False and not isinstance(self, _ResponseAccumulator):
            raise UsageError(
                f"{type(self).__name__}(response=...): only Accumulator itself builds the "
                "Responses response; feed a ResponsesWriter beside your subclass instead"
            )
        self._started: StreamStarted | None = None
        self._choices: dict[int, _Choice] = {}
        self._usage: dict[str, Any] | None = None
        self._usage_event: Usage | None = None
        self._moderation: dict[str, Any] | None = None
        self._message: MessageRecord | None = None  # created by the first event it needs

    # -- input -----------------------------------------------------------------------------

    def add(self, event: StreamEvent) -> None:
        """Take one event.

        Raises:
            TypeError: ``event`` is not a typedstream event (e.g. a raw chunk: pass the
                source through :func:`typedstream.events` first).
        """
        match event:
            case TextDelta():
                self._choice(event.choice).text.add(event.text)
            case ArgumentsDelta():
                call = self._choice(event.choice).call(event.index)
                call.arguments.add(event.delta)
                call.partial = None
            case ReasoningDelta():
                self._choice(event.choice).reasoning.add(event.text)
            case RefusalDelta():
                self._choice(event.choice).refusal.add(event.text)
            case Logprobs():
                self._logprobs(event)
            case ToolCallStarted():
                call = self._choice(event.choice).call(event.index)
                call.id, call.name, call.legacy = event.id, event.name, event.legacy
            case ToolCallDone() | ToolCallIncomplete():
                self._call_closed(event)
            case ChoiceFinished():
                st = self._choice(event.choice)
                if st.finish is None:
                    st.finish, st.finished = event.reason, event
            case _:
                self._add_rare(event)

    def _call_closed(self, event: ToolCallDone | ToolCallIncomplete) -> None:
        call = self._choice(event.choice).call(event.index)
        call.id, call.name, call.legacy = event.id, event.name, event.legacy
        if isinstance(event, ToolCallDone):
            call.done = True
        else:
            call.cut = event
        if call.arguments.get() != event.arguments:  # the event's text is the call
            call.arguments.set(event.arguments)
            call.partial = None

    def _add_rare(self, event: object) -> None:
        match event:
            case StreamStarted():
                self._started = event
            case ProviderData():
                self._provider_data(event)
            case Usage():
                self._usage = dict(event.usage)
                self._usage_event = event
            case Moderation():
                self._moderation = dict(event.moderation)
            case TextDone():
                self._choice(event.choice).text.set(event.text)
            case ReasoningDone():
                self._choice(event.choice).reasoning.set(event.text)
            case RefusalDone():
                self._choice(event.choice).refusal.set(event.text)
            case RawChunk():
                pass
            case BlockStarted() | BlockDone() | OpaqueState():
                self._offsets(event)
            case (
                Citation()
                | ServerToolCallStarted()
                | ServerToolInputDelta()
                | ServerToolCallDone()
                | ServerToolResult()
                | StreamError()
                | Extension()
            ):
                self._record().add(event)  # facts only the Anthropic message has a place for
            case (
                PartStarted()
                | PartDone()
                | CustomToolCallStarted()
                | CustomToolInputDelta()
                | CustomToolCallDone()
                | CustomToolCallIncomplete()
                | ServerToolProgress()
            ):
                pass  # facts neither the completion nor the message has a place for
            case _:
                raise TypeError(
                    f"expected a typedstream event, got {type(event).__name__}: pass the "
                    "source through typedstream.events() first"
                )

    def _record(self) -> MessageRecord:
        record = self._message
        if record is None:
            record = self._message = MessageRecord()
        return record

    def _offsets(self, event: BlockStarted | BlockDone | OpaqueState) -> None:
        """Where a block starts or ends (or where chat state came) in the choice's text."""
        st = self._choice(event.choice)
        record = self._record()
        if isinstance(event, OpaqueState):
            record.state(event, st.reasoning.size())
        elif isinstance(event, BlockStarted):
            record.started(event, st.text.size(), st.reasoning.size())
        else:
            record.done(event, st.text.size(), st.reasoning.size())

    def extend(self, events: Iterable[StreamEvent]) -> None:
        """Take several events, in order (e.g. what ``Normalizer.feed`` returned)."""
        for event in events:
            self.add(event)

    def _choice(self, index: int) -> _Choice:
        st = self._choices.get(index)
        if st is None:
            st = self._choices[index] = _Choice(index)
        return st

    def _logprobs(self, event: Logprobs) -> None:
        st = self._choice(event.choice)
        if st.logprobs is None:
            st.logprobs = [None, None]
        for slot, entries in enumerate((event.content, event.refusal)):
            if entries:
                kept = st.logprobs[slot]
                if kept is None:
                    st.logprobs[slot] = list(entries)
                else:
                    kept.extend(entries)

    def _provider_data(self, event: ProviderData) -> None:
        st = self._choice(event.choice)
        key, value = event.key, event.value
        if event.tool_index is not None:
            data = st.call(event.tool_index).data
            data[key] = _merge(data.get(key), value)
        elif key == "thinking_blocks":
            if st.thinking is None:
                st.thinking = _ThinkingBlocks()
            st.thinking.add(value)
        elif key == "reasoning_details":
            if st.details is None:
                st.details = _ReasoningDetails()
            st.details.add(value)
        elif key == "provider_specific_fields":
            if st.fields is None:
                st.fields = _ProviderFields()
            st.fields.add(value)
        else:
            st.data[key] = _merge(st.data.get(key), value)

    # -- queries ---------------------------------------------------------------------------

    @property
    def started(self) -> StreamStarted | None:
        """The stream's :class:`~typedstream.StreamStarted` event, once it arrived."""
        return self._started

    @property
    def usage(self) -> dict[str, Any] | None:
        """The usage object of the :class:`~typedstream.Usage` event, once it arrived."""
        return self._usage

    @property
    def choices(self) -> tuple[int, ...]:
        """The indexes of the choices seen so far, in order."""
        return tuple(sorted(self._choices))

    def finished(self, choice: int = 0) -> bool:
        """True once ``choice`` has its :class:`~typedstream.ChoiceFinished`."""
        st = self._choices.get(choice)
        return st is not None and st.finish is not None

    def text(self, choice: int = 0) -> str:
        """The text of ``choice`` so far."""
        st = self._choices.get(choice)
        return "" if st is None else st.text.get()

    def reasoning(self, choice: int = 0) -> str:
        """The reasoning of ``choice`` so far."""
        st = self._choices.get(choice)
        return "" if st is None else st.reasoning.get()

    def refusal(self, choice: int = 0) -> str:
        """The refusal of ``choice`` so far."""
        st = self._choices.get(choice)
        return "" if st is None else st.refusal.get()

    def incomplete_calls(self, choice: int = 0) -> tuple[ToolCallIncomplete, ...]:
        """The tool calls of ``choice`` the stream cut off, in order (see
        :class:`~typedstream.ToolCallIncomplete`): never run them.

        :meth:`completion` still lists them with the arguments that arrived, as the provider
        sent them; their choice's ``finish_reason`` is then never ``tool_calls`` or
        ``function_call``.
        """
        st = self._choices.get(choice)
        if st is None:
            return ()
        cut = (st.calls[index].cut for index in sorted(st.calls))
        return tuple(event for event in cut if event is not None)

    def arguments(self, index: int, *, choice: int = 0) -> str:
        """The JSON text of tool call ``index`` (dense, as in the events) so far."""
        call = self._call(index, choice)
        return "" if call is None else call.arguments.get()

    def partial_arguments(
        self, index: int, *, choice: int = 0, mode: PartialMode = "trailing-strings"
    ) -> Any:
        """The arguments of tool call ``index`` so far, parsed as far as they go.

        Parsed with ``jiter`` in partial mode: open objects and arrays are closed, a
        trailing key without a value is left out, a number at the very end may still grow
        (``1`` of what becomes ``12``), and a string still streaming is kept as far as it
        came (``mode="trailing-strings"``, the default, for UIs) or left out
        (``mode="on"``). The result is cached until the next fragment of the call.

        Returns:
            The value parsed so far (usually a ``dict``), or ``None`` while the call has
            no arguments.

        Raises:
            ToolArgumentsError: the text so far is not a prefix of any JSON value (no
                later fragment can repair it).
        """
        call = self._call(index, choice)
        if call is None:
            return None
        cached = call.partial
        if cached is not None and cached[0] == mode:
            return cached[1]
        text = call.arguments.get()
        if not text.strip():
            return None
        import jiter

        try:
            value = jiter.from_json(text.encode(), partial_mode=mode)
        except ValueError as exc:
            raise ToolArgumentsError(
                f"arguments are not valid JSON: {exc}",
                arguments=text,
                id=call.id,
                name=call.name,
            ) from exc
        call.partial = (mode, value)
        return value

    def _call(self, index: int, choice: int) -> _Call | None:
        st = self._choices.get(choice)
        return None if st is None else st.calls.get(index)

    # -- the completion --------------------------------------------------------------------

    def completion(self) -> ChatCompletion:
        """The completion so far, as ``openai.types.chat.ChatCompletion``.

        A new object on every call, built like the responses the ``openai`` client returns
        (``model_construct``, no validation), so a provider's off-spec values pass through.

        - ``id``, ``model``, ``created``, ``system_fingerprint``, ``service_tier``: from
          :class:`~typedstream.StreamStarted`; without one (or where it holds ``None``)
          ``""``, ``""``, ``0``, ``None``, ``None`` -- the placeholders Azure itself sends.
          ``object`` is ``"chat.completion"``.
        - One choice per choice index seen, in index order, ``role="assistant"``:
          ``content`` is the text, or ``None`` when no text came but a refusal or a tool
          call did, or ``""`` when nothing came (what the API returns non-streamed);
          ``refusal`` the refusal or ``None``; ``tool_calls`` (``id``, ``type="function"``,
          ``name``, ``arguments``, plus tool-level provider data) or ``None``;
          ``function_call`` for a call sent in the legacy form; ``logprobs`` with the
          ``content``/``refusal`` entries of the :class:`~typedstream.Logprobs` events
          concatenated, or ``None``; ``finish_reason`` the normalized reason, ``None``
          while the choice has not finished (as in the ``openai`` SDK's
          ``ChatCompletionStreamState.current_completion_snapshot``). A tool call still
          streaming has the arguments received so far.
        - ``usage``: a ``CompletionUsage`` from the :class:`~typedstream.Usage` event -- the
          last non-null usage of the stream, provider extras such as ``cost`` kept as extra
          fields -- or ``None``. (The SDK's snapshot takes ``usage`` from the last chunk, so
          it loses it when OpenAI sends a ``moderation`` chunk with ``usage: null`` after the
          usage chunk; LiteLLM's ``stream_chunk_builder`` makes up an estimate when none was
          streamed. Neither happens here.) Moderation results are kept as ``moderation``.

        Reasoning and the data a provider needs back on the next turn are kept on the message
        under the keys LiteLLM reads back when the message is sent again, merged as LiteLLM's
        ``stream_chunk_builder`` merges them (but for every choice, where LiteLLM keeps only
        the first):

        - ``reasoning_content``: the :class:`~typedstream.ReasoningDelta` text.
        - ``thinking_blocks``: fragment text accumulates until a fragment carries a
          ``signature``, which closes a ``{"type": "thinking", "thinking", "signature"}``
          block; a ``redacted_thinking`` fragment is a block of its own. Thinking text never
          closed by a signature makes no block (Anthropic rejects unsigned blocks; the text
          stays in ``reasoning_content``).
        - ``provider_specific_fields``: merged key by key, later values winning; streamed
          ``citation`` values are collected into ``citations``.
        - ``reasoning_details`` (OpenRouter): entries with the same ``index`` are one detail
          whose ``text``/``summary``/``data`` fragments are concatenated and whose other keys
          take the latest non-null value; entries without an index are appended.
        - Any other key: dicts merged, lists extended, anything else replaced. Tool-level
          data (``provider_specific_fields``, Gemini's ``extra_content``) is merged the same
          way onto its tool call.
        """
        from openai.types.chat import ChatCompletion

        started = self._started
        data: dict[str, Any] = {
            "id": "",
            "object": "chat.completion",
            "created": 0,
            "model": "",
            "choices": [_choice_data(self._choices[i]) for i in sorted(self._choices)],
            "system_fingerprint": None,
            "service_tier": None,
            "usage": None if self._usage is None else _copy(self._usage),
        }
        if started is not None:
            data["id"] = started.id or ""
            data["model"] = started.model or ""
            if started.created is not None:
                data["created"] = started.created
            data["system_fingerprint"] = started.system_fingerprint
            data["service_tier"] = started.service_tier
        if self._moderation is not None:
            data["moderation"] = _copy(self._moderation)
        return ChatCompletion.model_construct(**data)

    # -- the Anthropic message -------------------------------------------------------------

    @property
    def error(self) -> StreamError | None:
        """The stream's first :class:`~typedstream.StreamError`, once one arrived."""
        return None if self._message is None else self._message.error

    @property
    def extensions(self) -> tuple[Extension, ...]:
        """Every :class:`~typedstream.Extension` of the stream so far, in order."""
        return () if self._message is None else tuple(self._message.extensions)

    def message(self) -> dict[str, Any]:
        """The stream so far as the final Anthropic ``Message``, as JSON.

        What the ``anthropic`` SDK's ``MessageStream.get_final_message()`` gives
        (``model_dump(mode="json", exclude_unset=True)``) for the same stream, whatever
        protocol the events came from (docs/anthropic.md, "The final Message"): ``id``,
        ``type``, ``role``, ``model``, ``content``, ``stop_reason`` and ``stop_sequence``
        (``None`` until the finish), ``usage`` (``message_start``'s overlaid with the final
        figures) and the message's extension keys. A new object on every call.

        Blocks from an Anthropic source come as they came (tool input parsed like the SDK
        parses it: ``{}`` when none came, an unfinished string left out); a chat source gets
        the blocks the Anthropic writer derives: signed thinking, the text, the tool calls.

        Raises:
            UnwritableEventError: the stream has a choice other than 0, or a custom tool call.
            ToolArgumentsError: a tool's input is not a prefix of any JSON value.
        """
        for index in self._choices:
            if index != 0:
                raise UnwritableEventError(
                    f"choice {index}: an Anthropic message has a single choice", None
                )
        st = self._choices.get(0) or _Choice(0)
        calls = [
            CallText(call.index, call.id, call.name, call.arguments.get())
            for call in (st.calls[index] for index in sorted(st.calls))
            if call.name
        ]
        choice = ChoiceText(
            st.text.get(),
            st.reasoning.get(),
            st.refusal.get(),
            calls,
            None if st.thinking is None else st.thinking.blocks,
            st.finished,
        )
        return build_message(self._message, self._started, self._usage_event, choice)

    def message_model(self) -> AnthropicMessage:
        """:meth:`message` as the ``anthropic`` SDK's ``Message`` (built with ``construct``,
        no validation, as the SDK builds the messages it streams). Needs ``anthropic``."""
        from anthropic.types import Message

        return Message.construct(**self.message())

    # -- the Responses response ------------------------------------------------------------

    def response(self, *, error: BaseException | None = None) -> dict[str, Any]:
        """The stream so far as the final OpenAI Responses ``response``, as JSON.

        What the ``openai`` SDK's ``ResponseStream.get_final_response()`` gives
        (``model_dump(mode="json", exclude_unset=True)``, less the ``parsed`` slots of its
        structured-output helper) for the stream :func:`typedstream.to_responses_sse` writes
        from the same events, whatever protocol they came from (docs/responses.md, "The
        final Response"). It is built by that writer, a
        :class:`~typedstream.ResponsesWriter` fed every event, exactly as its terminal event
        is (:meth:`ResponsesWriter.response <typedstream.ResponsesWriter.response>`):
        ``status`` ``"in_progress"`` mid-stream, then ``"completed"``, ``"incomplete"``
        (with ``incomplete_details``) or ``"failed"`` (with ``error``, after a provider's
        in-band error). A new object on every call.

        Needs the opt-in: ``Accumulator(response=True)``, or
        ``accumulate(events, into="response")``.

        Args:
            error: The exception that ended reading the events (a
                :class:`~typedstream.ProviderError`, an
                :class:`~typedstream.IncompleteStreamError`...), when it did: the response
                then ends as the writer ends a failed stream (:meth:`ResponsesWriter.fail
                <typedstream.ResponsesWriter.fail>`): ``"failed"`` with the error's code and
                message, or ``"incomplete"`` for a stream cut after a stop that cuts. It is
                final: later events and errors do not change it.

        Raises:
            UsageError: the accumulator was made without ``response=``.
            UnwritableEventError: the stream has a choice other than 0.
        """
        raise UsageError(
            "this Accumulator does not build the Responses response: make it with "
            "Accumulator(response=True), or call accumulate(events, into='response')"
        )

    def response_model(self) -> Response:
        """:meth:`response` as the ``openai`` SDK's ``Response`` (built with ``construct``,
        no validation, as the SDK builds the responses it streams). Needs ``openai``."""
        from openai.types.responses import Response

        return Response.construct(**self.response())


class _ResponseAccumulator(Accumulator):
    """``Accumulator(response=...)``: every event also goes to a Responses writer."""

    __slots__ = ("_writer", "_writer_error")

    def __init__(self, *, response: bool | ResponsesWriter = False) -> None:
        super().__init__()
        self._writer = response if isinstance(response, ResponsesWriter) else ResponsesWriter()
        # What the writer refused (a second choice...): raised by response(), not by add(),
        # which the completion and the message do not need to fail.
        self._writer_error: TypedStreamError | None = None

    def add(self, event: StreamEvent) -> None:
        Accumulator.add(self, event)  # first: what is not an event is refused there
        if self._writer_error is None:
            try:
                self._writer.write(event)
            except TypedStreamError as exc:
                self._writer_error = exc

    def response(self, *, error: BaseException | None = None) -> dict[str, Any]:
        if self._writer_error is not None:
            raise self._writer_error
        if error is not None:
            self._writer.fail(error)  # ends the writer: what it ends with is the response
        return self._writer.response()


def _choice_data(st: _Choice) -> dict[str, Any]:
    tool_calls: list[dict[str, Any]] = []
    function_call: dict[str, Any] | None = None
    for index in sorted(st.calls):
        call = st.calls[index]
        if not call.name:
            continue  # provider data for a call whose ToolCallStarted has not come yet
        function = {"name": call.name, "arguments": call.arguments.get()}
        if call.legacy and function_call is None:
            function_call = function
        else:  # a second legacy call cannot be a `function_call`: listed, not lost
            data = {key: _copy(value) for key, value in call.data.items()}
            tool_calls.append({"id": call.id, "type": "function", "function": function, **data})
    text = st.text.get()
    refusal = st.refusal.get()
    if text:
        content: str | None = text
    elif refusal or tool_calls or function_call is not None:
        content = None
    else:
        content = ""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": content,
        "refusal": refusal or None,
        "tool_calls": tool_calls or None,
        "function_call": function_call,
    }
    if st.reasoning:
        message["reasoning_content"] = st.reasoning.get()
    if st.thinking is not None and st.thinking.blocks:
        message["thinking_blocks"] = [dict(block) for block in st.thinking.blocks]
    if st.details is not None and st.details.entries:
        message["reasoning_details"] = st.details.snapshot()
    if st.fields is not None:
        fields = st.fields.snapshot()
        if fields:
            message["provider_specific_fields"] = fields
    for key, value in st.data.items():
        message[key] = _copy(value)
    logprobs = None
    if st.logprobs is not None:
        content_lp, refusal_lp = st.logprobs
        logprobs = {
            "content": None if content_lp is None else _copy(content_lp),
            "refusal": None if refusal_lp is None else _copy(refusal_lp),
        }
    return {"index": st.index, "message": message, "finish_reason": st.finish, "logprobs": logprobs}


class _ThinkingBlocks:
    """LiteLLM's ``get_combined_thinking_content``, incrementally."""

    __slots__ = ("blocks", "parts")

    def __init__(self) -> None:
        self.blocks: list[dict[str, Any]] = []
        self.parts: list[str] = []  # thinking text not yet closed by a signature

    def add(self, value: object) -> None:
        for fragment in _objects(value):  # LiteLLM reads only block objects
            if fragment.get("type") == "redacted_thinking":
                self.parts = []  # LiteLLM flushes here: unsigned text makes no block
                data = fragment.get("data")
                if data:
                    self.blocks.append({"type": "redacted_thinking", "data": data})
                continue
            text = fragment.get("thinking")
            if isinstance(text, str) and text:
                self.parts.append(text)
            signature = fragment.get("signature")
            if signature:
                self.blocks.append(
                    {"type": "thinking", "thinking": "".join(self.parts), "signature": signature}
                )
                self.parts = []


class _ReasoningDetails:
    """OpenRouter ``reasoning_details`` fragments, merged by their ``index``."""

    __slots__ = ("by_index", "entries")

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.by_index: dict[int, dict[str, Any]] = {}

    def add(self, value: object) -> None:
        for item in _objects(value):
            index = item.get("index")
            entry: dict[str, Any] | None = (
                self.by_index.get(index) if isinstance(index, int) else None
            )
            if entry is None:
                entry = {}
                self.entries.append(entry)
                if isinstance(index, int):
                    self.by_index[index] = entry
            for key, part in item.items():
                if key in _DETAIL_TEXT_KEYS and isinstance(part, str):
                    text = entry.get(key)
                    if not isinstance(text, _Text):
                        text = entry[key] = _Text()
                    if part:
                        text.add(part)
                elif part is not None or key not in entry:
                    entry[key] = part

    def snapshot(self) -> list[dict[str, Any]]:
        return [
            {k: v.get() if isinstance(v, _Text) else _copy(v) for k, v in entry.items()}
            for entry in self.entries
        ]


class _ProviderFields:
    """LiteLLM's merge of message-level ``provider_specific_fields``."""

    __slots__ = ("citations", "fields")

    def __init__(self) -> None:
        self.citations: list[Any] = []
        self.fields: dict[str, Any] = {}

    def add(self, value: object) -> None:
        if not isinstance(value, Mapping):
            return  # LiteLLM merges dicts only
        for key, item in cast("Mapping[str, Any]", value).items():
            if key == "citation":
                if item is not None:
                    self.citations.append(item)
            else:
                self.fields[key] = item

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.citations:
            # LiteLLM's `_joined_streamed_citations`: a list of lists stays one; single
            # citation objects become one list inside a list.
            if all(isinstance(c, list) for c in self.citations):
                out["citations"] = _copy(self.citations)
            else:
                out["citations"] = [_copy(self.citations)]
        for key, item in self.fields.items():
            out[key] = _copy(item)
        return out


def _objects(value: object) -> Iterator[Mapping[str, Any]]:
    """The JSON objects of a list (or a lone object); anything else is not data we merge."""
    items = cast("list[object]", value) if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, Mapping):
            yield cast("Mapping[str, Any]", item)


def _merge(old: Any, new: Any) -> Any:
    # `old` is the accumulator's own copy (snapshots copy it again): merged in place, so
    # merging n fragments costs the size of the fragments, not n times the size so far.
    if isinstance(old, dict) and isinstance(new, Mapping):
        merged = cast("dict[str, Any]", old)
        merged.update(_copy(new))
        return merged
    if isinstance(old, list) and isinstance(new, list):
        kept: list[Any] = old  # pyright: ignore[reportUnknownVariableType]
        kept.extend(_copy(new))
        return kept
    return _copy(new)


def _copy(value: Any) -> Any:
    # Snapshots must not share mutable containers with the accumulator or the events.
    # Bounded: a value nested too deep is a ChunkError, not a RecursionError (docs/errors.md).
    return bounded_copy(value, "a value the stream carried")


_Into: TypeAlias = Literal["completion", "message", "response"]  # what accumulate() returns


@overload
def accumulate(
    events: Iterable[StreamEvent], *, into: Literal["completion"] = "completion"
) -> ChatCompletion: ...
@overload
def accumulate(
    events: Iterable[StreamEvent], *, into: Literal["message", "response"]
) -> dict[str, Any]: ...
def accumulate(
    events: Iterable[StreamEvent], *, into: _Into = "completion"
) -> ChatCompletion | dict[str, Any]:
    """The completion the events of one stream add up to.

    ``accumulate(typedstream.events(stream))`` returns what a non-streamed call would have
    returned: every choice with its text, refusal, tool calls, finish reason and logprobs,
    the envelope, usage, and the reasoning and provider data to send back on the next turn
    (:meth:`Accumulator.completion` documents each field). Append
    ``completion.choices[0].message.model_dump(exclude_none=True)`` to the conversation to
    send it back through LiteLLM.

    ``into="message"`` returns the final Anthropic ``Message`` instead, as JSON
    (:meth:`Accumulator.message`), and ``into="response"`` the final OpenAI Responses
    ``response`` (:meth:`Accumulator.response`), from a stream of any protocol.

    Errors raised while iterating ``events`` (``IncompleteStreamError``,
    ``ProviderError``, ...) propagate; feed an :class:`Accumulator` yourself to keep what
    arrived before them.
    """
    acc = Accumulator(response=into == "response")
    for event in events:
        acc.add(event)
    return _result(acc, into)


def _result(acc: Accumulator, into: _Into) -> ChatCompletion | dict[str, Any]:
    if into == "message":
        return acc.message()
    return acc.response() if into == "response" else acc.completion()


@overload
async def aaccumulate(
    events: AsyncIterable[StreamEvent], *, into: Literal["completion"] = "completion"
) -> ChatCompletion: ...
@overload
async def aaccumulate(
    events: AsyncIterable[StreamEvent], *, into: Literal["message", "response"]
) -> dict[str, Any]: ...
async def aaccumulate(
    events: AsyncIterable[StreamEvent], *, into: _Into = "completion"
) -> ChatCompletion | dict[str, Any]:
    """The async twin of :func:`accumulate`: ``await aaccumulate(typedstream.aevents(s))``."""
    acc = Accumulator(response=into == "response")
    async for event in events:
        acc.add(event)
    return _result(acc, into)
