"""`examples/responses_request.py`: OpenAI Responses requests as LiteLLM chat arguments.

Pure translation, no I/O: each test gives a request (or a part of one) as a Responses client
(openai-agents, a Codex-style agent) sends it and the chat-shaped arguments written out by
hand. What LiteLLM makes of them on the wire to Anthropic is in
tests/live/test_live_proxy_responses.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from responses_request import InvalidRequest, chat_tool_choice, completion_kwargs, echo_fields

MODEL = "anthropic/claude-sonnet-4-5"
SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3h+/="
REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4a"
QUESTION = {"role": "user", "content": "What is the weather in San Francisco?"}
CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "toolu_01A",
    "name": "get_weather",
    "arguments": '{"location": "San Francisco, CA"}',
    "status": "completed",
}
CHAT_CALL = {
    "id": "toolu_01A",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"location": "San Francisco, CA"}'},
}
OUTPUT = {"type": "function_call_output", "call_id": "toolu_01A", "output": "18 C"}
TEXT = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "status": "completed",
    "content": [
        {"type": "output_text", "text": "Let me check.", "annotations": [], "logprobs": []}
    ],
}


def envelope(origin: str, kind: str, data: str, tool_id: str | None = None) -> str:
    """typedstream's opaque envelope (docs/event-model.md §7), written out."""
    fields = {"typedstream": 1, "origin": origin, "type": kind, "data": data, "tool_id": tool_id}
    return json.dumps(fields, separators=(",", ":"))


def reasoning(encrypted: str | None = None, text: str = "The user wants weather.") -> Any:
    item: dict[str, Any] = {
        "id": "rs_1",
        "type": "reasoning",
        "summary": [],
        "content": [{"type": "reasoning_text", "text": text}],
    }
    if encrypted is not None:
        item["encrypted_content"] = encrypted
    return item


def request(*items: Any, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "input": list(items) or [QUESTION], **extra}


def messages(*items: Any, **extra: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = completion_kwargs(request(*items, **extra))["messages"]
    return found


def rejection(body: dict[str, Any]) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        completion_kwargs(body)
    return caught.value


# -- the request ---------------------------------------------------------------------------------


def test_a_string_input_is_one_user_message() -> None:
    assert completion_kwargs({"model": MODEL, "input": "Hi"}) == {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Hi"}],
    }


def test_instructions_become_the_first_system_message() -> None:
    assert messages(instructions="Be brief.")[0] == {"role": "system", "content": "Be brief."}


def test_the_settings_map_to_their_chat_names() -> None:
    kwargs = completion_kwargs(
        request(
            max_output_tokens=2048,
            temperature=0.5,
            top_p=0.9,
            parallel_tool_calls=False,
            reasoning={"effort": "low", "summary": "auto"},
            user="user-42",
        )
    )
    assert {k: v for k, v in kwargs.items() if k not in {"model", "messages"}} == {
        "max_tokens": 2048,
        "temperature": 0.5,
        "top_p": 0.9,
        "parallel_tool_calls": False,
        "reasoning_effort": "low",
        "user": "user-42",
    }


def test_store_include_metadata_and_stream_are_accepted_and_not_forwarded() -> None:
    kwargs = completion_kwargs(
        request(
            store=False,
            include=["reasoning.encrypted_content"],
            metadata={"run": "7"},
            stream=True,
        )
    )
    assert set(kwargs) == {"model", "messages"}


def test_echo_fields_are_the_request_without_model_input_include_and_stream() -> None:
    tools = [{"type": "function", "name": "f", "parameters": {}, "strict": True}]
    body = request(instructions="Be brief.", tools=tools, store=False, stream=True, include=[])
    assert echo_fields(body) == {"instructions": "Be brief.", "tools": tools, "store": False}


def test_a_json_schema_text_format_becomes_a_response_format() -> None:
    schema = {"type": "object", "properties": {}}
    text = {"format": {"type": "json_schema", "name": "out", "schema": schema, "strict": True}}
    assert completion_kwargs(request(text=text))["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "out", "schema": schema, "strict": True},
    }


def test_a_plain_text_format_sends_no_response_format() -> None:
    assert "response_format" not in completion_kwargs(request(text={"format": {"type": "text"}}))


# -- messages ------------------------------------------------------------------------------------


def test_user_parts_become_chat_text_and_image_parts() -> None:
    content = [
        {"type": "input_text", "text": "What is this?"},
        {"type": "input_image", "image_url": "data:image/png;base64,iVBO", "detail": "low"},
    ]
    assert messages({"type": "message", "role": "user", "content": content}) == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,iVBO", "detail": "low"},
                },
            ],
        }
    ]


