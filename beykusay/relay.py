"""Carries answer events and stop requests between instances through Redis.

Each running answer writes its events to a Redis stream ``<prefix>answer:<chat>``;
a client attached to another instance reads the stream from the start (what was
generated so far, merged into one event per channel) and then follows it live, so
there is no gap between replay and live events. Stop requests go out on a pub/sub
channel and the instance that runs the answer cancels it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from beykusay.events import Event, is_final

log = logging.getLogger(__name__)

ANSWER_TTL = 3600  # seconds a stream is kept at most
FINISHED_TTL = 30  # seconds a finished stream lingers for late readers


class RemoteSubscription:
    """An answer running on another instance: replay first, then live events."""

    def __init__(self, redis: aioredis.Redis, key: str, replay: list[Event], last_id: str):
        self.redis = redis
        self.key = key
        self.buffer = replay
        self.last_id = last_id
        self.finished = any(is_final(event) for event in replay)

    async def next(self, timeout: float | None = None) -> Event | None:
        if not self.buffer:
            if self.finished:
                return None
            block = 0 if timeout is None else max(1, int(timeout * 1000))  # 0: wait forever
            found = await self.redis.xread({self.key: self.last_id}, count=500, block=block)
            for _key, entries in found or []:
                for entry_id, fields in entries:
                    self.last_id = entry_id
                    self.buffer.append(json.loads(fields[b"e"]))
            if not self.buffer:
                return None
        event = self.buffer.pop(0)
        if is_final(event):
            self.finished = True
            self.buffer.clear()
        return event

    def close(self) -> None:
        pass


def merge_replay(events: list[Event]) -> list[Event]:
    """Everything so far as the contract allows: start, one thinking, one text, the end."""
    start = [e for e in events if e["type"] == "start"][:1]
    merged = list(start)
    for channel in ("thinking", "text"):
        joined = "".join(e["delta"] for e in events if e["type"] == channel)
        if joined:
            merged.append({"type": channel, "delta": joined})
    merged += [e for e in events if is_final(e)][:1]
    return merged


class RedisRelay:
    def __init__(self, url: str, prefix: str = "beykusay:") -> None:
        # A blocking pool: a burst of answers waits for a connection instead of failing.
        self.redis = aioredis.Redis(
            connection_pool=aioredis.BlockingConnectionPool.from_url(
                url, max_connections=64, timeout=20
            )
        )
        self.prefix = prefix
        self.stop_channel = prefix + "stop"
        self._outbox: asyncio.Queue[tuple[str, Event, int | None, bool]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None

    def answer_key(self, chat_id: int) -> str:
        return f"{self.prefix}answer:{chat_id}"

    # -- writing ------------------------------------------------------------------

    def publish(
        self, chat_id: int, event: Event, *, ttl: int | None = None, fresh: bool = False
    ) -> None:
        """Queue an event for the answer's stream; a single writer batches them in order."""
        self._outbox.put_nowait((self.answer_key(chat_id), event, ttl, fresh))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name="relay-writer")

    def begin(self, chat_id: int, start: Event) -> None:
        """Start the answer's stream afresh (an older one of that chat is dropped first)."""
        self.publish(chat_id, start, ttl=ANSWER_TTL, fresh=True)

    async def _write_loop(self) -> None:
        while True:
            first = await self._outbox.get()
            batch = [first]
            while not self._outbox.empty() and len(batch) < 1000:
                batch.append(self._outbox.get_nowait())
            pipe = self.redis.pipeline(transaction=False)
            for key, event, ttl, fresh in batch:
                if fresh:
                    pipe.delete(key)
                pipe.xadd(key, {"e": json.dumps(event, ensure_ascii=False)})
                if ttl is not None:
                    pipe.expire(key, ttl)
                elif is_final(event):
                    pipe.expire(key, FINISHED_TTL)
            try:
                await pipe.execute()
            except Exception:
                log.exception("could not relay %d answer events", len(batch))
            finally:
                for _ in batch:
                    self._outbox.task_done()

    async def flush(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outbox.join(), timeout)

    # -- reading ------------------------------------------------------------------

    async def attach(self, chat_id: int) -> RemoteSubscription | None:
        """Follow an answer running elsewhere; None when none is running."""
        key = self.answer_key(chat_id)
        entries = await self.redis.xrange(key)
        if not entries:
            return None
        events = [json.loads(fields[b"e"]) for _id, fields in entries]
        if any(is_final(event) for event in events):
            return None
        return RemoteSubscription(self.redis, key, merge_replay(events), entries[-1][0])

    # -- stop requests ------------------------------------------------------------------

    async def request_stop(self, chat_id: int) -> None:
        await self.redis.publish(self.stop_channel, str(chat_id))

    def listen_for_stops(self, on_stop: Callable[[int], Awaitable[object]]) -> None:
        self._listener = asyncio.create_task(self._listen(on_stop), name="relay-stops")

    async def _listen(self, on_stop: Callable[[int], Awaitable[object]]) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.stop_channel)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            with contextlib.suppress(ValueError):
                                asyncio.create_task(on_stop(int(message["data"])))  # noqa: RUF006
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stop listener lost Redis; reconnecting")
                await asyncio.sleep(1)

    async def close(self) -> None:
        await self.flush()
        for task in (self._writer, self._listener):
            if task is not None:
                task.cancel()
        await self.redis.aclose()
