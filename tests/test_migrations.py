"""Alembic migrations: from the first revision with data in it up to head, on every database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from beykusay import models  # noqa: F401  (registers the tables)
from beykusay.db import make_engine, migrate
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
