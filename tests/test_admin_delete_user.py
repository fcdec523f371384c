"""Deleting a user is one transaction: an error half-way through leaves the account,
every chat, message and key as they were (before, the chats already deleted were gone
for good, each committed on its own)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import func, select

from beykusay.db import get_engine, init_engine, new_session
from beykusay.models import Chat, Message, User
from beykusay.services import accounts, admin, files, keys
from beykusay.services.chat_builder import ImportedChat, ImportedMessage, add_chat
from beykusay.services.errors import Conflict
from beykusay.team_models import ApiKey
from tests.databases import BACKENDS, fresh_database

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def people(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """An admin, and a user with three chats of two messages each and an API key."""
    with fresh_database(request.param, tmp_path) as url:
        init_engine(url)
        with new_session() as session:
            boss = accounts.register_user(
                session=session, username="boss", password="x" * 8, role="admin"
            )
            user = accounts.register_user(session=session, username="ada", password="x" * 8)
            for n in range(3):
                messages = [
                    ImportedMessage(
                        key=1, parent=None, role="user", content=f"Q{n}", created_at=T0
                    ),
                    ImportedMessage(key=2, parent=1, role="assistant", content="A", created_at=T0),
                ]
                add_chat(
                    session=session, user=user, chat=ImportedChat(f"C{n}", None, T0, T0, messages)
                )
            keys.create_key(session=session, user=user, name="script")
            session.commit()
            assert boss.id is not None and user.id is not None
            ids = boss.id, user.id
        yield ids
        get_engine().dispose()


def counts(user_id: int) -> tuple[int, int, int, int]:
    with new_session() as session:
        users = session.exec(select(func.count()).select_from(User).where(User.id == user_id))
        chats = session.exec(select(func.count()).select_from(Chat).where(Chat.user_id == user_id))
        messages = session.exec(
            select(func.count())
            .select_from(Message)
            .join(Chat, Chat.id == Message.chat_id)  # type: ignore[arg-type]
            .where(Chat.user_id == user_id)
        )
        api_keys = session.exec(
            select(func.count()).select_from(ApiKey).where(ApiKey.user_id == user_id)
        )
        return users.one(), chats.one(), messages.one(), api_keys.one()


def test_a_failure_midway_deletes_nothing(
    people: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second chat's files fail to go: the admin sees an error, and the user still has
    their account, all three chats with every message, and their key."""
    boss, user = people
    forget = files.forget_chat
    calls = 0

    def failing(**kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the disk went away")
        forget(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "forget_chat", failing)
    with new_session() as session, pytest.raises(RuntimeError):
        admin.delete_user(session=session, actor_id=boss, user_id=user)
    assert calls == 2
    assert counts(user) == (1, 3, 6, 1)
    monkeypatch.setattr(files, "forget_chat", forget)
    with new_session() as session:
        admin.delete_user(session=session, actor_id=boss, user_id=user)
    assert counts(user) == (0, 0, 0, 0)


def test_the_last_admin_is_still_not_deleted(people: tuple[int, int]) -> None:
    boss, _ = people
    with new_session() as session, pytest.raises(Conflict):
        admin.delete_user(session=session, actor_id=boss, user_id=boss)
    assert counts(boss)[0] == 1
