"""typedstream's offline test kit: a loopback LLM provider on 127.0.0.1 for your tests.

``with LoopbackProvider(reply) as provider:`` serves OpenAI chat-completions, OpenAI
Responses, Anthropic Messages and Gemini streams (a built-in scenario, a recorded file, chunk
dicts, typed events or a function of the request; with HTTP errors, cut connections, in-band
errors and delays on demand) to LiteLLM (``api_base=provider.api_base(...)``) or the
``openai`` client (``base_url=provider.base_url``), and records every request. The opt-in
pytest plugin ``typedstream.testing.pytest_plugin`` gives a ``loopback_provider`` fixture. See
the docs page "Testing your agent offline" (docs/testing.md).

``import typedstream`` never imports this package, and it never imports LiteLLM.
"""

from ._kit import (
    SCENARIOS,
    TOOLS,
    LoopbackError,
    LoopbackProvider,
    Reply,
    Request,
    Responder,
    Source,
    Wire,
    http_error,
    scenario,
)

__all__ = [
    "SCENARIOS",
    "TOOLS",
    "LoopbackError",
    "LoopbackProvider",
    "Reply",
    "Request",
    "Responder",
    "Source",
    "Wire",
    "http_error",
    "scenario",
]
