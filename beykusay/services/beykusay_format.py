"""BeykuSay's own JSON export read back as chat trees: checked field by field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from beykusay.services.chat_builder import ImportedChat, ImportedMessage, depths
from beykusay.services.chatgpt_format import FormatError

FORMAT = "beykusay"  # the "format" field of services/export.py
VERSION = 1
ROLES = ("user", "assistant")
STATUSES = ("complete", "stopped", "error", "interrupted")


def _field(
    data: dict[str, Any], name: str, kind: type | tuple[type, ...], what: str, where: str
) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise FormatError(f'{where}field "{name}" must be {what}')
    return value


def _time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise FormatError(f'field "{field}" must be an ISO 8601 time')
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FormatError(f'field "{field}" is not an ISO 8601 time: {value[:40]!r}') from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _note(attachments: Any) -> str:
    if not isinstance(attachments, list):
        return ""
    names = [
        a["name"] for a in attachments if isinstance(a, dict) and isinstance(a.get("name"), str)
    ]
    return "".join(f"\n[file not imported: {name}]" for name in names)


def _message(data: Any, index: int) -> ImportedMessage:
    where = f"messages[{index}]: "
    if not isinstance(data, dict):
        raise FormatError(f"{where}must be an object")
    key = _field(data, "id", int, "an integer", where)
    parent = data.get("parent_id")
    if parent is not None and (not isinstance(parent, int) or isinstance(parent, bool)):
        raise FormatError(f'{where}field "parent_id" must be an integer or null')
    role = data.get("role")
    if role not in ROLES:
        raise FormatError(f'{where}field "role" must be "user" or "assistant"')
    thinking = data.get("thinking")
    if thinking is not None and not isinstance(thinking, str):
        raise FormatError(f'{where}field "thinking" must be text or null')
    seconds = data.get("thinking_seconds")
    if seconds is not None and (not isinstance(seconds, int | float) or isinstance(seconds, bool)):
        raise FormatError(f'{where}field "thinking_seconds" must be a number or null')
    model, error = data.get("model"), data.get("error")
    status = data.get("status", "complete")
    return ImportedMessage(
        key=key,
        parent=parent,
        role=role,
        content=_field(data, "content", str, "text", where) + _note(data.get("attachments")),
        created_at=_time(data.get("created_at"), where + "created_at"),
        thinking=thinking,
        thinking_seconds=None if seconds is None else float(seconds),
        model=model[:32] if isinstance(model, str) else None,
        # an answer exported mid-stream is as far as it got
        status=status if status in STATUSES else "interrupted",
        error=error if isinstance(error, str) else None,
    )


def chat_from_export(data: Any) -> ImportedChat | str:
    """One chat of our export, or the reason there is nothing to import."""
    if not isinstance(data, dict):
        raise FormatError("must be an object")
    title = _field(data, "title", str, "text", "")
    rows = _field(data, "messages", list, "a list", "")
    messages = [_message(row, index) for index, row in enumerate(rows)]
    keys = {m.key for m in messages}
    if len(keys) != len(messages):
        raise FormatError('two messages have the same "id"')
    for index, message in enumerate(messages):
        if message.parent is not None and message.parent not in keys:
            raise FormatError(f'messages[{index}]: "parent_id" is not the id of a message here')
    try:
        depths(messages)
    except ValueError as exc:
        raise FormatError(str(exc)) from None
    leaf = data.get("current_leaf_id")
    if leaf is not None and leaf not in keys:
        raise FormatError('field "current_leaf_id" is not the id of a message here')
    created_at = _time(data.get("created_at"), "created_at")
    if not messages:
        return "no messages to import"
    model = data.get("model")
    return ImportedChat(
        title=title,
        model=model if isinstance(model, str) else None,
        created_at=created_at,
        updated_at=_time(data.get("updated_at"), "updated_at"),
        messages=messages,
        leaf=leaf,
    )
