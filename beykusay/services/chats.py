"""A user's chats: listing, searching, creating, renaming, deleting."""

from __future__ import annotations

from sqlalchemy import exists, func, or_
from sqlmodel import Session, col, delete, select

from beykusay.catalog import DEFAULT_MODEL
from beykusay.db import utcnow
from beykusay.models import Chat, Message, User
from beykusay.schemas import storable
from beykusay.services import files
from beykusay.services.errors import NotFound

UNTITLED = "New chat"
TITLE_CHARS = 60


def title_from(text: str) -> str:
    """A chat title from its first message: the first line, shortened on a word."""
    line = " ".join(text.split())
    if len(line) <= TITLE_CHARS:
        return line or UNTITLED
    cut = line[:TITLE_CHARS].rsplit(" ", 1)[0] or line[:TITLE_CHARS]
    return cut.rstrip(" .,;:") + "…"


def get_chat(*, session: Session, user_id: int, chat_id: int) -> Chat:
    """The user's own chat; another user's chat is as missing as a deleted one."""
    chat = session.get(Chat, chat_id)
    if chat is None or chat.user_id != user_id:
        raise NotFound("Chat not found")
    return chat


def list_chats(
    *, session: Session, user_id: int, limit: int = 50, offset: int = 0, query: str | None = None
) -> tuple[list[Chat], int]:
    if query and not storable(query):
        return [], 0  # nothing stored can contain it
    condition = Chat.user_id == user_id
    if query:
        needle = query.lower()
        in_text = exists().where(
            Message.chat_id == Chat.id,
            func.lower(Message.content).contains(needle, autoescape=True),
        )
        in_title = func.lower(Chat.title).contains(needle, autoescape=True)
        condition = condition & or_(in_title, in_text)
    total = session.exec(select(func.count()).select_from(Chat).where(condition)).one()
    chats = session.exec(
        select(Chat)
        .where(condition)
        .order_by(col(Chat.updated_at).desc(), col(Chat.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(chats), total


def create_chat(
    *,
    session: Session,
    user: User,
    title: str | None = None,
    model: str | None = None,
    web_search: bool = False,
) -> Chat:
    assert user.id is not None
    chat = Chat(
        user_id=user.id,
        title=title or UNTITLED,
        auto_title=title is None,
        model=model or user.default_model or DEFAULT_MODEL,
        web_search=web_search,
    )
    session.add(chat)
    session.commit()
    session.refresh(chat)
    return chat


def update_chat(
    *,
    session: Session,
    chat: Chat,
    title: str | None = None,
    model: str | None = None,
    web_search: bool | None = None,
) -> Chat:
    if title is not None:
        chat.title = title
        chat.auto_title = False
        chat.updated_at = utcnow()
    if model is not None:
        chat.model = model
    if web_search is not None:
        chat.web_search = web_search
    session.add(chat)
    session.commit()
    session.refresh(chat)
    return chat


def delete_chat(*, session: Session, chat: Chat) -> None:
    """The chat and every version of every message in it."""
    remove_chat(session=session, chat=chat)
    session.commit()


def remove_chat(*, session: Session, chat: Chat) -> None:
    """delete_chat within the caller's transaction: flushed, not committed."""
    # Step by step rather than by cascades alone: SQLite may run without foreign keys
    # elsewhere. The leaf goes first (it points into the messages), then all messages in
    # one statement (parents and children together), then the chat.
    chat.current_leaf_id = None
    session.add(chat)
    session.flush()
    files.forget_chat(session=session, chat_id=chat.id or 0)
    session.exec(delete(Message).where(col(Message.chat_id) == chat.id))
    session.delete(chat)
    session.flush()
