"""Opening a long chat while answers stream: does it delay the other streams?

    .venv/bin/python -m tests.bench.open_chat [--streams 100] [--answers 200] [--rounds 3]

Starts the fake Gemini server (its own process) and the real server (`python main.py`,
SQLite), seeds chats of --answers long answers each (prose, lists, code blocks and
tables; a question before each), and logs a reader in through Chromium once (the chat
page needs a NiceGUI session), keeping its cookies. Then --rounds rounds of three timed
phases, each with --streams concurrent answer streams over the REST API (SSE), as
tests/bench/load.py (rounds, because other work on a shared machine moves one phase's
figures a lot; a kind of phase pools its gaps over the rounds):

  quiet  the streams alone: the baseline
  cold   the streams while the reader opens a chat every --open-every seconds, each a
         chat not opened before, so every answer on the page is rendered then (cache
         misses); opened as a browser does (tests/bench/page_socket.py): GET /chat/{id},
         then NiceGUI's socket connects with the page's client id (the handshake sends
         what the page queued), and disconnects once the page got it, so the server
         deletes the page's client a reconnect timeout later
  warm   the same, reopening chats opened before (their HTML comes from the cache)

Per phase: the gap p99 between consecutive text events of one stream while every stream
flows (load.py's steady window: no stream starting or ending), the page-open times, and
the gap p99 ratio to the quiet phase, and the server's CPU: its share of one core, and
per opening what it used beyond the quiet phase's rate (on a machine shared with other
work this moves much less than the gaps do). Opening must not raise the gap p99 by more
than --max-increase (20 %).

The last line is exactly
    streams=<N> quiet_gap_p99_ms=<q> cold_gap_p99_ms=<c> warm_gap_p99_ms=<w> \
        cold_ratio=<c/q> warm_ratio=<w/q>
(on one line).
The exit status is 1 when a stream failed or a ratio exceeds 1 + --max-increase.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.bench.load import (
    PASSWORD,
    Chat,
    Progress,
    client_for,
    prepare,
    run_streams,
    steady_window,
    stream_session,
)
from tests.bench.loadlib import (
    FAKE_KEY,
    FakeProcess,
    StreamResult,
    app_stream,
    cpu_seconds,
    error_kinds,
    expected_answer,
    percentile,
    start_profiler,
    stop_profiler,
    summarize_profile,
)
from tests.bench.page_socket import Opening, open_page
from tests.serverproc import ROOT, ServerProcess

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
READER = "reader"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=100, help="concurrent answer streams")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of quiet, cold and warm")
    ap.add_argument("--warm-chats", type=int, default=8, help="chats reopened when warm")
    ap.add_argument("--answers", type=int, default=200, help="answers in each long chat")
    ap.add_argument("--seconds", type=float, default=16.0, help="length of each streamed answer")
    ap.add_argument("--interval", type=float, default=0.2, help="seconds between chunks")
    ap.add_argument("--chunk-chars", type=int, default=30)
    ap.add_argument("--open-every", type=float, default=1.0, help="seconds between openings")
    ap.add_argument("--max-increase", type=float, default=0.2, help="allowed gap p99 rise")
    ap.add_argument(
        "--profile",
        type=Path,
        help="py-spy the server through each phase of the first round into this folder",
    )
    ap.add_argument(
        "--app-dir",
        type=Path,
        default=ROOT,
        help="run main.py of another copy of the app (to measure before a change)",
    )
    return ap.parse_args(argv)


# --------------------------------------------------------------------------- the long chats


def long_answer(n: int) -> str:
    """About 4.5 KB of what models write: headings, prose, lists, code blocks and tables."""
    parts = [
        f"## Part {n}\n\nHere is **an explanation** with `inline code`, a "
        f"[link](https://example.com/{n}) and a list:\n\n"
        f"- first point about {n}\n- second point, a little longer so that it wraps\n- third\n"
    ]
    for k in range(4):
        body = "".join(f"    value = value * {i} + {k}  # step {i}\n" for i in range(12))
        parts.append(
            f"\n```python\ndef step_{n}_{k}(value: int) -> int:\n{body}    return value\n```\n"
        )
        rows = "".join(f"| row {i} | {i * n} | *note {i}* |\n" for i in range(8))
        parts.append(f"\n| name | value | note |\n|---|---:|:---:|\n{rows}")
        parts.append(f"\nA paragraph after block {k}: " + "lorem ipsum dolor sit amet " * 12 + "\n")
    return "".join(parts)


def seed_long_chats(database_url: str, user_id: int, chats: int, answers: int) -> list[int]:
    """Write the long chats straight into the database; their ids.

    Plain SQL over the columns every schema version has (and the message tree's where
    the schema has one), so --app-dir can point at an older copy of the app.
    """
    from sqlalchemy import inspect, text

    from beykusay.db import make_engine

    engine = make_engine(database_url)
    # Since revision 0005 messages form a tree: a chat shows the path to its current leaf.
    tree = "current_leaf_id" in {c["name"] for c in inspect(engine).get_columns("chats")}
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC
    ids: list[int] = []
    try:
        with engine.begin() as connection:
            for c in range(chats):
                chat_id = connection.execute(
                    text(
                        "INSERT INTO chats (user_id, title, auto_title, model, created_at,"
                        " updated_at) VALUES (:user, :title, false, 'BeykusChat', :now, :now)"
                        " RETURNING id"
                    ),
                    {"user": user_id, "title": f"Long {c}", "now": now},
                ).scalar_one()
                ids.append(chat_id)
                rows = []
                for n in range(answers):
                    rows.append(("user", f"Question {c}.{n}", None))
                    rows.append(("assistant", long_answer(c * answers + n), "BeykusChat"))
                connection.execute(
                    text(
                        "INSERT INTO messages (chat_id, role, content, model, status,"
                        " created_at, updated_at)"
                        " VALUES (:chat, :role, :content, :model, 'complete', :now, :now)"
                    ),
                    [
                        {"chat": chat_id, "role": r, "content": t, "model": m, "now": now}
                        for r, t, m in rows
                    ],
                )
                if tree:  # each message follows the one before; the last is the current leaf
                    connection.execute(
                        text(
                            "UPDATE messages SET parent_id = (SELECT MAX(m.id) FROM messages m"
                            " WHERE m.chat_id = messages.chat_id AND m.id < messages.id)"
                            " WHERE chat_id = :chat"
                        ),
                        {"chat": chat_id},
                    )
                    connection.execute(
                        text(
                            "UPDATE chats SET current_leaf_id = (SELECT MAX(id) FROM messages"
                            " WHERE chat_id = :chat) WHERE id = :chat"
                        ),
                        {"chat": chat_id},
                    )
    finally:
        engine.dispose()
    return ids


def browser_login(base: str, username: str) -> dict[str, str]:
    """Log in through the real login page once; the session's cookies."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(base + "/login")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url("**/chat", timeout=30_000)
            return {c["name"]: c["value"] for c in page.context.cookies()}
        finally:
            browser.close()


