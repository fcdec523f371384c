"""Load benchmark: N concurrent answer streams through the real server, against a baseline.

    .venv/bin/python -m tests.bench.load --streams 200 --instances 1 --database sqlite

Starts the fake Gemini server (its command line, in a process of its own) pacing every
answer at 5 chunks a second of 30 characters for about 10 seconds, and one or more real
servers (`python main.py`) on SQLite or a fresh PostgreSQL database (several instances
share the database and Redis, like instances behind a sticky load balancer). Users are
registered and logged in, and their chats created, before anything is timed (argon2
costs ~150 ms of CPU a hash; users x chats-per-user gives the N chats).

Three timed phases, in this order, in one asyncio process (streams read with aiohttp, which
costs the client a fifth of httpx's CPU per chunk; set-up and read-back use httpx):
  baseline  N concurrent streams read straight from the fake's streamGenerateContent
  sdk       the same N streams through google-genai, `client.aio.models.
            generate_content_stream` (one client, one attempt): the bare SDK
  app       N concurrent `POST /api/chats/{id}/messages` streams (SSE), one per chat
The phases run one after the other, not together: concurrently, the app's CPU use would
slow the baseline too and hide part of the app's cost in the ratio. All phases share the
machine and the client, so the ratios isolate what the app adds: the gap ratio against
the raw baseline, the time-to-first-text ratio against the SDK's (what an app that only
forwarded Gemini's stream would see). All N streams start at once unless --ramp spreads
them.

The table also shows the CPU each process used (and the rest of the machine, and what
the hypervisor stole: on a shared host that noise moves the ratio a lot), and a steady
state: from the moment every stream has its first text to the first stream's end, when
only chunks flow; "app server ms per chunk" there is the server's cost of one chunk.
--profile DIR samples the first server with py-spy while streams start and while they
flow; --dump FILE writes every stream's event times; --app-dir runs another copy of the
app (to measure a change before making it).

Measured per phase: errors (non-200, connection failures, an `error` event, no final
event, a status other than complete, or streamed text that differs from the fake's),
time to first text (from sending the POST to the first event carrying answer text: a
`text` event, or a Gemini chunk with text), gaps between consecutive text events of one
stream, and the peak resident memory (VmHWM) and CPU time of the server processes.
After the app phase every answer is read back (`GET .../messages`); `lost` counts answers
whose saved content differs from what the fake sent or whose status is not complete.

The last line is exactly
    streams=<N> errors=<e> lost=<l> ttft_p99_ms=<t> gap_p99_ms=<g> gap_p99_ratio=<app/baseline>
    sdk_ttft_p99_ms=<s> ttft_p99_ratio=<app/sdk>
(on one line). The exit status is 1 when errors or lost are not 0 or a ratio exceeds its
target (--max-ratio, --max-ttft-ratio).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import httpx

from tests.bench.loadlib import (
    FAKE_KEY,
    FakeProcess,
    StreamResult,
    app_stream,
    cpu_seconds,
    descendants,
    error_kinds,
    expected_answer,
    fake_stream,
    fresh_postgres,
    machine_cpu_seconds,
    memory_kib,
    percentile,
    sdk_client,
    sdk_stream,
    start_profiler,
    stop_profiler,
    summarize_profile,
)
from tests.serverproc import ROOT, ServerProcess

T = TypeVar("T")
PASSWORD = "load bench password"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=200, help="concurrent streams N")
    ap.add_argument("--instances", type=int, default=1, help="app instances (2+: PostgreSQL)")
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each answer")
    ap.add_argument("--interval", type=float, default=0.2, help="seconds between chunks")
    ap.add_argument("--chunk-chars", type=int, default=30)
    ap.add_argument(
        "--chats-per-user",
        type=int,
        default=3,
        help="N/this users take part (3: the app's default cap of running answers per user)",
    )
    ap.add_argument(
        "--ramp", type=float, default=0.0, help="spread the N starts over this many seconds"
    )
    ap.add_argument("--redis", action="store_true", help="use Redis even with one instance")
    ap.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES))
    ap.add_argument("--redis-url", default=DEFAULT_REDIS)
    ap.add_argument("--stream-timeout", type=float, default=120.0, help="give up on a stream")
    ap.add_argument("--max-ratio", type=float, default=2.0, help="target gap_p99_ratio")
    ap.add_argument(
        "--max-ttft-ratio", type=float, default=3.0, help="target ttft_p99_ratio (app / SDK)"
    )
    ap.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="py-spy the first server while streams start and while they flow (raw files here)",
    )
    ap.add_argument(
        "--app-dir",
        type=Path,
        default=ROOT,
        help="run main.py of another copy of the app (to try a change before making it)",
    )
    ap.add_argument("--dump", type=Path, help="write every stream's event times here (JSON)")
    ap.add_argument("--keep", action="store_true", help="keep the data folder and server logs")
    ap.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="extra server setting"
    )
    args = ap.parse_args(argv)
    if args.streams < 1 or args.instances < 1:
        ap.error("--streams and --instances must be at least 1")
    return args


# --------------------------------------------------------------------------- results


@dataclass
class Phase:
    """One timed phase: its streams and what the processes spent meanwhile."""

    name: str
    results: list[StreamResult] = field(default_factory=list)
    wall: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # process label -> CPU seconds
    peak_kib: dict[str, int] = field(default_factory=dict)  # server label -> VmHWM
    rss_kib: dict[str, tuple[int, int]] = field(default_factory=dict)  # label -> before, after
    lost: int | None = None
    began: float = 0.0
    meter: Meter | None = None

    @property
    def errors(self) -> int:
        return sum(r.error is not None for r in self.results)

    def ttfts_ms(self) -> list[float]:
        return [r.ttft * 1000 for r in self.results if r.ttft is not None]

    def gaps_ms(self) -> list[float]:
        return [gap * 1000 for r in self.results for gap in r.gaps()]

    def chunks(self) -> int:
        return sum(len(r.text_times) for r in self.results)


# --------------------------------------------------------------------------- set-up


@dataclass
class Chat:
    chat_id: int
    base: str  # the instance its user sticks to
    headers: dict[str, str]


async def bounded(limit: int, jobs: list[Callable[[], Awaitable[T]]]) -> list[T]:
    semaphore = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await job()

    return await asyncio.gather(*(run(job) for job in jobs))


async def prepare(client: httpx.AsyncClient, bases: list[str], streams: int, per_user: int):
    """Register and log in users (each sticks to one instance), then create the N chats."""
    users = max(1, math.ceil(streams / per_user))
    tag = uuid.uuid4().hex[:6]

    async def user(index: int) -> tuple[str, dict[str, str]]:
        base = bases[index % len(bases)]
        credentials = {"username": f"load_{tag}_{index}", "password": PASSWORD}
        created = await client.post(base + "/api/register", json=credentials)
        created.raise_for_status()
        token = await client.post(base + "/api/login", json=credentials)
        token.raise_for_status()
        return base, {"Authorization": f"Bearer {token.json()['access_token']}"}

    # argon2 runs in the servers' threads: a few at a time keeps set-up quick and calm
    accounts = await bounded(2 * len(bases), [lambda i=i: user(i) for i in range(users)])

    async def chat(index: int) -> Chat:
        base, headers = accounts[index % users]
        created = await client.post(
            base + "/api/chats", json={"title": f"load {index}"}, headers=headers
        )
        created.raise_for_status()
        return Chat(created.json()["id"], base, headers)

    chats = await bounded(16, [lambda i=i: chat(i) for i in range(streams)])
    return users, chats


# --------------------------------------------------------------------------- phases


class Meter:
    """CPU seconds of the processes involved, sampled every quarter second during a phase."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._task: asyncio.Task[None] | None = None

    def _read(self) -> dict[str, float]:
        found = {label: cpu_seconds(pid) for label, pid in self.pids.items()}
        found["client"] = time.process_time()
        busy, steal = machine_cpu_seconds()
        # the rest of the machine: PostgreSQL, Redis, and whatever else runs meanwhile
        found["other"] = busy - sum(found.values())
        found["steal"] = steal  # CPU time the hypervisor gave to other machines
        return found

    def _sample(self) -> None:
        self.samples.append((time.perf_counter(), self._read()))

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            self._sample()

    async def __aenter__(self) -> Meter:
        self._sample()
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self._sample()

    def between(self, t0: float, t1: float) -> tuple[float, dict[str, float]]:
        """Wall seconds and CPU seconds per process over the samples inside [t0, t1]."""
        inside = [s for s in self.samples if t0 <= s[0] <= t1]
        if len(inside) < 2:
            return 0.0, {}
        (a, first), (b, last) = inside[0], inside[-1]
        return b - a, {label: last[label] - first[label] for label in last}

    def spent(self) -> dict[str, float]:
        return self.between(-math.inf, math.inf)[1]


