"""A chat's tree of messages: its current path, the versions of a message, moving the path.

Every message has a parent (``None`` for a first message); messages with the same
parent are versions of one turn (siblings). A chat's current path runs from a first
message down to ``Chat.current_leaf_id``. Reading a page of the path costs one
recursive query from the leaf up, plus one query for the siblings of the whole page,
however large the chat.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CTE, and_, bindparam, case, func, literal_column, or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from beykusay.models import Chat, Message
from beykusay.schemas import message_json
from beykusay.services import files

ONE, ZERO = literal_column("1"), literal_column("0")  # typed alike in both CTE terms


@dataclass(frozen=True, slots=True)
class PathPage:
    """Messages of the current path, oldest first; the versions of each; whether older exist."""

    messages: list[Message]
    has_more: bool
    sibling_ids: dict[int, list[int]]
    attachments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def as_json(self) -> list[dict[str, Any]]:
        return [
            message_json(
                m,
                sibling_ids=self.sibling_ids[m.id or 0],
                attachments=self.attachments.get(m.id or 0),
            )
            for m in self.messages
        ]


def leaf_of(chat_id: int) -> Any:
    """The chat's current leaf, as a subquery."""
    return select(Chat.current_leaf_id).where(Chat.id == chat_id).scalar_subquery()


def path_up(start: Any, *, older_than: int | None = None, enough: int | None = None) -> CTE:
    """The path from ``start`` (an id or a subquery) up to its first message.

    Columns ``id`` and ``depth`` (0 at ``start``). With ``enough``, the walk stops once
    it has passed ``enough`` messages older than ``older_than``: a page needs no more.
    """
    older: ColumnElement[bool] = true() if older_than is None else col(Message.id) < older_than
    first = select(
        col(Message.id).label("id"),
        col(Message.parent_id).label("parent_id"),
        ZERO.label("depth"),
        _as_count(older).label("taken"),
    ).where(col(Message.id) == start)
    path = first.cte("path", recursive=True)
    step = select(
        col(Message.id),
        col(Message.parent_id),
        path.c.depth + ONE,
        path.c.taken + _as_count(older),
    ).join(path, col(Message.id) == path.c.parent_id)
    if enough is not None:
        step = step.where(path.c.taken <= enough)
    return path.union_all(step)


def _as_count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, ONE), else_=ZERO)


def current_page(
    *, session: Session, chat_id: int, limit: int = 100, before: int | None = None
) -> PathPage:
    """The newest ``limit`` messages of the current path (older than ``before``)."""
    path = path_up(leaf_of(chat_id), older_than=before, enough=limit)
    # Whether each has files, in the same query: a chat without any costs no more.
    statement = select(Message, files.has_files(col(Message.id))).join(
        path, col(Message.id) == path.c.id
    )
    if before is not None:
        statement = statement.where(col(Message.id) < before)
    found = list(session.exec(statement.order_by(path.c.depth).limit(limit + 1)).all())
    page = [message for message, _ in reversed(found[:limit])]
    carrying = [message for message, has in found[:limit] if has]
    return PathPage(
        page,
        len(found) > limit,
        sibling_ids(session=session, messages=page),
        _attachments(session, carrying),
    )


def sibling_ids(*, session: Session, messages: Sequence[Message]) -> dict[int, list[int]]:
    """For each message, the ids of its versions (itself included), oldest first.

    One query for any number of messages, of any chats.
    """
    if not messages:
        return {}
    parents = {m.parent_id for m in messages if m.parent_id is not None}
    root_chats = {m.chat_id for m in messages if m.parent_id is None}
    conditions = []
    if parents:
        conditions.append(col(Message.parent_id).in_(sorted(parents)))
    if root_chats:
        conditions.append(
            and_(col(Message.parent_id).is_(None), col(Message.chat_id).in_(sorted(root_chats)))
        )
    found = session.exec(
        select(Message.id, Message.parent_id, Message.chat_id)
        .where(or_(*conditions))
        .order_by(col(Message.id))
    ).all()
    versions: dict[tuple[int | None, int | None], list[int]] = defaultdict(list)
    for message_id, parent_id, chat_id in found:
        versions[_family(parent_id, chat_id)].append(message_id)
    return {m.id or 0: versions[_family(m.parent_id, m.chat_id)] for m in messages}


_messages = Message.__table__  # type: ignore[attr-defined]
# One message's versions, as statements built once (every start asks them for its question).
_VERSIONS = (
    select(_messages.c.id).where(_messages.c.parent_id == bindparam("parent")).order_by("id")
)
_FIRST_VERSIONS = (
    select(_messages.c.id)
    .where(_messages.c.parent_id.is_(None), _messages.c.chat_id == bindparam("chat"))
    .order_by("id")
)


def versions_of(*, session: Session, message: Message) -> list[int]:
    """``sibling_ids`` for one message: its versions' ids, itself included, oldest first."""
    if message.parent_id is None:
        found = session.connection().execute(_FIRST_VERSIONS, {"chat": message.chat_id})
    else:
        found = session.connection().execute(_VERSIONS, {"parent": message.parent_id})
    return list(found.scalars())


def _family(parent_id: int | None, chat_id: int) -> tuple[int | None, int | None]:
    # Children of a message are one family; first messages are one family per chat.
    return (parent_id, None) if parent_id is not None else (None, chat_id)


def messages_json(*, session: Session, messages: Iterable[Message]) -> list[dict[str, Any]]:
    """Messages as the API shows them, their versions read in one query."""
    rows = list(messages)
    versions = sibling_ids(session=session, messages=rows)
    files = _attachments(session, rows)
    return [
        message_json(m, sibling_ids=versions[m.id or 0], attachments=files.get(m.id or 0))
        for m in rows
    ]


def _attachments(session: Session, messages: Sequence[Message]) -> dict[int, list[dict[str, Any]]]:
    """The files of the user's messages, in one query (answers carry none)."""
    asked = [m.id for m in messages if m.role == "user" and m.id is not None]
    return files.attachments_json(session=session, message_ids=asked) if asked else {}


def attachments_of(*, session: Session, message: Message) -> list[dict[str, Any]]:
    """One message's files as the API shows them (none for an answer)."""
    return _attachments(session, [message]).get(message.id or 0, [])


def message_out(*, session: Session, message: Message) -> dict[str, Any]:
    return messages_json(session=session, messages=[message])[0]


def on_current_path(*, session: Session, chat_id: int, message_id: int) -> bool:
    path = path_up(leaf_of(chat_id))
    return session.exec(select(path.c.id).where(path.c.id == message_id)).first() is not None


def newest_leaf_below(*, session: Session, message_id: int) -> int:
    """The most recent message with no children in the subtree of ``message_id``."""
    first = select(col(Message.id).label("id")).where(col(Message.id) == message_id)
    below = first.cte("below", recursive=True)
    below = below.union_all(
        select(col(Message.id)).join(below, col(Message.parent_id) == below.c.id)
    )
    child = select(Message.id).where(col(Message.parent_id) == below.c.id).exists()
    leaf = session.exec(select(func.max(below.c.id)).where(~child)).one()
    return leaf if leaf is not None else message_id
