"""The database engine, sessions, and schema migrations applied at start-up."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, DateTime, Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Seconds a SQLite writer waits for another writer's lock before "database is locked".
# Writes are short (growing answers are saved in one batched transaction a second), so a
# longer wait would only hold a worker thread; the driver sets it, no PRAGMA overrides it.
SQLITE_BUSY_TIMEOUT = 5.0
# The PostgreSQL advisory lock held while migrating, so instances starting at once
# migrate one after the other (any fixed 64-bit number; this is "BeykuSay" in ASCII).
MIGRATION_LOCK = 0x4265796B75536179

_engine: Engine | None = None

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without a zone (portable); always hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use beykusay.db.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _unicode_lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite's own lower() knows only ASCII; search must fold every alphabet.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def make_engine(url: str, *, pool_size: int = 20, max_overflow: int = 20) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database  # %-escapes decoded, as the driver will see it
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT},
            pool_size=pool_size,
            max_overflow=max_overflow,
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow)


def init_engine(url: str) -> Engine:
    """Create the process-wide engine and bring the schema up to date."""
    global _engine
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url)
    migrate(_engine)
    return _engine


def get_engine() -> Engine:
    if _engine is None:
        raise RuntimeError("database not initialised: call init_engine() first")
    return _engine


def alembic_config(connection: Connection) -> Config:
    """Alembic runs on our connection; the URL is set only for tools that read it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = connection.engine.url.render_as_string(hide_password=False)
    # Alembic's config is a ConfigParser, where "%" starts an interpolation.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema; on PostgreSQL one instance at a time (an advisory lock)."""
    with engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            command.upgrade(alembic_config(connection), revision)
            return
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()
        try:
            command.upgrade(alembic_config(connection), revision)
        finally:
            connection.rollback()  # whatever a failed upgrade left open
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()


def new_session() -> Session:
    # Objects stay readable after commit: pages and tasks use them outside the session.
    return Session(get_engine(), expire_on_commit=False)


def get_session() -> Iterator[Session]:
    with new_session() as session:
        yield session


def in_session(work: Callable[[Session], T]) -> T:
    """Run ``work`` in a session of its own (for ``asyncio.to_thread``)."""
    with new_session() as session:
        return work(session)
