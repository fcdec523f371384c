"""Streaming-render benchmark: server CPU and websocket bytes of one answer, by its length.

    .venv/bin/python tests/bench/stream_render.py [--sizes 10000 20000 40000] [--interval 0.001]

Answers of each size (mixed prose, lists and code blocks) come from the fake Gemini server
(tests/fakegemini.py) in 5-character chunks, paced by --interval seconds, into the real
server (`main.py` in a child process) while a real Chromium has the chat page open. For
each answer the script records the server process's CPU seconds and the bytes of the
websocket frames the page received, from pressing Enter until the answer is finished.
The same answers are then generated once more through the REST API with no page open;
the difference (page_cpu_s in the summaries) is what showing the answer costs. Most of
the rest is the google-genai SDK parsing 8,000 chunks.

Two renderers are measured, each in a fresh server:
  naive   the baseline: one ui.markdown whose whole text is set again on every update
  blocks  the UI's renderer (pages/markdown_view.py): finished blocks rendered and sent
          once, only the growing tail again
Both update the page at most ten times a second (pages/chat_view.py's FLUSH_INTERVAL).

The last line is exactly
    cpu_ratio_40k_10k=<x> ws_bytes_per_char_40k=<y>
for the blocks renderer (targets: x <= 5, y <= 3; the exit status is 1 when missed).
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:  # the server side (--serve) needs neither
    from playwright.sync_api import Page

    from tests.fakegemini import FakeGemini

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"
CHUNK = 5
MAX_CPU_RATIO = 5.0
MAX_BYTES_PER_CHAR = 3.0

PROSE = (
    "Streaming text should cost time in proportion to its length, so every **finished** "
    "paragraph is rendered once and the page only redraws the part that is still growing. "
    "Here is `inline code`, a [link](https://example.com) and some *emphasis*.\n\n"
)
LIST = (
    "".join(
        f"- step {n}: check the {w} and note the result\n"
        for n, w in enumerate(("input", "parser", "splitter", "renderer", "sanitizer", "socket"), 1)
    )
    + "\n"
)
CODE = (
    "```python\n"
    + "".join(
        f"def handler_{n}(event: dict) -> str:\n    return str(event.get({n!r}))\n\n"
        for n in range(6)
    )
    + "```\n\n"
)


def answer(size: int) -> str:
    """Deterministic mixed markdown of exactly ``size`` characters."""
    parts, text = (PROSE, LIST, PROSE, CODE), ""
    index = 0
    while len(text) < size:
        text += parts[index % len(parts)]
        index += 1
    return text[:size]


# -- the server side (run in the child process) ----------------------------------------------


def serve(mode: str) -> None:
    """Run main.py, with the naive renderer swapped in for the baseline."""
    if mode == "naive":
        from nicegui import ui

        import pages.answer

        class NaiveMarkdown:
            """One ui.markdown; every update renders and sends the whole text again."""

            def __init__(self, *, copy_label: str) -> None:
                self.text = ""
                self.dirty = False
                self.size = 0
                self.element = ui.markdown("")

            def add(self, delta: str) -> None:
                self.text += delta
                self.size += len(delta)
                self.dirty = True

            def flush(self) -> None:
                if self.dirty:
                    self.dirty = False
                    self.element.set_content(self.text)

            def finish(self) -> None:
                self.flush()

        pages.answer.StreamingMarkdown = NaiveMarkdown  # type: ignore[misc,assignment]
    runpy.run_path(str(ROOT / "main.py"), run_name="__main__")


# -- the measuring side -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    mode: str
    chars: int
    cpu: float
    ws_bytes: int
    seconds: float

    def line(self) -> str:
        return (
            f"mode={self.mode} chars={self.chars} cpu_s={self.cpu:.3f} ws_bytes={self.ws_bytes} "
            f"ws_bytes_per_char={self.ws_bytes / self.chars:.2f} stream_s={self.seconds:.1f}"
        )


class Server:
    def __init__(self, mode: str, fake_url: str) -> None:
        self.data = Path(tempfile.mkdtemp(prefix=f"bench-{mode}-"))
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        env.update(
            HOST="127.0.0.1",
            PORT=self.url.rsplit(":", 1)[1],
            DATA_DIR=str(self.data),
            DATABASE_URL="",
            GOOGLE_API_KEY="bench-key-not-secret",
            GOOGLE_GEMINI_BASE_URL=fake_url,
            GEMINI_STALL_TIMEOUT="30",
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        self.log = (self.data / "server.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", mode],
            cwd=self.data,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((self.data / "server.log").read_text())
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def api_call(url: str, body: object, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


class Bench:
    """One server with one logged-in page, and the ways to time an answer in it."""

    def __init__(self, server: Server, page: Page, fake: FakeGemini, interval: float) -> None:
        self.server, self.page, self.fake, self.interval = server, page, fake, interval
        self.received = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._count))
        page.goto(server.url + "/register")
        page.get_by_label("Username").fill("bench")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url("**/chat")
        login = {"username": "bench", "password": PASSWORD}
        self.token = api_call(server.url + "/api/login", login)["access_token"]

    def _count(self, payload: str | bytes) -> None:
        self.received += len(payload.encode() if isinstance(payload, str) else payload)

    def _cpu(self) -> float:
        return cpu_seconds(self.server.process.pid)

    def on_page(self, mode: str, size: int) -> Result:
        """Send from the chat page and wait until the answer is shown in full."""
        from tests.fakegemini import reply

        self.fake.enqueue(reply(answer(size), chunk_chars=CHUNK, interval=self.interval))
        page = self.page
        page.goto(self.server.url + "/chat")
        box = page.locator(".bk-composer textarea")
        box.fill(f"Please write {size} characters.")
        page.wait_for_timeout(500)  # let the page settle
        self.received, before, started = 0, self._cpu(), time.monotonic()
        box.press("Enter")
        page.get_by_role("button", name="Regenerate").wait_for(state="visible")
        elapsed = time.monotonic() - started
        page.wait_for_timeout(300)  # the last frames
        return Result(mode, size, self._cpu() - before, self.received, elapsed)

    def without_page(self, size: int) -> Result:
        """The same answer with no page watching (REST, stream=false): the cost of generating."""
        from tests.fakegemini import reply

        chat = api_call(self.server.url + "/api/chats", {}, self.token)
        self.fake.enqueue(reply(answer(size), chunk_chars=CHUNK, interval=self.interval))
        before, started = self._cpu(), time.monotonic()
        api_call(
            f"{self.server.url}/api/chats/{chat['id']}/messages?stream=false",
            {"content": f"Please write {size} characters."},
            self.token,
        )
        return Result("no-page", size, self._cpu() - before, 0, time.monotonic() - started)


def best(runs: int, measure_once: Callable[[], Result]) -> Result:
    """The run with the least CPU: other work on the machine only ever adds to it."""
    result = min((measure_once() for _ in range(runs)), key=lambda r: r.cpu)
    print(result.line(), flush=True)
    return result


def measure(
    mode: str, args: argparse.Namespace, fake: FakeGemini
) -> tuple[list[Result], list[Result]]:
    """Answers of each size in a fresh server with the ``mode`` renderer (and with no page)."""
    from playwright.sync_api import sync_playwright

    server = Server(mode, fake.base_url)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(120_000)
            bench = Bench(server, page, fake, args.interval)
            shown = [best(args.runs, lambda s=size: bench.on_page(mode, s)) for size in args.sizes]
            alone = [best(args.runs, lambda s=size: bench.without_page(s)) for size in args.sizes]
            browser.close()
    finally:
        server.stop()
    return shown, alone


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", choices=["naive", "blocks"], help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000])
    parser.add_argument("--interval", type=float, default=0.001, help="seconds between chunks")
    parser.add_argument("--runs", type=int, default=3, help="runs per size; the least CPU counts")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    if not Path(CHROMIUM).exists():
        print(f"needs Chromium at {CHROMIUM}", file=sys.stderr)
        return 2

    from tests.fakegemini import FakeGemini

    with FakeGemini() as fake:
        modes = ["blocks"] if args.skip_baseline else ["naive", "blocks"]
        measured = {mode: measure(mode, args, fake) for mode in modes}
    by_mode = {mode: shown for mode, (shown, _alone) in measured.items()}
    for mode, (results, alone) in measured.items():
        first, last = results[0], results[-1]
        # The page's own share: minus the same answer generated with no page open.
        page_cpu = [r.cpu - a.cpu for r, a in zip(results, alone, strict=True)]
        print(
            f"summary mode={mode} cpu_ratio_{last.chars // 1000}k_{first.chars // 1000}k="
            f"{last.cpu / first.cpu:.2f} ws_bytes_per_char_{last.chars // 1000}k="
            f"{last.ws_bytes / last.chars:.2f} page_cpu_s="
            + ",".join(f"{cpu:.2f}" for cpu in page_cpu)
        )
    blocks = by_mode["blocks"]
    ratio = blocks[-1].cpu / blocks[0].cpu
    per_char = blocks[-1].ws_bytes / blocks[-1].chars
    print(f"cpu_ratio_40k_10k={ratio:.2f} ws_bytes_per_char_40k={per_char:.2f}")
    return 0 if ratio <= MAX_CPU_RATIO and per_char <= MAX_BYTES_PER_CHAR else 1


if __name__ == "__main__":
    sys.exit(main())
