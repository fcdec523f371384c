"""Writing chats straight into a database for tests and benchmarks, as the app would."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from beykusay.models import Chat, Message


def add_path(
    session: Session, chat: Chat, messages: Iterable[Message], *, parent_id: int | None = None
) -> list[Message]:
    """Add ``messages`` as one path below ``parent_id``; the last becomes the current leaf.

    A few statements for any number of messages: one insert, one update of the parents.
    """
    rows = list(messages)
    if not rows:
        return rows
    assert chat.id is not None
    for row in rows:
        row.chat_id = chat.id
    session.add_all(rows)
    session.flush()
    for parent, row in zip([None, *rows], rows, strict=False):
        row.parent_id = parent.id if parent is not None else parent_id
    chat.current_leaf_id = rows[-1].id
    session.add(chat)
    session.commit()
    return rows
