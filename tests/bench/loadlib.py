"""Pieces of the load benchmark (tests/bench/load.py): processes, /proc readings,
SSE readers for the app and for the fake Gemini, statistics, a PostgreSQL scratch
database and a summary of py-spy samples."""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import aiohttp
from google import genai
from google.genai import errors, types

from tests.fakegemini import _LOREM
from tests.serverproc import ROOT, free_port

FAKE_KEY = "bench-key-AIzaFAKE"
FAKE_MODEL = "gemini-2.5-flash"
FAKE_PATH = f"/v1beta/models/{FAKE_MODEL}:streamGenerateContent"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# --------------------------------------------------------------------------- the fake server


def expected_answer(*, seconds: float, interval: float, chunk_chars: int) -> str:
    """The answer `python -m tests.fakegemini` sends with these options (its own recipe)."""
    n_chunks = max(1, round(seconds / interval)) if interval > 0 else 20
    return (_LOREM * (n_chunks * chunk_chars // len(_LOREM) + 1))[: n_chunks * chunk_chars]


class FakeProcess:
    """The fake Gemini server in a process of its own, through its command line.

    A separate process, not FakeGemini's thread: the fake writes 5 chunks a second to
    every stream (2,000 writes a second at N=400), and in a thread that work would hold
    the load client's GIL and delay the very timestamps being measured.
    """

    def __init__(self, *, interval: float, chunk_chars: int, seconds: float) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            "--port", str(self.port), "--interval", str(interval),
            "--chunk-chars", str(chunk_chars), "--seconds", str(seconds),
        ]  # fmt: skip
        self.process: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 20.0) -> FakeProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakegemini", *self.args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"},
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if "listening" in line:
                return self
            if not line and self.process.poll() is not None:
                break
        raise RuntimeError("the fake Gemini server did not start")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --------------------------------------------------------------------------- /proc readings


def memory_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak resident) and VmRSS of a process, in KiB."""
    found: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0])
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def machine_cpu_seconds() -> tuple[float, float]:
    """CPU seconds all processes of the machine have used, and seconds the hypervisor
    took from this machine's virtual CPUs (steal), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    steal = fields[7] if len(fields) > 7 else 0
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


def descendants(pid: int) -> list[int]:
    """Child processes, recursively (a server that forked workers would show here)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    found += [int(child), *descendants(int(child))]
    except FileNotFoundError:
        pass
    return found


# --------------------------------------------------------------------------- streams


@dataclass
class StreamResult:
    """What one client saw of one stream; times are time.perf_counter() values."""

    sent: float = 0.0
    first_event: float | None = None
    text_times: list[float] = field(default_factory=list)
    text: str = ""
    status: str | None = None  # final status: complete, stopped, error, ...
    error: str | None = None  # why the stream counts as failed
    message_id: int | None = None

    @property
    def ttft(self) -> float | None:
        """Seconds from sending the request to the first event that carries answer text."""
        return self.text_times[0] - self.sent if self.text_times else None

    def gaps(self) -> list[float]:
        times = self.text_times
        return [b - a for a, b in itertools.pairwise(times)]


async def sse_data(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """The data of each event (its ``data:`` lines joined); comment lines are skipped."""
    buffer = b""
    data: list[bytes] = []
    async for piece in response.content.iter_any():
        buffer += piece
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            line = line.rstrip(b"\r")
            if line.startswith(b"data:"):
                data.append(line[5:].removeprefix(b" "))
            elif not line and data:
                yield b"\n".join(data)
                data = []
    if data:
        yield b"\n".join(data)


# The timed streams are read with aiohttp rather than httpx: reading the same 200 paced
# streams from the fake cost httpx about 0.4 ms of client CPU a chunk and aiohttp about
# 0.08 ms; with httpx the client alone would need a whole core at N=600 on this 2-core
# machine and become the bottleneck it must not be.
STREAM_ERRORS = (aiohttp.ClientError, TimeoutError)


class Watcher(Protocol):
    def first_text(self) -> None: ...

    def ended(self) -> None: ...


async def app_stream(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    content: str,
    expected: str,
    watcher: Watcher | None = None,
) -> StreamResult:
    """POST a message to the app and read its answer's events to the end."""
    result = StreamResult(sent=time.perf_counter())
    try:
        return await _app_stream(session, url, headers, content, expected, result, watcher)
    finally:
        if watcher is not None:
            watcher.ended()


async def _app_stream(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    content: str,
    expected: str,
    result: StreamResult,
    watcher: Watcher | None,
) -> StreamResult:
    parts: list[str] = []
    try:
        async with session.post(url, json={"content": content}, headers=headers) as r:
            if r.status != 200:
                await r.read()
                result.error = f"HTTP {r.status}"
                return result
            async for data in sse_data(r):
                now = time.perf_counter()
                if result.first_event is None:
                    result.first_event = now
                event = json.loads(data)
                kind = event["type"]
                if kind == "text":
                    if not result.text_times and watcher is not None:
                        watcher.first_text()
                    result.text_times.append(now)
                    parts.append(event["delta"])
                elif kind == "start":
                    result.message_id = event["assistant_message_id"]
                elif kind in ("done", "error"):
                    result.status = event["message"]["status"]
                    if kind == "error":
                        result.error = f"error event: {event['message'].get('error')}"
                    break
    except STREAM_ERRORS as exc:
        result.error = type(exc).__name__
    result.text = "".join(parts)
    _judge(result, expected)
    return result


