"""The loopback provider: each wire format byte for byte, request records, disconnects, stop."""

from __future__ import annotations

import http.client
import json
import socket
import time
from typing import Any

import pytest
from corpus import recording

from typedstream.testing import SCENARIOS, LoopbackError, LoopbackProvider, scenario

pytestmark = pytest.mark.live


def post(provider: LoopbackProvider, path: str, body: Any) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", provider.port, timeout=10)
    try:
        conn.request("POST", path, json.dumps(body), {"content-type": "application/json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_openai_endpoint_sends_each_chunk_as_a_data_frame_then_done(
    loopback: LoopbackProvider,
) -> None:
    status, headers, body = post(
        loopback, "/openai_tools/v1/chat/completions", {"model": "gpt-4o", "stream": True}
    )
    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["transfer-encoding"] == "chunked"
    blocks = body.split(b"\n\n")
    assert blocks[-2:] == [b"data: [DONE]", b""]
    assert all(block.startswith(b"data: {") for block in blocks[:-2])
    sent = [json.loads(block[6:]) for block in blocks[:-2]]
    assert sent == recording("wire_openai_tools.jsonl").chunks()


def test_anthropic_endpoint_sends_event_and_data_lines(loopback: LoopbackProvider) -> None:
    status, _, body = post(
        loopback, "/anthropic_tools/v1/messages", {"model": "claude", "stream": True}
    )
    assert status == 200
    blocks = body.split(b"\n\n")
    assert blocks[-1] == b""
    sent = []
    for block in blocks[:-1]:
        event, data = block.split(b"\n")
        assert event.startswith(b"event: ")
        assert data.startswith(b"data: ")
        obj = json.loads(data[6:])
        assert event[7:].decode() == obj["type"]
        sent.append(obj)
    assert sent == recording("wire_anthropic_basic.jsonl").chunks()
    assert b"[DONE]" not in body


def test_gemini_endpoint_sends_crlf_separated_frames(loopback: LoopbackProvider) -> None:
    status, _, body = post(
        loopback,
        "/gemini_tools/models/gemini-1.5-pro:streamGenerateContent?alt=sse",
        {"contents": []},
    )
    assert status == 200
    assert body.endswith(b"\r\n\r\n")
    frames = body.split(b"\r\n\r\n")[:-1]
    assert all(frame.startswith(b"data: ") and b"\n" not in frame for frame in frames)
    sent = [json.loads(frame[6:]) for frame in frames]
    assert sent == recording("wire_gemini.jsonl").chunks()


def test_each_endpoint_replays_its_tools_scenario_without_a_prefix(
    loopback: LoopbackProvider,
) -> None:
    post(loopback, "/v1/chat/completions", {"stream": True})
    assert loopback.last.reply == "openai_tools"
    post(loopback, "/v1/messages", {"stream": True})
    assert loopback.last.reply == "anthropic_tools"
    post(loopback, "/v1beta/models/g:streamGenerateContent?alt=sse", {})
    assert loopback.last.reply == "gemini_tools"


def test_every_request_is_recorded(loopback: LoopbackProvider) -> None:
    body = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    post(loopback, "/openai_toolsonly/v1/chat/completions", body)
    exchange = loopback.last
    assert exchange.method == "POST"
    assert exchange.path == "/openai_toolsonly/v1/chat/completions"
    assert exchange.headers["content-type"] == "application/json"
    assert exchange.body == body
    assert exchange.reply == "openai_toolsonly"
    assert exchange.status == 200
    assert exchange.wait(5)
    chunks = recording("wire_openai_toolsonly.jsonl").chunks()
    assert exchange.frames_sent == len(chunks) + 1  # and data: [DONE]
    assert exchange.completed
    assert not exchange.disconnected


def test_a_request_that_does_not_stream_is_refused(loopback: LoopbackProvider) -> None:
    status, _, body = post(loopback, "/v1/chat/completions", {"model": "gpt-4o"})
    assert status == 400
    assert "only answers streaming requests" in json.loads(body)["error"]["message"]
    status, _, _ = post(loopback, "/v1beta/models/g:generateContent", {})
    assert status == 404


def test_a_scenario_in_another_wire_format_is_refused(loopback: LoopbackProvider) -> None:
    status, _, body = post(loopback, "/anthropic_tools/v1/chat/completions", {"stream": True})
    assert status == 400
    assert "not in the openai format" in json.loads(body)["error"]["message"]
    assert loopback.last.reply is None


def test_a_client_that_leaves_early_is_observed_as_disconnected(
    loopback: LoopbackProvider,
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", loopback.port, timeout=10)
    conn.request("POST", "/openai_slow/v1/chat/completions", json.dumps({"stream": True}))
    response = conn.getresponse()
    assert response.read1(10).startswith(b"data: ")
    exchange = loopback.last
    conn.close()
    assert exchange.wait(2)
    assert exchange.disconnected
    assert not exchange.completed
    assert exchange.frames_sent < len(scenario("openai_slow").frames)


def test_stop_ends_streams_in_flight_and_frees_the_port() -> None:
    provider = LoopbackProvider().start()
    port = provider.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/anthropic_slow/v1/messages", json.dumps({"stream": True}))
    response = conn.getresponse()
    response.read1(10)
    started = time.monotonic()
    provider.stop()
    assert time.monotonic() - started < 2
    assert provider.requests[0].ended
    assert not provider.requests[0].completed
    provider.stop()  # idempotent
    conn.close()
    with pytest.raises(LoopbackError, match="not running"):
        provider.url("openai_tools")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_context_manager_always_stops_the_server() -> None:
    with pytest.raises(ZeroDivisionError), LoopbackProvider() as provider:
        port = provider.port
        1 / 0  # noqa: B018
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_api_base_points_each_wire_format_where_litellm_appends_its_path(
    loopback: LoopbackProvider,
) -> None:
    root = f"http://127.0.0.1:{loopback.port}"
    assert loopback.api_base("openai_tools") == f"{root}/openai_tools/v1"
    assert loopback.api_base("anthropic_thinking") == f"{root}/anthropic_thinking"
    assert loopback.api_base("gemini_tools") == f"{root}/gemini_tools"
    with pytest.raises(LoopbackError, match="no scenario 'nope'"):
        loopback.url("nope")


def test_shipped_scenarios_cover_each_wire_format_tools_thinking_usage_errors_and_slow() -> None:
    for name in (
        "openai_tools",
        "openai_tools_usage",
        "openai_toolsonly",
        "openai_reasoning",
        "anthropic_tools",
        "anthropic_thinking",
        "anthropic_error",
        "openai_anthropic_twin",
        "gemini_tools",
        "gemini_thinking",
        "openai_slow",
        "anthropic_slow",
        "gemini_slow",
    ):
        assert name in SCENARIOS
        assert SCENARIOS[name].wire == name.split("_")[0]
    assert all(SCENARIOS[f"{wire}_slow"].interval > 0 for wire in ("openai", "anthropic", "gemini"))
