"""/v1 load benchmark: N concurrent streams through the OpenAI-compatible API, against a
baseline of the same streams read straight from the fake with google-genai.

    .venv/bin/python -m tests.bench.v1_load --streams 200

Paced like tests/bench/load.py: the fake Gemini (its command line, in a process of its
own) sends every answer as 5 chunks a second of 30 characters for about 10 seconds. Two
timed phases, one after the other, in one asyncio process:
  baseline  N concurrent ``generate_content_stream`` calls of one google-genai client
            straight to the fake (what an app that called Gemini itself would see)
  app       N concurrent ``chat.completions.create(stream=True)`` calls, each through an
            ``openai.AsyncOpenAI`` client of its own (N tools, made before the timing),
            to the real server's /v1
Users are registered and logged in before anything is timed (N/3 users: the app's
default cap of answers at once per user).

Errors: an exception, a stream without a finish reason ``stop``, or text that differs
from the fake's. Gaps are between consecutive chunks that carry answer text.

The last line is exactly
    streams=<N> errors=<e> ttft_p99_ms=<t> gap_p99_ms=<g> baseline_gap_p99_ms=<b> gap_p99_ratio=<r>
The exit status is 1 when errors is not 0 or the ratio exceeds --max-ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import openai
from google import genai
from google.genai import types

from tests.bench.load import Meter, Phase, bounded, fmt, run_streams, steady_gap99
from tests.bench.loadlib import (
    FAKE_KEY,
    FakeProcess,
    StreamResult,
    error_kinds,
    expected_answer,
    percentile,
)
from tests.serverproc import ServerProcess

PASSWORD = "v1 load bench password"
PER_USER = 3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=200, help="concurrent streams N")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each answer")
    ap.add_argument("--interval", type=float, default=0.2, help="seconds between chunks")
    ap.add_argument("--chunk-chars", type=int, default=30)
    ap.add_argument("--stream-timeout", type=float, default=120.0, help="give up on a stream")
    ap.add_argument("--max-ratio", type=float, default=1.3, help="target gap_p99_ratio")
    return ap.parse_args(argv)


def _judge(result: StreamResult, expected: str) -> StreamResult:
    if result.error is None and result.status != "stop":
        result.error = f"finish {result.status}"
    elif result.error is None and result.text != expected:
        result.error = "streamed text differs from what the fake sent"
    return result


async def gemini_stream(client: genai.Client, expected: str) -> StreamResult:
    """The baseline: one answer read from the fake through google-genai."""
    result = StreamResult(sent=time.perf_counter())
    parts: list[str] = []
    try:
        stream = await client.aio.models.generate_content_stream(
            model="gemini-2.5-flash", contents="Tell me something."
        )
        async for chunk in stream:
            now = time.perf_counter()
            if chunk.text:
                result.text_times.append(now)
                parts.append(chunk.text)
            candidate = chunk.candidates[0] if chunk.candidates else None
            if candidate is not None and candidate.finish_reason is not None:
                reason = str(getattr(candidate.finish_reason, "value", candidate.finish_reason))
                result.status = "stop" if reason == "STOP" else reason
    except Exception as exc:  # every failure is an error of this stream, counted
        result.error = type(exc).__name__
    result.text = "".join(parts)
    return _judge(result, expected)


def openai_clients(base_url: str, tokens: list[str], n: int) -> list[openai.AsyncOpenAI]:
    """N tools, each with an AsyncOpenAI client of its own (made before the timing: a
    client builds its HTTP pool and TLS context, which is not what is measured)."""
    return [
        openai.AsyncOpenAI(
            base_url=base_url + "/v1", api_key=tokens[i % len(tokens)], max_retries=0, timeout=120
        )
        for i in range(n)
    ]


async def openai_stream(client: openai.AsyncOpenAI, expected: str) -> StreamResult:
    """One tool streaming one completion from /v1."""
    result = StreamResult(sent=time.perf_counter())
    parts: list[str] = []
    try:
        stream = await client.chat.completions.create(
            model="BeykusChat",
            messages=[{"role": "user", "content": "Tell me something."}],
            stream=True,
        )
        async for chunk in stream:
            now = time.perf_counter()
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            if choice.delta.content:
                result.text_times.append(now)
                parts.append(choice.delta.content)
            if choice.finish_reason is not None:
                result.status = choice.finish_reason
    except Exception as exc:  # every failure is an error of this stream, counted
        result.error = f"{type(exc).__name__}: {str(exc)[:80]}"
    result.text = "".join(parts)
    return _judge(result, expected)


async def tokens(base_url: str, n: int) -> list[str]:
    """Register and log in ceil(n / 3) users (not timed)."""
    tag = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=base_url + "/api", timeout=120) as client:

        async def user(index: int) -> str:
            credentials = {"username": f"v1load_{tag}_{index}", "password": PASSWORD}
            (await client.post("/register", json=credentials)).raise_for_status()
            login = await client.post("/login", json=credentials)
            login.raise_for_status()
            return login.json()["access_token"]

        count = max(1, math.ceil(n / PER_USER))
        return await bounded(2, [lambda i=i: user(i) for i in range(count)])


async def measure(
    args: argparse.Namespace, fake: FakeProcess, server: ServerProcess, expected: str
) -> tuple[Phase, Phase]:
    n = args.streams
    users = await tokens(server.url, n)
    pids = {"fake": fake.pid, "app": server.process.pid}  # type: ignore[union-attr]

    baseline = Phase("baseline")
    gemini = genai.Client(
        api_key=FAKE_KEY,
        http_options=types.HttpOptions(
            base_url=fake.url, retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )
    async with Meter(pids) as baseline.meter:
        baseline.began = time.perf_counter()
        baseline.results = await run_streams(
            n, 0.0, args.stream_timeout, lambda i: gemini_stream(gemini, expected)
        )
        baseline.wall = time.perf_counter() - baseline.began
    baseline.cpu = baseline.meter.spent()
    await gemini.aio.aclose()
    await asyncio.sleep(1)

    app = Phase("app")
    clients = openai_clients(server.url, users, n)
    async with Meter(pids) as app.meter:
        app.began = time.perf_counter()
        app.results = await run_streams(
            n, 0.0, args.stream_timeout, lambda i: openai_stream(clients[i], expected)
        )
        app.wall = time.perf_counter() - app.began
    app.cpu = app.meter.spent()
    await asyncio.gather(*(client.close() for client in clients))
    return baseline, app


def report(args: argparse.Namespace, baseline: Phase, app: Phase) -> tuple[str, bool]:
    def row(label: str, base: str, ours: str) -> str:
        return f"{label:<30}{base:>22}  {ours:>22}"

    def cpu(phase: Phase, label: str) -> str:
        spent = phase.cpu.get(label, math.nan)
        return f"{spent:.1f} s ({spent / phase.wall:.0%})" if phase.wall else "-"

    b99, a99 = percentile(baseline.gaps_ms(), 99), percentile(app.gaps_ms(), 99)
    ratio = a99 / b99 if b99 else math.nan
    a_ttft99 = percentile(app.ttfts_ms(), 99)
    lines = [
        f"/v1 load: {args.streams} streams, answers of ~{args.seconds:g} s at "
        f"{args.chunk_chars} chars every {args.interval:g} s; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}",
        row("", "baseline (google-genai)", "app /v1 (openai)"),
        row("errors", str(baseline.errors), str(app.errors)),
        row("text chunks received", str(baseline.chunks()), str(app.chunks())),
        row("time to first text p50 ms", fmt(percentile(baseline.ttfts_ms(), 50)),
            fmt(percentile(app.ttfts_ms(), 50))),
        row("time to first text p99 ms", fmt(percentile(baseline.ttfts_ms(), 99)), fmt(a_ttft99)),
        row("gap between chunks p50 ms", fmt(percentile(baseline.gaps_ms(), 50)),
            fmt(percentile(app.gaps_ms(), 50))),
        row("gap between chunks p99 ms", fmt(b99), fmt(a99)),
        row("gap p99 ms, steady window", fmt(steady_gap99(baseline)), fmt(steady_gap99(app))),
        row("gap between chunks max ms", fmt(percentile(baseline.gaps_ms(), 100)),
            fmt(percentile(app.gaps_ms(), 100))),
        row("phase wall time s", f"{baseline.wall:.1f}", f"{app.wall:.1f}"),
        row("CPU: app server", "-", cpu(app, "app")),
        row("CPU: fake Gemini", cpu(baseline, "fake"), cpu(app, "fake")),
        row("CPU: load client", cpu(baseline, "client"), cpu(app, "client")),
        row("CPU: rest of machine", cpu(baseline, "other"), cpu(app, "other")),
    ]  # fmt: skip
    if baseline.errors:
        lines.append(f"baseline errors: {error_kinds(baseline.results)}")
    if app.errors:
        lines.append(f"app errors: {error_kinds(app.results)}")
    lines.append(
        f"streams={args.streams} errors={app.errors} ttft_p99_ms={fmt(a_ttft99)} "
        f"gap_p99_ms={fmt(a99)} baseline_gap_p99_ms={fmt(b99)} gap_p99_ratio={fmt(ratio, 2)}"
    )
    return "\n".join(lines), app.errors == 0 and ratio <= args.max_ratio


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    expected = expected_answer(
        seconds=args.seconds, interval=args.interval, chunk_chars=args.chunk_chars
    )
    folder = Path(tempfile.mkdtemp(prefix="beykusay-v1-load-"))
    fake = FakeProcess(
        interval=args.interval, chunk_chars=args.chunk_chars, seconds=args.seconds
    ).start()
    env = {
        "GOOGLE_API_KEY": FAKE_KEY,
        "GOOGLE_GEMINI_BASE_URL": fake.url,
        "DATABASE_URL": f"sqlite:///{folder / 'beykusay.db'}",
        "SECRET_KEY": "v1-load-bench-secret-" + "x" * 32,
        "MAX_ANSWERS_PER_USER": str(PER_USER),
    }
    server = ServerProcess(folder / "app", env)
    try:
        server.start(60)
        baseline, app = asyncio.run(measure(args, fake, server, expected))
    finally:
        server.stop()
        fake.stop()
        shutil.rmtree(folder, ignore_errors=True)
    text, passed = report(args, baseline, app)
    print(text, flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
