"""Messages of a chat: paging, starting a turn, saving a growing answer, history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select, update

from beykusay.db import utcnow
from beykusay.models import STREAMING, Chat, Message
from beykusay.providers.base import Turn
from beykusay.services.chats import title_from
from beykusay.services.errors import Conflict
from beykusay.services.turns import claim_chat

FINISHED = ("complete", "stopped", "error", "interrupted")


def list_messages(
    *, session: Session, chat_id: int, limit: int = 100, before: int | None = None
) -> tuple[list[Message], bool]:
    """The newest ``limit`` messages (before ``before``), oldest first; and if older exist."""
    statement = select(Message).where(Message.chat_id == chat_id)
    if before is not None:
        statement = statement.where(col(Message.id) < before)
    rows = session.exec(statement.order_by(col(Message.id).desc()).limit(limit + 1)).all()
    return list(reversed(rows[:limit])), len(rows) > limit


def last_messages(*, session: Session, chat_id: int, count: int) -> list[Message]:
    return list_messages(session=session, chat_id=chat_id, limit=count)[0]


def has_streaming_answer(*, session: Session, chat_id: int) -> bool:
    found = session.exec(
        select(Message.id).where(Message.chat_id == chat_id, Message.status == STREAMING)
    ).first()
    return found is not None


@dataclass(frozen=True, slots=True)
class Turnstart:
    user_message: Message
    assistant_message: Message


def _placeholder(chat_id: int, model: str, instance_id: str) -> Message:
    return Message(
        chat_id=chat_id, role="assistant", model=model, status=STREAMING, instance_id=instance_id
    )


def start_turn(
    *,
    session: Session,
    chat_id: int,
    content: str,
    model: str,
    instance_id: str,
    max_per_user: int = 3,
) -> Turnstart:
    """Save the user's message and an empty streaming answer in one transaction."""
    chat = claim_chat(session, chat_id, max_per_user)
    now = utcnow()
    user_message = Message(chat_id=chat_id, role="user", content=content, created_at=now)
    answer = _placeholder(chat_id, model, instance_id)
    if chat.auto_title:
        chat.title, chat.auto_title = title_from(content), False
    chat.updated_at = now
    session.add_all([chat, user_message, answer])
    session.commit()  # no refresh: every column was set here, the ids by the flush
    return Turnstart(user_message, answer)


def start_regeneration(
    *,
    session: Session,
    chat_id: int,
    model: str,
    instance_id: str,
    content: str | None = None,
    max_per_user: int = 3,
) -> Turnstart:
    """Drop the last answer and answer the last user message again (edited if ``content``)."""
    chat = claim_chat(session, chat_id, max_per_user)
    tail = last_messages(session=session, chat_id=chat_id, count=2)
    if tail and tail[-1].role == "assistant":
        session.delete(tail.pop())
    if not tail or tail[-1].role != "user":
        raise Conflict("There is no message to answer yet")
    user_message = tail[-1]
    if content is not None:
        user_message.content = content
        session.add(user_message)
    answer = _placeholder(chat_id, model, instance_id)
    chat.updated_at = utcnow()
    session.add_all([chat, answer])
    session.commit()  # no refresh: every column was set here, the ids by the flush
    return Turnstart(user_message, answer)


def history(
    *, session: Session, chat_id: int, before: int, max_chars: int
) -> tuple[list[Turn], int]:
    """The conversation before message ``before`` as provider turns, oldest first.

    The newest turns that fit in ``max_chars`` are kept (the last user message always);
    the second value counts the older messages left out. Answers with no text are
    skipped and consecutive turns of one role merged, so roles always alternate.
    """
    rows = session.exec(
        select(Message)
        .where(Message.chat_id == chat_id, col(Message.id) < before, Message.content != "")
        .order_by(col(Message.id).desc())
        .execution_options(yield_per=200)
    )
    kept: list[Message] = []
    used = 0
    for row in rows:
        if kept and used + len(row.content) > max_chars:
            break
        kept.append(row)
        used += len(row.content)
    omitted = 0
    if kept:
        omitted = session.exec(
            select(func.count())
            .select_from(Message)
            .where(
                Message.chat_id == chat_id,
                col(Message.id) < kept[-1].id,
                Message.content != "",
            )
        ).one()
    turns: list[Turn] = []
    for row in reversed(kept):
        role = "user" if row.role == "user" else "model"
        if not turns and role == "model":
            omitted += 1  # a conversation sent to the model starts with the user
            continue
        signature = row.signature if role == "model" else None
        if turns and turns[-1].role == role:
            turns[-1] = Turn(role, turns[-1].text + "\n\n" + row.content, signature)
        else:
            turns.append(Turn(role, row.content, signature))
    return turns, omitted


def save_progress(*, session: Session, answers: dict[int, dict[str, Any]]) -> None:
    """Write several growing answers in one transaction (only those still streaming)."""
    table = Message.__table__  # type: ignore[attr-defined]
    statement = (
        table.update()
        .where(table.c.id == bindparam("row_id"), table.c.status == STREAMING)
        .values(
            content=bindparam("new_content"),
            thinking=bindparam("new_thinking"),
            updated_at=bindparam("now"),
        )
    )
    now = utcnow()
    rows = [
        {"row_id": row_id, "new_content": v["content"], "new_thinking": v["thinking"], "now": now}
        for row_id, v in answers.items()
    ]
    session.connection().execute(statement, rows)  # one executemany for the whole batch
    session.commit()


def finish_answer(*, session: Session, message_id: int, values: dict[str, Any]) -> Message | None:
    """Store an answer's final state and move its chat up the list."""
    answer = session.get(Message, message_id)
    if answer is None:  # its chat was deleted meanwhile
        return None
    now = utcnow()
    for field, value in values.items():
        setattr(answer, field, value)
    answer.updated_at = now
    session.add(answer)
    chat = session.get(Chat, answer.chat_id)
    if chat is not None:
        chat.updated_at = now
        session.add(chat)
    session.commit()
    session.refresh(answer)
    return answer


def interrupt_streaming(*, session: Session, instance_id: str | None = None) -> int:
    """Mark answers left streaming by a dead process as interrupted; returns how many."""
    statement = update(Message).where(col(Message.status) == STREAMING)
    if instance_id is not None:
        statement = statement.where(col(Message.instance_id) == instance_id)
    result = session.exec(statement.values(status="interrupted", updated_at=utcnow()))
    session.commit()
    return result.rowcount or 0
