"""Heartbeats and reaping with several instances: a busy instance still beats, and a
reap never interrupts the answers of an instance whose beat has just landed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from beykusay.db import get_engine, init_engine, make_engine, new_session, utcnow
from beykusay.generation.heartbeat import Heartbeat
from beykusay.models import STREAMING, Instance, Message
from beykusay.services import accounts, chats, instances
from tests.databases import BACKENDS, fresh_database

STALE = timedelta(hours=1)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        init_engine(url)
        yield url
        get_engine().dispose()


def running_answer(instance_id: str | None, *, beat_ago: timedelta | None = STALE) -> int:
    """A streaming answer of ``instance_id``, whose last beat was ``beat_ago`` ago."""
    with new_session() as session:
        user = accounts.register_user(
            session=session, username=f"u{instance_id or 'none'}", password="x" * 8
        )
        chat = chats.create_chat(session=session, user=user)
        assert chat.id is not None
        answer = Message(
            chat_id=chat.id, role="assistant", status=STREAMING, instance_id=instance_id
        )
        session.add(answer)
        if instance_id is not None and beat_ago is not None:
            then = utcnow() - beat_ago
            session.add(Instance(id=instance_id, started_at=then, heartbeat_at=then))
        session.commit()
        assert answer.id is not None
        return answer.id


def status_of(message_id: int) -> str:
    with new_session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.status


@contextmanager
def beats_landing(instance_id: str) -> Iterator[threading.Event]:
    """Set once a beat of ``instance_id`` is committed, by whatever session or thread."""
    landed = threading.Event()
    beating: set[int] = set()

    def flushed(session: OrmSession, _context: Any) -> None:
        if any(
            isinstance(row, Instance) and row.id == instance_id
            for row in (*session.new, *session.dirty)
        ):
            beating.add(id(session))

    def committed(session: OrmSession) -> None:  # after the database committed
        if id(session) in beating:
            landed.set()

    event.listen(OrmSession, "after_flush", flushed)
    event.listen(OrmSession, "after_commit", committed)
    try:
        yield landed
    finally:
        event.remove(OrmSession, "after_flush", flushed)
        event.remove(OrmSession, "after_commit", committed)


async def test_a_heartbeat_lands_while_every_worker_thread_is_busy(database: str) -> None:
    """An instance busy hashing passwords and querying keeps beating: its answers are
    not interrupted by the other instances."""
    answer = running_answer("busy-instance")
    loop = asyncio.get_running_loop()
    workers = ThreadPoolExecutor(max_workers=2)
    loop.set_default_executor(workers)
    release = threading.Event()
    jobs = [loop.run_in_executor(None, release.wait) for _ in range(2)]  # all taken now
    heartbeat = Heartbeat(
        instance_id="busy-instance",
        relay=None,  # type: ignore[arg-type]  # no answer of it dies here
        interval=0.05,
        stale_after=60,
    )
    waiter = ThreadPoolExecutor(max_workers=1)
    try:
        with beats_landing("busy-instance") as landed:
            heartbeat.start()
            beat_in_time = await loop.run_in_executor(waiter, landed.wait, 20)
        assert beat_in_time, "no heartbeat landed while the worker threads were busy"
        with new_session() as session:  # another instance reaps now: the busy one is alive
            assert instances.reap_orphans(session=session, stale_after=60) == []
    finally:
        release.set()
        await asyncio.gather(*jobs)
        await heartbeat.retire()
        waiter.shutdown()
    assert status_of(answer) == STREAMING


def test_a_reap_racing_a_fresh_beat_does_not_interrupt(database: str) -> None:
    """An instance that beats just as another reaps keeps its answer running."""
    answer = running_answer("racer")
    elsewhere = make_engine(database, pool_size=1, max_overflow=0)
    beaten = threading.Event()

    def beat_first(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE MESSAGES") and not beaten.is_set():
            beaten.set()  # the beat lands after the reaper looked, before it writes
            with Session(elsewhere) as session:
                instances.beat(session=session, instance_id="racer")

    event.listen(get_engine(), "before_cursor_execute", beat_first)
    try:
        with new_session() as session:
            reaped = instances.reap_orphans(session=session, stale_after=60)
    finally:
        event.remove(get_engine(), "before_cursor_execute", beat_first)
        elsewhere.dispose()
    assert beaten.is_set()
    assert reaped == []
    assert status_of(answer) == STREAMING


def test_answers_of_stale_instances_and_of_none_are_reaped(database: str) -> None:
    dead, alive = running_answer("dead"), running_answer("alive", beat_ago=timedelta(0))
    nobody, vanished = running_answer(None), running_answer("vanished", beat_ago=None)
    with new_session() as session:
        reaped = instances.reap_orphans(session=session, stale_after=60)
        assert sorted(m.id for m in reaped) == sorted([dead, nobody, vanished])
        assert {m.status for m in reaped} == {"interrupted"}
        assert session.get(Instance, "dead") is None  # stale instances are forgotten
        assert session.get(Instance, "alive") is not None
    assert status_of(alive) == STREAMING
