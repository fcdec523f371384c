"""With several instances: beat our heart, and interrupt answers of dead instances.

The heart beats on a thread of its own, with a database connection of its own: a
busy instance (every worker thread hashing passwords or waiting on the database,
the pool's connections all taken, the event loop slow) still beats on time, so no
other instance mistakes it for dead and interrupts its answers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from beykusay.db import get_engine, make_engine
from beykusay.events import final_event
from beykusay.models import Message
from beykusay.schemas import message_json
from beykusay.services import instances

if TYPE_CHECKING:  # redis is only installed for several instances
    from beykusay.relay import RedisRelay

log = logging.getLogger(__name__)


class Heartbeat:
    """Every ``interval`` seconds: record this instance alive, reap the stale ones' answers."""

    def __init__(
        self, *, instance_id: str, relay: RedisRelay, interval: float, stale_after: float
    ) -> None:
        self.instance_id = instance_id
        self.relay = relay
        self.interval = interval
        self.stale_after = stale_after
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._engine: Engine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        url = get_engine().url.render_as_string(hide_password=False)
        self._engine = make_engine(url, pool_size=1, max_overflow=0)
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{self.instance_id[:8]}", daemon=True
        )
        self._thread.start()

    def cancel(self) -> None:
        self._stopping.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._beat_and_reap()
            except Exception:
                log.exception("heartbeat failed")
            self._stopping.wait(self.interval)

    def _session(self) -> Session:
        assert self._engine is not None
        return Session(self._engine, expire_on_commit=False)

    def _beat_and_reap(self) -> None:
        with self._session() as session:
            instances.beat(session=session, instance_id=self.instance_id)
            orphans = instances.reap_orphans(session=session, stale_after=self.stale_after)
        for message in orphans:
            self._announce(message)

    def _announce(self, message: Message) -> None:
        log.warning("answer %s lost its instance: interrupted", message.id)
        assert self._loop is not None
        final = final_event(message_json(message))
        self._loop.call_soon_threadsafe(self.relay.publish, message.chat_id, final)

    async def retire(self) -> None:
        """This instance leaves: others need not wait for its heart to go stale."""
        self.cancel()
        await asyncio.to_thread(self._retire)

    def _retire(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._engine is None:
            return
        with self._session() as session:
            instances.retire(session=session, instance_id=self.instance_id)
        self._engine.dispose()