def steady_window(results: list[StreamResult]) -> tuple[float, float] | None:
    """From the moment every stream has its first text to the moment the first one ends:
    no request is starting or finishing then, only chunks flow."""
    flowing = [r.text_times for r in results if r.text_times]
    if not flowing:
        return None
    t0, t1 = max(times[0] for times in flowing), min(times[-1] for times in flowing)
    return (t0, t1) if t1 - t0 >= 1.0 else None


def steady(phase: Phase) -> tuple[float, dict[str, float], int]:
    """Wall seconds, CPU seconds per process and chunks received in the steady window."""
    window = steady_window(phase.results)
    if phase.meter is None or window is None:
        return 0.0, {}, 0
    wall, cpu = phase.meter.between(*window)
    if wall <= 0:
        return 0.0, {}, 0
    inside = [sample[0] for sample in phase.meter.samples if window[0] <= sample[0] <= window[1]]
    a, b = inside[0], inside[-1]
    chunks = sum(a <= t <= b for r in phase.results for t in r.text_times)
    return wall, cpu, chunks


def steady_gap99(phase: Phase) -> float:
    """Gap p99 of the chunks received while every stream flowed (no starts, no ends)."""
    window = steady_window(phase.results)
    if window is None:
        return math.nan
    t0, t1 = window
    gaps = [
        (b - a) * 1000
        for r in phase.results
        for a, b in itertools.pairwise(r.text_times)
        if t0 <= a and b <= t1
    ]
    return percentile(gaps, 99)


