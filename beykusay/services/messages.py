"""Messages of a chat: starting a turn, saving a growing answer, the history sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select, update

from beykusay.db import utcnow
from beykusay.models import STREAMING, Chat, Message, RowMaker
from beykusay.providers.base import Turn
from beykusay.schemas import message_json
from beykusay.services import files, tree, usage
from beykusay.services.chats import title_from
from beykusay.services.errors import Conflict, InvalidReference, NotFound
from beykusay.services.turns import ClaimedChat, claim_chat, hold_write_lock

FINISHED = ("complete", "stopped", "error", "interrupted")

LEAF: Literal["leaf"] = "leaf"
Parent = int | None | Literal["leaf"]  # an answer, the top of the chat, or its current leaf


def has_streaming_answer(*, session: Session, chat_id: int) -> bool:
    found = session.exec(
        select(Message.id).where(Message.chat_id == chat_id, Message.status == STREAMING)
    ).first()
    return found is not None


@dataclass(frozen=True, slots=True)
class Turnstart:
    user_message: Message
    assistant_message: Message
    user_json: dict[str, Any]  # the question as the API shows it, with its versions


# A start makes two (a question and its answer); see RowMaker.
new_message = RowMaker(Message)


def _placeholder(chat_id: int, parent_id: int, model: str, instance_id: str) -> Message:
    return new_message(
        chat_id=chat_id,
        parent_id=parent_id,
        role="assistant",
        model=model,
        status=STREAMING,
        instance_id=instance_id,
    )


def _checked_parent(session: Session, chat: ClaimedChat, parent: Parent) -> int | None:
    """Where a new question goes: after the leaf, at the top, or after an answer on the path."""
    if parent == LEAF:
        return chat.current_leaf_id
    if parent is None:
        return None
    assert isinstance(parent, int)
    found = session.get(Message, parent)
    if (
        found is None
        or found.chat_id != chat.id
        or found.role != "assistant"
        or not tree.on_current_path(session=session, chat_id=chat.id, message_id=parent)
    ):
        raise InvalidReference("parent_id must be an answer on the chat's current path")
    return parent


# A start's writes and reads as statements built once (see turns.py): the rows are
# written with Core, the Message objects handed back are built here, as the ORM would
# have left them after its flush.
_messages = Message.__table__  # type: ignore[attr-defined]
_chats = Chat.__table__  # type: ignore[attr-defined]
_MESSAGE_COLUMNS = tuple(c.key for c in _messages.columns if c.key != "id")
_INSERT_MESSAGE = _messages.insert()
_NEW_LEAF = (
    _chats.update()
    .where(_chats.c.id == bindparam("chat"))
    .values(current_leaf_id=bindparam("leaf"), updated_at=bindparam("now"))
)
_NEW_LEAF_AND_TITLE = _NEW_LEAF.values(title=bindparam("new_title"), auto_title=False)


def _insert(session: Session, message: Message) -> Message:
    values = {key: getattr(message, key) for key in _MESSAGE_COLUMNS}
    result = session.connection().execute(_INSERT_MESSAGE, values)
    message.id = result.inserted_primary_key[0]  # type: ignore[index]
    return message


def _begin_answer(
    session: Session,
    chat: ClaimedChat,
    question: Message,
    model: str,
    instance_id: str,
    *,
    now: datetime,
    title: str | None = None,
    files_shown: list[dict[str, Any]] | None = None,
) -> Turnstart:
    """Add an empty streaming answer to ``question``, make it the leaf, updated ``now``
    (and retitle the chat when ``title`` is given), and commit. ``files_shown``: the
    question's files as the API shows them, when known (else they are read)."""
    assert question.id is not None
    answer = _insert(session, _placeholder(chat.id, question.id, model, instance_id))
    moved = {"chat": chat.id, "leaf": answer.id, "now": now}
    if title is None:
        session.connection().execute(_NEW_LEAF, moved)
    else:
        session.connection().execute(_NEW_LEAF_AND_TITLE, moved | {"new_title": title})
    session.commit()  # what the ORM holds (attached files) is written too
    if files_shown is None:
        files_shown = tree.attachments_of(session=session, message=question)
    versions = tree.versions_of(session=session, message=question)
    shown = message_json(question, sibling_ids=versions, attachments=files_shown)
    return Turnstart(question, answer, shown)


