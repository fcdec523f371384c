"""Following one local answer: what was generated so far first, then live events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from beykusay.events import Event, is_final
from beykusay.generation.live import LiveAnswer
from beykusay.grounding import sources_event


class Subscription:
    """Events of one answer: what was generated so far first, then live ones."""

    def __init__(self, live: LiveAnswer) -> None:
        self.live = live
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        for event in self._snapshot():
            self.queue.put_nowait(event)
        if live.final is None:
            live.watchers.add(self.queue)

    def _snapshot(self) -> list[Event]:
        live = self.live
        events = [live.start]
        if live.thinking:
            events.append({"type": "thinking", "delta": live.thinking})
        if live.text:
            events.append({"type": "text", "delta": live.text})
        if live.grounding:
            events.append(sources_event(live.grounding))
        if live.final is not None:
            events.append(live.final)
        return events

    async def next(self, timeout: float | None = None) -> Event | None:
        """The next event, or None when ``timeout`` passes first."""
        if not self.queue.empty():
            return self.queue.get_nowait()
        try:
            async with asyncio.timeout(timeout):  # no extra task per event, unlike wait_for
                return await self.queue.get()
        except TimeoutError:
            return None

    async def __aiter__(self) -> AsyncIterator[Event]:
        try:
            while True:
                event = await self.queue.get()
                yield event
                if is_final(event):
                    return
        finally:
            self.close()

    def close(self) -> None:
        self.live.watchers.discard(self.queue)
