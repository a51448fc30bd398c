"""OpenAI Responses requests as ``litellm.acompletion`` arguments (OpenAI's chat shape).

A gateway that serves ``POST /v1/responses`` from any LiteLLM model has to translate every
request, the later turns of a conversation included: a stateless Responses client (an
openai-agents run, a Codex-style agent with ``store: false``) sends the whole conversation
each turn as ``input`` items, the model's own earlier output among them (its reasoning items
with their ``encrypted_content``, its function calls) and the client's function call outputs.
:func:`completion_kwargs` does that translation; it is pure (no I/O, no LiteLLM import) and
raises :class:`InvalidRequest` for anything it cannot carry, so that nothing is silently
dropped.

How a request maps (``docs/recipes/proxy.md`` has the table):

* ``instructions`` becomes the first ``system`` message.
* ``input`` as a string is one user message. As a list of items:

  * a message (``type: "message"`` or no type) with role ``user``, ``system`` or
    ``developer`` (sent as ``system``, which every provider reads) keeps its text
    (``input_text``) and images (``input_image`` with an ``image_url``, ``detail`` kept);
  * the model's own output, a run of consecutive ``reasoning`` items, ``assistant`` messages
    and ``function_call`` items, becomes ONE assistant message, as a chat model produced it:
    the messages' ``output_text`` (and ``refusal`` text) as its content, the calls as its
    ``tool_calls`` (``call_id`` as the id), the reasoning as described below. The chat shape
    holds reasoning, then text, then calls: that is the order it comes out in;
  * a ``function_call_output`` becomes a ``tool`` message (``output`` a string, or
    ``input_text`` / ``input_image`` parts); it must answer a call of the assistant message
    just before it, once.

* A ``reasoning`` item's ``encrypted_content`` is state only its origin API accepts. When it
  is typedstream's opaque envelope (``docs/event-model.md`` §7, which is how the proxy sent it
  to the client) from Anthropic, it turns back into the thinking block it came from, in
  LiteLLM's ``thinking_blocks`` (a ``thinking`` block with the item's reasoning text and the
  signature, or a ``redacted_thinking`` block): LiteLLM sends those to Anthropic first in the
  message, so the signature goes upstream byte for byte. A Gemini thought signature goes back
  on the tool call it belongs to (``provider_specific_fields``, where LiteLLM reads it). The
  item's text (``reasoning_text`` content, else its summary) also goes to
  ``reasoning_content``, for providers that read that back. OpenAI's own ``encrypted_content``
  (not an envelope) cannot reach any chat-shaped model and is refused.
* ``tools``: flat function tools (``name``, ``description``, ``parameters``, ``strict``)
  become chat function tools; ``tool_choice`` ``auto``/``none``/``required`` or
  ``{"type": "function", "name": …}``; ``parallel_tool_calls``; ``max_output_tokens`` ->
  ``max_tokens``; ``temperature``, ``top_p``; ``reasoning.effort`` -> ``reasoning_effort``;
  ``text.format`` (``json_schema``, ``json_object``) -> ``response_format``; ``user``.
* ``store``, ``include``, ``metadata``, ``reasoning.summary`` and ``stream`` are accepted
  and not forwarded: the proxy stores nothing, always streams from the provider and always
  sends reasoning state back, and the response echoes them as the client set them
  (:func:`echo_fields`).

Every object is checked against the keys this module knows: an unknown key, item type, part
type or role is an :class:`InvalidRequest` (the proxy answers it with HTTP 400 and an OpenAI
error body, ``param`` naming the place), never dropped. Built-in tools (``web_search``,
``file_search``…), custom tools, ``previous_response_id`` and ``item_reference`` items are
refused the same way: the chat shape has no place for them and the proxy keeps no state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias, cast

__all__ = [
    "InvalidRequest",
    "chat_messages",
    "chat_tool_choice",
    "chat_tools",
    "completion_kwargs",
    "echo_fields",
]

Json: TypeAlias = dict[str, Any]

# The keys each object may have; what is not listed is refused.
_REQUEST_KEYS: Final = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "max_output_tokens",
        "temperature",
        "top_p",
        "reasoning",
        "text",
        "user",
        "metadata",
        "store",
        "include",
        "stream",
    }
)
_ITEM_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "message": frozenset({"type", "role", "content", "id", "status", "phase"}),
    "function_call": frozenset({"type", "call_id", "name", "arguments", "id", "status"}),
    "function_call_output": frozenset({"type", "call_id", "output", "id", "status"}),
    "reasoning": frozenset({"type", "id", "summary", "content", "encrypted_content", "status"}),
}
_PART_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "input_text": frozenset({"type", "text"}),
    "input_image": frozenset({"type", "image_url", "detail"}),
    "output_text": frozenset({"type", "text", "annotations", "logprobs"}),
    "refusal": frozenset({"type", "refusal"}),
    "summary_text": frozenset({"type", "text"}),
    "reasoning_text": frozenset({"type", "text"}),
}
_INPUT_PARTS: Final = frozenset({"input_text", "input_image"})
_SYSTEM_PARTS: Final = frozenset({"input_text"})
_OUTPUT_PARTS: Final = frozenset({"output_text", "refusal"})
_ROLES: Final[Mapping[str, str]] = {"user": "user", "system": "system", "developer": "system"}
_TOOL_KEYS: Final = frozenset({"type", "name", "description", "parameters", "strict"})
_TOOL_CHOICES: Final = frozenset({"auto", "none", "required"})
_ENVELOPE_KEYS: Final = ("typedstream", "origin", "type", "data", "tool_id")


class InvalidRequest(ValueError):
    """A request that is not a valid Responses request, or that holds something the chat
    shape cannot carry. ``param`` says where (``input.2.content.0``), the message what."""

    def __init__(self, param: str, problem: str) -> None:
        super().__init__(f"{param}: {problem}")
        self.param = param

    def body(self) -> dict[str, Any]:
        """The error body OpenAI answers an invalid request with (HTTP 400)."""
        error = {"message": str(self), "type": "invalid_request_error", "param": self.param}
        return {"error": {**error, "code": None}}


def completion_kwargs(request: Mapping[str, Any]) -> dict[str, Any]:
    """The ``litellm.acompletion`` keyword arguments for a Responses request body.

    ``stream`` is left out: the caller decides how to call the provider (the proxy always
    streams from it). Raises :class:`InvalidRequest` for a request that is not valid or holds
    what the chat shape cannot carry.
    """
    _known(request, _REQUEST_KEYS, "request")
    model = request.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model", "a model name is required")
    # A key set to null is a key not set, as OpenAI reads it.
    for key in ("store", "stream", "parallel_tool_calls"):
        if request.get(key) is not None and not isinstance(request[key], bool):
            raise InvalidRequest(key, "must be a boolean")
    if request.get("include") is not None:
        _strings(request["include"], "include")
    if request.get("metadata") is not None:
        _object(request["metadata"], "metadata")
    kwargs: Json = {
        "model": model,
        "messages": chat_messages(request.get("instructions"), request.get("input")),
    }
    if request.get("tools"):
        kwargs["tools"] = chat_tools(request["tools"])
    if request.get("tool_choice") is not None:
        kwargs["tool_choice"] = chat_tool_choice(request["tool_choice"])
    if request.get("parallel_tool_calls") is not None:
        kwargs["parallel_tool_calls"] = request["parallel_tool_calls"]
    kwargs.update(_sampling(request))
    if request.get("reasoning") is not None:
        kwargs.update(_reasoning(request["reasoning"]))
    if request.get("text") is not None:
        kwargs.update(_text_format(request["text"]))
    if request.get("user") is not None:
        kwargs["user"] = _string(request["user"], "user")
    return kwargs


def echo_fields(request: Mapping[str, Any]) -> dict[str, Any]:
    """The response's echo fields as the client's request set them (``instructions``,
    ``tools``, ``tool_choice``, sampling, ``reasoning``, ``text``, ``metadata``, ``store``…):
    every request key but ``model``, ``input``, ``include`` and ``stream``."""
    return {k: v for k, v in request.items() if k not in {"model", "input", "include", "stream"}}


def chat_messages(instructions: object, input: object) -> list[Json]:
    """The chat messages for Responses ``instructions`` and ``input``."""
    out: list[Json | _Output] = []
    if instructions is not None:
        out.append({"role": "system", "content": _string(instructions, "instructions")})
    if isinstance(input, str):
        return [*cast("list[Json]", out), {"role": "user", "content": input}]
    if not isinstance(input, list) or not input:
        raise InvalidRequest("input", "a string or a non-empty list of items is required")
    output: _Output | None = None  # the run of the model's output being read
    asked: list[str] = []  # the call ids of the last assistant message
    answered: set[str] = set()
    for number, value in enumerate(cast("list[object]", input)):
        where = f"input.{number}"
        item = _item(value, where)
        kind = item.get("type", "message")
        if kind in {"reasoning", "function_call"} or (
            kind == "message" and item.get("role") == "assistant"
        ):
            if output is None:
                output = _Output()
                out.append(output)
                answered = set()
            output.add(item, where)
            asked = [call["id"] for call in output.calls]
        elif kind == "function_call_output":
            output = None
            out.append(_tool_message(item, asked, answered, where))
        else:
            output, asked = None, []
            out.append(_input_message(item, where))
    return [entry.message() if isinstance(entry, _Output) else entry for entry in out]


def chat_tools(tools: object) -> list[Json]:
    """Chat function tools for Responses' flat function tools (other tools are refused)."""
    if not isinstance(tools, list):
        raise InvalidRequest("tools", "must be a list")
    out: list[Json] = []
    for number, value in enumerate(cast("list[object]", tools)):
        where = f"tools.{number}"
        tool = _object(value, where)
        if tool.get("type") != "function":
            raise InvalidRequest(
                f"{where}.type",
                f"{tool.get('type')!r} is not supported: only function tools can be"
                " translated to a chat model's tools",
            )
        _known(tool, _TOOL_KEYS, where)
        function: Json = {"name": _string(tool.get("name"), f"{where}.name")}
        if tool.get("description") is not None:
            function["description"] = _string(tool["description"], f"{where}.description")
        if tool.get("parameters") is not None:
            function["parameters"] = dict(_object(tool["parameters"], f"{where}.parameters"))
        if tool.get("strict") is not None:
            if not isinstance(tool["strict"], bool):
                raise InvalidRequest(f"{where}.strict", "must be a boolean")
            function["strict"] = tool["strict"]
        out.append({"type": "function", "function": function})
    return out


