"""Writing a whole chat tree at once (imports and copies of shared chats).

The tree arrives as plain values with keys of the caller's choosing; it is written in
two statements whatever its size: one multi-row insert (ids read back in order), then
one batched update linking each message to its parent. Nothing is committed:
the caller decides the transaction.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from beykusay.catalog import DEFAULT_MODEL, MODELS
from beykusay.models import Chat, Message, User
from beykusay.services.chats import UNTITLED

TITLE_MAX = 200


@dataclass(slots=True)
class ImportedMessage:
    key: Hashable
    parent: Hashable | None
    role: str  # "user" or "assistant"
    content: str
    created_at: datetime
    thinking: str | None = None
    thinking_seconds: float | None = None
    model: str | None = None
    status: str = "complete"
    error: str | None = None


@dataclass(slots=True)
class ImportedChat:
    title: str
    model: str | None
    created_at: datetime
    updated_at: datetime
    messages: list[ImportedMessage] = field(default_factory=list)
    leaf: Hashable | None = None  # the end of the current path (None: the newest leaf)


def _insert(session: Session, chat_id: int | None, values: list[dict[str, object]]) -> list[int]:
    """Insert the rows; their new ids in the same order."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite cannot return ids in order from a multi-row insert, and SQLAlchemy would
        # fall back to one statement a row. Its executemany inserts row after row, so the
        # new chat's ids, read back in order, are the rows' in order.
        session.execute(insert(Message), values)
        found = session.exec(
            select(Message.id).where(Message.chat_id == chat_id).order_by(col(Message.id))
        ).all()
        return [message_id or 0 for message_id in found]
    statement = insert(Message).returning(Message.id, sort_by_parameter_order=True)
    return list(session.execute(statement, values).scalars().all())


def depths(messages: Sequence[ImportedMessage]) -> dict[Hashable, int]:
    """Each message's distance from the top; parents must be among the messages."""
    by_key = {m.key: m for m in messages}
    found: dict[Hashable, int] = {}
    for message in messages:
        chain = []
        key: Hashable | None = message.key
        while key is not None and key not in found:
            chain.append(key)
            if len(chain) > len(by_key):
                raise ValueError("the messages' parents form a loop")
            key = by_key[key].parent
        depth = -1 if key is None else found[key]
        for step in reversed(chain):
            depth += 1
            found[step] = depth
    return found


def newest_leaf(messages: Sequence[ImportedMessage]) -> Hashable | None:
    parents = {m.parent for m in messages}
    leaves = [m for m in messages if m.key not in parents]
    return max(leaves, key=lambda m: m.created_at).key if leaves else None


def add_chat(*, session: Session, user: User, chat: ImportedChat) -> Chat:
    """Insert the chat and its whole tree; the chat's path ends at ``chat.leaf``."""
    assert user.id is not None
    row = Chat(
        user_id=user.id,
        title=(chat.title.strip() or UNTITLED)[:TITLE_MAX],
        auto_title=False,
        model=chat.model if chat.model in MODELS else user.default_model or DEFAULT_MODEL,
        created_at=chat.created_at,
        updated_at=chat.updated_at,
    )
    session.add(row)
    session.flush()
    found = depths(chat.messages)
    ordered = sorted(chat.messages, key=lambda m: found[m.key])  # stable: versions keep order
    ids: dict[Hashable, int] = {}
    if ordered:
        values = [
            {
                "chat_id": row.id,
                "role": m.role,
                "content": m.content,
                "thinking": m.thinking,
                "thinking_seconds": m.thinking_seconds,
                "model": m.model,
                "status": m.status,
                "error": m.error,
                "created_at": m.created_at,
                "updated_at": m.created_at,
            }
            for m in ordered
        ]
        ids = dict(zip((m.key for m in ordered), _insert(session, row.id, values), strict=True))
        links = [
            {"row": ids[m.key], "parent": ids[m.parent]} for m in ordered if m.parent is not None
        ]
        if links:  # one statement for every link (a message's parent exists by now)
            table = Message.__table__  # type: ignore[attr-defined]
            session.execute(
                update(table)
                .where(table.c.id == bindparam("row"))
                .values(parent_id=bindparam("parent")),
                links,
            )
    leaf = chat.leaf if chat.leaf in ids else newest_leaf(chat.messages)
    row.current_leaf_id = ids[leaf] if leaf is not None else None
    session.add(row)
    session.flush()
    return row
