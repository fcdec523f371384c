"""Starting turns: who may start an answer, decided atomically; many starts in one go.

Counting a user's running answers and inserting a new one must not interleave with
another start of the same user, or both see room for one more. Starts of one user
therefore serialise before they count: on SQLite the start transaction takes the write
lock first (``BEGIN IMMEDIATE``; SQLite ignores ``FOR UPDATE``), on PostgreSQL it locks
the user's row. Locks are taken user first, then chat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlmodel import Session, col, func, select

from beykusay.db import get_engine
from beykusay.models import STREAMING, Chat, Message, User
from beykusay.services.errors import Conflict, NotFound, TooManyAttempts
from beykusay.services.usage import ensure_within_limit

T = TypeVar("T")


def hold_write_lock(session: Session) -> bool:
    """On SQLite, make this session's transaction a writing one from now on; if SQLite."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return False
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:  # type: ignore[attr-defined]
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    return True


def claim_chat(session: Session, chat_id: int, max_per_user: int) -> Chat:
    """The chat, locked for a new turn; refuses a second answer in it and a user's surplus."""
    if not hold_write_lock(session):  # the write lock already serialises every start
        owner = session.exec(select(Chat.user_id).where(Chat.id == chat_id)).one_or_none()
        if owner is not None:
            # FOR NO KEY UPDATE: serialises this user's starts, yet lets rows that only
            # refer to the user (a finishing answer's usage) be written meanwhile.
            session.exec(
                select(User.id).where(User.id == owner).with_for_update(key_share=True)
            ).one()
    chat = session.exec(select(Chat).where(Chat.id == chat_id).with_for_update()).one_or_none()
    if chat is None:  # deleted since the request found it
        raise NotFound("Chat not found")
    streaming_here = session.exec(
        select(Message.id).where(Message.chat_id == chat_id, Message.status == STREAMING)
    ).first()
    if streaming_here is not None:
        raise Conflict("An answer is already being generated in this chat")
    running = session.exec(
        select(func.count())
        .select_from(Message)
        .join(Chat, col(Chat.id) == Message.chat_id)
        .where(Chat.user_id == chat.user_id, Message.status == STREAMING)
    ).one()
    if running >= max_per_user:
        raise TooManyAttempts(
            5,
            f"You already have {running} answers being generated. "
            "Wait for one to finish, or stop one.",
        )
    ensure_within_limit(session, session.get(User, chat.user_id))  # type: ignore[arg-type]
    return chat


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
