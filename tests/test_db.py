"""The engine and start-up migration: URLs with %-escapes, SQLite's one busy timeout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import make_url

from beykusay.db import SQLITE_BUSY_TIMEOUT, init_engine, make_engine
from tests.databases import BACKENDS, fresh_database

ESCAPED_PASSWORD = "p%40ss%3Aw%2Fo%23rd"  # p@ss:w/o#rd, as a URL must spell it


def test_a_sqlite_path_with_percent_escapes_starts(tmp_path: Path) -> None:
    """A user saw start-up crash in Alembic's config parser ("invalid interpolation
    syntax") when DATABASE_URL held a %-escape; now the file is made where the URL says."""
    engine = init_engine(f"sqlite:///{tmp_path}/at%40home/beykusay.db")
    try:
        assert "users" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    assert (tmp_path / "at@home" / "beykusay.db").is_file()


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_DATABASE_URL is not set")
def test_a_postgresql_password_with_percent_escapes_starts(tmp_path: Path) -> None:
    """A password with @ : / # must be %-escaped in DATABASE_URL; start-up used to crash
    on it before reaching the database. (The test server trusts local logins, so the
    password itself is not checked: the URL only has to arrive intact.)"""
    with fresh_database("postgresql", tmp_path) as url:
        with_password = (
            make_url(url).set(password="p@ss:w/o#rd").render_as_string(hide_password=False)
        )
        assert f":{ESCAPED_PASSWORD}@" in with_password
        engine = init_engine(with_password)
        try:
            assert engine.url.password == "p@ss:w/o#rd"
            assert "users" in inspect(engine).get_table_names()
        finally:
            engine.dispose()


def test_sqlite_waits_for_a_lock_as_long_as_the_driver_was_told(tmp_path: Path) -> None:
    """A PRAGMA used to cut the driver's 30 s wait for a locked database to 5 s behind
    its back; now one constant sets it, and the connection really uses it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'beykusay.db'}")
    asked: dict[str, Any] = {}

    @event.listens_for(engine, "do_connect")
    def record(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        asked.update(params)

    try:
        with engine.connect() as connection:
            busy_ms = connection.execute(text("PRAGMA busy_timeout")).scalar_one()
    finally:
        engine.dispose()
    assert asked["timeout"] * 1000 == busy_ms
    assert busy_ms == int(SQLITE_BUSY_TIMEOUT * 1000)
