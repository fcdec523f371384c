"""Real-browser tests: the real server in a child process, Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "tests" / "screenshots"
PASSWORD = "correct horse battery"

if not Path(CHROMIUM).exists():  # CI installs it; elsewhere these tests cannot run
    collect_ignore_glob = ["test_*.py"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start:\n{log.read_text()}")


class Server:
    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        self.data_dir = data_dir

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'beykusay.db'}"


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("browser-data")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST", "DATABASE_URL"}}
    env.update(
        PORT=str(port),
        HOST="127.0.0.1",
        DATA_DIR=str(data_dir),
        GOOGLE_API_KEY="",
        DEMO_DELAY="0.08",  # slow enough to reload and stop mid-answer
        SHUTDOWN_GRACE_SECONDS="1",
        BEYKUSAY_ENV="development",
    )
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield Server(url, data_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


# What every page printed to its console (NiceGUI says there why it reloads a page) and
# its document requests: a failing test's report shows them with the server's log.
_console: list[str] = []


# Who moves a page: each document's start, window.open (NiceGUI's ui.navigate.to) with its
# stack, unloads, clicks and keys, in the console; document requests beside them.
TRACE_NAVIGATION = """
const ownOpen = window.open;
window.open = function (url, target) {
  console.log("window.open " + url + " " + target + " " + new Error().stack);
  return ownOpen.apply(this, arguments);
};
const describe = (node) => (node.outerHTML || String(node)).slice(0, 120);
document.addEventListener("click", (e) => console.log("click " + describe(e.target)), true);
const key = (e) => console.log("keydown " + e.key + " " + describe(e.target));
document.addEventListener("keydown", key, true);
for (const name of ["pushState", "replaceState"]) {
  const own = history[name].bind(history);
  history[name] = (state, title, url) => (console.log(name + " " + url), own(state, title, url));
}
window.addEventListener("beforeunload", () => console.log("unload " + location.href));
console.log("document " + location.href);
"""


def _note(text: str) -> None:
    _console.append(f"{time.strftime('%H:%M:%S')} {text}")


def _record(context: BrowserContext) -> None:
    """Trace the context's pages into ``_console``."""

    def on_request(request: Request) -> None:
        if request.resource_type == "document":
            _note(f"request {request.method} {request.url}")

    def on_console(message: ConsoleMessage) -> None:
        _note(f"{message.type}: {message.text}")

    context.add_init_script(TRACE_NAVIGATION)
    context.on("request", on_request)
    context.on("console", on_console)


@pytest.fixture(autouse=True)
def _diagnostics(request: pytest.FixtureRequest) -> Iterator[None]:
    _console.clear()
    server = request.getfixturevalue("server") if "server" in request.fixturenames else None
    log = server.data_dir / "server.log" if server is not None else None
    start = log.stat().st_size if log is not None and log.exists() else 0
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    if _console:
        report.sections.append(("browser console", "\n".join(_console[-200:])))
    if log is not None and log.exists():
        with log.open("rb") as file:
            file.seek(start)
            text = file.read().decode(errors="replace")
        report.sections.append(("server log during the test", text[-20_000:]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # Package scope, not session: while Playwright's sync API is open it keeps an event
    # loop running in this thread, and the asyncio tests after these could not start theirs.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        new_context = chromium.new_context

        def recorded_context(**kwargs: object) -> BrowserContext:
            context = new_context(**kwargs)  # type: ignore[arg-type]
            _record(context)
            return context

        chromium.new_context = recorded_context  # type: ignore[method-assign]
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors = watch(page)
    yield page
    assert not errors, errors


def watch(page: Page) -> list[str]:
    """Collect script errors and any alert/confirm/prompt: none may happen."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_dialog(dialog: object) -> None:
        errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return errors


def shot(page: Page, name: str, **kwargs: object) -> Path:
    """Save a screenshot for people to look at (tests/screenshots/ is git-ignored)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), **kwargs)  # type: ignore[arg-type]
    return path


_names = iter(range(1, 10_000))


def register(page: Page, server: Server, prefix: str = "user") -> str:
    """Create a fresh account through the form; ends on the chat page."""
    name = f"{prefix}{next(_names)}_{os.getpid() % 1000}"
    page.goto(server.url + "/register")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/chat")
    page.locator("textarea").wait_for()
    return name


Turns = list[tuple[str, str]]  # (role, content)


def seed_chat(
    server: Server,
    username: str,
    messages: Turns,
    title: str,
    *,
    versions: Sequence[tuple[int, Turns]] = (),
) -> int:
    """Write a chat with ``(role, content)`` messages straight into the server's database.

    Each of ``versions``, ``(index, turns)``, adds another version of message ``index``
    (``turns[0]``) and what follows it; the last one written is the current path.
    """
    from sqlmodel import Session, select

    from beykusay.db import make_engine
    from beykusay.models import Chat, Message, User
    from tests.seeding import add_path

    def rows(turns: Turns) -> list[Message]:
        return [
            Message(role=role, content=content, model="BeykusChat" if role == "assistant" else None)
            for role, content in turns
        ]

    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username_key == username.lower())).one()
            chat = Chat(user_id=user.id or 0, title=title, auto_title=False, model="BeykusChat")
            session.add(chat)
            session.commit()
            session.refresh(chat)
            first = add_path(session, chat, rows(messages))
            for index, turns in versions:
                add_path(session, chat, rows(turns), parent_id=first[index].parent_id)
            return chat.id or 0
    finally:
        engine.dispose()
