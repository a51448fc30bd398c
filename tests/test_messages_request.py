"""`examples/messages_request.py`: Anthropic Messages requests as LiteLLM chat arguments.

Pure translation, no I/O: each test gives a request (or a part of one) as an Anthropic client
sends it and the chat-shaped arguments written out by hand. What LiteLLM makes of them on the
wire to Anthropic is in tests/live/test_live_proxy_messages.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from messages_request import (
    TOOL_ERROR_PREFIX,
    InvalidRequest,
    chat_tool_choice,
    completion_kwargs,
)

SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3h+/="
THINKING = {"type": "thinking", "thinking": "The user wants weather.", "signature": SIGNATURE}
REDACTED = {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a"}
TOOL_USE = {
    "type": "tool_use",
    "id": "toolu_01A",
    "name": "get_weather",
    "input": {"location": "San Francisco, CA", "unit": "celsius"},
}
QUESTION = {"role": "user", "content": "What is the weather in San Francisco?"}


def request(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "model": "anthropic/claude-sonnet-4-5",
        "max_tokens": 1024,
        "messages": list(messages) or [QUESTION],
        **extra,
    }


def messages(*given: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = completion_kwargs(request(*given, **extra))["messages"]
    return found


def rejection(body: dict[str, Any]) -> str:
    with pytest.raises(InvalidRequest) as caught:
        completion_kwargs(body)
    return str(caught.value)


# -- the request ---------------------------------------------------------------------------------


def test_a_plain_request_keeps_model_max_tokens_and_the_user_text() -> None:
    assert completion_kwargs(request()) == {
        "model": "anthropic/claude-sonnet-4-5",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "What is the weather in San Francisco?"}],
    }


def test_stream_is_left_to_the_caller() -> None:
    assert "stream" not in completion_kwargs(request(stream=True))


def test_sampling_stop_sequences_and_thinking_are_passed_on() -> None:
    kwargs = completion_kwargs(
        request(
            temperature=0.5,
            top_p=0.9,
            top_k=40,
            stop_sequences=["\n\nHuman:", "END"],
            thinking={"type": "enabled", "budget_tokens": 2048},
        )
    )
    assert (kwargs["temperature"], kwargs["top_p"], kwargs["top_k"]) == (0.5, 0.9, 40)
    assert kwargs["stop"] == ["\n\nHuman:", "END"]
    assert kwargs["thinking"] == {"type": "enabled", "budget_tokens": 2048}


def test_metadata_user_id_becomes_the_user() -> None:
    assert completion_kwargs(request(metadata={"user_id": "u-42"}))["user"] == "u-42"


def test_a_string_system_prompt_is_the_first_message() -> None:
    assert messages(QUESTION, system="Be brief.")[0] == {"role": "system", "content": "Be brief."}


def test_one_plain_system_block_becomes_a_string() -> None:
    system = [{"type": "text", "text": "Be brief."}]
    assert messages(QUESTION, system=system)[0] == {"role": "system", "content": "Be brief."}


def test_system_blocks_with_cache_control_stay_parts() -> None:
    system = [
        {"type": "text", "text": "You are Claude Code."},
        {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}},
    ]
    assert messages(QUESTION, system=system)[0] == {
        "role": "system",
        "content": [
            {"type": "text", "text": "You are Claude Code."},
            {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}},
        ],
    }


# -- user content --------------------------------------------------------------------------------


def test_user_images_become_image_urls_base64_as_a_data_url() -> None:
    content = [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}},
        {"type": "text", "text": "What is in these?"},
    ]
    assert messages({"role": "user", "content": content}) == [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}},
                {"type": "text", "text": "What is in these?"},
            ],
        }
    ]


def test_cache_control_on_a_user_block_is_kept() -> None:
    content = [{"type": "text", "text": "Long document", "cache_control": {"type": "ephemeral"}}]
    (message,) = messages({"role": "user", "content": content})
    assert message["content"] == [
        {"type": "text", "text": "Long document", "cache_control": {"type": "ephemeral"}}
    ]


# -- the assistant's turn ------------------------------------------------------------------------


def test_assistant_thinking_blocks_are_kept_whole_with_their_signature() -> None:
    content = [THINKING, REDACTED, {"type": "text", "text": "Let me check."}, TOOL_USE]
    _, assistant = messages(QUESTION, {"role": "assistant", "content": content})
    assert assistant["thinking_blocks"] == [THINKING, REDACTED]
    assert assistant["thinking_blocks"][0]["signature"] == SIGNATURE
    assert assistant["reasoning_content"] == "The user wants weather."


def test_assistant_text_and_tool_use_become_content_and_tool_calls() -> None:
    content = [{"type": "text", "text": "Let me check."}, TOOL_USE]
    _, assistant = messages(QUESTION, {"role": "assistant", "content": content})
    assert assistant == {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {
                "id": "toolu_01A",
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "arguments": '{"location": "San Francisco, CA", "unit": "celsius"}',
                },
            }
        ],
    }


def test_an_assistant_message_of_calls_only_has_no_content() -> None:
    _, assistant = messages(QUESTION, {"role": "assistant", "content": [TOOL_USE]})
    assert assistant["content"] is None


def test_citations_on_assistant_text_are_left_out_and_the_text_kept() -> None:
    cited = {
        "type": "text",
        "text": "It rains.",
        "citations": [{"type": "char_location", "cited_text": "rain"}],
    }
    _, assistant = messages(QUESTION, {"role": "assistant", "content": [cited]})
    assert assistant == {"role": "assistant", "content": "It rains."}


# -- tool results --------------------------------------------------------------------------------


def turn_with_results(*results: dict[str, Any], text: str | None = None) -> list[dict[str, Any]]:
    second = {**TOOL_USE, "id": "toolu_01B", "name": "get_time", "input": {"tz": "UTC"}}
    content: list[dict[str, Any]] = list(results)
    if text is not None:
        content.append({"type": "text", "text": text})
    return messages(
        QUESTION,
        {"role": "assistant", "content": [THINKING, TOOL_USE, second]},
        {"role": "user", "content": content},
    )[2:]


def test_tool_results_become_tool_messages_matched_by_id_in_order() -> None:
    found = turn_with_results(
        {"type": "tool_result", "tool_use_id": "toolu_01B", "content": "12:00"},
        {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "15 degrees"},
    )
    assert found == [
        {"role": "tool", "tool_call_id": "toolu_01B", "content": "12:00"},
        {"role": "tool", "tool_call_id": "toolu_01A", "content": "15 degrees"},
    ]


def test_the_text_beside_tool_results_follows_them_as_a_user_message() -> None:
    found = turn_with_results(
        {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "15 degrees"},
        text="And tomorrow?",
    )
    assert found == [
        {"role": "tool", "tool_call_id": "toolu_01A", "content": "15 degrees"},
        {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]},
    ]


def test_tool_result_blocks_become_content_parts() -> None:
    content = [
        {"type": "text", "text": "15 degrees"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iV"}},
    ]
    (tool,) = turn_with_results(
        {"type": "tool_result", "tool_use_id": "toolu_01A", "content": content}
    )
    assert tool["content"] == [
        {"type": "text", "text": "15 degrees"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iV"}},
    ]


def test_a_tool_result_without_content_is_an_empty_string() -> None:
    (tool,) = turn_with_results({"type": "tool_result", "tool_use_id": "toolu_01A"})
    assert tool == {"role": "tool", "tool_call_id": "toolu_01A", "content": ""}


def test_an_error_result_says_so_in_its_text() -> None:
    (text, blocks) = turn_with_results(
        {
            "type": "tool_result",
            "tool_use_id": "toolu_01A",
            "content": "service down",
            "is_error": True,
        },
        {
            "type": "tool_result",
            "tool_use_id": "toolu_01B",
            "content": [{"type": "text", "text": "bad zone"}],
            "is_error": True,
        },
    )
    assert text["content"] == TOOL_ERROR_PREFIX + "service down"
    assert blocks["content"] == [
        {"type": "text", "text": TOOL_ERROR_PREFIX.rstrip()},
        {"type": "text", "text": "bad zone"},
    ]


def test_cache_control_on_a_tool_result_is_kept() -> None:
    (tool,) = turn_with_results(
        {
            "type": "tool_result",
            "tool_use_id": "toolu_01A",
            "content": "15",
            "cache_control": {"type": "ephemeral"},
        }
    )
    assert tool["cache_control"] == {"type": "ephemeral"}


def test_a_tool_result_for_an_unknown_call_is_refused() -> None:
    with pytest.raises(InvalidRequest, match=r"messages\.2\.content\.0\.tool_use_id: 'toolu_9'"):
        turn_with_results({"type": "tool_result", "tool_use_id": "toolu_9", "content": "x"})


def test_a_call_answered_twice_is_refused() -> None:
    result = {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "x"}
    with pytest.raises(InvalidRequest, match="answered twice"):
        turn_with_results(result, result)


def test_a_tool_result_answers_only_the_assistant_message_just_before_it() -> None:
    body = request(
        QUESTION,
        {"role": "assistant", "content": [TOOL_USE]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01A"}]},
        {"role": "assistant", "content": "15 degrees."},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01A"}]},
    )
    assert rejection(body).startswith("messages.4.content.0.tool_use_id")


# -- tools and tool_choice -----------------------------------------------------------------------


def test_tools_become_functions_with_the_input_schema_as_parameters() -> None:
    schema = {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}
    tools = [
        {"name": "get_time", "description": "Time in a zone.", "input_schema": schema},
        {"type": "custom", "name": "noop", "input_schema": {"type": "object"}},
    ]
    tools[1]["cache_control"] = {"type": "ephemeral"}
    assert completion_kwargs(request(tools=tools))["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_time",
                "description": "Time in a zone.",
                "parameters": schema,
            },
        },
        {
            "type": "function",
            "function": {"name": "noop", "parameters": {"type": "object"}},
            "cache_control": {"type": "ephemeral"},
        },
    ]


def test_a_server_tool_is_refused() -> None:
    tool = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    assert "server tool 'web_search_20250305'" in rejection(request(tools=[tool]))


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, {"tool_choice": "auto"}),
        ({"type": "any"}, {"tool_choice": "required"}),
        ({"type": "none"}, {"tool_choice": "none"}),
        (
            {"type": "tool", "name": "get_time"},
            {"tool_choice": {"type": "function", "function": {"name": "get_time"}}},
        ),
        (
            {"type": "auto", "disable_parallel_tool_use": True},
            {"tool_choice": "auto", "parallel_tool_calls": False},
        ),
    ],
)
def test_tool_choice_maps_to_the_chat_choice(
    choice: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert chat_tool_choice(choice) == expected


@pytest.mark.parametrize(
    "choice", [{"type": "tool"}, {"type": "auto", "name": "x"}, {"type": "sometimes"}]
)
def test_an_invalid_tool_choice_is_refused(choice: dict[str, Any]) -> None:
    assert rejection(request(tool_choice=choice)).startswith("tool_choice")


# -- what is refused -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (request(service_tier="auto"), "request: unsupported key(s) 'service_tier'"),
        (request({**QUESTION, "name": "bob"}), "messages.0: unsupported key(s) 'name'"),
        (
            request({"role": "user", "content": [{"type": "text", "text": "hi", "x": 1}]}),
            "messages.0.content.0: unsupported key(s) 'x'",
        ),
        (
            request({"role": "user", "content": [{"type": "document", "source": {}}]}),
            "messages.0.content.0.type: 'document' is not supported here",
        ),
        (
            request({"role": "assistant", "content": [{"type": "image", "source": {}}]}),
            "messages.0.content.0.type: 'image' is not supported here",
        ),
        (
            request({"role": "assistant", "content": [{**THINKING, "cache_control": {}}]}),
            "messages.0.content.0: unsupported key(s) 'cache_control'",
        ),
        (request({"role": "system", "content": "x"}), "messages.0.role: must be 'user'"),
        (request(metadata={"user_id": "u", "tag": "t"}), "metadata: unsupported key(s) 'tag'"),
        (request(stream="yes"), "stream: must be a boolean"),
    ],
)
def test_what_the_translation_does_not_know_is_refused_never_dropped(
    body: dict[str, Any], where: str
) -> None:
    assert rejection(body).startswith(where)


def test_a_thinking_block_without_a_signature_is_refused() -> None:
    unsigned = {"type": "thinking", "thinking": "hmm"}
    body = request(QUESTION, {"role": "assistant", "content": [unsigned]})
    assert rejection(body) == "messages.1.content.0.signature: must be a string"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("model", "model: a model name is required"),
        ("max_tokens", "max_tokens: a positive integer is required"),
        ("messages", "messages: a non-empty list of messages is required"),
    ],
)
def test_a_required_field_is_required(missing: str, message: str) -> None:
    body = request()
    del body[missing]
    assert rejection(body) == message


def test_the_error_body_is_anthropics() -> None:
    error = InvalidRequest("model: a model name is required")
    assert json.loads(json.dumps(error.body())) == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "model: a model name is required"},
    }