class Progress:
    """Tells when every stream has its first text, and when the first stream has ended."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.started = 0
        self.all_flowing = asyncio.Event()
        self.one_ended = asyncio.Event()

    def first_text(self) -> None:
        self.started += 1
        if self.started >= self.n:
            self.all_flowing.set()

    def ended(self) -> None:
        self.one_ended.set()


async def run_streams(
    n: int, ramp: float, timeout: float, start: Callable[[int], Awaitable[StreamResult]]
) -> list[StreamResult]:
    async def one(index: int) -> StreamResult:
        if ramp > 0:
            await asyncio.sleep(ramp * index / n)
        try:
            return await asyncio.wait_for(start(index), timeout)
        except TimeoutError:
            return StreamResult(error=f"no end within {timeout:.0f} s")

    return await asyncio.gather(*(one(i) for i in range(n)))


def client_for(timeout: float) -> httpx.AsyncClient:
    """For set-up and read-back (not timed)."""
    return httpx.AsyncClient(limits=httpx.Limits(max_connections=64), timeout=timeout)


def stream_session(timeout: float) -> aiohttp.ClientSession:
    # No pool limit: every stream holds its own connection for its whole length.
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=timeout),
    )


async def saved_losses(
    client: httpx.AsyncClient, chats: list[Chat], results: list[StreamResult], expected: str
) -> int:
    """Answers whose saved content differs from the fake's, or whose status isn't complete.

    A request refused before its answer began (no `start` event, no answer saved) is an
    error, not a lost answer.
    """

    async def lost(chat: Chat, result: StreamResult) -> bool:
        deadline = time.monotonic() + 30  # a stream the client gave up on may still finish
        while True:
            try:
                response = await client.get(
                    f"{chat.base}/api/chats/{chat.chat_id}/messages",
                    params={"limit": 2},
                    headers=chat.headers,
                )
            except httpx.HTTPError:
                return True  # the answer cannot even be read back
            if response.status_code != 200:
                return True
            found = response.json()["messages"]
            answer = found[-1] if found and found[-1]["role"] == "assistant" else None
            if answer is None:
                return result.message_id is not None
            if answer["status"] != "streaming" or time.monotonic() > deadline:
                return answer["status"] != "complete" or answer["content"] != expected
            await asyncio.sleep(1)

    jobs = [lambda c=c, r=r: lost(c, r) for c, r in zip(chats, results, strict=True)]
    return sum(await bounded(16, jobs))


async def measure(
    args: argparse.Namespace,
    fake: FakeProcess,
    servers: list[ServerProcess],
    expected: str,
    data_dir: Path,
) -> tuple[int, Phase, Phase, Phase, list[str]]:
    n = args.streams
    pids = {"fake": fake.pid} | {f"app{i + 1}": s.process.pid for i, s in enumerate(servers)}  # type: ignore[union-attr]
    async with client_for(60) as client:
        users, chats = await prepare(client, [s.url for s in servers], n, args.chats_per_user)

    baseline = Phase("baseline")
    async with stream_session(args.stream_timeout) as session:
        async with Meter(pids) as baseline.meter:
            baseline.began = time.perf_counter()
            baseline.results = await run_streams(
                n,
                args.ramp,
                args.stream_timeout,
                lambda i: fake_stream(session, fake.url, expected),
            )
            baseline.wall = time.perf_counter() - baseline.began
        baseline.cpu = baseline.meter.spent()
    baseline.peak_kib = {"fake": memory_kib(fake.pid)["VmHWM"]}
    await asyncio.sleep(1)

    sdk = Phase("sdk")
    client = sdk_client(fake.url)
    try:
        async with Meter(pids) as sdk.meter:
            sdk.began = time.perf_counter()
            sdk.results = await run_streams(
                n, args.ramp, args.stream_timeout, lambda i: sdk_stream(client, expected)
            )
            sdk.wall = time.perf_counter() - sdk.began
        sdk.cpu = sdk.meter.spent()
    finally:
        await client.aio.aclose()
    await asyncio.sleep(1)

    app = Phase("app")
    rss_before = {label: memory_kib(pid)["VmRSS"] for label, pid in pids.items()}
    progress = Progress(n)
    profiles: list[str] = []
    async with stream_session(args.stream_timeout) as session:

        def start(index: int) -> Awaitable[StreamResult]:
            chat = chats[index]
            url = f"{chat.base}/api/chats/{chat.chat_id}/messages"
            return app_stream(session, url, chat.headers, f"Question {index}", expected, progress)

        async with Meter(pids) as app.meter:
            app.began = time.perf_counter()
            streams = asyncio.ensure_future(run_streams(n, args.ramp, args.stream_timeout, start))
            if args.profile is not None:
                pid = servers[0].process.pid  # type: ignore[union-attr]
                profiles = await profile_app(pid, args.profile, progress, streams)
            app.results = await streams
            app.wall = time.perf_counter() - app.began
        app.cpu = app.meter.spent()
    app.peak_kib = {
        label: sum(memory_kib(p)["VmHWM"] for p in [pid, *descendants(pid)])
        for label, pid in pids.items()
        if label != "fake"
    }
    app.rss_kib = {
        label: (rss_before[label], memory_kib(pid)["VmRSS"])
        for label, pid in pids.items()
        if label != "fake"
    }
    async with client_for(60) as client:
        app.lost = await saved_losses(client, chats, app.results, expected)
    return users, baseline, sdk, app, profiles


async def profile_app(
    pid: int, folder: Path, progress: Progress, streams: asyncio.Future[Any]
) -> list[str]:
    """py-spy the server twice: while the N streams start, then while they all flow."""
    summaries = []
    for part, until in (("start", progress.all_flowing), ("steady", progress.one_ended)):
        output = folder / f"{part}.txt"
        began = time.perf_counter()
        spy = start_profiler(pid, output)
        waiting = asyncio.ensure_future(until.wait())
        await asyncio.wait([waiting, streams], return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        wall = time.perf_counter() - began
        if spy is None:
            return []
        stop_profiler(spy)
        await asyncio.to_thread(spy.wait, 30)
        if output.exists():
            summaries.append(
                f"py-spy of app1, {part} ({output}, {wall:.1f} s):\n"
                + summarize_profile(output, wall)
            )
    return summaries


# --------------------------------------------------------------------------- report


def fmt(value: float, digits: int = 0) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def report(
    args: argparse.Namespace, users: int, baseline: Phase, sdk: Phase, app: Phase
) -> tuple[str, bool]:
    def row(label: str, base: str, through_sdk: str, ours: str) -> str:
        return f"{label:<34}{base:>18}{through_sdk:>18}  {ours:>28}"

    def cpu(phase: Phase, label: str) -> str:
        spent = sum(v for k, v in phase.cpu.items() if k.startswith(label))
        return f"{spent:.1f} s ({spent / phase.wall:.0%})" if phase.wall else "-"

    def each(value: Callable[[Phase], str]) -> tuple[str, str, str]:
        return value(baseline), value(sdk), value(app)

    def ttft(p: float) -> Callable[[Phase], str]:
        return lambda phase: fmt(percentile(phase.ttfts_ms(), p))

    def gap(p: float) -> Callable[[Phase], str]:
        return lambda phase: fmt(percentile(phase.gaps_ms(), p))

    b_gap99 = percentile(baseline.gaps_ms(), 99)
    a_gap99 = percentile(app.gaps_ms(), 99)
    ratio = a_gap99 / b_gap99 if b_gap99 else math.nan
    a_ttft99 = percentile(app.ttfts_ms(), 99)
    s_ttft99 = percentile(sdk.ttfts_ms(), 99)
    ttft_ratio = a_ttft99 / s_ttft99 if s_ttft99 else math.nan
    peak = ", ".join(f"{label} {kib / 1024:.0f}" for label, kib in app.peak_kib.items())
    rss = ", ".join(f"{a / 1024:.0f} -> {b / 1024:.0f}" for a, b in app.rss_kib.values())
    app_server_cpu = sum(v for k, v in app.cpu.items() if k.startswith("app"))
    # includes each stream's start (auth, database writes) and end, not only its chunks
    per_chunk = app_server_cpu / app.chunks() * 1000 if app.chunks() else math.nan
    setup = f"{args.database}, {args.instances} instance(s)" + (
        " + Redis" if args.instances > 1 or args.redis else ""
    )
    load_average = os.getloadavg()[0]
    lines = [
        f"load: {args.streams} streams, {users} users, {setup}; answers of ~{args.seconds:g} s "
        f"at {args.chunk_chars} chars every {args.interval:g} s; ramp {args.ramp:g} s; "
        f"{os.cpu_count()} cores, load average {load_average:.1f}"
        + ("" if args.app_dir.resolve() == ROOT else f"; app from {args.app_dir}"),
        row("", "baseline (fake)", "SDK (fake)", "app"),
        row("streams", *each(lambda phase: str(len(phase.results)))),
        row("errors", *each(lambda phase: str(phase.errors))),
        row("lost (saved answer wrong)", "-", "-", str(app.lost)),
        row("text chunks received", *each(lambda phase: str(phase.chunks()))),
        row("time to first text p50 ms", *each(ttft(50))),
        row("time to first text p99 ms", *each(ttft(99))),
        row("time to first text max ms", *each(ttft(100))),
        row("gap between chunks p50 ms", *each(gap(50))),
        row("gap between chunks p99 ms", *each(gap(99))),
        row("gap p99 ms, steady window", *each(lambda phase: fmt(steady_gap99(phase)))),
        row("gap between chunks max ms", *each(gap(100))),
        row("phase wall time s", *each(lambda phase: f"{phase.wall:.1f}")),
        row("server peak memory MiB (VmHWM)", f"fake {baseline.peak_kib['fake'] / 1024:.0f}", "-",
            peak),
        row("server RSS MiB before -> after", "-", "-", rss),
        row("CPU: app server(s)", "-", "-", cpu(app, "app")),
        row("CPU: fake Gemini", *each(lambda phase: cpu(phase, "fake"))),
        row("CPU: load client", *each(lambda phase: cpu(phase, "client"))),
        row("CPU: rest of machine", *each(lambda phase: cpu(phase, "other"))),
        row("CPU: stolen by the hypervisor", *each(lambda phase: cpu(phase, "steal"))),
        row("app server CPU per chunk ms (all)", "-", "-", fmt(per_chunk, 2)),
        "app server CPU while the streams started (until each had its first text): "
        + starting_cpu(app),
    ]  # fmt: skip
    for phase in (baseline, sdk, app):
        wall, spent, chunks = steady(phase)
        if wall > 0 and chunks:
            shares = ", ".join(f"{k} {v / wall:.0%}" for k, v in spent.items())
            servers = sum(v for k, v in spent.items() if k.startswith("app"))
            lines.append(
                f"steady state of {phase.name} ({wall:.1f} s, {chunks / wall:.0f} chunks/s): "
                f"CPU {shares}; app server {servers / chunks * 1000:.2f} ms per chunk"
            )
    for phase in (baseline, sdk, app):
        if phase.errors:
            lines.append(f"{phase.name} errors: {error_kinds(phase.results)}")
    client_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"load client peak memory {client_peak:.0f} MiB")
    lines.append(
        f"streams={args.streams} errors={app.errors} lost={app.lost} "
        f"ttft_p99_ms={fmt(a_ttft99)} gap_p99_ms={fmt(a_gap99)} gap_p99_ratio={fmt(ratio, 2)} "
        f"sdk_ttft_p99_ms={fmt(s_ttft99)} ttft_p99_ratio={fmt(ttft_ratio, 2)}"
    )
    passed = (
        app.errors == 0
        and app.lost == 0
        and ratio <= args.max_ratio
        and ttft_ratio <= args.max_ttft_ratio
    )
    return "\n".join(lines), passed


def starting_cpu(phase: Phase) -> str:
    """The app servers' CPU from the phase's start until every stream had its first text,
    per stream (chunks of streams already flowing meanwhile included)."""
    firsts = [r.text_times[0] for r in phase.results if r.text_times]
    if phase.meter is None or not firsts:
        return "-"
    until = max(firsts)
    samples = [s for s in phase.meter.samples if s[0] >= until]
    if not samples:
        return "-"
    began, first = phase.meter.samples[0]
    ended, last = samples[0]  # the first sample after the last first text
    spent = sum(last[k] - first[k] for k in last if k.startswith("app"))
    per_stream = spent / len(firsts) * 1000
    return f"{spent:.2f} s over {ended - began:.1f} s, {per_stream:.1f} ms per stream"


# --------------------------------------------------------------------------- processes


@contextlib.contextmanager
def database(args: argparse.Namespace, folder: Path) -> Iterator[str]:
    if args.database == "postgresql":
        with fresh_postgres(args.postgres_url) as url:
            yield url
    else:
        yield f"sqlite:///{folder / 'beykusay.db'}"


def default_setting(name: str, fallback: int) -> int:
    """A setting's default as the app declares it (the app evolves; fall back if renamed)."""
    try:
        from beykusay.config import Settings

        return int(Settings.model_fields[name].default)
    except (ImportError, KeyError, TypeError, ValueError):
        return fallback


