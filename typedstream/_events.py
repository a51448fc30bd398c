"""The public event vocabulary.

Every event is a frozen, slotted dataclass with a ``kind`` tag (a ``Literal``), so a
``match`` over :data:`StreamEvent` is checked exhaustive by mypy and pyright, and
``event.kind == "..."`` narrows as well as ``isinstance`` does. Events are small and
immutable: none carries a growing snapshot (the :class:`~typedstream.Accumulator` computes
snapshots on request), and none holds a reference back to the normalizer.

``kind`` is a keyword-only field with a default, so it never has to be passed and is not
part of ``__match_args__``; it is still an ``__init__`` parameter so that JSON produced by
:func:`event_to_json` (or ``dataclasses.asdict``) validates back into the same class.

JSON support needs pydantic; it is imported on first use, never by ``import typedstream``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, Union, overload

from ._arguments import parse_arguments
from ._json import dumps_text, loads

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = [
    "ArgumentsDelta",
    "ChoiceFinished",
    "FinishReason",
    "Logprobs",
    "Moderation",
    "ProviderData",
    "RawChunk",
    "ReasoningDelta",
    "ReasoningDone",
    "RefusalDelta",
    "RefusalDone",
    "StreamEvent",
    "StreamStarted",
    "TextDelta",
    "TextDone",
    "ToolCallDone",
    "ToolCallIncomplete",
    "ToolCallStarted",
    "Usage",
    "event_from_json",
    "event_to_json",
]

FinishReason: TypeAlias = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
"""A finish reason normalized to OpenAI's vocabulary."""

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class StreamStarted:
    """The stream's metadata, sent once before any other event of the stream.

    Taken from the first chat-completion chunk (an Azure ``prompt_filter_results`` preamble
    does not count). Empty strings are reported as ``None``.
    """

    id: str | None
    """The response id (``chatcmpl-…``), or ``None`` when the provider sent none or ``""``."""
    model: str | None
    """The model name the provider reported."""
    created: int | None
    """Unix timestamp of the response, as the provider reported it."""
    system_fingerprint: str | None = None
    """Backend configuration fingerprint, when the provider sent one."""
    service_tier: str | None = None
    """The service tier that served the request (``"default"``, ``"flex"``…), when sent."""
    kind: Literal["stream_started"] = field(default="stream_started", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"stream_started"``."""


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A non-empty fragment of the assistant's text (``delta.content``)."""

    text: str
    """The fragment; never empty."""
    choice: int = 0
    """The choice it belongs to (0 unless the request asked for ``n > 1``)."""
    kind: Literal["text_delta"] = field(default="text_delta", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"text_delta"``."""


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A non-empty fragment of the model's reasoning.

    Read from ``reasoning_content`` (DeepSeek, xAI, Qwen, LiteLLM), ``reasoning`` (Groq,
    OpenRouter, vLLM) or ``thinking`` content parts (Mistral Magistral).
    """

    text: str
    """The fragment; never empty."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["reasoning_delta"] = field(default="reasoning_delta", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"reasoning_delta"``."""


@dataclass(frozen=True, slots=True)
class RefusalDelta:
    """A non-empty fragment of a refusal (``delta.refusal``)."""

    text: str
    """The fragment; never empty."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["refusal_delta"] = field(default="refusal_delta", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"refusal_delta"``."""


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    """A tool call begins; sent once per call, before any of its arguments."""

    index: int
    """Dense 0-based position of the call within its choice, in order of appearance,
    whatever index the provider used."""
    id: str
    """The call id. Synthesized deterministically when the provider sent none."""
    name: str
    """The function name, complete."""
    choice: int = 0
    """The choice it belongs to."""
    legacy: bool = False
    """True when the provider used the deprecated ``delta.function_call`` form."""
    kind: Literal["tool_call_started"] = field(
        default="tool_call_started", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"tool_call_started"``."""


@dataclass(frozen=True, slots=True)
class ArgumentsDelta:
    """A non-empty fragment of a tool call's JSON arguments, in order."""

    index: int
    """Dense index of the call within its choice (as in :class:`ToolCallStarted`)."""
    id: str
    """The call id (the same in every event of the call)."""
    delta: str
    """The fragment; never empty. Fragments are arbitrary cuts of the JSON text."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["arguments_delta"] = field(default="arguments_delta", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"arguments_delta"``."""


@dataclass(frozen=True, slots=True)
class ToolCallDone:
    """A tool call is complete: sent once per call, after its last fragment.

    Only sent when the stream says the call is complete: the next call of its choice
    started, its choice finished with ``tool_calls``, ``stop`` or ``function_call``, or the
    stream ended completely (``[DONE]``, or ``assume_complete=True``). A call cut off by a
    dropped connection is never reported done, and one cut off by a ``length``,
    ``content_filter`` or unknown finish is reported as :class:`ToolCallIncomplete`.
    """

    index: int
    """Dense index of the call within its choice."""
    id: str
    """The call id."""
    name: str
    """The function name."""
    arguments: str
    """The whole JSON text exactly as streamed (not re-formatted; ``""`` if none came)."""
    choice: int = 0
    """The choice it belongs to."""
    legacy: bool = False
    """True when the provider used the deprecated ``delta.function_call`` form."""
    kind: Literal["tool_call_done"] = field(default="tool_call_done", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"tool_call_done"``."""

    @overload
    def parse_arguments(self) -> dict[str, Any]: ...
    @overload
    def parse_arguments(self, model: type[_T]) -> _T: ...
    def parse_arguments(self, model: type[_T] | None = None) -> dict[str, Any] | _T:
        """Parse :attr:`arguments` as JSON, optionally validated into ``model``.

        Without ``model``: the JSON object as a ``dict`` (``json.loads`` semantics; empty
        arguments mean ``{}``). With a pydantic model, dataclass or any other type pydantic
        can validate: an instance of it. Invalid JSON, a non-object, or failed validation
        raise :class:`~typedstream.ToolArgumentsError` carrying the text, id and name.
        """
        result: dict[str, Any] | _T = parse_arguments(self.arguments, self.id, self.name, model)
        return result


@dataclass(frozen=True, slots=True)
class ToolCallIncomplete:
    """A tool call the stream ended without completing: sent instead of :class:`ToolCallDone`.

    Sent when the call's choice finishes with a reason that cuts it off -- ``length``
    (``max_tokens``), ``content_filter`` (``safety``) or a reason typedstream does not
    recognize -- while the call was still open; it comes just before that choice's
    :class:`ChoiceFinished`. The arguments are whatever arrived, usually a prefix of the JSON
    the model meant to send: never run the call (tell the model it was cut off instead).
    """

    index: int
    """Dense index of the call within its choice."""
    id: str
    """The call id."""
    name: str
    """The function name."""
    arguments: str
    """The JSON text as far as it came, exactly as streamed (``""`` if none came)."""
    reason: str
    """The finish reason that cut the call off, as the provider sent it (``"length"``,
    ``"max_tokens"``, ``"content_filter"``, ``"error"``...): the ``raw_reason`` of the
    :class:`ChoiceFinished` that follows."""
    choice: int = 0
    """The choice it belongs to."""
    legacy: bool = False
    """True when the provider used the deprecated ``delta.function_call`` form."""
    kind: Literal["tool_call_incomplete"] = field(
        default="tool_call_incomplete", kw_only=True, repr=False
    )
    """Tag for narrowing and JSON; always ``"tool_call_incomplete"``."""


@dataclass(frozen=True, slots=True)
class TextDone:
    """The whole text of a choice, sent when the choice finishes.

    Only sent with ``events(..., done_events=True)`` and only when some text came; the
    :class:`TextDelta` fragments of the choice join to exactly this text.
    """

    text: str
    """The complete text."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["text_done"] = field(default="text_done", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"text_done"``."""


@dataclass(frozen=True, slots=True)
class ReasoningDone:
    """The whole reasoning of a choice, sent when the choice finishes (``done_events=True``)."""

    text: str
    """The complete reasoning text."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["reasoning_done"] = field(default="reasoning_done", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"reasoning_done"``."""


@dataclass(frozen=True, slots=True)
class RefusalDone:
    """The whole refusal of a choice, sent when the choice finishes (``done_events=True``)."""

    text: str
    """The complete refusal text."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["refusal_done"] = field(default="refusal_done", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"refusal_done"``."""


@dataclass(frozen=True, slots=True)
class Logprobs:
    """Token log probabilities of the fragment that follows.

    Sent just before the :class:`TextDelta` or :class:`RefusalDelta` of the same chunk, so a
    consumer (and :func:`~typedstream.to_openai_chunks`) can attach it to that fragment.
    Entries are the provider's JSON objects (``token``, ``logprob``, ``bytes``,
    ``top_logprobs``). Chunks whose lists are empty or null produce no event.
    """

    content: list[dict[str, Any]] | None
    """Entries for content tokens, or ``None``."""
    refusal: list[dict[str, Any]] | None = None
    """Entries for refusal tokens, or ``None``."""
    choice: int = 0
    """The choice it belongs to."""
    kind: Literal["logprobs"] = field(default="logprobs", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"logprobs"``."""


@dataclass(frozen=True, slots=True)
class ProviderData:
    """Provider data that must go back to the provider on the next turn.

    Anthropic thinking blocks with their signatures (LiteLLM's ``thinking_blocks``), OpenRouter
    ``reasoning_details``, LiteLLM's ``provider_specific_fields`` and Gemini's
    ``extra_content`` (thought signatures) on tool calls. The value is passed on unchanged,
    one event per non-empty occurrence; :class:`~typedstream.Accumulator` merges them onto the
    message the way LiteLLM reads them back.
    """

    key: str
    """The key it arrived under, e.g. ``"thinking_blocks"`` or ``"reasoning_details"``."""
    value: Any
    """The JSON value exactly as received."""
    choice: int = 0
    """The choice it belongs to."""
    tool_index: int | None = None
    """Dense index of the tool call it was attached to, or ``None`` for the message."""
    kind: Literal["provider_data"] = field(default="provider_data", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"provider_data"``."""


@dataclass(frozen=True, slots=True)
class ChoiceFinished:
    """A choice is finished; nothing more will be sent for it."""

    reason: FinishReason
    """The finish reason normalized to OpenAI's vocabulary (see the merge policy)."""
    raw_reason: str | None
    """The provider's own string, or ``None`` when it sent none and the reason was inferred."""
    choice: int = 0
    """The choice that finished."""
    kind: Literal["choice_finished"] = field(default="choice_finished", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"choice_finished"``."""


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage, sent once at the complete end of the stream when the provider sent any.

    The last non-null ``usage`` object of the stream wins, wherever it appeared (own chunk,
    finish chunk, every chunk).
    """

    usage: dict[str, Any]
    """The usage object as received, provider extensions (``cost``…) included."""
    kind: Literal["usage"] = field(default="usage", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"usage"``."""

    @property
    def prompt_tokens(self) -> int | None:
        """``usage["prompt_tokens"]`` when it is an integer."""
        value = self.usage.get("prompt_tokens")
        return value if isinstance(value, int) else None

    @property
    def completion_tokens(self) -> int | None:
        """``usage["completion_tokens"]`` when it is an integer."""
        value = self.usage.get("completion_tokens")
        return value if isinstance(value, int) else None

    @property
    def total_tokens(self) -> int | None:
        """``usage["total_tokens"]`` when it is an integer."""
        value = self.usage.get("total_tokens")
        return value if isinstance(value, int) else None


@dataclass(frozen=True, slots=True)
class Moderation:
    """OpenAI moderation results (requests with ``moderation``), sent after :class:`Usage`."""

    moderation: dict[str, Any]
    """The ``moderation`` object as received (``input`` and ``output`` results)."""
    kind: Literal["moderation"] = field(default="moderation", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"moderation"``."""


@dataclass(frozen=True, slots=True)
class RawChunk:
    """A source chunk exactly as received (opt-in: ``events(..., raw=True)``).

    Sent before the events made from that chunk, including chunks that make none
    (preambles, chunks of unknown shape that were skipped).
    """

    chunk: Any
    """The item the source yielded (an ``openai`` or LiteLLM object, or the decoded JSON)."""
    number: int
    """1-based position of the chunk in the stream, as used in error messages."""
    kind: Literal["raw_chunk"] = field(default="raw_chunk", kw_only=True, repr=False)
    """Tag for narrowing and JSON; always ``"raw_chunk"``."""


StreamEvent: TypeAlias = Union[  # noqa: UP007 (a typing.Union, as documented)
    StreamStarted,
    TextDelta,
    ReasoningDelta,
    RefusalDelta,
    ToolCallStarted,
    ArgumentsDelta,
    ToolCallDone,
    ToolCallIncomplete,
    TextDone,
    ReasoningDone,
    RefusalDone,
    Logprobs,
    ProviderData,
    ChoiceFinished,
    Usage,
    Moderation,
    RawChunk,
]
"""Every event :func:`typedstream.events` can yield. A plain ``Union``: ``match`` over it."""

_adapter: TypeAdapter[StreamEvent] | None = None


def _event_adapter() -> TypeAdapter[StreamEvent]:
    # Built on first use: pydantic is not imported by `import typedstream`.
    global _adapter
    if _adapter is None:
        from typing import Annotated

        from pydantic import Field, TypeAdapter

        _adapter = TypeAdapter(Annotated[StreamEvent, Field(discriminator="kind")])
    return _adapter


def event_to_json(event: StreamEvent) -> str:
    """Serialize an event to compact JSON, ``kind`` included.

    Always JSON: ``NaN`` and ``Infinity`` are written as ``null``, lone surrogates as
    ``\\udXXX`` escapes; a value nested deeper than 200 levels, or that JSON cannot hold,
    raises :class:`~typedstream.ChunkError` (see "Values JSON cannot hold" in the docs).
    """
    try:
        return _event_adapter().dump_json(event).decode()
    except ValueError:  # pydantic's serialization error: clean the fields, the slow way
        return dumps_text({f.name: getattr(event, f.name) for f in fields(event)})


def event_from_json(data: str | bytes) -> StreamEvent:
    """Rebuild an event from :func:`event_to_json` output (validated by its ``kind``)."""
    from pydantic import ValidationError

    try:
        return _event_adapter().validate_json(data)
    except ValidationError as exc:
        try:  # lone surrogate escapes, which pydantic's JSON parser refuses
            value = loads(
                data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
            )
        except ValueError:
            raise exc from None
        return _event_adapter().validate_python(value)


# -- fast construction (for the normalizer) --------------------------------------------------
#
# The ``__init__`` of a frozen dataclass assigns every field through ``object.__setattr__``,
# two to three times the cost of plain attribute stores. The normalizer builds one of the
# events below for nearly every chunk, so it builds them with a builder class instead: a
# plain class with the very same slots whose ``__init__`` stores the fields and then sets
# ``__class__`` to the event class. Python allows that between classes of identical layout
# (the same slots over the same base; it raises ``TypeError`` otherwise, so a field added to
# an event cannot be missed), and what comes out is an ordinary instance of the event class:
# equal, hashable, frozen and picklable like a constructed one, ``kind`` included
# (tests/test_event_construction.py checks all of it). Like ``__init__``, they check nothing.

_TextEvent = TypeVar("_TextEvent", TextDelta, ReasoningDelta, RefusalDelta)


def _text_event_builder(cls: type[_TextEvent]) -> Callable[[str, int], _TextEvent]:
    kind = next(f.default for f in fields(cls) if f.name == "kind")

    class Builder:
        __slots__ = ("choice", "kind", "text")

        def __init__(self, text: str, choice: int) -> None:
            self.text = text
            self.choice = choice
            self.kind = kind
            self.__class__ = cls  # type: ignore[assignment]

    builder: Callable[[str, int], _TextEvent] = Builder  # type: ignore[assignment]
    return builder


class _ArgumentsDeltaBuilder:
    __slots__ = ("choice", "delta", "id", "index", "kind")

    def __init__(self, index: int, id: str, delta: str, choice: int) -> None:
        self.index = index
        self.id = id
        self.delta = delta
        self.choice = choice
        self.kind = "arguments_delta"
        self.__class__ = ArgumentsDelta  # type: ignore[assignment]


new_text_delta = _text_event_builder(TextDelta)
"""``TextDelta(text, choice)``, built without the dataclass ``__init__``."""
new_reasoning_delta = _text_event_builder(ReasoningDelta)
"""``ReasoningDelta(text, choice)``, built without the dataclass ``__init__``."""
new_refusal_delta = _text_event_builder(RefusalDelta)
"""``RefusalDelta(text, choice)``, built without the dataclass ``__init__``."""
new_arguments_delta: Callable[[int, str, str, int], ArgumentsDelta] = _ArgumentsDeltaBuilder  # type: ignore[assignment]
"""``ArgumentsDelta(index, id, delta, choice)``, built without the dataclass ``__init__``."""
