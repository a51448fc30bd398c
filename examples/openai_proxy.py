"""OpenAI- and Anthropic-compatible endpoints for any LiteLLM model, through typedstream.

``POST /v1/chat/completions`` takes an OpenAI request whose ``model`` is any LiteLLM model
name (``anthropic/claude-…``, ``gemini/…``, ``openai/gpt-4o``…), streams it from the
provider with ``litellm.acompletion(stream=True)`` and answers:

* ``"stream": true``: the exact SSE OpenAI would send (``typedstream.ato_sse``): role once,
  tool-call headers once, one call after another, a finish chunk, usage when the client asked
  with ``stream_options.include_usage``, ``data: [DONE]``. A provider error in the middle of
  the stream becomes an OpenAI-style ``data: {"error": …}`` frame and no ``[DONE]``.
* otherwise: the ``chat.completion`` JSON a non-streamed call returns
  (``typedstream.aaccumulate``), still streamed from the provider.

``POST /v1/messages`` takes an Anthropic Messages request (what the ``anthropic`` SDK and
Claude Code send), with any LiteLLM model name as ``model``. ``messages_request.py`` turns it
into chat arguments (the next turns too: thinking blocks with their signatures, tool calls and
tool results), and the reply is written by typedstream, never by LiteLLM's own adapter:

* ``"stream": true``: Anthropic's SSE events (``typedstream.ato_anthropic_sse``), with a
  ``ping`` every ``ping_interval`` seconds while the provider is silent. An error in the middle
  becomes an ``error`` event.
* otherwise: the Anthropic ``Message`` JSON (``Accumulator.message()``).

A request the translation refuses, or a provider error before the first byte, gets Anthropic's
error JSON (``{"type": "error", "error": {…}}``) with the HTTP status Anthropic would send.

``POST /v1/responses`` takes an OpenAI Responses request (what ``client.responses`` and
openai-agents' ``OpenAIResponsesModel`` send), with any LiteLLM model name as ``model``.
``responses_request.py`` turns it into chat arguments (the whole conversation a stateless
client sends: function calls and their outputs, reasoning items whose ``encrypted_content``
carries an Anthropic thinking signature back), and typedstream writes the reply:

* ``"stream": true``: Responses' SSE events (``typedstream.ato_responses_sse``) echoing the
  request's settings (``instructions``, ``tools``, ``tool_choice``…). An error in the middle
  ends in ``error`` then ``response.failed``.
* otherwise: the ``Response`` JSON that such a stream ends with (an ``Accumulator`` built
  with ``response=ResponsesWriter(model=..., echo=...)``).

A request the translation refuses gets HTTP 400 with OpenAI's error JSON (``param`` names the
place); a provider error before the first byte, OpenAI's error JSON with the provider's status.

Every request is independent (no state between requests), so the app scales by running more
workers or more instances: see ``docs/recipes/proxy.md``. When a client disconnects, Starlette
cancels the response, and leaving ``typedstream.aevents`` closes the provider's connection.

Run it (provider keys come from the environment, as LiteLLM reads them)::

    pip install 'typedstream[litellm]' starlette uvicorn
    uvicorn openai_proxy:app --app-dir examples --port 8000

and point any OpenAI client (chat or Responses) at ``http://127.0.0.1:8000/v1``, or any
Anthropic client at ``http://127.0.0.1:8000``. ``create_app(**defaults)`` makes an app that
passes ``defaults`` (``api_base``, ``api_key``, ``timeout``…) to every call.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator
from typing import Any, cast

import messages_request
import responses_request
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

import typedstream

# LiteLLM fetches its model cost map from the internet on import unless told otherwise.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_MODE", "PRODUCTION")

import litellm

litellm.suppress_debug_info = True
logger = logging.getLogger("openai_proxy")

# What the endpoint decides itself: it always streams from the provider.
_OWN_KEYS = frozenset({"stream", "stream_options"})


def create_app(
    *, keep_extensions: bool = False, ping_interval: float = 10.0, **defaults: Any
) -> Starlette:
    """The proxy app.

    Args:
        keep_extensions: Also send what OpenAI does not (``reasoning_content``, provider data
            such as ``thinking_blocks``, usage extras such as ``cost``), for clients that read
            them. Off by default: clients get exactly OpenAI's format.
        ping_interval: Seconds of provider silence after which a streamed ``/v1/messages``
            answer sends a ``ping`` event, so that clients and load balancers keep waiting.
        defaults: Keyword arguments for every ``litellm.acompletion`` call (``api_base``,
            ``api_key``, ``timeout``…); the request's own fields win.
    """

    async def chat_completions(request: Request) -> Response:
        try:
            parsed: object = await request.json()
        except ValueError:
            return _error(400, "the request body is not JSON")
        if not isinstance(parsed, dict):
            return _error(400, "the request body must be a JSON object")
        body = cast("dict[str, Any]", parsed)
        if not body.get("model") or not body.get("messages"):
            return _error(400, "'model' and 'messages' are required")
        wants_stream = body.get("stream") is True
        stream_options = body.get("stream_options")
        include_usage = not wants_stream or (
            isinstance(stream_options, dict)
            and cast("dict[str, Any]", stream_options).get("include_usage") is True
        )
        params = {k: v for k, v in body.items() if k not in _OWN_KEYS}
        try:
            upstream = await litellm.acompletion(
                **{**defaults, **params},
                stream=True,
                stream_options={"include_usage": include_usage},
            )
        except Exception as exc:  # raised before any byte was sent: a plain error response
            return _error(getattr(exc, "status_code", 502), str(exc), type(exc).__name__)
        # --8<-- [start:handler]
        events = typedstream.aevents(upstream)
        if wants_stream:
            frames = typedstream.ato_sse(
                events,
                error_frame=True,
                include_usage=include_usage,
                keep_extensions=keep_extensions,
            )
            return StreamingResponse(
                _ending_cleanly(frames),
                media_type="text/event-stream",
                headers={"cache-control": "no-cache"},
            )
        try:
            completion = await typedstream.aaccumulate(events)
        except Exception as exc:
            return _error(getattr(exc, "status_code", 502), str(exc), type(exc).__name__)
        if keep_extensions:
            return JSONResponse(completion.model_dump(mode="json"))
        return JSONResponse(_declared(completion))
        # --8<-- [end:handler]

    async def messages(request: Request) -> Response:
        try:
            parsed: object = await request.json()
        except ValueError:
            return _anthropic_error(400, "the request body is not JSON")
        if not isinstance(parsed, dict):
            return _anthropic_error(400, "the request body must be a JSON object")
        body = cast("dict[str, Any]", parsed)
        try:
            params = messages_request.completion_kwargs(body)
        except messages_request.InvalidRequest as exc:
            return JSONResponse(exc.body(), status_code=400)
        try:
            upstream = await litellm.acompletion(
                **{**defaults, **params}, stream=True, stream_options={"include_usage": True}
            )
        except Exception as exc:  # raised before any byte was sent: a plain error response
            return _provider_error(exc)
        # --8<-- [start:messages]
        events = typedstream.aevents(upstream)
        if body.get("stream") is True:
            frames = typedstream.ato_anthropic_sse(events, ping_interval=ping_interval)
            return StreamingResponse(
                _ending_cleanly(frames),
                media_type="text/event-stream",
                headers={"cache-control": "no-cache"},
            )
        accumulator = typedstream.Accumulator()
        try:
            async for event in events:
                accumulator.add(event)
        except Exception as exc:
            return _provider_error(exc)
        return JSONResponse(accumulator.message())
        # --8<-- [end:messages]

    async def responses(request: Request) -> Response:
        try:
            parsed: object = await request.json()
        except ValueError:
            return _error(400, "the request body is not JSON")
        if not isinstance(parsed, dict):
            return _error(400, "the request body must be a JSON object")
        body = cast("dict[str, Any]", parsed)
        try:
            params = responses_request.completion_kwargs(body)
        except responses_request.InvalidRequest as exc:
            return JSONResponse(exc.body(), status_code=400)
        try:
            upstream = await litellm.acompletion(
                **{**defaults, **params}, stream=True, stream_options={"include_usage": True}
            )
        except Exception as exc:  # raised before any byte was sent: a plain error response
            return _openai_error(exc)
        # --8<-- [start:responses]
        events = typedstream.aevents(upstream)
        model, echo = body["model"], responses_request.echo_fields(body)
        if body.get("stream") is True:
            frames = typedstream.ato_responses_sse(events, model=model, echo=echo)
            return StreamingResponse(
                _ending_cleanly(frames),
                media_type="text/event-stream",
                headers={"cache-control": "no-cache"},
            )
        # Not streamed: the response object a streamed call ends with.
        accumulator = typedstream.Accumulator(
            response=typedstream.ResponsesWriter(model=model, echo=echo)
        )
        try:
            async for event in events:
                accumulator.add(event)
        except Exception as exc:
            return _openai_error(exc)
        return JSONResponse(accumulator.response())
        # --8<-- [end:responses]

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/responses", responses, methods=["POST"]),
        ]
    )


async def _ending_cleanly(frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    # ato_sse() has sent the client an error frame (and no [DONE]) before it re-raises: log
    # the error and end the response normally instead of tearing the connection down.
    try:
        async for frame in frames:
            yield frame
    except Exception:
        logger.exception("the provider's stream failed")


def _declared(value: object) -> object:
    """A pydantic model's declared fields only (drops provider extras), recursively, as JSON."""
    fields: dict[str, object] | None = getattr(type(value), "model_fields", None)
    if fields is not None:
        return {name: _declared(getattr(value, name, None)) for name in fields}
    if isinstance(value, list):
        return [_declared(item) for item in cast("list[object]", value)]
    return value


