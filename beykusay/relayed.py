"""Following an answer that another instance generates, from its Redis stream.

Every delta in the stream carries its offset in its channel (in code points), so a
follower knows exactly where each piece belongs: one it already has is skipped, one
that overlaps is cut, and one that leaves a gap (events the relay could not write)
is held until the database has the missing text. The database, where the running
instance saves the answer about once a second, is also the snapshot a follower
starts from (so attaching reads only the stream's recent tail), and what it asks
when the stream marks a gap or stays quiet: the deltas a follower hands out always
add up to the saved content, and it sees the end even if the stream never does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from beykusay.events import Event, is_final

log = logging.getLogger(__name__)

CHANNELS = ("thinking", "text")
RESYNC_INTERVAL = 0.5  # seconds between database reads while a gap waits to be filled
QUIET_CHECK = 5.0  # a stream quiet this long: ask the database whether the answer ended


@dataclass(frozen=True, slots=True)
class Saved:
    """An answer as the database holds it: its text so far, and its final event once ended."""

    thinking: str
    text: str
    final: Event | None
    sources: Event | None = None  # the answer's last ``sources`` event, as saved


LoadSaved = Callable[[int], Awaitable["Saved | None"]]  # by message id; None: no such message


class RemoteSubscription:
    """One answer running on another instance: what was generated so far, then live."""

    def __init__(
        self,
        *,
        redis: aioredis.Redis,
        key: str,
        message_id: int,
        load: LoadSaved,
        last_id: bytes | str,
        quiet_check: float = QUIET_CHECK,
    ) -> None:
        self.redis = redis  # the relay's connections for blocking reads
        self.key = key
        self.message_id = message_id
        self.load = load
        self.last_id = last_id
        self.quiet_check = quiet_check
        self.finished = False
        self.buffer: deque[Event] = deque()
        self._have = dict.fromkeys(CHANNELS, 0)  # code points handed out per channel
        self._held: list[tuple[str, int, str]] = []  # deltas after a gap, in order
        self._resync_at: float | None = None  # when to read the database next
        self._heard = asyncio.get_running_loop().time()
        self._failing = False
        self._last_sources: Event | None = None

    # -- what arrives, from the stream or from the database ----------------------------

    def take(self, fields: dict[bytes, bytes]) -> None:
        """One stream entry of this answer."""
        if self.finished or int(fields.get(b"m", 0)) != self.message_id:
            return  # after the end, or another answer of the chat
        event = json.loads(fields[b"e"])
        kind = event["type"]
        if kind in CHANNELS and b"o" in fields:
            self._delta(kind, int(fields[b"o"]), event["delta"])
        elif kind == "resync":  # the relay lost events here
            self._resync_soon()
        elif is_final(event):
            self._end(event)
        elif kind == "sources":
            self._sources(event)
        elif kind != "start":
            self.buffer.append(event)  # kinds added later pass through as they are

    def apply(self, saved: Saved) -> None:
        """What the database holds: hand out what this follower has not had yet."""
        self._catch_up(saved.thinking, saved.text)
        if saved.sources is not None and saved.final is None:
            self._sources(saved.sources)
        if saved.final is not None:
            self._end(saved.final)

    def _delta(self, channel: str, offset: int, delta: str) -> None:
        have = self._have[channel]
        if self._held or offset > have:  # a gap before it: wait for the database
            self._held.append((channel, offset, delta))
            self._resync_soon()
            return
        self._emit(channel, delta[have - offset :])  # nothing when all of it was had

    def _emit(self, channel: str, text: str) -> None:
        if text:
            self.buffer.append({"type": channel, "delta": text})
            self._have[channel] += len(text)

    def _catch_up(self, thinking: str, text: str) -> None:
        for channel, full in (("thinking", thinking), ("text", text)):
            self._emit(channel, full[self._have[channel] :])
        held, self._held = self._held, []
        for channel, offset, delta in held:
            self._delta(channel, offset, delta)

    def _end(self, final: Event) -> None:
        message = final["message"]
        self._held.clear()  # the final message holds all of it
        self._catch_up(message.get("thinking") or "", message.get("content") or "")
        self.buffer.append(final)
        self.finished = True

    def _sources(self, event: Event) -> None:
        """Hand out sources that differ from the last ones handed out (stream or database)."""
        if event != self._last_sources:
            self._last_sources = event
            self.buffer.append(event)

    def _resync_soon(self) -> None:
        if self._resync_at is None:
            self._resync_at = asyncio.get_running_loop().time()

    def merge_replay(self) -> None:
        """What was generated so far as the contract allows: start, one thinking, one text,
        the latest sources."""
        events = list(self.buffer)
        merged = [e for e in events if e["type"] == "start"][:1]
        for channel in CHANNELS:
            joined = "".join(e["delta"] for e in events if e["type"] == channel)
            if joined:
                merged.append({"type": channel, "delta": joined})
        merged += [e for e in events if e["type"] == "sources"][-1:]  # the latest ones
        merged += [e for e in events if e["type"] not in ("start", "sources", *CHANNELS)]
        self.buffer = deque(merged)

    # -- handing events out ---------------------------------------------------------

    async def next(self, timeout: float | None = None) -> Event | None:
        """The next event, or None when ``timeout`` passes first (or after the end)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not self.buffer:
            if self.finished:
                return None
            now = loop.time()
            if self._resync_at is not None and now >= self._resync_at:
                await self._resync()
                continue
            if now - self._heard >= self.quiet_check:  # did the answer end unheard?
                self._heard = now
                self._resync_soon()
                continue
            wait = self._heard + self.quiet_check - now
            if self._resync_at is not None:
                wait = min(wait, self._resync_at - now)
            if deadline is not None:
                if now >= deadline:
                    return None
                wait = min(wait, deadline - now)
            await self._read(wait)
        return self.buffer.popleft()

    async def _read(self, wait: float) -> None:
        try:
            found = await self.redis.xread(
                {self.key: self.last_id}, count=500, block=max(1, int(wait * 1000))
            )
        except (RedisError, OSError) as exc:
            if not self._failing:
                log.warning("lost Redis while following answer %s: %s", self.message_id, exc)
            self._failing = True
            await asyncio.sleep(min(wait, 1.0))  # the database still tells when it ends
            return
        self._failing = False
        for _key, entries in found or []:
            for entry_id, fields in entries:
                self.last_id = entry_id
                self._heard = asyncio.get_running_loop().time()
                self.take(fields)

    async def _resync(self) -> None:
        self._resync_at = None
        try:
            saved = await self.load(self.message_id)
        except Exception:
            log.warning("could not read answer %s to resync", self.message_id, exc_info=True)
            saved = None
        if saved is not None:
            self.apply(saved)
        if self._held and not self.finished:
            self._resync_at = asyncio.get_running_loop().time() + RESYNC_INTERVAL

    def close(self) -> None:
        pass