def test_a_developer_message_is_sent_as_system() -> None:
    parts = [{"type": "input_text", "text": "Use "}, {"type": "input_text", "text": "metric."}]
    assert messages({"role": "developer", "content": parts}, QUESTION)[0] == {
        "role": "system",
        "content": "Use metric.",
    }


def test_assistant_output_text_and_refusal_become_the_assistant_content() -> None:
    refusal = {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't."}]}
    assert messages(QUESTION, TEXT, refusal)[1] == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Let me check."},
            {"type": "text", "text": "I can't."},
        ],
    }


# -- function calls and outputs ------------------------------------------------------------------


def test_consecutive_function_calls_are_one_assistant_message_with_its_text() -> None:
    second = {**CALL, "id": "fc_2", "call_id": "toolu_01B", "name": "get_time", "arguments": "{}"}
    assistant = messages(QUESTION, TEXT, CALL, second)[1]
    assert assistant == {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            CHAT_CALL,
            {
                "id": "toolu_01B",
                "type": "function",
                "function": {"name": "get_time", "arguments": "{}"},
            },
        ],
    }


def test_a_function_call_output_is_a_tool_message_matched_by_call_id() -> None:
    assert messages(QUESTION, CALL, OUTPUT)[2] == {
        "role": "tool",
        "tool_call_id": "toolu_01A",
        "content": "18 C",
    }


def test_a_function_call_output_of_parts_keeps_its_text_and_images() -> None:
    output = [
        {"type": "input_text", "text": "18 C"},
        {"type": "input_image", "image_url": "https://x/m.png"},
    ]
    assert messages(QUESTION, CALL, {**OUTPUT, "output": output})[2]["content"] == [
        {"type": "text", "text": "18 C"},
        {"type": "image_url", "image_url": {"url": "https://x/m.png"}},
    ]


def test_calls_answered_one_by_one_are_one_assistant_message_each() -> None:
    second = {**CALL, "call_id": "toolu_01B"}
    found = messages(QUESTION, CALL, OUTPUT, second, {**OUTPUT, "call_id": "toolu_01B"})
    assert [(m["role"], m.get("tool_call_id")) for m in found] == [
        ("user", None),
        ("assistant", None),
        ("tool", "toolu_01A"),
        ("assistant", None),
        ("tool", "toolu_01B"),
    ]


def test_an_output_for_no_call_of_the_turn_before_is_refused() -> None:
    error = rejection(request(QUESTION, CALL, {**OUTPUT, "call_id": "toolu_99"}))
    assert error.param == "input.2.call_id"
    assert "'toolu_99' answers no function_call" in str(error)


def test_an_output_given_twice_is_refused() -> None:
    error = rejection(request(QUESTION, CALL, OUTPUT, OUTPUT))
    assert str(error) == "input.3.call_id: 'toolu_01A' is answered twice"


# -- reasoning -----------------------------------------------------------------------------------


def test_an_anthropic_signature_envelope_becomes_the_thinking_block_byte_for_byte() -> None:
    item = reasoning(envelope("anthropic", "thinking_signature", SIGNATURE))
    assistant = messages(QUESTION, item, TEXT, CALL)[1]
    assert assistant["thinking_blocks"] == [
        {"type": "thinking", "thinking": "The user wants weather.", "signature": SIGNATURE}
    ]
    assert assistant["reasoning_content"] == "The user wants weather."
    assert assistant["tool_calls"] == [CHAT_CALL]


def test_an_anthropic_redacted_thinking_envelope_becomes_a_redacted_thinking_block() -> None:
    item = {**reasoning(envelope("anthropic", "redacted_thinking", REDACTED)), "content": []}
    assistant = messages(QUESTION, item, CALL)[1]
    assert assistant["thinking_blocks"] == [{"type": "redacted_thinking", "data": REDACTED}]
    assert "reasoning_content" not in assistant


