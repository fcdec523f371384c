"""Writing a whole chat tree at once (imports and copies of shared chats).

The tree arrives as plain values with keys of the caller's choosing; it is written
level by level (one multi-row insert per depth, ids read back in order), so a long
import costs a few statements per chat, not one per message. Nothing is committed:
the caller decides the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

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
    levels: dict[int, list[ImportedMessage]] = defaultdict(list)
    for message, depth in zip(chat.messages, _depth_list(chat.messages), strict=True):
        levels[depth].append(message)
    ids: dict[Hashable, int] = {}
    for depth in sorted(levels):
        level = levels[depth]
        values = [
            {
                "chat_id": row.id,
                "parent_id": None if m.parent is None else ids[m.parent],
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
            for m in level
        ]
        statement = insert(Message).returning(Message.id, sort_by_parameter_order=True)
        new_ids = session.execute(statement, values).scalars().all()
        ids.update(zip((m.key for m in level), new_ids, strict=True))
    leaf = chat.leaf if chat.leaf in ids else newest_leaf(chat.messages)
    row.current_leaf_id = ids[leaf] if leaf is not None else None
    session.add(row)
    session.flush()
    return row


def _depth_list(messages: Sequence[ImportedMessage]) -> list[int]:
    found = depths(messages)
    return [found[m.key] for m in messages]
