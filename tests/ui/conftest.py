"""User-fixture set-up: each test runs main.py afresh on its own database, demo provider."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from nicegui import app, context, core, ui
from nicegui.storage import Storage
from nicegui.testing.user import User
from nicegui.testing.user_navigate import UserNavigate
from nicegui.testing.user_notify import UserNotify
from nicegui.testing.user_simulation import user_simulation
from sqlmodel import col, select

from beykusay.config import get_settings
from beykusay.db import new_session
from beykusay.models import Chat, Message
from beykusay.providers.base import (
    AnswerText,
    Finish,
    GenerationRequest,
    ProviderError,
    ProviderEvent,
)
from beykusay.state import get_state

MAIN = Path(__file__).resolve().parents[2] / "main.py"
PASSWORD = "correct horse battery"


def pytest_configure(config: pytest.Config) -> None:
    # NiceGUI keeps user storage on disk: keep it out of the project while testing.
    if not getattr(Storage, "_beykusay_test_path", None):
        Storage.path = Path(tempfile.mkdtemp(prefix="beykusay-ui-storage-")).resolve()
        Storage._beykusay_test_path = Storage.path  # type: ignore[attr-defined]
        app.storage = Storage()
        config.add_cleanup(lambda: shutil.rmtree(Storage.path, ignore_errors=True))


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("GOOGLE_API_KEY", "")
    monkeypatch.setenv("SECRET_KEY", "ui-tests-" + "x" * 40)
    monkeypatch.setenv("DEMO_DELAY", "0.002")
    monkeypatch.setenv("SHUTDOWN_GRACE_SECONDS", "0.2")
    monkeypatch.setenv("BEYKUSAY_ENV", "development")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
async def user(app_env: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[User]:
    # main.py registers the pages by importing them: make sure that import really runs,
    # even when a test (or another test module) imported a page module before.
    for name in [name for name in sys.modules if name == "pages" or name.startswith("pages.")]:
        del sys.modules[name]
    async with user_simulation(main_file=MAIN) as simulated:
        yield simulated
    errors = [r for r in caplog.get_records("call") if r.levelname == "ERROR"]
    if errors:
        pytest.fail(f"unexpected ERROR logs: {[r.getMessage() for r in errors]}", pytrace=False)


Register = Callable[..., Awaitable[None]]


@pytest.fixture
def register(user: User) -> Register:
    """Register through the form (and so log in); ends on the chat page."""

    async def go(username: str = "alice", password: str = PASSWORD) -> None:
        await user.open("/register")
        user.find(marker="username").type(username)
        user.find(marker="password").type(password)
        user.find(marker="password-repeat").type(password)
        user.find(marker="submit").click()
        await user.should_see(marker="message-input", retries=30)

    return go


async def eventually(check: Callable[[], object], timeout: float = 5.0) -> None:
    """Wait until ``check()`` is truthy (UI work happens in background tasks)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)


class Tab(User):
    """A simulated tab among several: ``ui.navigate`` and ``ui.notify`` act on the tab
    whose page calls them.

    NiceGUI's ``User`` points those two at whichever user had an attribute read last,
    and its patched outbox reads its own attributes whenever its page runs JavaScript.
    So with two tabs open, the first tab's page scrolling itself (``run_javascript``)
    while the second tab's login handler runs sent the *first* tab to the chat, and
    the second stayed on the login form. Here every tab routes both to the tab whose
    client is the caller's context.
    """

    def __getattribute__(self, name: str) -> Any:
        ui.navigate, ui.notify = _ROUTED_NAVIGATE, _ROUTED_NOTIFY
        return object.__getattribute__(self, name)


_tabs: list[User] = []


def _calling_tab() -> User:
    """The tab whose page the running code belongs to (the newest tab when unclear)."""
    try:
        client = context.client
    except RuntimeError:
        client = None
    for tab in _tabs:
        if object.__getattribute__(tab, "client") is client:
            return tab
    return _tabs[-1]


class _RoutedNavigate(UserNavigate):
    def _own(self) -> UserNavigate:
        return object.__getattribute__(_calling_tab(), "navigate")

    def to(self, target: Any, new_tab: bool = False) -> None:
        self._own().to(target, new_tab)

    def back(self) -> None:
        self._own().back()

    def forward(self) -> None:
        self._own().forward()

    def reload(self) -> None:
        self._own().reload()


class _RoutedNotify(UserNotify):
    def __call__(self, message: str, **kwargs: Any) -> None:
        object.__getattribute__(_calling_tab(), "notify")(message, **kwargs)


_ROUTED_NAVIGATE = _RoutedNavigate(None)  # type: ignore[arg-type]
_ROUTED_NOTIFY = _RoutedNotify()


async def other_browser_logs_in(user: User, username: str = "alice") -> User:
    """Another browser (its own session) opens the login form and submits it."""
    laptop = second_tab(user)
    laptop.http_client.cookies.clear()
    await laptop.open("/login")
    laptop.find(marker="username").type(username)
    laptop.find(marker="password").type(PASSWORD)
    laptop.find(marker="submit").click()
    return laptop


def second_tab(user: User) -> User:
    """Another tab of the same browser: it shares the session cookie."""
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(core.app),
        base_url="http://test",
        cookies=user.http_client.cookies,
    )
    tab = Tab(client)
    if user not in _tabs:
        user.__class__ = Tab  # the first tab routes them too from now on
        _tabs[:] = [user]
    _tabs.append(tab)
    return tab


class ScriptedProvider:
    """A provider test double: streams the given chunks, then finishes or fails."""

    name = "demo"

    def __init__(self, chunks: list[str], *, delay: float = 0.0, error: str | None = None) -> None:
        self.chunks = chunks
        self.delay = delay
        self.error = error

    async def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        for chunk in self.chunks:
            await asyncio.sleep(self.delay)
            yield AnswerText(chunk)
        if self.error:
            raise ProviderError(self.error, retryable=True)
        yield Finish("STOP")


def use_provider(provider: object) -> None:
    get_state().generation.provider = provider  # type: ignore[assignment]


def newest_chat() -> Chat:
    """The chat created last (each test has its own database)."""
    with new_session() as session:
        chat = session.exec(select(Chat).order_by(col(Chat.id).desc())).first()
    assert chat is not None
    return chat


def messages_of(chat_id: int) -> list[dict]:
    with new_session() as session:
        rows = session.exec(select(Message).where(Message.chat_id == chat_id)).all()
        return [row.model_dump() for row in sorted(rows, key=lambda row: row.id or 0)]
