"""ChatGPT's data export (``conversations.json``) as BeykuSay chat trees: pure functions.

A conversation is a ``mapping`` of nodes (``id``, ``message``, ``parent``, ``children``)
and a ``current_node``. What a person saw becomes our messages: user and assistant text,
with o-series "thoughts" as the answer's thinking. Dropped: system messages, hidden
context (custom instructions, memory), tool calls (an assistant speaking to a tool)
and tool results (code interpreter output, browsing). An answer that ChatGPT stored as
several nodes (thoughts, a tool call, the text) becomes one message. Images, audio and
files become a short note. Dropped nodes are spliced out: their children follow the
nearest message kept above them, so every branch survives.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from beykusay.services.chat_builder import ImportedChat, ImportedMessage

TOOL_OUTPUTS = frozenset(
    {
        "code",
        "execution_output",
        "tether_browsing_display",
        "tether_quote",
        "sonic_webpage",
        "system_error",
        "computer_output",
        "user_editable_context",
        "model_editable_context",
        "reasoning_recap",
    }
)
PART_NOTES = {
    "image_asset_pointer": "[image not imported]",
    "audio_asset_pointer": "[audio not imported]",
    "real_time_user_audio_video_asset_pointer": "[video not imported]",
}
MODEL_CHARS = 32


class FormatError(ValueError):
    """The file says something this format cannot mean: which field, and why."""


@dataclass(slots=True)
class _Kept:
    key: str
    role: str
    content: str
    thinking: str | None
    created: float | None
    model: str | None


def _where(node_id: str, path: str) -> str:
    return f'mapping["{node_id}"]{path}'


def _require(value: Any, kind: type | tuple[type, ...], field: str, what: str) -> Any:
    if not isinstance(value, kind):
        raise FormatError(f"{field} must be {what}")
    return value


def _time(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(f"{field} must be a number of seconds or null")
    return float(value)


def _part_text(part: Any, field: str) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, dict):
        kind = part.get("content_type")
        if kind == "audio_transcription" and isinstance(part.get("text"), str):
            return part["text"]
        if kind in PART_NOTES:
            return PART_NOTES[kind]
        name = kind if isinstance(kind, str) and kind else "attachment"
        return f"[{name.replace('_', ' ')} not imported]"
    if part is None:
        return ""
    raise FormatError(f"{field} must be text or an object")


def _message(node_id: str, message: Any) -> _Kept | None:
    """What a node shows, or None when it is hidden, a tool's, or empty."""
    if message is None:
        return None
    message = _require(message, dict, _where(node_id, ".message"), "an object or null")
    author = _require(message.get("author"), dict, _where(node_id, ".message.author"), "an object")
    role = author.get("role")
    _require(role, str, _where(node_id, ".message.author.role"), "text")
    metadata = message.get("metadata") or {}
    _require(metadata, dict, _where(node_id, ".message.metadata"), "an object")
    if role not in ("user", "assistant") or metadata.get("is_visually_hidden_from_conversation"):
        return None
    if message.get("recipient") not in (None, "all"):
        return None  # a call to a tool (python, browser, dalle…)
    content = _require(
        message.get("content"), dict, _where(node_id, ".message.content"), "an object"
    )
    kind = content.get("content_type")
    _require(kind, str, _where(node_id, ".message.content.content_type"), "text")
    if kind in TOOL_OUTPUTS:
        return None
    text, thinking = "", None
    if kind == "thoughts":
        thoughts = content.get("thoughts") or []
        _require(thoughts, list, _where(node_id, ".message.content.thoughts"), "a list")
        pieces = [
            "\n".join(str(t.get(k) or "") for k in ("summary", "content")).strip()
            for t in thoughts
            if isinstance(t, dict)
        ]
        thinking = "\n\n".join(p for p in pieces if p) or None
    elif isinstance(content.get("parts"), list):
        field = _where(node_id, ".message.content.parts")
        pieces = [_part_text(part, f"{field}[{i}]") for i, part in enumerate(content["parts"])]
        text = "\n".join(p for p in pieces if p)
    elif isinstance(content.get("text"), str):
        text = content["text"]
    else:
        text = f"[{kind.replace('_', ' ')} not imported]"
    for attachment in metadata.get("attachments") or []:
        if isinstance(attachment, dict) and isinstance(attachment.get("name"), str):
            text += f"\n[file not imported: {attachment['name']}]"
    text = text.strip("\n")
    if not text.strip() and not thinking:
        return None
    slug = metadata.get("model_slug")
    model = slug[:MODEL_CHARS] if role == "assistant" and isinstance(slug, str) else None
    created = _time(message.get("create_time"), _where(node_id, ".message.create_time"))
    return _Kept(node_id, role, text, thinking, created, model)


