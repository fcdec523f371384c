"""Growing answers written about once a second, all of them in one transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from typing import Any

from beykusay.db import in_session
from beykusay.generation.live import LiveAnswer
from beykusay.services import messages as message_service

log = logging.getLogger(__name__)


class ProgressSaver:
    """Saves every answer that grew since the last pass while any answer runs."""

    def __init__(self, *, interval: float, answers: Callable[[], Collection[LiveAnswer]]) -> None:
        self.interval = interval
        self.answers = answers
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="answer-saver")

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _loop(self) -> None:
        while self.answers():
            await asyncio.sleep(self.interval)
            await self.save()

    async def save(self) -> None:
        """Write every answer that grew since the last save, in one transaction."""
        grown = [live for live in list(self.answers()) if live.dirty]
        if not grown:
            return
        batch: dict[int, dict[str, Any]] = {}
        for live in grown:
            live.dirty = False
            batch[live.message_id] = {"content": live.text, "thinking": live.thinking or None}
        try:
            await asyncio.to_thread(
                in_session, lambda s: message_service.save_progress(session=s, answers=batch)
            )
        except Exception:
            log.exception("could not save %d growing answers", len(batch))
            for live in grown:
                live.dirty = True
