"""examples/openai_proxy.py under uvicorn on 127.0.0.1, spoken to with the real `openai` client.

The proxy's upstream is LiteLLM pointed at the loopback provider (Anthropic's wire format),
so the whole chain is real: openai client -> uvicorn -> Starlette -> typedstream ->
LiteLLM -> loopback provider.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import openai
import pytest
from litellm_cases import MESSAGES, SAN_FRANCISCO

from typedstream import check_openai_chunks
from typedstream.testing import TOOLS, LoopbackProvider, scenario

pytestmark = pytest.mark.live

PROXY = Path(__file__).resolve().parents[2] / "examples" / "openai_proxy.py"
MODEL = "anthropic/claude-3-5-sonnet-20241022"


@pytest.fixture(scope="module")
def proxy_module(litellm: Any) -> ModuleType:
    spec = importlib.util.spec_from_file_location("openai_proxy", PROXY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn on 127.0.0.1 (ephemeral port); yield its ``/v1`` base URL."""
    import uvicorn  # a test extra: imported here so `nox -s tests_min` collects this module

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive(), "uvicorn failed to start"
            assert time.monotonic() < deadline, "uvicorn did not start in 10 s"
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def proxy(proxy_module: ModuleType, loopback: LoopbackProvider) -> Iterator[str]:
    app = proxy_module.create_app(api_base=loopback.api_base("anthropic_tools"), api_key="sk-lb")
    with serve(app) as url:
        yield url


@pytest.fixture
def client(proxy: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=proxy, api_key="unused", max_retries=0) as client:
        yield client


def test_the_proxy_streams_exact_openai_chunks(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        tools=TOOLS,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk.model_dump(mode="json", exclude_unset=True) for chunk in stream]
    assert check_openai_chunks(chunks) == []
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["prompt_tokens"] == 472


def test_the_openai_stream_helper_rebuilds_the_calls_through_the_proxy(
    client: openai.OpenAI,
) -> None:
    with client.chat.completions.stream(
        model=MODEL,
        messages=MESSAGES,
        tools=TOOLS,
        stream_options={"include_usage": True},
    ) as stream:
        completion = stream.get_final_completion()
    (choice,) = completion.choices
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Okay, let me check that."
    calls = [(t.id, t.function.name, t.function.arguments) for t in choice.message.tool_calls or ()]
    assert calls == list(SAN_FRANCISCO)
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (472, 89)


def test_the_proxy_sends_usage_only_when_asked_and_ends_with_done(proxy: str) -> None:
    request = {"model": MODEL, "messages": MESSAGES, "tools": TOOLS, "stream": True}
    response = httpx.post(proxy + "/chat/completions", json=request, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = response.content.split(b"\n\n")
    assert frames[-2:] == [b"data: [DONE]", b""]
    chunks = [json.loads(frame[len(b"data: ") :]) for frame in frames[:-2]]
    assert check_openai_chunks(chunks) == []
    assert all(chunk["choices"] for chunk in chunks)  # no usage chunk: not asked for


def test_the_proxy_answers_a_non_streaming_request_with_the_accumulated_completion(
    client: openai.OpenAI,
) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES, tools=TOOLS)
    assert completion.object == "chat.completion"
    (choice,) = completion.choices
    assert choice.finish_reason == "tool_calls"
    assert choice.message.role == "assistant"
    assert choice.message.content == "Okay, let me check that."
    calls = [(t.id, t.function.name, t.function.arguments) for t in choice.message.tool_calls or ()]
    assert calls == list(SAN_FRANCISCO)
    assert completion.usage is not None
    assert completion.usage.total_tokens == 561
    assert "cost" not in completion.usage.model_dump()  # OpenAI's fields only by default


def test_the_proxy_rejects_a_request_without_messages(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="'model' and 'messages' are required"):
        client.chat.completions.create(model=MODEL, messages=[])


def test_a_provider_error_mid_stream_becomes_an_error_frame_without_done(
    proxy_module: ModuleType, loopback: LoopbackProvider
) -> None:
    app = proxy_module.create_app(api_base=loopback.api_base("anthropic_error"), api_key="k")
    with serve(app) as url:
        request = {"model": MODEL, "messages": MESSAGES, "stream": True}
        body = httpx.post(url + "/chat/completions", json=request, timeout=10).content
        with openai.OpenAI(base_url=url, api_key="unused", max_retries=0) as client:
            stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
            texts = []
            with pytest.raises(openai.APIError, match=r"upstream stream failed"):
                texts.extend(c.choices[0].delta.content for c in stream if c.choices)
    frames = body.split(b"\n\n")
    assert b"[DONE]" not in body
    # LiteLLM raised its own exception: only its class name reaches the client.
    assert json.loads(frames[-2][len(b"data: ") :]) == {
        "error": {
            "message": "the upstream stream failed (MidStreamFallbackError)",
            "type": "server_error",
            "code": None,
        }
    }
    assert "".join(t or "" for t in texts) == "Okay, "


def test_a_client_leaving_the_proxy_early_closes_the_provider_connection(
    proxy_module: ModuleType, loopback: LoopbackProvider
) -> None:
    app = proxy_module.create_app(api_base=loopback.api_base("anthropic_slow"), api_key="k")
    before = len(loopback.requests)
    with serve(app) as url, openai.OpenAI(base_url=url, api_key="x", max_retries=0) as client:
        stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        for number, _ in enumerate(stream, 1):
            if number == 3:
                break
        stream.close()
        (upstream,) = loopback.requests[before:]
        assert upstream.wait(5), "the proxy kept reading from the provider"
    assert upstream.disconnected
    assert upstream.frames_sent < len(scenario("anthropic_slow").frames)
