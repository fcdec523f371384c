"""Simultaneous starts never deadlock: each batch takes its row locks in one order.

Before, a batch ran its starts in arrival order. Two batches running at once on
PostgreSQL (users A then B, and B then A) each locked one user's row and waited for the
other's: PostgreSQL aborted one transaction as a deadlock and every start in it got a
500 ("Something went wrong"). Seen as 2 to 13 failed sends of 200 in the load bench.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from beykusay.app import build_state
from beykusay.config import Settings
from beykusay.db import get_engine, init_engine, new_session
from beykusay.generation.starter import StartBatcher
from beykusay.models import User
from beykusay.services import accounts, chats
from tests.databases import BACKENDS, fresh_database
from tests.scripted import ScriptedProvider

USERS = 8
CHATS_PER_USER = 12


async def test_each_batch_runs_its_starts_in_lock_order() -> None:
    """Starts of several users arriving interleaved run ordered by (user, chat)."""
    batches: list[list[str]] = []

    def run_all(works: Sequence[Any]) -> list[Any]:
        batches.append([work(None) for work in works])
        return batches[-1]

    batcher = StartBatcher(run_all, parallel=1, max_batch=100)
    arrivals = [(3, 30), (1, 12), (2, 20), (1, 11), (3, 31), (2, 21)]
    results = await asyncio.gather(
        *(batcher.start(lambda _s, u=u, c=c: f"{u}/{c}", user_id=u, chat_id=c) for u, c in arrivals)
    )
    assert results == [f"{u}/{c}" for u, c in arrivals]  # each caller gets its own result
    for batch in batches:
        assert batch == sorted(batch), batches
    assert sum(len(batch) for batch in batches) == len(arrivals)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_burst_of_sends_from_many_users_all_start(backend: str, tmp_path: Path) -> None:
    """96 sends from 8 users at once, users interleaved in both directions: every one
    starts an answer (no deadlock, no 500), with a cap high enough for all of them."""
    with fresh_database(backend, tmp_path) as url:
        settings = Settings(
            data_dir=tmp_path,
            database_url=url,
            max_answers_per_user=CHATS_PER_USER,
            send_max_per_window=1000,
            shutdown_grace_seconds=0.2,
        )
        init_engine(settings.sqlalchemy_url)
        state = build_state(settings)
        state.provider = state.generation.provider = ScriptedProvider()
        sends: list[tuple[User, int]] = []
        with new_session() as session:
            users = [
                accounts.register_user(session=session, username=f"user{n}", password="x" * 8)
                for n in range(USERS)
            ]
            for user in users:
                for _ in range(CHATS_PER_USER):
                    chat = chats.create_chat(session=session, user=user)
                    assert chat.id is not None
                    sends.append((user, chat.id))
            session.expunge_all()
        # In waves (each wave one batch, the waves' batches running at once), users
        # ascending in one wave and descending in the next.
        waves: list[list[tuple[User, int]]] = [[] for _ in range(CHATS_PER_USER // 3)]
        for round_ in range(CHATS_PER_USER):
            row = [sends[u * CHATS_PER_USER + round_] for u in range(USERS)]
            waves[round_ // 3].extend(row if round_ % 2 == 0 else reversed(row))
        try:
            started: list[asyncio.Future[Any]] = []
            for wave in waves:
                started.extend(
                    asyncio.ensure_future(
                        state.generation.send(
                            user=user, chat_id=chat_id, content="hi", model="BeykusChat"
                        )
                    )
                    for user, chat_id in wave
                )
                await asyncio.sleep(0.01)  # this wave's batch is under way: the next is apart
            outcomes = await asyncio.gather(*started, return_exceptions=True)
            failures = [o for o in outcomes if isinstance(o, BaseException)]
            assert failures == [], failures[:3]
        finally:
            await state.generation.shutdown()
            get_engine().dispose()
