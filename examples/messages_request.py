"""Anthropic Messages requests as ``litellm.acompletion`` arguments (OpenAI's chat shape).

A gateway that serves ``POST /v1/messages`` from any LiteLLM model has to translate every
request, the later turns of a conversation included: those carry the model's own earlier
output back (its thinking with the signature Anthropic checks, its tool calls) and the
client's tool results. :func:`completion_kwargs` does that translation; it is pure (no I/O,
no LiteLLM import) and raises :class:`InvalidRequest` for anything it cannot carry, so that
nothing is silently dropped.

How a request maps (``docs/recipes/proxy.md`` has the table):

* ``system`` (a string or text blocks) becomes the first ``system`` message.
* A ``user`` message keeps its text and images (base64 sources become ``data:`` URLs, URL
  sources stay URLs). Its ``tool_result`` blocks become ``tool`` messages, one per block in
  the client's order, placed before the rest of the message's content (Anthropic requires
  them first); each must answer a ``tool_use`` of the assistant message just before it.
  ``is_error: true`` has no counterpart in the chat shape, so the result's text is prefixed
  with :data:`TOOL_ERROR_PREFIX`, which is how the model learns that the tool failed.
* An ``assistant`` message: its ``thinking`` and ``redacted_thinking`` blocks go, unchanged
  and in order, to ``thinking_blocks`` (LiteLLM puts them back first in the message it sends
  to Anthropic, so the signature goes upstream byte for byte) and their text to
  ``reasoning_content`` (for other providers that read it back); its text blocks become the
  content and its ``tool_use`` blocks the ``tool_calls`` (``input`` as JSON arguments). The
  chat shape holds thinking, then text, then calls: that is the order it comes out in.
  ``citations`` on a text block are the model's own references to earlier documents; the
  chat shape cannot carry them and they are left out (the text stays).
* ``tools`` (``input_schema`` -> ``parameters``), ``tool_choice`` (``auto``, ``any`` ->
  ``required``, ``tool`` -> that function, ``none``; ``disable_parallel_tool_use`` ->
  ``parallel_tool_calls``), ``stop_sequences`` -> ``stop``, ``max_tokens``,
  ``temperature``/``top_p``/``top_k``, ``thinking`` (passed as is: LiteLLM sends it to
  Anthropic and maps it for other providers), ``metadata.user_id`` -> ``user``.
* ``cache_control`` is kept wherever LiteLLM carries it to Anthropic: on text and image
  blocks, system blocks, tool results, tool calls and tools.

Every object is checked against the keys this module knows: an unknown key, block type or
role is an :class:`InvalidRequest` (the proxy answers it with HTTP 400 and an Anthropic error
body), never dropped. Server tools (``web_search`` and the like) are refused the same way:
the chat shape has no place for them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeAlias, cast

__all__ = [
    "TOOL_ERROR_PREFIX",
    "InvalidRequest",
    "assistant_message",
    "chat_messages",
    "chat_tool_choice",
    "chat_tools",
    "completion_kwargs",
    "user_messages",
]

TOOL_ERROR_PREFIX: Final = "Error: "
"""Put before the text of a ``tool_result`` with ``is_error: true`` (the chat shape has no
error flag on a tool message)."""

Json: TypeAlias = dict[str, Any]

# The keys each object may have; what is not listed is refused.
_REQUEST_KEYS: Final = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "system",
        "stop_sequences",
        "stream",
        "temperature",
        "top_p",
        "top_k",
        "tools",
        "tool_choice",
        "thinking",
        "metadata",
    }
)
_BLOCK_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "text": frozenset({"type", "text", "cache_control", "citations"}),
    "image": frozenset({"type", "source", "cache_control"}),
    "tool_use": frozenset({"type", "id", "name", "input", "cache_control"}),
    "tool_result": frozenset({"type", "tool_use_id", "content", "is_error", "cache_control"}),
    "thinking": frozenset({"type", "thinking", "signature"}),
    "redacted_thinking": frozenset({"type", "data"}),
}
_USER_BLOCKS: Final = frozenset({"text", "image", "tool_result"})
_ASSISTANT_BLOCKS: Final = frozenset({"text", "tool_use", "thinking", "redacted_thinking"})
_TOOL_RESULT_BLOCKS: Final = frozenset({"text", "image"})
_TOOL_KEYS: Final = frozenset({"type", "name", "description", "input_schema", "cache_control"})
_TOOL_CHOICES: Final[Mapping[str, str]] = {"auto": "auto", "any": "required", "none": "none"}
_SAMPLING: Final = ("temperature", "top_p", "top_k")


class InvalidRequest(ValueError):
    """A request that is not a valid Anthropic Messages request, or that holds something the
    chat shape cannot carry. The message says where (``messages.2.content.0``) and what."""

    def body(self) -> dict[str, Any]:
        """The error body Anthropic answers an invalid request with (HTTP 400)."""
        return {"type": "error", "error": {"type": "invalid_request_error", "message": str(self)}}


def completion_kwargs(request: Mapping[str, Any]) -> dict[str, Any]:
    """The ``litellm.acompletion`` keyword arguments for an Anthropic Messages request body.

    ``stream`` is left out: the caller decides how to call the provider (the proxy always
    streams from it). Raises :class:`InvalidRequest` for a request that is not valid or holds
    what the chat shape cannot carry.
    """
    _known(request, _REQUEST_KEYS, "request")
    model = request.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model: a model name is required")
    max_tokens = request.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise InvalidRequest("max_tokens: a positive integer is required")
    if "stream" in request and not isinstance(request["stream"], bool):
        raise InvalidRequest("stream: must be a boolean")
    kwargs: Json = {
        "model": model,
        "messages": chat_messages(request.get("system"), request.get("messages")),
        "max_tokens": max_tokens,
    }
    kwargs.update({key: request[key] for key in _SAMPLING if key in request})
    if "stop_sequences" in request:
        kwargs["stop"] = _strings(request["stop_sequences"], "stop_sequences")
    if "tools" in request:
        kwargs["tools"] = chat_tools(request["tools"])
    if "tool_choice" in request:
        kwargs.update(chat_tool_choice(request["tool_choice"]))
    if "thinking" in request:
        kwargs["thinking"] = dict(_object(request["thinking"], "thinking"))
    if "metadata" in request:
        metadata = _object(request["metadata"], "metadata")
        _known(metadata, frozenset({"user_id"}), "metadata")
        if metadata.get("user_id") is not None:
            kwargs["user"] = _string(metadata["user_id"], "metadata.user_id")
    return kwargs


def chat_messages(system: object, messages: object) -> list[Json]:
    """The chat messages for Anthropic's ``system`` and ``messages``."""
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages: a non-empty list of messages is required")
    out: list[Json] = []
    if system is not None:
        out.append({"role": "system", "content": _system_content(system)})
    asked: list[str] = []  # the tool_use ids of the last assistant message
    for number, item in enumerate(cast("list[object]", messages)):
        where = f"messages.{number}"
        message = _object(item, where)
        _known(message, frozenset({"role", "content"}), where)
        role = message.get("role")
        if role == "user":
            out.extend(user_messages(message.get("content"), asked, where))
            asked = []
        elif role == "assistant":
            assistant = assistant_message(message.get("content"), where)
            asked = [call["id"] for call in assistant.get("tool_calls", ())]
            out.append(assistant)
        else:
            raise InvalidRequest(f"{where}.role: must be 'user' or 'assistant', not {role!r}")
    return out


