"""Events as rich text, for the CLI and the demo (rich is imported on first use only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ._events import StreamEvent

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["event_text"]

_STYLES: Final = {
    "stream_started": "bold blue",
    "text_delta": "bold green",
    "reasoning_delta": "bold magenta",
    "refusal_delta": "bold red",
    "tool_call_started": "bold cyan",
    "arguments_delta": "cyan",
    "tool_call_done": "bold yellow",
    "tool_call_incomplete": "bold red",
    "text_done": "green",
    "reasoning_done": "magenta",
    "refusal_done": "red",
    "logprobs": "dim",
    "provider_data": "magenta",
    "choice_finished": "bold blue",
    "usage": "blue",
    "moderation": "blue",
    "raw_chunk": "dim",
}


def event_text(event: StreamEvent) -> Text:
    """An event as rich text: its class name styled by kind, its fields highlighted."""
    from rich.highlighter import ReprHighlighter
    from rich.text import Text

    name = type(event).__name__
    values = Text(repr(event)[len(name) + 1 : -1])  # the dataclass repr: `Name(field=…, …)`
    ReprHighlighter().highlight(values)
    style = _STYLES.get(event.kind, "bold")
    return Text.assemble((name, style), "(", values, ")")
