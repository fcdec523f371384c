"""Start-up benchmark: N answers started at once in-process, timed to their first text.

    .venv/bin/python -m tests.bench.starts --streams 200 [--database postgresql]

Isolates what starting an answer costs the server (the start transaction, history,
the task) from the provider's own cost: the provider is a script that answers at once
with one text chunk, so each answer's time to first text is its start's time. N users
with one chat each (no per-user cap in the way) send together through the
GenerationManager, as the REST route does. Prints p50/p99/max time to first text and
the process's CPU per start. On a shared machine the CPU figure moves least.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from beykusay.app import build_state
from beykusay.config import Settings
from beykusay.db import get_engine, init_engine, new_session
from beykusay.models import Chat, User
from beykusay.providers.base import AnswerText, Finish
from tests.bench.loadlib import percentile
from tests.scripted import ScriptedProvider


async def burst(url: str, folder: Path, streams: int) -> tuple[list[float], float]:
    init_engine(url)
    state = build_state(Settings(data_dir=folder, database_url=url))
    provider = ScriptedProvider()
    state.provider = state.generation.provider = provider
    with new_session() as session:
        users = [
            User(username=f"u{i}", username_key=f"u{i}", password_hash="-") for i in range(streams)
        ]
        session.add_all(users)
        session.commit()
        chats = [Chat(user_id=user.id, title="t", model="BeykusChat") for user in users]
        session.add_all(chats)
        session.commit()
        session.expunge_all()
    for _ in range(streams):
        provider.enqueue([AnswerText("first"), Finish("STOP")])

    async def one(user: User, chat: Chat) -> float:
        began = time.perf_counter()
        live = await state.generation.send(
            user=user, chat_id=chat.id or 0, content="hello", model="BeykusChat"
        )
        async for event in state.generation.subscribe_to(live):
            if event["type"] == "text":
                return time.perf_counter() - began
        raise AssertionError("no text")

    cpu = time.process_time()
    seconds = await asyncio.gather(*(one(u, c) for u, c in zip(users, chats, strict=True)))
    cpu = time.process_time() - cpu
    await state.generation.shutdown()
    get_engine().dispose()
    return [s * 1000 for s in seconds], cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=200)
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args()
    if args.database == "postgresql":
        os.environ.setdefault(
            "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    from tests.databases import fresh_database  # reads TEST_DATABASE_URL when imported

    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.database, Path(tmp)) as url:
        ms, cpu = asyncio.run(burst(url, Path(tmp), args.streams))
    load = os.getloadavg()[0]
    print(
        f"starts={args.streams} database={args.database} load={load:.1f}"
        f" ttft_p50_ms={percentile(ms, 50):.0f} ttft_p99_ms={percentile(ms, 99):.0f}"
        f" ttft_max_ms={max(ms):.0f} cpu_ms_per_start={cpu * 1000 / args.streams:.1f}"
    )


if __name__ == "__main__":
    main()