def user_messages(content: object, asked: Sequence[str], where: str) -> list[Json]:
    """A user message's ``tool`` messages (its tool results, in order), then the user message
    with the rest of its content (when there is any).

    ``asked``: the ids of the ``tool_use`` blocks of the assistant message before it; every
    ``tool_result`` must answer one of them, once.
    """
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    blocks = _blocks(content, _USER_BLOCKS, f"{where}.content")
    tools: list[Json] = []
    parts: list[Json] = []
    answered: set[str] = set()
    for number, block in enumerate(blocks):
        at = f"{where}.content.{number}"
        if block["type"] == "tool_result":
            tools.append(_tool_message(block, asked, answered, at))
        else:
            parts.append(_user_part(block, at))
    if parts or not tools:
        return [*tools, {"role": "user", "content": parts}]
    return tools


def assistant_message(content: object, where: str) -> Json:
    """The chat assistant message for an Anthropic assistant message's content."""
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    blocks = _blocks(content, _ASSISTANT_BLOCKS, f"{where}.content")
    texts: list[Json] = []
    calls: list[Json] = []
    thinking: list[Json] = []
    for number, block in enumerate(blocks):
        at = f"{where}.content.{number}"
        kind = block["type"]
        if kind == "text":
            texts.append(_text_part(block, at))
        elif kind == "tool_use":
            calls.append(_tool_call(block, at))
        else:  # thinking or redacted_thinking: kept whole, the signature byte for byte
            if kind == "thinking":
                _string(block.get("thinking"), f"{at}.thinking")
                _string(block.get("signature"), f"{at}.signature")
            else:
                _string(block.get("data"), f"{at}.data")
            thinking.append(dict(block))
    message: Json = {"role": "assistant", "content": _text_content(texts) if texts else None}
    if calls:
        message["tool_calls"] = calls
    if thinking:
        message["thinking_blocks"] = thinking
        message["reasoning_content"] = "".join(
            block.get("thinking", "") for block in thinking if block["type"] == "thinking"
        )
    return message


