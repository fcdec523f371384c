"""Migration 0006 on a database with users: all stay active, the oldest becomes the admin."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from beykusay import models  # noqa: F401  (registers the tables)
from beykusay.db import make_engine, migrate
from tests.databases import BACKENDS, fresh_database

NOW = datetime(2026, 1, 2, 3, 4, 5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_upgraded_server_has_its_oldest_account_as_admin(backend: str, tmp_path: Path) -> None:
    """After the upgrade the person who set the server up can use the admin page."""
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        migrate(engine, "0005")
        with engine.begin() as connection:
            for user_id, name in ((2, "Grace"), (1, "Ada"), (3, "Linus")):
                connection.execute(
                    text(
                        "INSERT INTO users (id, username, username_key, password_hash,"
                        " created_at) VALUES (:id, :name, :key, 'hash', :now)"
                    ),
                    {"id": user_id, "name": name, "key": name.lower(), "now": NOW},
                )
            connection.execute(
                text(
                    "INSERT INTO chats (id, user_id, title, model, created_at, updated_at)"
                    " VALUES (1, 3, 'kept', 'BeykusChat', :now, :now)"
                ),
                {"now": NOW},
            )
        migrate(engine)
        with engine.connect() as connection:
            users = connection.execute(
                text("SELECT username, role, status, monthly_token_limit FROM users ORDER BY id")
            ).all()
            chats = connection.execute(text("SELECT title FROM chats")).all()
            assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
        engine.dispose()
    assert [tuple(row) for row in users] == [
        ("Ada", "admin", "active", None),
        ("Grace", "user", "active", None),
        ("Linus", "user", "active", None),
    ]
    assert [row[0] for row in chats] == ["kept"]  # adding columns dropped nothing