def start_turn(
    *,
    session: Session,
    chat_id: int,
    content: str,
    model: str,
    instance_id: str,
    max_per_user: int = 3,
    parent: Parent = LEAF,
    attachments: Sequence[int] = (),
    max_attachments: int = 10,
) -> Turnstart:
    """Save the user's message and an empty streaming answer in one transaction.

    The message follows ``parent``: by default the current leaf; ``None`` or an answer on
    the current path makes it a new version of the question that followed there.
    """
    chat = claim_chat(session, chat_id, max_per_user)
    parent_id = _checked_parent(session, chat, parent)
    attached = files.checked_attachments(
        session=session, user_id=chat.user_id, file_ids=attachments, limit=max_attachments
    )
    now = utcnow()
    question = _insert(
        session,
        new_message(
            chat_id=chat_id,
            parent_id=parent_id,
            role="user",
            content=content,
            created_at=now,
        ),
    )
    title = None
    if chat.auto_title:
        title = title_from(content if content.strip() or not attached else attached[0].name)
    assert question.id is not None
    files.attach(session=session, message_id=question.id, files=attached)
    shown = [files.file_json(f) for f in attached]
    return _begin_answer(
        session, chat, question, model, instance_id, now=now, title=title, files_shown=shown
    )


def start_regeneration(
    *, session: Session, chat_id: int, model: str, instance_id: str, max_per_user: int = 3
) -> Turnstart:
    """Answer the last question of the current path again: a new version of its answer."""
    chat = claim_chat(session, chat_id, max_per_user)
    leaf = session.get(Message, chat.current_leaf_id) if chat.current_leaf_id else None
    question = leaf
    if leaf is not None and leaf.role == "assistant":
        question = session.get(Message, leaf.parent_id) if leaf.parent_id else None
    if question is None or question.role != "user":
        raise Conflict("There is no message to answer yet")
    return _begin_answer(session, chat, question, model, instance_id, now=utcnow())


def switch_branch(*, session: Session, chat_id: int, message_id: int) -> None:
    """Make the current path go through ``message_id``, down to its newest leaf."""
    hold_write_lock(session)  # SQLite: serialised with starts, which read the leaf
    chat = session.exec(select(Chat).where(Chat.id == chat_id).with_for_update()).one()
    target = session.get(Message, message_id)
    if target is None or target.chat_id != chat_id:
        raise NotFound("Message not found")
    if has_streaming_answer(session=session, chat_id=chat_id):
        raise Conflict("An answer is being generated in this chat: wait for it or stop it")
    chat.current_leaf_id = tree.newest_leaf_below(session=session, message_id=message_id)
    session.add(chat)
    session.commit()


def history(
    *, session: Session, chat_id: int, before: int, max_chars: int
) -> tuple[list[Turn], int]:
    """The current path above answer ``before`` as provider turns, and how many older
    messages were left out (see ``history_budget``)."""
    found = history_budget(session=session, chat_id=chat_id, before=before, max_chars=max_chars)
    return found.turns, found.omitted


@dataclass(frozen=True, slots=True)
class History:
    turns: list[Turn]
    omitted: int  # older messages left out
    files_omitted: int  # of those, messages that carried files


# The path above an answer (``before``), with each message's size and whether it has
# files; then the turns kept (``deepest`` and up). Built once, as the start's others.
_PATH = tree.path_up(
    select(_messages.c.parent_id).where(_messages.c.id == bindparam("before")).scalar_subquery()
)
_ON_PATH = _messages.join(_PATH, _messages.c.id == _PATH.c.id)
_PATH_SIZES = (
    select(
        _PATH.c.depth,
        _messages.c.id,
        _messages.c.role,
        func.length(_messages.c.content).label("size"),
        files.has_files(_messages.c.id).label("has_files"),
    )
    .select_from(_ON_PATH)
    .order_by(_PATH.c.depth)
)
_PATH_KEPT = (
    select(_messages.c.id, _messages.c.role, _messages.c.content, _messages.c.signature)
    .select_from(_ON_PATH)
    .where(_PATH.c.depth <= bindparam("deepest"))
    .order_by(_PATH.c.depth.desc())
)