def chat_tool_choice(choice: object) -> str | Json:
    """The chat ``tool_choice`` for a Responses ``tool_choice``."""
    if isinstance(choice, str) and choice in _TOOL_CHOICES:
        return choice
    if isinstance(choice, dict):
        found = cast(Json, choice)
        if found.get("type") == "function":
            _known(found, frozenset({"type", "name"}), "tool_choice")
            name = _string(found.get("name"), "tool_choice.name")
            return {"type": "function", "function": {"name": name}}
    raise InvalidRequest(
        "tool_choice", f"not supported: {choice!r} (only auto, none, required or a function)"
    )


# -- items -------------------------------------------------------------------------------------


def _item(value: object, where: str) -> Json:
    item = _object(value, where)
    kind = item.get("type", "message")
    if not isinstance(kind, str) or kind not in _ITEM_KEYS:
        known = ", ".join(sorted(_ITEM_KEYS))
        raise InvalidRequest(f"{where}.type", f"{kind!r} is not supported (only {known})")
    _known(item, _ITEM_KEYS[kind], where)
    return item


def _input_message(item: Json, where: str) -> Json:
    role = item.get("role")
    if not isinstance(role, str) or role not in _ROLES:
        raise InvalidRequest(
            f"{where}.role", f"must be 'user', 'assistant', 'system' or 'developer', not {role!r}"
        )
    content = item.get("content")
    if isinstance(content, str):
        return {"role": _ROLES[role], "content": content}
    allowed = _INPUT_PARTS if role == "user" else _SYSTEM_PARTS
    at = f"{where}.content"
    parts = [_input_part(p, f"{at}.{n}") for n, p in _parts(content, allowed, at)]
    if role != "user":  # system text as one string, which every provider reads
        return {"role": "system", "content": "".join(part["text"] for part in parts)}
    return {"role": "user", "content": parts}


