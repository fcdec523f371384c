"""Whole operations for the NiceGUI pages, each in a session of its own.

The pages call these through ``run.io_bound``: each opens its own database
session, calls the same services the REST API uses, and hands back detached
objects or plain dicts. No business rules live here.
"""

from __future__ import annotations

from typing import Any

from beykusay.db import new_session
from beykusay.models import Chat, User
from beykusay.schemas import SettingsUpdate, UserSettings
from beykusay.services import accounts, chats, messages, tree
from beykusay.services.accounts import LoginGuard


def load_user(user_id: int) -> User | None:
    with new_session() as session:
        return session.get(User, user_id)


def register(username: str, password: str) -> User:
    with new_session() as session:
        return accounts.register_user(session=session, username=username, password=password)


def login(*, guard: LoginGuard, username: str, password: str, client: str) -> User:
    with new_session() as session:
        return accounts.authenticate(
            session=session, guard=guard, username=username, password=password, client=client
        )


def save_settings(user_id: int, update: SettingsUpdate) -> UserSettings:
    with new_session() as session:
        user = accounts.get_user(session=session, user_id=user_id)
        return accounts.update_settings(session=session, user=user, update=update)


def change_password(user_id: int, current: str, new: str) -> int:
    """Change the password; returns the new token version (older sessions end)."""
    with new_session() as session:
        user = accounts.get_user(session=session, user_id=user_id)
        accounts.change_password(session=session, user=user, current=current, new=new)
        session.refresh(user)
        return user.token_version


def list_chats(user_id: int, query: str | None, limit: int) -> tuple[list[Chat], int]:
    with new_session() as session:
        return chats.list_chats(session=session, user_id=user_id, limit=limit, query=query)


def get_chat(user_id: int, chat_id: int) -> Chat:
    with new_session() as session:
        return chats.get_chat(session=session, user_id=user_id, chat_id=chat_id)


def create_chat(user_id: int, model: str | None, web_search: bool = False) -> Chat:
    with new_session() as session:
        user = accounts.get_user(session=session, user_id=user_id)
        return chats.create_chat(session=session, user=user, model=model, web_search=web_search)


def update_chat(
    user_id: int,
    chat_id: int,
    *,
    title: str | None = None,
    model: str | None = None,
    web_search: bool | None = None,
) -> Chat:
    with new_session() as session:
        chat = chats.get_chat(session=session, user_id=user_id, chat_id=chat_id)
        return chats.update_chat(
            session=session, chat=chat, title=title, model=model, web_search=web_search
        )


def delete_chat(user_id: int, chat_id: int) -> None:
    with new_session() as session:
        chat = chats.get_chat(session=session, user_id=user_id, chat_id=chat_id)
        chats.delete_chat(session=session, chat=chat)


def message_page(
    user_id: int, chat_id: int, *, limit: int, before: int | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """A page of the chat's current path as API-shaped dicts, oldest first; if more exist."""
    with new_session() as session:
        chats.get_chat(session=session, user_id=user_id, chat_id=chat_id)
        page = tree.current_page(session=session, chat_id=chat_id, limit=limit, before=before)
        return page.as_json(), page.has_more


def switch_branch(
    user_id: int, chat_id: int, message_id: int, *, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Move the chat's path through ``message_id``; the new path's latest page.

    Call it through ``GenerationManager.switch_path``, which keeps answers from starting.
    """
    with new_session() as session:
        chats.get_chat(session=session, user_id=user_id, chat_id=chat_id)
        messages.switch_branch(session=session, chat_id=chat_id, message_id=message_id)
    return message_page(user_id, chat_id, limit=limit)
