"""Long-chat benchmark: how long a chat takes to open in a real browser, by its length.

    .venv/bin/python -m tests.bench.long_chat [--sizes 100 2000] [--runs 5]

The real server (`python main.py` in a child process, SQLite, demo provider) gets one
chat of each size, written straight into its database (alternating questions and short
markdown answers). A real Chromium, logged in, opens each chat --runs times; each run
counts from `page.goto` until the newest question is visible, and the bytes the page
received for it (the HTML and the websocket frames). A chat opens with its newest page
only (pages/chat_view.py's PAGE), so neither figure may grow with the chat's length.

The suite checks the cause without a clock (tests/ui/test_long_chat.py: one page of
elements from one page of rows; tests/browser/test_look.py: one page in the DOM).

The last line is exactly
    open_ms_<largest>=<best> open_ms_<smallest>=<best> ratio=<x> page_kb_<largest>=<kb>
The exit status is 1 when the largest chat takes over --max-ms to open (best run), or
over --max-ratio times as long as the smallest (on a busy machine the first target can
be missed while the second, which does not depend on the machine, holds).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tests.serverproc import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"
USERNAME = "bench_long"


@dataclass
class Run:
    size: int
    ms: float
    received: int


def api_post(url: str, body: object) -> dict:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def seed_chat(database_url: str, size: int) -> int:
    """A chat of ``size`` messages for USERNAME, written straight into the database."""
    from sqlmodel import Session, select

    from beykusay.db import make_engine
    from beykusay.models import Chat, Message, User

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username_key == USERNAME)).one()
            chat = Chat(
                user_id=user.id or 0, title=f"{size} messages", auto_title=False, model="BeykusChat"
            )
            session.add(chat)
            session.commit()
            session.refresh(chat)
            session.add_all(
                Message(chat_id=chat.id or 0, role="user", content=f"Question {n}")
                if n % 2 == 0
                else Message(
                    chat_id=chat.id or 0,
                    role="assistant",
                    content=f"Answer **{n}**\n\n- a point\n- another\n\n`code {n}`",
                    model="BeykusChat",
                )
                for n in range(size)
            )
            session.commit()
            return chat.id or 0
    finally:
        engine.dispose()


class Browser:
    """One logged-in page that counts the bytes it receives."""

    def __init__(self, page: Page, url: str) -> None:
        self.page, self.url, self.received = page, url, 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        page.goto(url + "/login")
        page.get_by_label("Username").fill(USERNAME)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/chat")

    def _frame(self, payload: str | bytes) -> None:
        self.received += len(payload.encode() if isinstance(payload, str) else payload)

    def open(self, size: int, chat_id: int) -> Run:
        self.page.goto(self.url + "/chat")  # start each run from another page
        self.page.locator("textarea").wait_for()
        self.received = 0
        started = time.perf_counter()
        html = self.page.goto(f"{self.url}/chat/{chat_id}")
        self.page.get_by_text(f"Question {size - 2}", exact=True).wait_for(state="visible")
        elapsed = time.perf_counter() - started
        assert html is not None
        return Run(size, elapsed * 1000, self.received + len(html.body()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 2000])
    parser.add_argument("--runs", type=int, default=5, help="opens per chat; the fastest counts")
    parser.add_argument("--max-ms", type=float, default=1000.0)
    parser.add_argument("--max-ratio", type=float, default=1.5)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"needs Chromium at {CHROMIUM}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-long-") as folder:
        server = ServerProcess(Path(folder)).start()
        try:
            api_post(server.url + "/api/register", {"username": USERNAME, "password": PASSWORD})
            database_url = f"sqlite:///{Path(folder) / 'beykusay.db'}"
            chats = {size: seed_chat(database_url, size) for size in args.sizes}
            with sync_playwright() as playwright:
                chromium = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                page = chromium.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(60_000)
                browser = Browser(page, server.url)
                best: dict[int, Run] = {}
                for size in args.sizes:
                    runs = [browser.open(size, chats[size]) for _ in range(args.runs)]
                    best[size] = min(runs, key=lambda run: run.ms)
                    print(
                        f"messages={size} best_ms={best[size].ms:.0f} "
                        f"median_ms={sorted(r.ms for r in runs)[len(runs) // 2]:.0f} "
                        f"page_kb={best[size].received / 1024:.1f}",
                        flush=True,
                    )
                chromium.close()
        finally:
            server.stop()
    small, large = best[min(args.sizes)], best[max(args.sizes)]
    print(
        f"open_ms_{large.size}={large.ms:.0f} open_ms_{small.size}={small.ms:.0f} "
        f"ratio={large.ms / small.ms:.2f} page_kb_{large.size}={large.received / 1024:.1f}"
    )
    return 0 if large.ms <= args.max_ms and large.ms / small.ms <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