def _tool_call(item: Json, where: str) -> Json:
    call_id = _string(item.get("call_id"), f"{where}.call_id")
    name = _string(item.get("name"), f"{where}.name")
    arguments = _string(item.get("arguments"), f"{where}.arguments")
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _tool_message(item: Json, asked: list[str], answered: set[str], where: str) -> Json:
    call_id = _string(item.get("call_id"), f"{where}.call_id")
    if call_id not in asked:
        raise InvalidRequest(
            f"{where}.call_id",
            f"{call_id!r} answers no function_call of the model's output just before it",
        )
    if call_id in answered:
        raise InvalidRequest(f"{where}.call_id", f"{call_id!r} is answered twice")
    answered.add(call_id)
    output = item.get("output")
    if isinstance(output, str):
        content: str | list[Json] = output
    else:
        at = f"{where}.output"
        content = [_input_part(p, f"{at}.{n}") for n, p in _parts(output, _INPUT_PARTS, at)]
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def _input_part(part: Json, where: str) -> Json:
    if part["type"] == "input_text":
        return {"type": "text", "text": _string(part.get("text"), f"{where}.text")}
    url: Json = {"url": _string(part.get("image_url"), f"{where}.image_url")}
    if part.get("detail") is not None:
        url["detail"] = _string(part["detail"], f"{where}.detail")
    return {"type": "image_url", "image_url": url}


