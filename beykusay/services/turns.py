"""Starting turns: who may start an answer, decided atomically; many starts in one go.

Counting a user's running answers and inserting a new one must not interleave with
another start of the same user, or both see room for one more. Starts of one user
therefore serialise before they count: on SQLite the start transaction takes the write
lock first (``BEGIN IMMEDIATE``; SQLite ignores ``FOR UPDATE``), on PostgreSQL it locks
the user's row. Locks are taken user first, then chat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import bindparam, exists, func, select
from sqlmodel import Session

from beykusay.db import get_engine, utcnow
from beykusay.models import STREAMING, Chat, Message, User
from beykusay.services.errors import Conflict, NotFound, TooManyAttempts
from beykusay.services.usage import DAY_TOKENS, effective_limit_of, refuse_over_limit
from beykusay.team_models import UsageDay

T = TypeVar("T")

# The claim's statements, built once: a start runs them by the hundred under a burst,
# and building (and keying for the compiled cache) a fresh statement each time cost
# more than running it.
_chats = Chat.__table__  # type: ignore[attr-defined]
_messages = Message.__table__  # type: ignore[attr-defined]
_users = User.__table__  # type: ignore[attr-defined]
_usage = UsageDay.__table__  # type: ignore[attr-defined]
_theirs = _chats.alias("theirs")

# PostgreSQL: the owner's row, FOR NO KEY UPDATE (serialises this user's starts, yet lets
# rows that only refer to the user, a finishing answer's usage, be written meanwhile).
_LOCK_OWNER = (
    select(_users.c.id)
    .where(
        _users.c.id
        == select(_chats.c.user_id).where(_chats.c.id == bindparam("chat_id")).scalar_subquery()
    )
    .with_for_update(key_share=True)
)
_CHAT = (
    select(_chats.c.user_id, _chats.c.current_leaf_id, _chats.c.auto_title)
    .where(_chats.c.id == bindparam("chat_id"))
    .with_for_update()  # SQLite: not rendered (the write lock is held already)
)
# Once the chat is locked, in a statement of its own (so it sees what committed while
# the locks were awaited): whether an answer runs in the chat, how many run for the
# user, the user's own limit and this month's tokens.
_CHECKS = select(
    exists()
    .where(_messages.c.chat_id == bindparam("chat_id"), _messages.c.status == STREAMING)
    .label("streaming_here"),
    select(func.count())
    .select_from(_messages.join(_theirs, _theirs.c.id == _messages.c.chat_id))
    .where(_theirs.c.user_id == bindparam("user_id"), _messages.c.status == STREAMING)
    .scalar_subquery()
    .label("running"),
    select(_users.c.monthly_token_limit)
    .where(_users.c.id == bindparam("user_id"))
    .scalar_subquery()
    .label("own_limit"),
    select(func.coalesce(func.sum(DAY_TOKENS), 0))
    .where(_usage.c.user_id == bindparam("user_id"), _usage.c.day >= bindparam("month"))
    .scalar_subquery()
    .label("month_tokens"),
)


@dataclass(frozen=True, slots=True)
class ClaimedChat:
    """The chat a new turn goes into, locked until the start transaction ends."""

    id: int
    user_id: int
    current_leaf_id: int | None
    auto_title: bool


def hold_write_lock(session: Session) -> bool:
    """On SQLite, make this session's transaction a writing one from now on; if SQLite."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return False
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:  # type: ignore[attr-defined]
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    return True


def claim_chat(session: Session, chat_id: int, max_per_user: int) -> ClaimedChat:
    """The chat, locked for a new turn; refuses a second answer in it and a user's surplus."""
    connection = session.connection()
    if not hold_write_lock(session):  # the write lock already serialises every start
        connection.execute(_LOCK_OWNER, {"chat_id": chat_id}).first()
    chat = connection.execute(_CHAT, {"chat_id": chat_id}).first()
    if chat is None:  # deleted since the request found it
        raise NotFound("Chat not found")
    now = utcnow()
    checks = connection.execute(
        _CHECKS,
        {"chat_id": chat_id, "user_id": chat.user_id, "month": now.date().replace(day=1)},
    ).one()
    if checks.streaming_here:
        raise Conflict("An answer is already being generated in this chat")
    if checks.running >= max_per_user:
        raise TooManyAttempts(
            5,
            f"You already have {checks.running} answers being generated. "
            "Wait for one to finish, or stop one.",
        )
    refuse_over_limit(effective_limit_of(checks.own_limit), int(checks.month_tokens), now)
    return ClaimedChat(chat_id, chat.user_id, chat.current_leaf_id, bool(chat.auto_title))


def start_all(works: Sequence[Callable[[Session], T]]) -> list[T | Exception]:
    """Run several starts in one transaction, each in a savepoint of its own.

    A start that fails (409, 429, 404, or an error of its own) is rolled back alone and
    its exception takes its place in the results; the rest commit together. On SQLite
    the transaction holds the write lock from its first statement.
    """
    results: list[T | Exception] = []
    with get_engine().connect() as connection, connection.begin():
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        for work in works:
            savepoint = connection.begin_nested()
            try:
                # rollback_only: the work's own commit() only flushes; its savepoint
                # (one round trip each way) ends below, with the work, as one unit.
                with Session(
                    bind=connection, join_transaction_mode="rollback_only", expire_on_commit=False
                ) as session:
                    result = work(session)
            except Exception as exc:
                savepoint.rollback()
                results.append(exc)
            else:
                savepoint.commit()
                results.append(result)
    return results
