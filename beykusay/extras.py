"""The optional extras (postgres, redis): imported only where configured, named when missing."""

from __future__ import annotations

import importlib
import os
import sys

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from beykusay.config import Settings, StartupError


class MissingExtra(StartupError):
    """A setting asks for a package that is not installed."""


def _install_hint(extra: str) -> str:
    return f"pip install 'beykusay[{extra}]'"


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _redis_missing(name: str) -> MissingExtra:
    return MissingExtra(
        f"{name} is set but the 'redis' extra is not installed: {_install_hint('redis')}"
    )


def exit_if_nicegui_lacks_redis() -> None:
    """NiceGUI opens its Redis storage (NICEGUI_REDIS_URL) when imported: check before."""
    if os.environ.get("NICEGUI_REDIS_URL") and not _importable("redis"):
        sys.exit(f"BeykuSay cannot start: {_redis_missing('NICEGUI_REDIS_URL')}")


def _check_redis(settings: Settings) -> None:
    if settings.redis_url and not _importable("redis"):
        raise _redis_missing("REDIS_URL")


def _check_database_driver(settings: Settings) -> None:
    try:
        url = make_url(settings.sqlalchemy_url)
        dialect = url.get_dialect()
    except ArgumentError as exc:
        raise StartupError(f"DATABASE_URL is not a database URL SQLAlchemy knows: {exc}") from exc
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        if url.get_backend_name() != "postgresql":
            raise MissingExtra(
                f"DATABASE_URL needs the {url.get_driver_name()} driver, which is not installed"
            ) from exc
        if url.get_driver_name() == "psycopg":
            raise MissingExtra(
                "DATABASE_URL is a PostgreSQL URL but the 'postgres' extra is not installed: "
                + _install_hint("postgres")
            ) from exc
        raise MissingExtra(
            f"DATABASE_URL asks for the {url.get_driver_name()} driver, which is not installed;"
            " BeykuSay supports postgresql+psycopg://… with " + _install_hint("postgres")
        ) from exc


def check_extras(settings: Settings) -> None:
    """Raise MissingExtra naming the extra to install when a setting needs a missing one."""
    _check_database_driver(settings)
    _check_redis(settings)
