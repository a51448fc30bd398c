"""``typedstream demo``: a real LiteLLM stream with tools, as typed events and exact OpenAI chunks.

How it works. The demo starts the test kit's loopback provider (:mod:`typedstream.testing`)
on 127.0.0.1, points a real ``litellm.completion(..., tools=..., stream=True)`` at it with
``api_base`` (Anthropic's Messages wire format by default; ``--provider`` picks OpenAI or
Gemini), and prints each event of ``typedstream.events()`` as it arrives, under its class
name. Then it prints the same events as ``typedstream.to_sse()`` gives them (the exact chunks
OpenAI would have sent), checks those with ``check_openai_chunks()``, stops the server and
returns 0.

Nothing leaves the machine: LiteLLM's offline switches are set before it is imported, and
LiteLLM (about 4 s to import) and rich are imported here only, never by ``import typedstream``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import TYPE_CHECKING, Any, Final

from ._check import check_openai_chunks
from ._display import event_text
from ._drivers import events
from ._events import StreamEvent, ToolCallDone
from ._openai_out import to_sse
from .testing import TOOLS, LoopbackProvider

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["PROVIDERS", "configure", "run"]

PROVIDERS: Final = {
    "anthropic": ("anthropic/claude-3-5-sonnet-20241022", "anthropic_tools"),
    "openai": ("openai/gpt-4o", "openai_tools_usage"),
    "gemini": ("gemini/gemini-1.5-pro", "gemini_tools"),
}
"""``--provider`` choices: the LiteLLM model and the loopback scenario each one replays."""

_OFFLINE: Final = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_MODE": "PRODUCTION",
}
_INSTALL: Final = "typedstream demo needs LiteLLM, mcp and rich: pip install 'typedstream[demo]'"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options to its subcommand parser and make it run :func:`run`."""
    parser.add_argument(
        "--provider",
        choices=sorted(PROVIDERS),
        default="anthropic",
        help="the wire format the loopback provider speaks to LiteLLM (default: anthropic)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace | None = None) -> int:
    """Run the demo; return the exit code (0, or 2 when the ``demo`` extra is missing)."""
    provider: str = getattr(args, "provider", None) or "anthropic"
    os.environ.update(_OFFLINE)
    try:
        import litellm
        from rich.console import Console
    except ImportError as exc:
        print(f"{_INSTALL} ({exc})")
        return 2
    litellm.suppress_debug_info = True
    console = Console(highlight=False)
    model, scenario = PROVIDERS[provider]
    started = time.perf_counter()
    with LoopbackProvider() as server:
        console.rule(f"[bold]litellm.completion(model={model!r}, tools=..., stream=True)")
        console.print(
            f"[dim]LiteLLM {_version('litellm')} streaming from the loopback provider at "
            f"{server.root} ({provider} wire format)[/]\n"
        )
        stream: Any = litellm.completion(  # typed as a union with its coroutine variant
            model=model,
            messages=[{"role": "user", "content": "What are the weather and the time there?"}],
            tools=TOOLS,
            stream=True,
            stream_options={"include_usage": True},
            api_base=server.api_base(scenario),
            api_key="sk-loopback",
        )
        collected: list[StreamEvent] = []
        console.print("[bold]typedstream.events(stream)[/]")
        with events(stream) as stream_events:
            for event in stream_events:
                collected.append(event)
                console.print(event_text(event))
    _print_calls(console, collected)
    _print_openai(console, collected)
    console.print(f"\n[dim]done in {time.perf_counter() - started:.2f} s; loopback stopped[/]")
    return 0


def _print_calls(console: Console, collected: list[StreamEvent]) -> None:
    calls = [event for event in collected if isinstance(event, ToolCallDone)]
    if calls:
        console.print("\n[bold]ToolCallDone.parse_arguments()[/]")
    for call in calls:
        arguments = ", ".join(f"{k}={v!r}" for k, v in call.parse_arguments().items())
        console.print(f"  [bold yellow]{call.name}[/]({arguments})  [dim]id={call.id}[/]")


def _print_openai(console: Console, collected: list[StreamEvent]) -> None:
    from rich.highlighter import JSONHighlighter
    from rich.text import Text

    console.print("\n[bold]typedstream.to_sse(events)[/] [dim](the exact chunks OpenAI sends)[/]")
    highlight = JSONHighlighter()
    wire: list[Any] = []
    for frame in to_sse(collected):
        data = frame.decode().strip()[len("data: ") :]
        if data != "[DONE]":
            wire.append(json.loads(data))
        line = Text("data: ", style="dim")
        line.append_text(highlight(data))
        console.print(line, soft_wrap=True)
    deviations = check_openai_chunks(wire)
    for deviation in deviations:
        console.print(f"[bold red]✗ {deviation}[/]")
    if not deviations:
        console.print(f"[bold green]✓[/] check_openai_chunks: {len(wire)} chunks, no deviations")


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:  # pragma: no cover - imported, so installed
        return "?"
