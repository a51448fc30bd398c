"""`typedstream.testing`: what the loopback provider serves, its faults and its records.

Spoken to with the standard library's HTTP client, so these tests need nothing but the
package (the real clients are in `test_testing_kit_clients.py`).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from corpus import CORPUS, recording

import typedstream
from typedstream import ProviderError, TextDelta, events
from typedstream.testing import (
    SCENARIOS,
    LoopbackError,
    LoopbackProvider,
    Reply,
    Request,
    http_error,
    scenario,
)

CHAT = "/v1/chat/completions"
MESSAGES = "/v1/messages"
GEMINI = "/v1beta/models/gemini-1.5-pro:streamGenerateContent?alt=sse"
STREAM = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}

CHUNKS = [
    {"id": "c1", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}]},
    {"id": "c1", "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]},
]


def post(provider: LoopbackProvider, path: str = CHAT, body: Any = STREAM) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", provider.port, timeout=10)
    try:
        conn.request("POST", path, json.dumps(body), {"content-type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def texts(body: bytes) -> str:
    return "".join(e.text for e in events(body) if isinstance(e, TextDelta))


# -- sources -----------------------------------------------------------------------------------


def test_without_a_reply_each_endpoint_replays_its_tools_scenario(
    loopback_provider: LoopbackProvider,
) -> None:
    post(loopback_provider, CHAT)
    post(loopback_provider, MESSAGES)
    post(loopback_provider, GEMINI, {})
    post(loopback_provider, "/v1/responses", {"stream": True})
    assert [r.reply for r in loopback_provider.requests] == [
        "openai_tools",
        "anthropic_tools",
        "gemini_tools",
        "responses_tools",
    ]


def test_a_scenario_name_is_served(loopback_provider: LoopbackProvider) -> None:
    loopback_provider.respond("openai_text_usage")
    status, body = post(loopback_provider)
    assert status == 200
    assert texts(body) == texts(b"".join(scenario("openai_text_usage").frames))
    assert loopback_provider.last.reply == "openai_text_usage"


def test_a_list_of_chunk_dicts_is_served_as_openai_frames_then_done(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond(CHUNKS)
    _, body = post(loopback_provider)
    assert body.split(b"\n\n")[-2:] == [b"data: [DONE]", b""]
    assert [json.loads(f[6:]) for f in body.split(b"\n\n")[:-2]] == CHUNKS
    assert texts(body) == "Hello"


def test_wire_objects_of_another_provider_are_served_in_its_format(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond(scenario("anthropic_tools").payloads())
    _, body = post(loopback_provider, MESSAGES)
    assert body.startswith(b"event: message_start\ndata: {")
    assert body == b"".join(scenario("anthropic_tools").frames)


def test_typed_events_are_served_as_exact_openai_chunks(
    loopback_provider: LoopbackProvider,
) -> None:
    source = list(events(CHUNKS))
    loopback_provider.respond(source)
    _, body = post(loopback_provider)
    assert body == b"".join(typedstream.to_sse(source))
    assert list(events(body)) == list(events(b"".join(typedstream.to_sse(source))))
    assert loopback_provider.last.reply == "events"


def test_a_recorded_sse_file_is_replayed_byte_for_byte(
    loopback_provider: LoopbackProvider,
) -> None:
    path = CORPUS / "openai_gpt4o_parallel_tool_calls.sse"
    loopback_provider.respond(path)
    _, body = post(loopback_provider)
    assert body == path.read_bytes()
    assert loopback_provider.last.reply == path.name


def test_a_recorded_jsonl_file_is_served_with_its_wire_format_inferred(
    loopback_provider: LoopbackProvider,
) -> None:
    rec = recording("wire_anthropic_basic.jsonl")
    reply = Reply.from_file(rec.path)
    assert reply.wire == "anthropic"
    loopback_provider.respond(reply)
    _, body = post(loopback_provider, MESSAGES)
    assert Reply.from_objects(rec.chunks()).frames == reply.frames
    assert body == b"".join(reply.frames)


def test_a_recorded_sse_error_stream_keeps_its_error(loopback_provider: LoopbackProvider) -> None:
    loopback_provider.respond(CORPUS / "groq_gpt_oss_tool_use_failed_error.sse")
    _, body = post(loopback_provider)
    with pytest.raises(ProviderError):
        list(events(body))


def test_gemini_wire_objects_are_inferred_and_sent_crlf_separated() -> None:
    reply = Reply.from_objects(scenario("gemini_tools").payloads())
    assert reply.wire == "gemini"
    assert all(frame.endswith(b"}\r\n\r\n") for frame in reply.frames)
    assert reply.frames == scenario("gemini_tools").frames


def test_a_function_of_the_request_chooses_each_reply(
    loopback_provider: LoopbackProvider,
) -> None:
    seen: list[Request] = []

    def answer(request: Request) -> str:
        seen.append(request)
        return "openai_toolsonly" if request.json["model"] == "tools" else "openai_text_usage"

    loopback_provider.respond(answer)
    post(loopback_provider, CHAT, {**STREAM, "model": "tools"})
    post(loopback_provider, CHAT, {**STREAM, "model": "text"})
    assert [r.reply for r in loopback_provider.requests] == [
        "openai_toolsonly",
        "openai_text_usage",
    ]
    assert seen == loopback_provider.requests


def test_replies_in_turn_answer_one_request_each_then_the_fixed_reply(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond("openai_parallel")
    loopback_provider.respond_in_turn("openai_tools", CHUNKS)
    for _ in range(3):
        post(loopback_provider)
    assert [r.reply for r in loopback_provider.requests] == [
        "openai_tools",
        "openai objects",
        "openai_parallel",
    ]


def test_a_request_after_the_last_reply_in_turn_is_a_500_and_a_recorded_error() -> None:
    with LoopbackProvider(in_turn=["openai_tools"]) as provider:
        assert post(provider)[0] == 200
        status, body = post(provider)
    assert status == 500
    assert "all 1 replies given in turn were served" in json.loads(body)["error"]["message"]
    (error,) = provider.errors
    assert isinstance(error, LoopbackError)


def test_a_responder_that_raises_is_a_500_and_a_recorded_error() -> None:
    def broken(request: Request) -> str:
        raise ValueError("no idea")

    with LoopbackProvider(broken) as provider:
        status, _ = post(provider)
    assert status == 500
    assert [repr(e) for e in provider.errors] == ["ValueError('no idea')"]


def test_a_scenario_in_the_url_wins_over_the_reply(loopback_provider: LoopbackProvider) -> None:
    loopback_provider.respond(CHUNKS)
    post(loopback_provider, "/openai_parallel/v1/chat/completions")
    assert loopback_provider.last.reply == "openai_parallel"


def test_a_reply_in_another_wire_format_is_refused(loopback_provider: LoopbackProvider) -> None:
    loopback_provider.respond("gemini_tools")
    status, body = post(loopback_provider, MESSAGES)
    assert status == 400
    assert "not in the anthropic format" in json.loads(body)["error"]["message"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("nope", "no scenario 'nope'; known: "),
        ("recording.sse", "pass a pathlib.Path to replay a file"),
        (Path("chunks.txt"), "an .sse or a .jsonl file"),
        ([{"id": "x"}, TextDelta(choice=0, text="a")], "either wire objects"),
        (42, "cannot serve a int"),
    ],
)
def test_what_cannot_be_served_is_a_loopback_error_saying_why(source: Any, message: str) -> None:
    with pytest.raises(LoopbackError, match=message):
        LoopbackProvider(source)


def test_a_loopback_error_is_a_typedstream_error() -> None:
    assert issubclass(LoopbackError, typedstream.TypedStreamError)


# -- faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (
            CHAT,
            STREAM,
            {
                "error": {
                    "message": "slow down",
                    "type": "rate_limit_error",
                    "param": None,
                    "code": None,
                }
            },
        ),
        (
            MESSAGES,
            STREAM,
            {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
        ),
        (
            GEMINI,
            {},
            {"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}},
        ),
    ],
)
def test_an_http_error_is_answered_in_each_providers_error_body(
    loopback_provider: LoopbackProvider, path: str, body: Any, expected: Any
) -> None:
    loopback_provider.respond(http_error(429, "slow down"))
    status, answer = post(loopback_provider, path, body)
    assert status == 429
    assert json.loads(answer) == expected
    assert loopback_provider.last.reply == "HTTP 429"


def test_an_http_error_without_a_message_says_the_status_phrase() -> None:
    assert http_error(503).error == ("Service Unavailable", "overloaded_error")
    with pytest.raises(LoopbackError, match="not in 400-599"):
        http_error(200)


def test_a_cut_connection_ends_the_body_early_without_its_end(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond(scenario("openai_tools").cut_after(2))
    conn = http.client.HTTPConnection("127.0.0.1", loopback_provider.port, timeout=10)
    conn.request("POST", CHAT, json.dumps(STREAM))
    response = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    conn.close()
    assert cut.value.partial == b"".join(scenario("openai_tools").frames[:2])
    request = loopback_provider.last
    assert request.wait(2)
    assert request.frames_sent == 2
    assert not request.completed


def test_an_in_band_error_follows_the_frames_before_it_and_ends_the_stream(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond(scenario("openai_tools").error_after(3, "overloaded"))
    _, body = post(loopback_provider)
    assert b"[DONE]" not in body
    assert body.startswith(b"".join(scenario("openai_tools").frames[:3]))
    received: list[Any] = []
    with pytest.raises(ProviderError, match="chunk 4: provider error: overloaded"):
        received.extend(events(body))
    assert received


@pytest.mark.parametrize(
    ("name", "frame"),
    [
        (
            "anthropic_tools",
            b'event: error\ndata: {"type":"error","error":'
            b'{"type":"overloaded_error","message":"busy"}}\n\n',
        ),
        (
            "gemini_tools",
            b'data: {"error":{"code":500,"message":"busy","status":"INTERNAL"}}\r\n\r\n',
        ),
    ],
)
def test_an_in_band_error_is_in_each_providers_own_frame(name: str, frame: bytes) -> None:
    reply = scenario(name).error_after(1, "busy")
    assert reply.frames == (scenario(name).frames[0], frame)


def test_http_errors_have_no_frames_to_cut_or_fail() -> None:
    with pytest.raises(LoopbackError, match="no frames to cut"):
        http_error(500).cut_after(1)
    with pytest.raises(LoopbackError, match="no stream to fail"):
        http_error(500).error_after(1)


def test_a_delay_holds_the_response_back(loopback_provider: LoopbackProvider) -> None:
    loopback_provider.respond(scenario("openai_tools").delayed(5))
    conn = http.client.HTTPConnection("127.0.0.1", loopback_provider.port, timeout=0.3)
    conn.request("POST", CHAT, json.dumps(STREAM))
    with pytest.raises(TimeoutError):
        conn.getresponse()
    conn.close()
    request = loopback_provider.last
    assert request.wait(2), "the provider noticed the client leave during the delay"
    assert request.disconnected
    assert request.status == 0


def test_a_pause_between_frames_lets_a_client_leave_mid_stream(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond(Reply.from_objects(CHUNKS * 50).delayed(between=0.05))
    conn = http.client.HTTPConnection("127.0.0.1", loopback_provider.port, timeout=10)
    conn.request("POST", CHAT, json.dumps(STREAM))
    assert conn.getresponse().read1(10).startswith(b"data: ")
    conn.close()
    request = loopback_provider.last
    assert request.wait(2)
    assert request.disconnected
    assert 0 < request.frames_sent < 101


def test_faults_return_new_replies_and_leave_the_scenario_alone() -> None:
    slow = scenario("openai_tools").delayed(0.5, between=0.1).cut_after(4)
    assert (slow.delay, slow.interval, slow.cut) == (0.5, 0.1, 4)
    assert (scenario("openai_tools").delay, scenario("openai_tools").cut) == (0.0, None)
    assert slow.frames == scenario("openai_tools").frames


# -- records and addresses ---------------------------------------------------------------------


def test_each_request_is_recorded_with_what_was_answered(
    loopback_provider: LoopbackProvider,
) -> None:
    post(loopback_provider, CHAT, STREAM)
    request = loopback_provider.last
    assert request.wait(5)
    assert (request.method, request.path, request.wire) == ("POST", CHAT, "openai")
    assert request.headers["content-type"] == "application/json"
    assert request.body == request.json == STREAM
    assert request.status == 200
    assert request.frames_sent == len(scenario("openai_tools").frames)
    assert request.completed
    assert not request.disconnected


def test_last_without_a_request_is_a_loopback_error(loopback_provider: LoopbackProvider) -> None:
    with pytest.raises(LoopbackError, match="has not received a request"):
        _ = loopback_provider.last


def test_reset_forgets_requests_and_replies(loopback_provider: LoopbackProvider) -> None:
    loopback_provider.respond(CHUNKS)
    post(loopback_provider)
    loopback_provider.reset()
    assert loopback_provider.requests == []
    post(loopback_provider)
    assert loopback_provider.last.reply == "openai_tools"


def test_the_addresses_for_each_client(loopback_provider: LoopbackProvider) -> None:
    root = f"http://127.0.0.1:{loopback_provider.port}"
    assert loopback_provider.root == root
    assert loopback_provider.base_url == f"{root}/v1"
    assert loopback_provider.api_base() == loopback_provider.api_base("openai") == f"{root}/v1"
    assert loopback_provider.api_base("anthropic") == loopback_provider.api_base("gemini") == root
    assert loopback_provider.api_base("openai_parallel") == f"{root}/openai_parallel/v1"
    assert loopback_provider.api_base("gemini_thinking") == f"{root}/gemini_thinking"


def test_a_stopped_provider_has_no_address_and_frees_its_port() -> None:
    with LoopbackProvider() as provider:
        port = provider.port
    with pytest.raises(LoopbackError, match="not running"):
        _ = provider.base_url
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_every_built_in_scenario_is_a_reply_named_after_its_wire_format() -> None:
    assert len(SCENARIOS) >= 16
    for name, reply in SCENARIOS.items():
        assert reply.name == name
        assert reply.wire == name.split("_")[0]
        assert reply.payloads()


def test_a_slow_stream_takes_its_pauses(loopback_provider: LoopbackProvider) -> None:
    loopback_provider.respond(Reply.from_objects(CHUNKS).delayed(0.2, between=0.2))
    started = time.monotonic()
    post(loopback_provider)
    assert time.monotonic() - started >= 0.4


# -- the pytest plugin -------------------------------------------------------------------------

PLUGIN_TEST = textwrap.dedent(
    """
    import http.client, json

    pytest_plugins = ["typedstream.testing.pytest_plugin"]


    def test_uses_the_fixture(loopback_provider):
        loopback_provider.respond_in_turn("openai_tools")
        for _ in range(2):
            conn = http.client.HTTPConnection("127.0.0.1", loopback_provider.port)
            conn.request("POST", "/v1/chat/completions", json.dumps({"stream": True}))
            conn.getresponse().read()
            conn.close()
    """
)


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)


def test_the_plugin_fixture_fails_a_test_whose_provider_recorded_an_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_agent.py").write_text(PLUGIN_TEST)
    result = run_pytest(tmp_path)
    summary = result.stdout.strip().splitlines()[-1]
    assert re.match(r"1 passed(, \d+ warnings?)?, 1 error in ", summary), result.stdout
    assert "the loopback provider failed" in result.stdout
    assert "all 1 replies given in turn were served" in result.stdout


def test_the_plugin_is_opt_in(tmp_path: Path) -> None:
    (tmp_path / "test_agent.py").write_text(PLUGIN_TEST.replace("pytest_plugins", "unused"))
    result = run_pytest(tmp_path)
    assert "fixture 'loopback_provider' not found" in result.stdout, result.stdout


# -- the Responses wire ------------------------------------------------------------------------

RESPONSES = "/v1/responses"
RESPONSES_REQUEST = {"model": "gpt-4o", "stream": True, "input": "hi"}
RECORDED_RESPONSES = CORPUS / "responses"


def test_the_responses_endpoint_replays_its_tools_scenario_by_default(
    loopback_provider: LoopbackProvider,
) -> None:
    status, body = post(loopback_provider, RESPONSES, RESPONSES_REQUEST)
    assert status == 200
    assert body == b"".join(scenario("responses_tools").frames)
    assert loopback_provider.last.wire == "responses"
    assert loopback_provider.last.reply == "responses_tools"
    done = [e for e in events(body) if isinstance(e, typedstream.ToolCallDone)]
    assert [e.name for e in done] == ["get_weather", "get_time"]


def test_responses_frames_name_their_event_and_end_without_done() -> None:
    for name in ("responses_tools", "responses_text", "responses_slow"):
        reply = scenario(name)
        for frame, payload in zip(reply.frames, reply.payloads(), strict=True):
            assert frame.startswith(f"event: {payload['type']}\ndata: {{".encode())
        assert reply.payloads()[-1]["type"] == "response.completed"
        assert typedstream.check_responses_events(reply.payloads()) == []


def test_a_recorded_responses_file_is_inferred_and_replayed_byte_for_byte(
    loopback_provider: LoopbackProvider,
) -> None:
    path = RECORDED_RESPONSES / "pai_openai_gpt5_function_call_encrypted_reasoning.sse"
    reply = Reply.from_file(path)
    assert reply.wire == "responses"
    loopback_provider.respond(reply)
    _, body = post(loopback_provider, RESPONSES, RESPONSES_REQUEST)
    assert body == path.read_bytes()


def test_a_recorded_responses_file_without_event_lines_is_inferred(tmp_path: Path) -> None:
    path = tmp_path / "bare.sse"
    frames = [f"data: {json.dumps(p)}\n\n" for p in scenario("responses_text").payloads()]
    path.write_text("".join(frames), encoding="utf-8")
    assert Reply.from_file(path).wire == "responses"


def test_responses_event_dicts_are_served_as_responses_frames() -> None:
    reply = Reply.from_objects(scenario("responses_tools").payloads())
    assert reply.wire == "responses"
    assert reply.frames == scenario("responses_tools").frames


def test_typed_events_are_served_as_the_exact_responses_writer_output(
    loopback_provider: LoopbackProvider,
) -> None:
    source = list(events(CHUNKS))
    loopback_provider.respond(Reply.from_events(source, wire="responses"))
    _, body = post(loopback_provider, RESPONSES, RESPONSES_REQUEST)
    assert body == b"".join(typedstream.to_responses_sse(source))


def test_typed_events_are_served_as_exact_anthropic_events() -> None:
    source = list(events(CHUNKS))
    reply = Reply.from_events(source, wire="anthropic")
    assert reply.wire == "anthropic"
    assert reply.frames == tuple(typedstream.to_anthropic_sse(source))


def test_typed_events_have_no_gemini_writer() -> None:
    with pytest.raises(LoopbackError, match="cannot be written as gemini"):
        Reply.from_events(events(CHUNKS), wire="gemini")


def test_a_responses_reply_at_the_chat_endpoint_is_refused(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond("responses_text")
    status, body = post(loopback_provider)
    assert status == 400
    assert b"not in the openai format (responses)" in body


@pytest.mark.parametrize("frames", [2, 5, 9])
def test_a_responses_error_is_an_error_event_then_response_failed(frames: int) -> None:
    reply = scenario("responses_tools").error_after(frames, "busy", type="overloaded")
    kept, (error, failed) = reply.payloads()[:frames], reply.payloads()[frames:]
    assert kept == scenario("responses_tools").payloads()[:frames]
    assert error == {
        "type": "error",
        "sequence_number": frames,
        "error": {"type": "overloaded", "code": "overloaded", "message": "busy", "param": None},
    }
    assert failed["type"] == "response.failed"
    assert failed["sequence_number"] == frames + 1
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"] == {"code": "overloaded", "message": "busy"}
    assert typedstream.check_responses_events(reply.payloads()) == []


def test_a_responses_error_is_read_as_a_provider_error(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond(scenario("responses_text").error_after(6, "overloaded"))
    _, body = post(loopback_provider, RESPONSES, RESPONSES_REQUEST)
    received: list[Any] = []
    with pytest.raises(ProviderError, match="overloaded"):
        received.extend(events(body))
    assert "".join(e.text for e in received if isinstance(e, TextDelta))


def test_an_http_error_at_the_responses_endpoint_has_openais_error_body(
    loopback_provider: LoopbackProvider,
) -> None:
    loopback_provider.respond(http_error(429, "slow down"))
    status, answer = post(loopback_provider, RESPONSES, RESPONSES_REQUEST)
    assert status == 429
    assert json.loads(answer) == {
        "error": {"message": "slow down", "type": "rate_limit_error", "param": None, "code": None}
    }


def test_the_responses_addresses_are_the_openai_ones(loopback_provider: LoopbackProvider) -> None:
    root = loopback_provider.root
    assert loopback_provider.api_base("responses") == f"{root}/v1"
    assert loopback_provider.api_base("responses_text") == f"{root}/responses_text/v1"
    status, body = post(loopback_provider, "/responses_text/v1/responses", RESPONSES_REQUEST)
    assert status == 200
    assert body == b"".join(scenario("responses_text").frames)