def history_budget(*, session: Session, chat_id: int, before: int, max_chars: int) -> History:
    """The current path above answer ``before``, as provider turns, oldest first.

    Only that path is sent, never another version. The newest turns that fit in
    ``max_chars`` are kept (the last user message always); text files count with their
    message. Messages with neither text nor files are skipped and consecutive turns of
    one role merged, so roles always alternate. Deleted files are not sent.
    """
    connection = session.connection()
    sizes = connection.execute(_PATH_SIZES, {"before": before}).all()
    asked = [row.id for row in sizes if row.role == "user" and row.has_files]
    attached = {
        message_id: [f for f in found if not f.deleted and f.blob_id is not None]
        for message_id, found in files.files_of(session=session, message_ids=asked).items()
    }
    used = 0
    deepest = -1
    omitted = files_omitted = 0
    for depth, message_id, _, size, _ in sizes:
        carried = attached.get(message_id, [])
        if not size and not carried:
            continue
        size += sum(f.size for f in carried if f.kind == "text")
        if deepest >= 0 and (omitted or used + size > max_chars):
            omitted += 1
            files_omitted += bool(carried)
            continue
        used += size
        deepest = depth
    kept = connection.execute(_PATH_KEPT, {"before": before, "deepest": deepest}).all()
    turns: list[Turn] = []
    for row in kept:
        carried = tuple(files.as_attachment(f) for f in attached.get(row.id or 0, []))
        if not row.content and not carried:
            continue
        role = "user" if row.role == "user" else "model"
        if not turns and role == "model":
            omitted += 1  # a conversation sent to the model starts with the user
            continue
        signature = row.signature if role == "model" else None
        if turns and turns[-1].role == role:
            last = turns[-1]
            text = "\n\n".join(t for t in (last.text, row.content) if t)
            turns[-1] = Turn(role, text, signature, last.files + carried)
        else:
            turns.append(Turn(role, row.content, signature, carried))
    return History(turns, omitted, files_omitted)


def save_progress(*, session: Session, answers: dict[int, dict[str, Any]]) -> None:
    """Write several growing answers in one transaction (only those still streaming)."""
    table = Message.__table__  # type: ignore[attr-defined]
    statement = (
        table.update()
        .where(table.c.id == bindparam("row_id"), table.c.status == STREAMING)
        .values(
            content=bindparam("new_content"),
            thinking=bindparam("new_thinking"),
            grounding=bindparam("new_grounding"),
            search_entry_point=bindparam("new_entry_point"),
            updated_at=bindparam("now"),
        )
    )
    now = utcnow()
    rows = [
        {
            "row_id": row_id,
            "new_content": v["content"],
            "new_thinking": v["thinking"],
            "new_grounding": v.get("grounding"),
            "new_entry_point": v.get("search_entry_point"),
            "now": now,
        }
        for row_id, v in answers.items()
    ]
    session.connection().execute(statement, rows)  # one executemany for the whole batch
    session.commit()


def finish_answer(
    *, session: Session, message_id: int, values: dict[str, Any]
) -> dict[str, Any] | None:
    """Store an answer's final state and move its chat up the list; the answer as JSON."""
    answer = session.get(Message, message_id)
    if answer is None:  # its chat was deleted meanwhile
        return None
    now = utcnow()
    usage.count_answer(session=session, answer=answer, values=values)
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
    return tree.message_out(session=session, message=answer)


def interrupt_streaming(*, session: Session, instance_id: str | None = None) -> int:
    """Mark answers left streaming by a dead process as interrupted; returns how many."""
    statement = update(Message).where(col(Message.status) == STREAMING)
    if instance_id is not None:
        statement = statement.where(col(Message.instance_id) == instance_id)
    result = session.exec(statement.values(status="interrupted", updated_at=utcnow()))
    session.commit()
    return result.rowcount or 0