# --------------------------------------------------------------------------- phases


@dataclass
class Phase:
    """One kind of phase over every round: its streams' steady gaps and its openings."""

    name: str
    gaps_ms: list[float] = field(default_factory=list)  # in each round's steady window
    round_p99s: list[float] = field(default_factory=list)
    errors: list[StreamResult] = field(default_factory=list)
    opens_ms: list[float] = field(default_factory=list)
    open_errors: int = 0
    server_cpu: float = 0.0  # CPU seconds the server used in this kind of phase
    wall: float = 0.0  # and the phases' wall time
    profile: str = ""  # py-spy's summary of the first round (--profile)

    def cpu_share(self) -> float:
        return self.server_cpu / self.wall if self.wall else math.nan

    def add_round(self, results: list[StreamResult]) -> None:
        self.errors += [r for r in results if r.error is not None]
        window = steady_window(results)
        if window is None:
            self.round_p99s.append(math.nan)
            return
        t0, t1 = window
        gaps = [
            (b - a) * 1000
            for r in results
            for a, b in itertools.pairwise(r.text_times)
            if t0 <= a and b <= t1
        ]
        self.gaps_ms += gaps
        self.round_p99s.append(percentile(gaps, 99))

    def gap99(self) -> float:
        return percentile(self.gaps_ms, 99)