def chat_tools(tools: object) -> list[Json]:
    """OpenAI function tools for Anthropic's client tools (server tools are refused)."""
    if not isinstance(tools, list):
        raise InvalidRequest("tools: must be a list")
    out: list[Json] = []
    for number, item in enumerate(cast("list[object]", tools)):
        where = f"tools.{number}"
        tool = _object(item, where)
        if tool.get("type", "custom") != "custom":
            raise InvalidRequest(
                f"{where}: server tool {tool.get('type')!r} is not supported: only client tools"
                " (with an input_schema) can be translated to function tools"
            )
        _known(tool, _TOOL_KEYS, where)
        function: Json = {"name": _string(tool.get("name"), f"{where}.name")}
        if "description" in tool:
            function["description"] = _string(tool["description"], f"{where}.description")
        function["parameters"] = dict(_object(tool.get("input_schema"), f"{where}.input_schema"))
        out.append(_cached({"type": "function", "function": function}, tool))
    return out


def chat_tool_choice(choice: object) -> Json:
    """``tool_choice`` (and ``parallel_tool_calls``) for Anthropic's ``tool_choice``."""
    found = _object(choice, "tool_choice")
    _known(found, frozenset({"type", "name", "disable_parallel_tool_use"}), "tool_choice")
    kind = found.get("type")
    out: Json = {}
    if kind == "tool":
        name = _string(found.get("name"), "tool_choice.name")
        out["tool_choice"] = {"type": "function", "function": {"name": name}}
    elif isinstance(kind, str) and kind in _TOOL_CHOICES and "name" not in found:
        out["tool_choice"] = _TOOL_CHOICES[kind]
    else:
        raise InvalidRequest(f"tool_choice: not a valid choice: {dict(found)!r}")
    if "disable_parallel_tool_use" in found:
        disable = found["disable_parallel_tool_use"]
        if not isinstance(disable, bool):
            raise InvalidRequest("tool_choice.disable_parallel_tool_use: must be a boolean")
        out["parallel_tool_calls"] = not disable
    return out


# -- blocks ------------------------------------------------------------------------------------


def _system_content(system: object) -> str | list[Json]:
    if isinstance(system, str):
        return system
    blocks = _blocks(system, frozenset({"text"}), "system")
    return _text_content([_text_part(block, f"system.{n}") for n, block in enumerate(blocks)])


def _text_content(parts: list[Json]) -> str | list[Json]:
    """One plain text as a string (what every provider reads), anything else as parts."""
    if len(parts) == 1 and "cache_control" not in parts[0]:
        return cast(str, parts[0]["text"])
    return parts


def _text_part(block: Json, where: str) -> Json:
    # `citations` are left out on purpose (the module docstring says why).
    return _cached({"type": "text", "text": _string(block.get("text"), f"{where}.text")}, block)