def server_env(args: argparse.Namespace, fake: FakeProcess, url: str) -> dict[str, str]:
    env = {
        "GOOGLE_API_KEY": FAKE_KEY,
        "GOOGLE_GEMINI_BASE_URL": fake.url,
        "DATABASE_URL": url,
        "SECRET_KEY": "load-bench-secret-" + "x" * 32,  # one key: tokens work on every instance
    }
    if args.chats_per_user > default_setting("max_answers_per_user", 3):
        env["MAX_ANSWERS_PER_USER"] = str(args.chats_per_user)
    if args.instances > 1 or args.redis:
        env |= {"REDIS_URL": args.redis_url, "REDIS_PREFIX": f"load-{uuid.uuid4().hex[:8]}:"}
    for item in args.env:
        key, _, value = item.partition("=")
        env[key] = value
    return env


def dump(path: Path, *phases: Phase) -> None:
    """Per-stream times, relative to each phase's start, for a closer look at the gaps
    (``began`` is the phase's start on the machine's monotonic clock, time.perf_counter)."""
    path.write_text(
        json.dumps(
            {f"{phase.name}_began": phase.began for phase in phases}
            | {
                phase.name: [
                    {
                        "sent": r.sent - phase.began,
                        "first_event": None
                        if r.first_event is None
                        else r.first_event - phase.began,
                        "text": [t - phase.began for t in r.text_times],
                        "error": r.error,
                    }
                    for r in phase.results
                ]
                for phase in phases
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    expected = expected_answer(
        seconds=args.seconds, interval=args.interval, chunk_chars=args.chunk_chars
    )
    folder = Path(tempfile.mkdtemp(prefix="beykusay-load-"))
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    fake = FakeProcess(
        interval=args.interval, chunk_chars=args.chunk_chars, seconds=args.seconds
    ).start()
    servers: list[ServerProcess] = []
    try:
        with database(args, folder) as url:
            env = server_env(args, fake, url)
            try:
                for index in range(args.instances):  # one by one: the first one migrates
                    # --app-dir runs another copy's main.py (its own beykusay and pages:
                    # a script's folder comes first on sys.path)
                    main = [sys.executable, str(args.app_dir.resolve() / "main.py")]
                    servers.append(ServerProcess(folder / f"app{index + 1}", env, main))
                    servers[-1].start(60)
                users, baseline, sdk, app, profiles = asyncio.run(
                    measure(args, fake, servers, expected, folder)
                )
            finally:
                for server in servers:
                    server.stop()
    finally:
        fake.stop()
        if args.keep:
            print(f"data and server logs kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    for profile in profiles:
        print(profile + "\n")
    if args.dump is not None:
        dump(args.dump, baseline, sdk, app)
    text, passed = report(args, users, baseline, sdk, app)
    print(text, flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