async def open_chats(
    base: str, cookies: dict[str, str], chat_ids: Iterator[int], every: float, phase: Phase,
    progress: Progress,
) -> None:  # fmt: skip
    """Open one chat page after another while every stream flows, until one ends."""
    await progress.all_flowing.wait()
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=60) as client:
        for chat_id in chat_ids:
            if progress.one_ended.is_set():
                return
            began = time.perf_counter()
            opened = await open_page(client, f"/chat/{chat_id}")
            phase.opens_ms.append(opened.total_ms)
            if not opened_well(opened):
                phase.open_errors += 1
            rest = every - (time.perf_counter() - began)
            if rest > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(progress.one_ended.wait(), rest)


async def run_phase(
    phase: Phase,
    args: argparse.Namespace,
    chats: list[Chat],
    expected: str,
    opening: tuple[str, dict[str, str], Iterator[int]] | None,
    server_pid: int,
) -> None:
    progress = Progress(args.streams)
    spy = None
    if args.profile is not None and not phase.round_p99s:  # the first round only
        args.profile.mkdir(parents=True, exist_ok=True)
        spy = start_profiler(server_pid, args.profile / f"{phase.name}.txt")
    cpu0, wall0 = cpu_seconds(server_pid), time.perf_counter()
    async with stream_session(120) as session:

        def start(index: int) -> Awaitable[StreamResult]:
            chat = chats[index]
            url = f"{chat.base}/api/chats/{chat.chat_id}/messages"
            return app_stream(session, url, chat.headers, f"Question {index}", expected, progress)

        streams = asyncio.ensure_future(run_streams(args.streams, 0.0, 120, start))
        opener = None
        if opening is not None:
            base, cookies, ids = opening
            opener = asyncio.ensure_future(
                open_chats(base, cookies, ids, args.open_every, phase, progress)
            )
        phase.add_round(await streams)
        if opener is not None:
            await opener
    phase.server_cpu += cpu_seconds(server_pid) - cpu0
    wall = time.perf_counter() - wall0
    phase.wall += wall
    if spy is not None:
        stop_profiler(spy)
        await asyncio.to_thread(spy.wait, 30)
        output = args.profile / f"{phase.name}.txt"
        if output.exists():
            phase.profile = f"py-spy of the {phase.name} phase ({output}, {wall:.1f} s):\n"
            phase.profile += summarize_profile(output, wall)


async def measure(
    args: argparse.Namespace, server: ServerProcess, database_url: str, expected: str
) -> list[Phase]:
    async with client_for(60) as client:
        _, chats = await prepare(client, [server.url], args.streams, 3)
        reader = {"username": READER, "password": PASSWORD}
        created = await client.post(server.url + "/api/register", json=reader)
        created.raise_for_status()
    # Every cold opening needs a chat never opened before: enough for every round.
    cold_count = args.rounds * (math.ceil(args.seconds / args.open_every) + 2)
    ids = await asyncio.to_thread(
        seed_long_chats,
        database_url,
        created.json()["id"],
        cold_count + args.warm_chats,
        args.answers,
    )
    cookies = await asyncio.to_thread(browser_login, server.url, READER)
    cold, warm = iter(ids[:cold_count]), ids[cold_count:]
    # Warm chats are opened once before timing, so their HTML is in the cache.
    async with httpx.AsyncClient(base_url=server.url, cookies=cookies, timeout=60) as client:
        for chat_id in warm:
            if not opened_well(await open_page(client, f"/chat/{chat_id}")):
                raise RuntimeError(f"warming chat {chat_id} failed")
    quiet, cold_phase, warm_phase = Phase("quiet"), Phase("cold"), Phase("warm")
    assert server.process is not None
    pid = server.process.pid
    for _ in range(args.rounds):
        await run_phase(quiet, args, chats, expected, None, pid)
        await asyncio.sleep(1)
        await run_phase(cold_phase, args, chats, expected, (server.url, cookies, cold), pid)
        await asyncio.sleep(1)
        warm_ids = itertools.cycle(warm)
        await run_phase(warm_phase, args, chats, expected, (server.url, cookies, warm_ids), pid)
        await asyncio.sleep(1)
    return [quiet, cold_phase, warm_phase]