def _user_part(block: Json, where: str) -> Json:
    if block["type"] == "text":
        return _text_part(block, where)
    return _image_part(block, where)


def _image_part(block: Json, where: str) -> Json:
    source = _object(block.get("source"), f"{where}.source")
    kind = source.get("type")
    if kind == "base64":
        _known(source, frozenset({"type", "media_type", "data"}), f"{where}.source")
        media = _string(source.get("media_type"), f"{where}.source.media_type")
        data = _string(source.get("data"), f"{where}.source.data")
        url = f"data:{media};base64,{data}"
    elif kind == "url":
        _known(source, frozenset({"type", "url"}), f"{where}.source")
        url = _string(source.get("url"), f"{where}.source.url")
    else:
        raise InvalidRequest(f"{where}.source.type: must be 'base64' or 'url', not {kind!r}")
    return _cached({"type": "image_url", "image_url": {"url": url}}, block)


def _tool_call(block: Json, where: str) -> Json:
    call_id = _string(block.get("id"), f"{where}.id")
    name = _string(block.get("name"), f"{where}.name")
    arguments = json.dumps(_object(block.get("input"), f"{where}.input"), ensure_ascii=False)
    function = {"name": name, "arguments": arguments}
    return _cached({"id": call_id, "type": "function", "function": function}, block)


def _tool_message(block: Json, asked: Sequence[str], answered: set[str], where: str) -> Json:
    call_id = _string(block.get("tool_use_id"), f"{where}.tool_use_id")
    if call_id not in asked:
        raise InvalidRequest(
            f"{where}.tool_use_id: {call_id!r} answers no tool_use block of the assistant"
            " message just before it"
        )
    if call_id in answered:
        raise InvalidRequest(f"{where}.tool_use_id: {call_id!r} is answered twice")
    answered.add(call_id)
    is_error = block.get("is_error", False)
    if not isinstance(is_error, bool):
        raise InvalidRequest(f"{where}.is_error: must be a boolean")
    content = _tool_result_content(block.get("content", ""), f"{where}.content", is_error)
    return _cached({"role": "tool", "tool_call_id": call_id, "content": content}, block)


def _tool_result_content(content: object, where: str, is_error: bool) -> str | list[Json]:
    if isinstance(content, str):
        return TOOL_ERROR_PREFIX + content if is_error else content
    blocks = _blocks(content, _TOOL_RESULT_BLOCKS, where)
    parts = [_user_part(block, f"{where}.{n}") for n, block in enumerate(blocks)]
    if is_error:
        parts.insert(0, {"type": "text", "text": TOOL_ERROR_PREFIX.rstrip()})
    return parts


def _cached(out: Json, block: Mapping[str, Any]) -> Json:
    """``out`` with the block's ``cache_control`` (LiteLLM gives it back to Anthropic)."""
    if "cache_control" in block:
        out["cache_control"] = dict(_object(block["cache_control"], "cache_control"))
    return out


# -- checks ------------------------------------------------------------------------------------


def _blocks(content: object, allowed: frozenset[str], where: str) -> list[Json]:
    """The content blocks of a list, each of a type in ``allowed`` and with known keys only."""
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}: must be a string or a list of content blocks")
    blocks: list[Json] = []
    for number, item in enumerate(cast("list[object]", content)):
        at = f"{where}.{number}"
        block = _object(item, at)
        kind = block.get("type")
        if not isinstance(kind, str) or kind not in allowed:
            known = ", ".join(sorted(allowed))
            raise InvalidRequest(f"{at}.type: {kind!r} is not supported here (only {known})")
        _known(block, _BLOCK_KEYS[kind], at)
        blocks.append(block)
    return blocks


def _known(obj: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(key for key in obj if key not in allowed)
    if unknown:
        raise InvalidRequest(f"{where}: unsupported key(s) {', '.join(map(repr, unknown))}")


def _object(value: object, where: str) -> Json:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{where}: must be an object")
    return cast(Json, value)


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"{where}: must be a string")
    return value


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list):
        raise InvalidRequest(f"{where}: must be a list of strings")
    return [_string(item, f"{where}.{n}") for n, item in enumerate(cast("list[object]", value))]
