"""typedstream: typed events from any OpenAI-style chat-completion stream, and exact
OpenAI chunks back.

``import typedstream`` is cheap: it imports neither LiteLLM, nor ``openai``, nor pydantic;
the parts that need them import them on first use.
"""

from ._accumulate import Accumulator, PartialMode, aaccumulate, accumulate
from ._anthropic_check import check_anthropic_events
from ._chat_reader import ChatReader
from ._check import Deviation, check_openai_chunks
from ._drivers import AsyncEventStream, EventStream, aevents, events
from ._errors import (
    ChunkError,
    IncompleteStreamError,
    ProviderError,
    ToolArgumentsError,
    TypedStreamError,
    UnknownToolError,
    UsageError,
)
from ._events import (
    ArgumentsDelta,
    ChoiceFinished,
    FinishReason,
    Logprobs,
    Moderation,
    ProviderData,
    RawChunk,
    ReasoningDelta,
    ReasoningDone,
    RefusalDelta,
    RefusalDone,
    StreamEvent,
    StreamStarted,
    TextDelta,
    TextDone,
    ToolCallDone,
    ToolCallIncomplete,
    ToolCallStarted,
    Usage,
    event_from_json,
    event_to_json,
)
from ._openai_out import ChatWriter, ato_openai_chunks, ato_sse, to_openai_chunks, to_sse
from ._tools import Tool, ToolCall, Tools
from ._version import __version__ as __version__

Normalizer = ChatReader
"""The chat reader under its established name: :class:`ChatReader`."""

__all__ = [
    "Accumulator",
    "ArgumentsDelta",
    "AsyncEventStream",
    "ChatReader",
    "ChatWriter",
    "ChoiceFinished",
    "ChunkError",
    "Deviation",
    "EventStream",
    "FinishReason",
    "IncompleteStreamError",
    "Logprobs",
    "Moderation",
    "Normalizer",
    "PartialMode",
    "ProviderData",
    "ProviderError",
    "RawChunk",
    "ReasoningDelta",
    "ReasoningDone",
    "RefusalDelta",
    "RefusalDone",
    "StreamEvent",
    "StreamStarted",
    "TextDelta",
    "TextDone",
    "Tool",
    "ToolArgumentsError",
    "ToolCall",
    "ToolCallDone",
    "ToolCallIncomplete",
    "ToolCallStarted",
    "Tools",
    "TypedStreamError",
    "UnknownToolError",
    "Usage",
    "UsageError",
    "aaccumulate",
    "accumulate",
    "aevents",
    "ato_openai_chunks",
    "ato_sse",
    "check_anthropic_events",
    "check_openai_chunks",
    "event_from_json",
    "event_to_json",
    "events",
    "to_openai_chunks",
    "to_sse",
]