def _joined(a: str | None, b: str | None) -> str | None:
    parts = [p for p in (a, b) if p]
    return "\n\n".join(parts) if parts else None


def _utc(seconds: float | None, fallback: datetime) -> datetime:
    if seconds is None:
        return fallback
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return fallback


def conversation_chat(conversation: Any, *, now: datetime) -> ImportedChat | str:
    """The conversation as a chat tree, or the reason it has nothing to import."""
    conversation = _require(conversation, dict, "the conversation", "an object")
    mapping = _require(conversation.get("mapping"), dict, "mapping", "an object")
    title = conversation.get("title")
    title = title if isinstance(title, str) else ""
    created_at = _utc(_time(conversation.get("create_time"), "create_time"), now)
    updated_at = _utc(_time(conversation.get("update_time"), "update_time"), created_at)
    parents: dict[str, str | None] = {}
    kept: dict[str, _Kept] = {}
    for node_id, node in mapping.items():
        node = _require(node, dict, _where(node_id, ""), "an object")
        parent = node.get("parent")
        if parent is not None and parent not in mapping:
            where = _where(node_id, ".parent")
            raise FormatError(f"{where} refers to a node that is not in mapping")
        parents[node_id] = parent
        found = _message(node_id, node.get("message"))
        if found is not None:
            kept[node_id] = found
    current = conversation.get("current_node")
    if current is not None and current not in mapping:
        raise FormatError("current_node refers to a node that is not in mapping")
    if not kept:
        return "no messages to import"
    above = _kept_above(parents, kept)
    messages, alias = _merged(kept, above, created_at)
    leaf = None
    if current is not None:
        node = current if current in kept else above.get(current)
        leaf = alias.get(node) if node is not None else None
    return ImportedChat(
        title=title or _first_line(messages[0].content) or "Imported chat",
        model=None,
        created_at=created_at,
        updated_at=max(updated_at, created_at),
        messages=messages,
        leaf=leaf,
    )


def _first_line(text: str) -> str:
    return " ".join(text.split())[:60]


def _kept_above(parents: dict[str, str | None], kept: dict[str, _Kept]) -> dict[str, str | None]:
    """For every node, the nearest kept node strictly above it."""
    above: dict[str, str | None] = {}
    for start in parents:
        chain, node = [], parents[start]
        seen = {start}
        while node is not None and node not in kept and node not in above:
            if node in seen:
                raise FormatError(_where(node, ".parent") + " makes the tree loop")
            seen.add(node)
            chain.append(node)
            node = parents[node]
        result = node if node is None or node in kept else above[node]
        for step in chain:
            above[step] = result
        above[start] = result
    return above


def _merged(
    kept: dict[str, _Kept],
    above: dict[str, str | None],
    created_at: datetime,
) -> tuple[list[ImportedMessage], dict[str, Hashable]]:
    """Our messages, with answers split over consecutive nodes joined into one."""
    children: dict[str | None, int] = {}
    for key in kept:
        children[above[key]] = children.get(above[key], 0) + 1
    order = _top_down(kept, above)
    alias: dict[str, Hashable] = {}
    out: dict[Hashable, ImportedMessage] = {}
    for key in order:
        node, parent = kept[key], above[key]
        target = alias[parent] if parent is not None else None
        base = out[target] if target is not None else None
        if base is not None and base.role == node.role == "assistant" and children[parent] == 1:
            base.content = _joined(base.content, node.content) or ""
            base.thinking = _joined(base.thinking, node.thinking)
            base.model = base.model or node.model
            alias[key] = target
            continue
        fallback = base.created_at if base is not None else created_at
        out[key] = ImportedMessage(
            key=key,
            parent=target,
            role=node.role,
            content=node.content,
            thinking=node.thinking,
            model=node.model,
            created_at=_utc(node.created, fallback),
        )
        alias[key] = key
    return list(out.values()), alias


def _top_down(kept: dict[str, _Kept], above: dict[str, str | None]) -> list[str]:
    """Parents before children; versions of a turn in the order they were written."""
    depth: dict[str, int] = {}

    def depth_of(key: str) -> int:
        chain = []
        node: str | None = key
        while node is not None and node not in depth:
            chain.append(node)
            node = above[node]
        level = -1 if node is None else depth[node]
        for step in reversed(chain):
            level += 1
            depth[step] = level
        return depth[key]

    return sorted(kept, key=lambda key: (depth_of(key), kept[key].created or 0.0))
