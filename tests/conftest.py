"""Shared fixtures: the fake Gemini server, the real app server, an API client."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.databases import BACKENDS, fresh_database
from tests.fakegemini import FakeGemini
from tests.serverproc import ServerProcess

if TYPE_CHECKING:
    from tests.apihelpers import UserPool

pytest_plugins = ["nicegui.testing.user_plugin"]

# The suite registers and logs in hundreds of users; at the production cost (64 MiB,
# three passes: a quarter of a second of CPU a hash on a slow machine) that was half the
# time of the account tests. Servers the tests start inherit these; tests/test_security.py
# checks the production cost itself.
os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("ARGON2_TIME_COST", "1")
os.environ.setdefault("ARGON2_PARALLELISM", "1")

PASSWORD = "correct horse battery"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def fake_gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def gemini(fake_gemini: FakeGemini) -> Iterator[FakeGemini]:
    """The fake Gemini server with no scripts left over from other tests."""
    fake_gemini.reset()
    yield fake_gemini
    fake_gemini.reset()


def gemini_env(fake: FakeGemini) -> dict[str, str]:
    return {
        "GOOGLE_API_KEY": "test-key-AIzaFAKE",
        "GOOGLE_GEMINI_BASE_URL": fake.base_url,
        "GEMINI_STALL_TIMEOUT": "2",
        "GEMINI_MAX_RETRIES": "2",
        "GEMINI_RETRY_DELAY": "0.05",
        "SAVE_INTERVAL": "0.2",
        "LOGIN_MAX_FAILURES": "50",
    }


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database per backend (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""
    with fresh_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        yield url


@pytest.fixture(scope="session")
def server_process(
    tmp_path_factory: pytest.TempPathFactory, fake_gemini: FakeGemini, database_url: str
) -> Iterator[ServerProcess]:
    """One app server per database on the fake Gemini; tests use fresh users.

    The tests act as its reverse proxy: each names its own client address in
    X-Forwarded-For (tests/apihelpers.py), so one test's failed logins never count
    against another's.
    """
    env = {
        **gemini_env(fake_gemini),
        "DATABASE_URL": database_url,
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
    process = ServerProcess(tmp_path_factory.mktemp("server"), env).start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def server(server_process: ServerProcess) -> str:
    return server_process.url


@pytest.fixture(scope="module")
def pool(server: str, request: pytest.FixtureRequest) -> UserPool:
    """A few users shared by a module's tests (its ``POOL_SIZE``, default 3), for tests
    that only act in chats they create themselves."""
    from tests.apihelpers import UserPool  # it imports this module

    return UserPool(server + "/api", size=getattr(request.module, "POOL_SIZE", 3))


@pytest.fixture
def user(pool: UserPool) -> dict[str, str]:
    """The Authorization header of a user from the module's pool."""
    return pool.next()


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server + "/api", timeout=30) as client:
        yield client


def new_username(prefix: str = "user") -> str:
    return f"{prefix}{next(_names)}_{id(object()) % 10_000}"


def register(api: httpx.Client, username: str | None = None) -> dict[str, str]:
    """Register and log in a fresh user; returns the Authorization header."""
    username = username or new_username()
    response = api.post("/register", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    token = api.post("/login", json={"username": username, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.fixture
def auth(api: httpx.Client) -> dict[str, str]:
    return register(api)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path