# -- reasoning ---------------------------------------------------------------------------------


@dataclass
class _Output:
    """A run of the model's own output items, read into one chat assistant message."""

    texts: list[str] = field(default_factory=list[str])
    calls: list[Json] = field(default_factory=list[Json])
    reasoning: list[str] = field(default_factory=list[str])
    thinking: list[Json] = field(default_factory=list[Json])
    signatures: dict[str, str] = field(default_factory=dict[str, str])  # call id -> Gemini's

    def add(self, item: Json, where: str) -> None:
        kind = item.get("type", "message")
        if kind == "function_call":
            self.calls.append(_tool_call(item, where))
        elif kind == "reasoning":
            self._add_reasoning(item, where)
        elif isinstance(item.get("content"), str):
            self.texts.append(item["content"])
        else:
            for number, part in _parts(item.get("content"), _OUTPUT_PARTS, f"{where}.content"):
                key = "text" if part["type"] == "output_text" else "refusal"
                # `annotations` and `logprobs` describe the text; the chat shape has no place
                # for them (as Anthropic citations, docs/recipes/proxy.md): the text stays.
                self.texts.append(_string(part.get(key), f"{where}.content.{number}.{key}"))

    def message(self) -> Json:
        content: str | list[Json] | None = None
        if len(self.texts) == 1:
            content = self.texts[0]
        elif self.texts:
            content = [{"type": "text", "text": text} for text in self.texts]
        message: Json = {"role": "assistant", "content": content}
        if self.calls:
            message["tool_calls"] = self.calls
        for call in self.calls:
            if call["id"] in self.signatures:
                signature = self.signatures.pop(call["id"])
                call["provider_specific_fields"] = {"thought_signature": signature}
        if self.signatures:
            call_id = next(iter(self.signatures))
            raise InvalidRequest(
                "input", f"a Gemini thought signature for call {call_id!r}, not in its turn"
            )
        if self.thinking:
            message["thinking_blocks"] = self.thinking
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        return message

    def _add_reasoning(self, item: Json, where: str) -> None:
        summary = _texts(item.get("summary", []), "summary_text", f"{where}.summary")
        content = _texts(item.get("content") or [], "reasoning_text", f"{where}.content")
        # The model's reasoning is its reasoning_text; a summary stands in where there is none.
        text = "".join(content) if content else "".join(summary)
        if text:
            self.reasoning.append(text)
        encrypted = item.get("encrypted_content")
        if encrypted is None:
            return
        at = f"{where}.encrypted_content"
        origin, kind, data, tool_id = _envelope(_string(encrypted, at), at)
        if origin == "anthropic" and kind == "thinking_signature":
            self.thinking.append({"type": "thinking", "thinking": text, "signature": data})
        elif origin == "anthropic" and kind == "redacted_thinking":
            self.thinking.append({"type": "redacted_thinking", "data": data})
        elif origin == "gemini" and kind == "thought_signature" and tool_id is not None:
            self.signatures[tool_id] = data
        else:
            raise InvalidRequest(at, f"{origin} {kind} cannot be sent to a chat-shaped model")


def _texts(parts: object, kind: str, where: str) -> list[str]:
    return [
        _string(part.get("text"), f"{where}.{n}.text")
        for n, part in _parts(parts, frozenset({kind}), where)
    ]