async def fake_stream(session: aiohttp.ClientSession, base_url: str, expected: str) -> StreamResult:
    """The baseline: the same answer read straight from the fake's streamGenerateContent."""
    body = {"contents": [{"role": "user", "parts": [{"text": "Tell me something."}]}]}
    result = StreamResult(sent=time.perf_counter())
    parts: list[str] = []
    url = f"{base_url}{FAKE_PATH}?alt=sse"
    try:
        async with session.post(url, json=body, headers={"x-goog-api-key": FAKE_KEY}) as r:
            if r.status != 200:
                await r.read()
                result.error = f"HTTP {r.status}"
                return result
            async for data in sse_data(r):
                now = time.perf_counter()
                if result.first_event is None:
                    result.first_event = now
                candidate = (json.loads(data).get("candidates") or [{}])[0]
                texts = [p.get("text", "") for p in candidate.get("content", {}).get("parts", [])]
                if any(texts):
                    result.text_times.append(now)
                    parts += texts
                if candidate.get("finishReason"):
                    result.status = "complete" if candidate["finishReason"] == "STOP" else "error"
    except STREAM_ERRORS as exc:
        result.error = type(exc).__name__
    result.text = "".join(parts)
    _judge(result, expected)
    return result


def sdk_client(base_url: str) -> genai.Client:
    """google-genai's client, pointed at the fake (one for all the baseline's streams).

    One attempt, as the app's provider asks: no retries hidden in the figures.
    """
    options = types.HttpOptions(base_url=base_url, retry_options=types.HttpRetryOptions(attempts=1))
    return genai.Client(api_key=FAKE_KEY, http_options=options)


async def sdk_stream(client: genai.Client, expected: str) -> StreamResult:
    """The SDK's baseline: the answer read with ``client.aio.models.generate_content_stream``,
    as an app that only forwards Gemini's stream would read it (its response models too)."""
    result = StreamResult(sent=time.perf_counter())
    parts: list[str] = []
    try:
        stream = await client.aio.models.generate_content_stream(
            model=FAKE_MODEL, contents="Tell me something."
        )
        async for chunk in stream:
            now = time.perf_counter()
            if result.first_event is None:
                result.first_event = now
            candidate = chunk.candidates[0] if chunk.candidates else None
            content = candidate.content if candidate is not None else None
            texts = [p.text for p in (content.parts or []) if p.text] if content else []
            if texts:
                result.text_times.append(now)
                parts += texts
            if candidate is not None and candidate.finish_reason is not None:
                finish = getattr(candidate.finish_reason, "value", candidate.finish_reason)
                result.status = "complete" if finish == "STOP" else "error"
    except errors.APIError as exc:
        result.error = f"HTTP {exc.code}"
    except STREAM_ERRORS as exc:
        result.error = type(exc).__name__
    result.text = "".join(parts)
    _judge(result, expected)
    return result


def _judge(result: StreamResult, expected: str) -> None:
    if result.error is not None:
        return
    if result.status is None:
        result.error = "stream ended without a final event"
    elif result.status != "complete":
        result.error = f"status {result.status}"
    elif result.text != expected:
        result.error = "streamed text differs from what the fake sent"


# --------------------------------------------------------------------------- statistics


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def error_kinds(results: list[StreamResult]) -> str:
    kinds = Counter(r.error for r in results if r.error is not None)
    return ", ".join(f"{n} x {kind}" for kind, n in kinds.most_common()) or "-"


# --------------------------------------------------------------------------- PostgreSQL


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new empty database next to ``admin_url``'s, dropped afterwards (as tests/databases.py)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"beykusay_load_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --------------------------------------------------------------------------- py-spy


def start_profiler(pid: int, output: Path) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the server while it holds the GIL (the resource that runs out).

    --nonblocking: the server is never paused (sampling may then tear a stack now and
    then, which does not matter for shares). Stop it with stop_profiler.
    """
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        print(f"py-spy not found at {spy}: no profile", file=sys.stderr)
        return None
    return subprocess.Popen(
        [
            str(spy), "record", "--pid", str(pid), "--rate", "250", "--gil", "--nonblocking",
            "--format", "raw", "--output", str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop_profiler(spy: subprocess.Popen[bytes]) -> None:
    """py-spy writes its samples when interrupted, as after Ctrl-C."""
    if spy.poll() is None:
        spy.send_signal(signal.SIGINT)


def summarize_profile(path: Path, wall_seconds: float, rate: int = 250, top: int = 25) -> str:
    """Self and inclusive shares of the GIL-holding samples, per function."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    files: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        own[frames[-1]] += n
        files[_package(frames[-1])] += n
        for frame in set(frames):
            inclusive[frame] += n
    if not total:
        return "no samples"
    busy = total / (rate * wall_seconds)
    lines = [
        f"{total} samples holding the GIL over {wall_seconds:.1f} s "
        f"(about {busy:.0%} of one core's time)",
        "self time by package:",
        *(f"  {n / total:6.1%}  {name}" for name, n in files.most_common(12)),
        "self time by function:",
        *(f"  {n / total:6.1%}  {name}" for name, n in own.most_common(top)),
        "inclusive time by function:",
        *(f"  {n / total:6.1%}  {name}" for name, n in inclusive.most_common(top)),
    ]
    return "\n".join(lines)


def _package(frame: str) -> str:
    """`func (path/to/site-packages/pkg/mod.py:12)` -> `pkg`; app files keep their path."""
    location = frame.rpartition("(")[2].rstrip(")").rpartition(":")[0]
    if "site-packages/" in location:
        return location.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/lib/python3" in location:
        return "stdlib:" + location.rsplit("/", 1)[-1]
    return location.replace(str(ROOT) + "/", "") or frame
