"""A deliberately naive merger of raw chunk dicts, used as an independent reference.

It knows the merge policy (docs/merge-policy.md) but nothing of events, ordering or
lifecycles: it folds a whole list of decoded chunks into one message per choice. Tests
compare what typedstream's events rebuild with what this gives, and with the `openai` SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from typedstream import (
    ArgumentsDelta,
    ChoiceFinished,
    ReasoningDelta,
    RefusalDelta,
    StreamEvent,
    TextDelta,
    ToolCallDone,
    ToolCallStarted,
    Usage,
)


@dataclass
class Message:
    """What one choice amounts to."""

    content: str = ""
    reasoning: str = ""
    refusal: str = ""
    tool_calls: list[dict[str, str | None]] = field(default_factory=list)
    finish_reason: str | None = None


def naive_merge(chunks: list[dict[str, Any]]) -> tuple[dict[int, Message], dict[str, Any] | None]:
    """Fold decoded chunks into {choice: Message} and the last non-empty usage."""
    messages: dict[int, Message] = {}
    keys: dict[int, dict[Any, int]] = {}
    usage = None
    for chunk in chunks:
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            i = choice.get("index") or 0
            msg = messages.setdefault(i, Message())
            by_key = keys.setdefault(i, {})
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if isinstance(content, str):
                msg.content += content
            elif isinstance(content, list):
                for part in content:
                    if part["type"] == "text":
                        msg.content += part["text"]
                    elif part["type"] == "thinking":
                        msg.reasoning += "".join(p["text"] for p in part["thinking"])
            rc, r = delta.get("reasoning_content"), delta.get("reasoning")
            msg.reasoning += (rc or "") + (r or "" if r != rc else "")
            msg.refusal += delta.get("refusal") or ""
            entries = list(delta.get("tool_calls") or [])
            if delta.get("function_call"):
                entries.append({"index": "legacy", "function": delta["function_call"]})
            for entry in entries:
                fn = entry.get("function") or {}
                key = entry.get("index")
                if key is None:
                    key = entry.get("id") or (list(by_key)[-1] if by_key else 0)
                pos = by_key.get(key)
                if pos is not None and entry.get("id") and fn.get("name"):
                    old = msg.tool_calls[pos]
                    if old["id"] and old["id"] != entry["id"]:
                        pos = None
                if pos is None:
                    pos = by_key[key] = len(msg.tool_calls)
                    if entry.get("id"):
                        by_key[entry["id"]] = pos
                    msg.tool_calls.append({"id": None, "name": None, "arguments": ""})
                call = msg.tool_calls[pos]
                call["id"] = call["id"] or entry.get("id") or None
                call["name"] = call["name"] or fn.get("name") or None
                call["arguments"] = (call["arguments"] or "") + (fn.get("arguments") or "")
            if choice.get("finish_reason") and msg.finish_reason is None:
                msg.finish_reason = choice["finish_reason"]
    return messages, usage


def rebuild(events: list[StreamEvent]) -> tuple[dict[int, Message], dict[str, Any] | None]:
    """Fold typedstream events into {choice: Message} (the raw finish reason kept)."""
    messages: dict[int, Message] = {}
    usage = None
    started: dict[tuple[int, int], ToolCallStarted] = {}
    args: dict[tuple[int, int], str] = {}
    for event in events:
        match event:
            case TextDelta(text=text, choice=c):
                messages.setdefault(c, Message()).content += text
            case ReasoningDelta(text=text, choice=c):
                messages.setdefault(c, Message()).reasoning += text
            case RefusalDelta(text=text, choice=c):
                messages.setdefault(c, Message()).refusal += text
            case ToolCallStarted(index=i, choice=c):
                assert (c, i) not in started, "a call started twice"
                assert i == sum(1 for k in started if k[0] == c), "indexes are dense"
                started[(c, i)] = event
                args[(c, i)] = ""
            case ArgumentsDelta(index=i, id=call_id, delta=d, choice=c):
                assert started[(c, i)].id == call_id
                args[(c, i)] += d
            case ToolCallDone(index=i, id=call_id, name=name, arguments=a, choice=c):
                head = started[(c, i)]
                assert (head.id, head.name) == (call_id, name)
                assert args[(c, i)] == a, "the deltas join to the done arguments"
                messages.setdefault(c, Message()).tool_calls.append(
                    {"id": call_id, "name": name, "arguments": a}
                )
            case ChoiceFinished(raw_reason=raw, choice=c):
                messages.setdefault(c, Message()).finish_reason = raw
            case Usage(usage=u):
                usage = u
            case _:
                pass
    return messages, usage