def _envelope(value: str, where: str) -> tuple[str, str, str, str | None]:
    """``(origin, type, data, tool_id)`` of typedstream's opaque envelope (docs/event-model.md
    §7): compact JSON, exactly five keys in order, ``typedstream`` 1."""
    try:
        parsed: object = json.loads(value) if value.startswith("{") else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or tuple(cast(Json, parsed)) != _ENVELOPE_KEYS:
        raise InvalidRequest(
            where,
            "OpenAI's own encrypted reasoning cannot be sent to a chat-shaped model"
            " (only typedstream's envelope of Anthropic or Gemini state can)",
        )
    fields = cast(Json, parsed)
    version, origin, kind, data, tool_id = (fields[key] for key in _ENVELOPE_KEYS)
    if version != 1:
        raise InvalidRequest(where, f"typedstream envelope of unknown version {version!r}")
    if not (isinstance(origin, str) and isinstance(kind, str) and isinstance(data, str) and data):
        raise InvalidRequest(where, "typedstream envelope without origin, type or data")
    if tool_id is not None and not isinstance(tool_id, str):
        raise InvalidRequest(where, "typedstream envelope whose tool_id is not a string")
    return origin, kind, data, tool_id


# -- settings ----------------------------------------------------------------------------------


def _sampling(request: Mapping[str, Any]) -> Json:
    out: Json = {}
    for key in ("temperature", "top_p"):
        value = request.get(key)
        if value is not None:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise InvalidRequest(key, "must be a number")
            out[key] = value
    tokens = request.get("max_output_tokens")
    if tokens is not None:
        if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 1:
            raise InvalidRequest("max_output_tokens", "must be a positive integer")
        out["max_tokens"] = tokens
    return out


def _reasoning(value: object) -> Json:
    reasoning = _object(value, "reasoning")
    _known(reasoning, frozenset({"effort", "summary", "generate_summary"}), "reasoning")
    effort = reasoning.get("effort")
    return {} if effort is None else {"reasoning_effort": _string(effort, "reasoning.effort")}


def _text_format(value: object) -> Json:
    text = _object(value, "text")
    _known(text, frozenset({"format"}), "text")
    if text.get("format") is None:
        return {}
    found = _object(text["format"], "text.format")
    kind = found.get("type")
    if kind == "text" and len(found) == 1:
        return {}
    if kind == "json_object" and len(found) == 1:
        return {"response_format": {"type": "json_object"}}
    if kind == "json_schema":
        _known(found, frozenset({"type", "name", "schema", "description", "strict"}), "text.format")
        schema = {
            key: found[key] for key in ("name", "schema", "description", "strict") if key in found
        }
        return {"response_format": {"type": "json_schema", "json_schema": schema}}
    raise InvalidRequest("text.format", f"not supported: {dict(found)!r}")


# -- checks ------------------------------------------------------------------------------------


def _parts(content: object, allowed: frozenset[str], where: str) -> list[tuple[int, Json]]:
    """The numbered content parts of a list, each of a type in ``allowed``, known keys only."""
    if not isinstance(content, list):
        raise InvalidRequest(where, "content must be a string or a list of parts")
    parts: list[tuple[int, Json]] = []
    for number, value in enumerate(cast("list[object]", content)):
        at = f"{where}.{number}"
        part = _object(value, at)
        kind = part.get("type")
        if not isinstance(kind, str) or kind not in allowed:
            known = ", ".join(sorted(allowed))
            raise InvalidRequest(f"{at}.type", f"{kind!r} is not supported here (only {known})")
        _known(part, _PART_KEYS[kind], at)
        parts.append((number, part))
    return parts


def _known(obj: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(key for key in obj if key not in allowed)
    if unknown:
        raise InvalidRequest(where, f"unsupported key(s) {', '.join(map(repr, unknown))}")


def _object(value: object, where: str) -> Json:
    if not isinstance(value, dict):
        raise InvalidRequest(where, "must be an object")
    return cast(Json, value)


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(where, "must be a string")
    return value


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list):
        raise InvalidRequest(where, "must be a list of strings")
    return [_string(item, f"{where}.{n}") for n, item in enumerate(cast("list[object]", value))]