def test_a_gemini_thought_signature_goes_back_on_its_tool_call() -> None:
    item = {
        **reasoning(envelope("gemini", "thought_signature", "CiQB", "toolu_01A")),
        "content": [],
    }
    (call,) = messages(QUESTION, item, CALL)[1]["tool_calls"]
    assert call == {**CHAT_CALL, "provider_specific_fields": {"thought_signature": "CiQB"}}


def test_reasoning_without_state_is_reasoning_content_from_its_summary() -> None:
    item = {
        **reasoning(),
        "content": None,
        "summary": [{"type": "summary_text", "text": "Checked."}],
    }
    assert messages(QUESTION, item, TEXT)[1] == {
        "role": "assistant",
        "content": "Let me check.",
        "reasoning_content": "Checked.",
    }


def test_openai_encrypted_reasoning_is_refused() -> None:
    error = rejection(request(QUESTION, reasoning("gAAAAABoZ2VuY3J5cHRlZA=="), TEXT))
    assert error.param == "input.1.encrypted_content"
    assert "OpenAI's own encrypted reasoning" in str(error)


def test_an_envelope_of_an_unknown_version_is_refused() -> None:
    fields = {"typedstream": 2, "origin": "anthropic", "type": "thinking_signature"}
    value = json.dumps({**fields, "data": SIGNATURE, "tool_id": None}, separators=(",", ":"))
    error = rejection(request(QUESTION, reasoning(value), TEXT))
    assert str(error) == "input.1.encrypted_content: typedstream envelope of unknown version 2"


# -- tools ---------------------------------------------------------------------------------------


def test_flat_function_tools_become_chat_function_tools() -> None:
    tool = {
        "type": "function",
        "name": "get_weather",
        "description": "Weather now.",
        "parameters": {"type": "object", "properties": {}},
        "strict": True,
    }
    assert completion_kwargs(request(tools=[tool]))["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather now.",
                "parameters": {"type": "object", "properties": {}},
                "strict": True,
            },
        }
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ({"type": "function", "name": "f"}, {"type": "function", "function": {"name": "f"}}),
    ],
)
def test_tool_choice_maps_to_the_chat_choice(choice: object, expected: object) -> None:
    assert chat_tool_choice(choice) == expected


def test_a_built_in_tool_is_refused_with_its_place() -> None:
    error = rejection(request(tools=[{"type": "web_search"}]))
    assert error.param == "tools.0.type"
    assert "'web_search' is not supported" in str(error)


def test_a_built_in_tool_choice_is_refused() -> None:
    assert rejection(request(tool_choice={"type": "file_search"})).param == "tool_choice"


# -- refusals ------------------------------------------------------------------------------------


def test_an_unknown_request_key_is_refused_with_an_openai_error_body() -> None:
    error = rejection(request(previous_response_id="resp_1"))
    assert error.body() == {
        "error": {
            "message": "request: unsupported key(s) 'previous_response_id'",
            "type": "invalid_request_error",
            "param": "request",
            "code": None,
        }
    }


def test_an_unsupported_item_type_is_refused() -> None:
    error = rejection(request(QUESTION, {"type": "item_reference", "id": "msg_1"}))
    assert error.param == "input.1.type"


def test_an_unknown_key_on_an_item_is_refused() -> None:
    assert rejection(request({**CALL, "namespace": "x"})).param == "input.0"


def test_a_file_input_part_is_refused() -> None:
    content = [{"type": "input_file", "file_id": "file-1"}]
    assert (
        rejection(request({"role": "user", "content": content})).param == "input.0.content.0.type"
    )


def test_a_missing_model_is_refused() -> None:
    assert rejection({"input": "Hi"}).param == "model"


def test_an_empty_input_list_is_refused() -> None:
    assert rejection({"model": MODEL, "input": []}).param == "input"


def test_settings_set_to_null_are_settings_not_set() -> None:
    nulls = {"tools": None, "tool_choice": None, "parallel_tool_calls": None, "store": None}
    assert set(completion_kwargs(request(**nulls, temperature=None))) == {"model", "messages"}
