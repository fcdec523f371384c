"""Alembic migrations: from the first revision with data in it up to head, on every database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel

from beykusay import models  # noqa: F401  (registers the tables)
from beykusay.db import MIGRATIONS_DIR, alembic_config, make_engine, migrate
from beykusay.services.tree import current_page
from tests.databases import BACKENDS, fresh_database

NOW = datetime(2026, 1, 2, 3, 4, 5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_from_the_first_migration_keeps_every_row(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        migrate(engine, "0001")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, username, username_key, password_hash, created_at)"
                    " VALUES (1, 'Ada', 'ada', 'hash', :now)"
                ),
                {"now": NOW},
            )
            connection.execute(
                text(
                    "INSERT INTO chats (id, user_id, title, model, created_at, updated_at)"
                    " VALUES (1, 1, 'Привет', 'BeykusChat', :now, :now)"
                ),
                {"now": NOW},
            )
            for index, (role, status) in enumerate(
                [("user", "complete"), ("assistant", "streaming")], start=1
            ):
                connection.execute(
                    text(
                        "INSERT INTO messages (id, chat_id, role, content, status, created_at,"
                        " updated_at) VALUES (:id, 1, :role, :content, :status, :now, :now)"
                    ),
                    {
                        "id": index,
                        "role": role,
                        "content": f"text {index}",
                        "status": status,
                        "now": NOW,
                    },
                )
        migrate(engine)
        with engine.connect() as connection:
            users = connection.execute(text("SELECT username, theme FROM users")).all()
            chats = connection.execute(text("SELECT title, auto_title FROM chats")).all()
            messages = connection.execute(
                text("SELECT id, role, content, status FROM messages ORDER BY id")
            ).all()
            assert "instances" in inspect(connection).get_table_names()
            assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
        engine.dispose()
    assert [tuple(row) for row in users] == [("Ada", "auto")]
    assert [(row[0], bool(row[1])) for row in chats] == [("Привет", True)]
    assert [tuple(row) for row in messages] == [
        (1, "user", "text 1", "complete"),
        (2, "assistant", "text 2", "streaming"),
    ]


def _revision_before(revision: str) -> str:
    """The revision a migration upgrades from (whatever it is chained to)."""
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    down = scripts.get_revision(revision).down_revision
    assert isinstance(down, str)
    return down


# (chat, role): two chats whose messages interleave by id, and a chat with none
OLD_MESSAGES = [(1, "user"), (2, "user"), (1, "assistant"), (1, "user"), (2, "assistant")]
OLD_MESSAGES += [(1, "assistant")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_message_tree_migration_turns_every_chat_into_one_unchanged_path(
    backend: str, tmp_path: Path
) -> None:
    """A chat written before branches existed reads exactly as before: one path, in order."""
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        migrate(engine, _revision_before("0005"))
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, username, username_key, password_hash, created_at)"
                    " VALUES (1, 'Ada', 'ada', 'hash', :now)"
                ),
                {"now": NOW},
            )
            for chat_id in (1, 2, 3):
                connection.execute(
                    text(
                        "INSERT INTO chats (id, user_id, title, model, created_at, updated_at)"
                        " VALUES (:id, 1, :title, 'BeykusChat', :now, :now)"
                    ),
                    {"id": chat_id, "title": f"chat {chat_id}", "now": NOW},
                )
            for message_id, (chat_id, role) in enumerate(OLD_MESSAGES, start=1):
                connection.execute(
                    text(
                        "INSERT INTO messages (id, chat_id, role, content, status, created_at,"
                        " updated_at) VALUES (:id, :chat, :role, :content, 'complete', :now, :now)"
                    ),
                    {
                        "id": message_id,
                        "chat": chat_id,
                        "role": role,
                        "content": f"m{message_id}",
                        "now": NOW,
                    },
                )
        migrate(engine)
        with engine.connect() as connection:
            parents = connection.execute(
                text("SELECT id, parent_id FROM messages ORDER BY id")
            ).all()
            leaves = connection.execute(
                text("SELECT id, current_leaf_id FROM chats ORDER BY id")
            ).all()
            assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
        with Session(engine) as session:
            pages = {
                chat_id: current_page(session=session, chat_id=chat_id, limit=100)
                for chat_id in (1, 2, 3)
            }
        command.downgrade(alembic_config(engine), _revision_before("0005"))
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT count(*) FROM messages")).scalar_one()
        engine.dispose()
    assert kept == len(OLD_MESSAGES)  # going back keeps every message
    assert [tuple(row) for row in parents] == [(1, None), (2, None), (3, 1), (4, 3), (5, 2), (6, 4)]
    assert [tuple(row) for row in leaves] == [(1, 6), (2, 5), (3, None)]
    listed = {
        chat_id: ([(m.id, m.content) for m in page.messages], page.has_more)
        for chat_id, page in pages.items()
    }
    assert listed == {
        1: ([(1, "m1"), (3, "m3"), (4, "m4"), (6, "m6")], False),
        2: ([(2, "m2"), (5, "m5")], False),
        3: ([], False),
    }
    for page in pages.values():  # one version of everything
        assert all(page.sibling_ids[m.id] == [m.id] for m in page.messages)