def _error(status: object, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    status = status if isinstance(status, int) and 400 <= status < 600 else 502
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": None}},
        status_code=status,
    )


# Anthropic's error type for each HTTP status it answers with (anything else: api_error).
_ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}
# The error type in an Anthropic error body quoted in an exception's message.
_QUOTED_TYPE = re.compile(r'"error":\s*\{"type":\s*"([a-z_]+)"')


def _provider_status(exc: Exception) -> int:
    """The HTTP status of a provider error, as the provider sent it."""
    status = getattr(exc, "status_code", 502)
    status = status if isinstance(status, int) and 400 <= status < 600 else 502
    quoted = _QUOTED_TYPE.search(str(exc))
    # LiteLLM raises Anthropic's 529 "overloaded_error" as a 500: the body it quotes says
    # what it was, and the client's retry logic needs the real status.
    if status == 500 and quoted is not None and quoted.group(1) == "overloaded_error":
        status = 529
    return status


def _provider_error(exc: Exception) -> JSONResponse:
    """Anthropic's error JSON for a provider error, with the status Anthropic would send."""
    return _anthropic_error(_provider_status(exc), str(exc))


# OpenAI's error type for each HTTP status (anything else from 500 on: server_error).
_OPENAI_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def _openai_error(exc: Exception) -> JSONResponse:
    """OpenAI's error JSON for a provider error, with the provider's status."""
    status = _provider_status(exc)
    return _error(status, str(exc), _OPENAI_ERRORS.get(status, "server_error"))


def _anthropic_error(status: int, message: str) -> JSONResponse:
    kind = _ANTHROPIC_ERRORS.get(status, "api_error")
    return JSONResponse(
        {"type": "error", "error": {"type": kind, "message": message}}, status_code=status
    )


app = create_app()
