"""With several instances: beat our heart, and interrupt answers of dead instances."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from beykusay.db import in_session
from beykusay.services import instances, tree

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
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="instance-heartbeat")

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _loop(self) -> None:
        while True:
            try:
                orphans = await asyncio.to_thread(in_session, self._beat_and_reap)
                for message in orphans:
                    log.warning("answer %s lost its instance: interrupted", message["id"])
                    final = {"type": "error", "message": message}
                    self.relay.publish(message["chat_id"], final)
            except Exception:
                log.exception("heartbeat failed")
            await asyncio.sleep(self.interval)

    def _beat_and_reap(self, session: Session) -> list[dict[str, Any]]:
        """Beat; the answers of dead instances, interrupted now, as the API shows them."""
        instances.beat(session=session, instance_id=self.instance_id)
        orphans = instances.reap_orphans(session=session, stale_after=self.stale_after)
        return tree.messages_json(session=session, messages=orphans)

    async def retire(self) -> None:
        """This instance leaves: others need not wait for its heart to go stale."""
        self.cancel()
        await asyncio.to_thread(
            in_session, lambda s: instances.retire(session=s, instance_id=self.instance_id)
        )
