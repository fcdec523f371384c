"""Exports: a chat as Markdown to read, chats as BeykuSay JSON to import again.

The JSON holds every branch: each message with its ``id`` and ``parent_id`` (ids of
this export, which are the server's own), each chat with ``current_leaf_id``. ``format``
and ``version`` let a later version read older files. Exporting every chat streams one
chat at a time, so memory stays bounded by the largest chat.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from beykusay.db import new_session, utcnow
from beykusay.models import Chat, Message
from beykusay.services.beykusay_format import FORMAT, VERSION
from beykusay.services.files import attachments_json
from beykusay.services.sharing import path_messages

MESSAGE_FIELDS = (
    "role",
    "content",
    "thinking",
    "thinking_seconds",
    "model",
    "status",
    "error",
)


def _time(value: datetime) -> str:
    return value.isoformat()


def chat_json(*, session: Session, chat: Chat) -> dict[str, Any]:
    """One chat with its whole tree, every version of every turn, oldest first."""
    rows = session.exec(
        select(Message).where(Message.chat_id == chat.id).order_by(col(Message.id))
    ).all()
    files = attachments_json(session=session, message_ids=[m.id or 0 for m in rows])
    return {
        "title": chat.title,
        "model": chat.model,
        "created_at": _time(chat.created_at),
        "updated_at": _time(chat.updated_at),
        "current_leaf_id": chat.current_leaf_id,
        "messages": [
            {
                "id": m.id,
                "parent_id": m.parent_id,
                **{name: getattr(m, name) for name in MESSAGE_FIELDS},
                "created_at": _time(m.created_at),
                "attachments": files.get(m.id or 0, []),
            }
            for m in rows
        ],
    }


def _header() -> str:
    head = {"format": FORMAT, "version": VERSION, "exported_at": _time(utcnow())}
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "chats": ['


def export_json(*, session: Session, chat: Chat) -> str:
    """One chat in BeykuSay's format (a list of one)."""
    return _header() + json.dumps(chat_json(session=session, chat=chat), ensure_ascii=False) + "]}"


def export_all_json(user_id: int) -> Iterator[bytes]:
    """Every chat of the user, newest first, as pieces of one JSON document.

    Each chat is read in a short session of its own, so a long export holds no
    connection or lock while the client downloads.
    """
    with new_session() as session:
        chat_ids = session.exec(
            select(Chat.id)
            .where(Chat.user_id == user_id)
            .order_by(col(Chat.updated_at).desc(), col(Chat.id).desc())
        ).all()
    yield _header().encode()
    first = True
    for chat_id in chat_ids:
        with new_session() as session:
            chat = session.get(Chat, chat_id)
            if chat is None:
                continue  # deleted meanwhile
            piece = json.dumps(chat_json(session=session, chat=chat), ensure_ascii=False)
        yield (piece if first else ", " + piece).encode()
        first = False
    yield b"]}"


def export_markdown(*, session: Session, chat: Chat) -> str:
    """The current path as a Markdown document that reads well on its own."""
    assert chat.id is not None
    messages = path_messages(session=session, chat_id=chat.id)
    files = attachments_json(session=session, message_ids=[m.id or 0 for m in messages])
    lines = [f"# {_one_line(chat.title)}", "", f"*{chat.model} · {_day(chat.created_at)}*", ""]
    for message in messages:
        who = "You" if message.role == "user" else f"Assistant ({message.model or chat.model})"
        lines += ["---", "", f"**{who}** · {_day(message.created_at)}", ""]
        if message.thinking:
            lines += ["<details>", "<summary>Thoughts</summary>", "", message.thinking, ""]
            lines += ["</details>", ""]
        if message.content:
            lines += [message.content, ""]
        names = [f["name"] for f in files.get(message.id or 0, [])]
        if names:
            lines += ["Attachments: " + ", ".join(f"`{name}`" for name in names), ""]
        if message.status in ("error", "stopped", "interrupted"):
            lines += [f"*({message.status}{': ' + message.error if message.error else ''})*", ""]
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _day(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def file_name(chat: Chat, extension: str) -> str:
    """A download name from the chat's title (the header encodes it as RFC 6266 asks)."""
    safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in chat.title).strip()
    return f"{(safe or 'chat')[:80]}.{extension}"
