"""Alembic migrations: up to head keeping every row, on every database; one at a time."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlmodel import Session, SQLModel

from beykusay import models  # noqa: F401  (registers the tables)
from beykusay.db import MIGRATION_LOCK, MIGRATIONS_DIR, alembic_config, make_engine, migrate
from beykusay.services.tree import current_page
from tests.databases import BACKENDS, fresh_database
from tests.serverproc import ROOT

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


def _schema_is_current(engine: Engine) -> bool:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []


# An instance's start-up migration: ready once imported, it migrates on a line on stdin.
MIGRATE_ON_CUE = """
import sys
from beykusay.db import make_engine, migrate
engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
migrate(engine)
"""


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_DATABASE_URL is not set")
def test_two_instances_starting_at_once_both_migrate_a_fresh_postgresql(tmp_path: Path) -> None:
    """Two instances started together used to race to create the same tables, and one
    of them could die at start-up; now they take turns and both come up."""
    with fresh_database("postgresql", tmp_path) as url:
        instances = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE_ON_CUE, url],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for instance in instances:
            assert instance.stdout is not None and instance.stdout.readline() == "ready\n"
        for instance in instances:  # both go at once
            assert instance.stdin is not None
            instance.stdin.write("go\n")
            instance.stdin.flush()
        results = [instance.communicate(timeout=120) for instance in instances]
        assert [instance.returncode for instance in instances] == [0, 0], results
        engine = make_engine(url)
        try:
            assert _schema_is_current(engine)
            with engine.connect() as connection:
                versions = connection.execute(text("SELECT version_num FROM alembic_version"))
                assert len(versions.all()) == 1
        finally:
            engine.dispose()


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_DATABASE_URL is not set")
def test_postgresql_migration_waits_for_the_lock_another_instance_holds(tmp_path: Path) -> None:
    """While one instance migrates (holds the lock), another waits instead of migrating."""
    with fresh_database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        holder = make_engine(url).connect()
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        holder.commit()
        migrating = threading.Thread(target=migrate, args=(engine,))
        migrating.start()
        try:
            while not _waits_for_advisory_lock(holder):
                migrating.join(0.05)
                assert migrating.is_alive(), "migrated while another instance held the lock"
            assert "alembic_version" not in inspect(holder).get_table_names()
        finally:
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            holder.commit()
            migrating.join()
        holder.rollback()
        assert "alembic_version" in inspect(holder).get_table_names()
        assert _schema_is_current(engine)
        holder.close()
        holder.engine.dispose()
        engine.dispose()


def _waits_for_advisory_lock(connection: Connection) -> bool:
    waiting = connection.execute(
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    ).scalar_one()
    connection.rollback()
    return waiting > 0


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
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), _revision_before("0005"))
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
