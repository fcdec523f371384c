"""Growing answers written about once a second, all of them in one transaction.

It also owns the answers whose final save failed: it tries them again with a growing
pause until they are stored, so no answer is left ``streaming`` (and its chat refusing
new messages) for as long as the process lives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from beykusay.db import in_session
from beykusay.generation.live import LiveAnswer
from beykusay.grounding import stored
from beykusay.services import messages as message_service

log = logging.getLogger(__name__)

MAX_REPAIR_PAUSE = 30.0  # seconds between two tries of a final save, at most
UNSAVED_ERROR = "The end of this answer could not be saved."


@dataclass
class UnsavedFinal:
    """The final state of an answer that could not be stored yet."""

    values: dict[str, Any]
    ended: bool = False  # its row no longer streams, though its final values are not stored
    pause: float = 0.0
    due: float = 0.0  # loop time of the next try


class ProgressSaver:
    """Saves every answer that grew since the last pass while any answer runs."""

    def __init__(self, *, interval: float, answers: Callable[[], Collection[LiveAnswer]]) -> None:
        self.interval = interval
        self.answers = answers
        self.unsaved: dict[int, UnsavedFinal] = {}
        self._repairing = asyncio.Lock()  # the loop's and shutdown's repairs take turns
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="answer-saver")

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _loop(self) -> None:
        while self.answers() or self.unsaved:
            await asyncio.sleep(self.interval)
            await self.save()
            await self.repair()

    async def save(self) -> None:
        """Write every answer that grew since the last save, in one transaction."""
        grown = [live for live in list(self.answers()) if live.dirty]
        if not grown:
            return
        batch: dict[int, dict[str, Any]] = {}
        for live in grown:
            live.dirty = False
            batch[live.message_id] = {
                "content": live.text,
                "thinking": live.thinking or None,
                "grounding": stored(live.grounding),
                "search_entry_point": live.grounding.search_entry_point,
            }
        try:
            await asyncio.to_thread(
                in_session, lambda s: message_service.save_progress(session=s, answers=batch)
            )
        except Exception:
            log.exception("could not save %d growing answers", len(batch))
            for live in grown:
                live.dirty = True

    # -- final saves that failed ------------------------------------------------------

    def finish_later(self, message_id: int, values: dict[str, Any]) -> None:
        """Store this answer's final state as soon as the database takes it."""
        self.unsaved[message_id] = UnsavedFinal(values, pause=self.interval)
        self.ensure_running()

    async def repair(self, *, due_only: bool = True) -> None:
        """Try again each unsaved final state that is due; pause longer after each failure."""
        async with self._repairing:
            for message_id, unsaved in list(self.unsaved.items()):
                await self._repair_one(message_id, unsaved, due_only=due_only)

    async def _repair_one(self, message_id: int, unsaved: UnsavedFinal, *, due_only: bool) -> None:
        clock = asyncio.get_running_loop().time
        if due_only and clock() < unsaved.due:
            return
        if await self._store(message_id, unsaved.values):
            if self.unsaved.get(message_id) is unsaved:
                del self.unsaved[message_id]
            return
        # At least end the row (its text is what the last progress save wrote), so that
        # the chat takes messages again even if these values can never be stored.
        if not unsaved.ended:
            ending = {"status": "error", "error": UNSAVED_ERROR}
            unsaved.ended = await self._store(message_id, ending)
        unsaved.due = clock() + unsaved.pause
        unsaved.pause = min(unsaved.pause * 2, MAX_REPAIR_PAUSE)

    @staticmethod
    async def _store(message_id: int, values: dict[str, Any]) -> bool:
        try:
            await asyncio.to_thread(
                in_session,
                lambda s: message_service.finish_answer(
                    session=s, message_id=message_id, values=values
                ),
            )
        except Exception:
            log.warning("answer %s: its final save failed again", message_id, exc_info=True)
            return False
        return True