def opened_well(opened: Opening) -> bool:
    """The page came with its messages and its socket connected and was delivered."""
    return (
        opened.status == 200 and "Question" in opened.text and opened.connected and opened.delivered
    )


def fmt(value: float, digits: int = 0) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def report(args: argparse.Namespace, phases: list[Phase]) -> tuple[str, bool]:
    quiet, cold, warm = phases
    q99 = quiet.gap99()
    lines = [
        f"open_chat: {args.streams} streams of ~{args.seconds:g} s, {args.chunk_chars} chars "
        f"every {args.interval:g} s; chats of {args.answers} long answers (~"
        f"{len(long_answer(1)) / 1000:.1f} KB each), one opened every {args.open_every:g} s; "
        f"{args.rounds} rounds; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
        + ("" if args.app_dir.resolve() == ROOT else f"; app from {args.app_dir}"),
        f"{'phase':<8}{'errors':>8}{'gap p99 ms':>12}{'ratio':>8}{'  p99 per round':<24}"
        f"{'opens':>7}{'open p50 ms':>13}{'open max ms':>13}{'server CPU':>12}"
        f"{'CPU ms/open':>13}",
    ]
    ratios: dict[str, float] = {}
    for phase in phases:
        p99 = phase.gap99()
        ratios[phase.name] = p99 / q99 if q99 else math.nan
        opens = phase.opens_ms
        rounds = "  " + " ".join(fmt(p) for p in phase.round_p99s)
        # The server's CPU beyond the quiet phase's rate, per opening: what opening costs.
        extra = (phase.cpu_share() - quiet.cpu_share()) * phase.wall
        per_open = extra * 1000 / len(opens) if opens else math.nan
        lines.append(
            f"{phase.name:<8}{len(phase.errors):>8}{fmt(p99):>12}"
            f"{fmt(ratios[phase.name], 2):>8}{rounds:<24}"
            f"{len(opens):>7}{fmt(percentile(opens, 50)):>13}{fmt(percentile(opens, 100)):>13}"
            f"{fmt(phase.cpu_share() * 100):>11}%{fmt(per_open):>13}"
        )
        if phase.errors:
            lines.append(f"  {phase.name} stream errors: {error_kinds(phase.errors)}")
        if phase.open_errors:
            lines.append(f"  {phase.name}: {phase.open_errors} openings failed")
    lines += [phase.profile for phase in phases if phase.profile]
    lines.append(
        f"streams={args.streams} quiet_gap_p99_ms={fmt(q99)} "
        f"cold_gap_p99_ms={fmt(cold.gap99())} warm_gap_p99_ms={fmt(warm.gap99())} "
        f"cold_ratio={fmt(ratios['cold'], 2)} warm_ratio={fmt(ratios['warm'], 2)}"
    )
    limit = 1 + args.max_increase
    passed = (
        not any(p.errors or p.open_errors for p in phases)
        and all(len(p.opens_ms) > 0 for p in (cold, warm))
        and ratios["cold"] <= limit
        and ratios["warm"] <= limit
    )
    return "\n".join(lines), passed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    expected = expected_answer(
        seconds=args.seconds, interval=args.interval, chunk_chars=args.chunk_chars
    )
    folder = Path(tempfile.mkdtemp(prefix="beykusay-open-chat-"))
    database_url = f"sqlite:///{folder / 'beykusay.db'}"
    fake = FakeProcess(
        interval=args.interval, chunk_chars=args.chunk_chars, seconds=args.seconds
    ).start()
    env = {
        "GOOGLE_API_KEY": FAKE_KEY,
        "GOOGLE_GEMINI_BASE_URL": fake.url,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "open-chat-bench-" + "x" * 32,
    }
    # --app-dir runs another copy's main.py (a script's folder comes first on sys.path)
    main_py = str(args.app_dir.resolve() / "main.py")
    server = ServerProcess(folder / "app", env, [sys.executable, main_py])
    try:
        server.start(60)
        phases = asyncio.run(measure(args, server, database_url, expected))
    finally:
        server.stop()
        fake.stop()
        shutil.rmtree(folder, ignore_errors=True)
    text, passed = report(args, phases)
    print(text, flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
