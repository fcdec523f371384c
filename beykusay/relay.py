"""Carries answer events, news of answers and stop requests between instances via Redis.

Each running answer writes its events to a stream ``<prefix>answer:<chat>`` (every
delta with its offset), and its chat is listed in the hash ``<prefix>active`` while
it runs. Every instance hears of answers starting and ending on the channel
``<prefix>news``, so a page learns of an answer started elsewhere without asking
Redis. A follower starts from what the database has saved and reads only the
stream's recent tail (``beykusay.relayed``). Stop requests go out on
``<prefix>stop``; the instance that runs the answer cancels it.

One writer task sends the events in order, in batches. When Redis fails it retries
with a bounded backoff; when it must give up, it drops the deltas but keeps each
answer's start and end for later, and marks the gap with a ``resync`` entry, from
which followers fill in the missing text from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from beykusay.events import Event, is_final
from beykusay.relayed import CHANNELS, QUIET_CHECK, LoadSaved, RemoteSubscription, Saved

log = logging.getLogger(__name__)

ANSWER_TTL = 3600  # seconds a stream is kept at most
FINISHED_TTL = 30  # seconds a finished stream lingers for late readers
BATCH = 1000  # events per write at most
RETRY_FOR = 10.0  # seconds a batch is retried before its deltas are given up
RETRY_FIRST, RETRY_MAX = 0.05, 2.0  # the backoff between attempts
TAIL_FIRST, TAIL_PAGE = 8, 64  # stream entries read back when attaching: first, then per step

# A start resets the chat's stream, unless a newer answer of the chat already owns it.
_BEGIN = """
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if current > tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('XADD', KEYS[1], '*', 'e', ARGV[3], 'm', ARGV[2], 'k', 'start')
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[5], 'started ' .. ARGV[1] .. ' ' .. ARGV[2])
return 1
"""

# An end is written unless the chat runs another answer by now (a late reaper's end).
_END = """
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current and current ~= ARGV[2] then return 0 end
redis.call('XADD', KEYS[1], '*', 'e', ARGV[3], 'm', ARGV[2], 'k', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[6], 'ended ' .. ARGV[1] .. ' ' .. ARGV[2])
return 1
"""


@dataclass(slots=True)
class _Entry:
    """One event on its way to an answer's stream."""

    chat_id: int
    message_id: int
    kind: str
    payload: str  # the event as JSON
    offset: int | None = None  # where a delta starts in its channel

    @property
    def structural(self) -> bool:
        return self.kind == "start" or self.kind in ("done", "error")


@dataclass(slots=True)
class _Relayed:
    """An answer this instance relays: which message, and how much of each channel."""

    message_id: int
    offsets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))


def _pool(url: str, *, max_connections: int, socket_timeout: float) -> aioredis.Redis:
    # A blocking pool: a burst waits for a connection instead of failing. No retries
    # inside redis-py: the writer and the followers decide themselves what to retry.
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=20,
        socket_timeout=socket_timeout,
        socket_connect_timeout=5,
        retry=Retry(NoBackoff(), 0),
    )
    return aioredis.Redis(connection_pool=pool)


class RedisRelay:
    def __init__(
        self,
        url: str,
        prefix: str = "beykusay:",
        *,
        load: LoadSaved,
        retry_for: float = RETRY_FOR,
        quiet_check: float = QUIET_CHECK,
    ) -> None:
        self.redis = _pool(url, max_connections=64, socket_timeout=5)  # the writer, short reads
        # Followers block in XREAD: on connections of their own, never the writer's.
        self.readers = _pool(url, max_connections=512, socket_timeout=quiet_check + 10)
        self.prefix = prefix
        self.load = load
        self.retry_for = retry_for
        self.quiet_check = quiet_check
        self.stop_channel = prefix + "stop"
        self.news_channel = prefix + "news"
        self.active_key = prefix + "active"
        self._begin = self.redis.register_script(_BEGIN)
        self._end = self.redis.register_script(_END)
        self._relayed: dict[int, _Relayed] = {}
        self._outbox: asyncio.Queue[_Entry] = asyncio.Queue()
        self._carried: list[_Entry] = []  # what a failed write kept for the next one
        self._pause = RETRY_FIRST
        self._writer: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._running: dict[int, int] = {}  # chat -> answer running there, from the news
        self._news = asyncio.Event()  # set (and replaced) whenever _running changes

    def answer_key(self, chat_id: int) -> str:
        return f"{self.prefix}answer:{chat_id}"

    # -- writing ------------------------------------------------------------------

    def begin(self, chat_id: int, start: Event) -> None:
        """Start the answer's stream afresh (an older one of that chat is dropped first)."""
        message_id = int(start["assistant_message_id"])
        self._relayed[chat_id] = _Relayed(message_id)
        self._send(_Entry(chat_id, message_id, "start", json.dumps(start, ensure_ascii=False)))

    def publish(self, chat_id: int, event: Event) -> None:
        """Queue an event of the chat's answer; a single writer sends them in order."""
        kind = event["type"]
        payload = json.dumps(event, ensure_ascii=False)
        relayed = self._relayed.get(chat_id)
        if is_final(event):  # ours, or a dead instance's answer that a heartbeat reaped
            message_id = int(event["message"]["id"])
            if relayed is not None and relayed.message_id == message_id:
                del self._relayed[chat_id]
            self._send(_Entry(chat_id, message_id, kind, payload))
            return
        if relayed is None:
            return  # no stream was begun for it: nobody could follow it
        offset = None
        if kind in CHANNELS:
            offset = relayed.offsets[kind]
            relayed.offsets[kind] += len(event["delta"])
        self._send(_Entry(chat_id, relayed.message_id, kind, payload, offset))

    def _send(self, entry: _Entry) -> None:
        self._outbox.put_nowait(entry)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name="relay-writer")

    async def _write_loop(self) -> None:
        while True:
            if self._carried:  # Redis failed: try again after a pause, with all there is
                await asyncio.sleep(self._pause)
                self._pause = min(self._pause * 2, RETRY_MAX)
                taken = self._take(self._outbox.qsize())
            else:
                taken = [await self._outbox.get(), *self._take(BATCH - 1)]
            batch, self._carried = [*self._carried, *taken], []
            try:
                await self._write(batch, patient=self._pause == RETRY_FIRST)
            except (RedisError, OSError) as exc:
                if self._pause == RETRY_FIRST:
                    log.error(
                        "Redis failed for %.0f s (%s): answer events are not relayed; "
                        "followers fill in from the database",
                        self.retry_for,
                        exc,
                    )
                    self._pause *= 2
                self._carried = _keep_structure(batch)
            else:
                if self._pause != RETRY_FIRST:
                    log.warning("Redis is back: relaying answer events again")
                self._pause = RETRY_FIRST
            finally:
                for _ in taken:
                    self._outbox.task_done()

    def _take(self, most: int) -> list[_Entry]:
        taken: list[_Entry] = []
        while len(taken) < most and not self._outbox.empty():
            taken.append(self._outbox.get_nowait())
        return taken

    async def _write(self, batch: list[_Entry], *, patient: bool) -> None:
        """Write the batch; a patient write retries with backoff for ``retry_for`` seconds."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + (self.retry_for if patient else 0.0)
        pause = RETRY_FIRST
        while True:
            try:
                await self._execute(batch)
                return
            except (RedisError, OSError) as exc:
                if loop.time() + pause > give_up:
                    raise
                log.warning("could not relay %d answer events (%s); retrying", len(batch), exc)
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_MAX)

    async def _execute(self, batch: list[_Entry]) -> None:
        # Writing a batch twice is harmless: a start resets the stream, followers skip
        # deltas they have by their offsets, and the first end ends.
        pipe = self.redis.pipeline(transaction=False)
        for entry in batch:
            key = self.answer_key(entry.chat_id)
            if entry.kind == "start":
                args = [entry.chat_id, entry.message_id, entry.payload, ANSWER_TTL]
                await self._begin([key, self.active_key], [*args, self.news_channel], client=pipe)
            elif entry.structural:
                args = [entry.chat_id, entry.message_id, entry.payload, entry.kind, FINISHED_TTL]
                await self._end([key, self.active_key], [*args, self.news_channel], client=pipe)
            else:
                fields: dict[str, str | int] = {
                    "e": entry.payload,
                    "m": entry.message_id,
                    "k": entry.kind,
                }
                if entry.offset is not None:
                    fields["o"] = entry.offset
                pipe.xadd(key, fields)  # type: ignore[arg-type]
        await pipe.execute()

    async def flush(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outbox.join(), timeout)

    # -- reading ------------------------------------------------------------------

    async def attach(self, chat_id: int) -> RemoteSubscription | None:
        """Follow an answer running elsewhere; None when none is running.

        Costs the same for any length of answer: which answer runs (one field of a
        hash), what the database saved of it, and the stream entries since.
        """
        running = await self.redis.hget(self.active_key, str(chat_id))
        if running is None:
            return None
        message_id = int(running)
        saved = await self.load(message_id)
        if saved is None or saved.final is not None:
            self._forget(chat_id, message_id)
            return None
        key = self.answer_key(chat_id)
        start, tail, last_id = await self._recent(key, message_id, saved)
        if start is None:
            return None
        follower = RemoteSubscription(
            redis=self.readers,
            key=key,
            message_id=message_id,
            load=self.load,
            last_id=last_id,
            quiet_check=self.quiet_check,
        )
        follower.buffer.append(start)
        follower.apply(saved)
        for fields in tail:
            follower.take(fields)
        follower.merge_replay()
        return follower

    async def _recent(
        self, key: str, message_id: int, saved: Saved
    ) -> tuple[Event | None, list[dict[bytes, bytes]], bytes]:
        """The answer's start, and its stream entries that the saved text may lack.

        Read backwards from the newest until a delta that began before the saved text
        ended: that one and all before it were generated before the save.
        """
        pipe = self.redis.pipeline(transaction=False)
        pipe.xrange(key, count=1)
        pipe.xrevrange(key, count=TAIL_FIRST)
        first, page = await pipe.execute()
        if not first or int(first[0][1].get(b"m", 0)) != message_id:
            return None, [], b"0"
        start = json.loads(first[0][1][b"e"])
        last_id = page[0][0] if page else first[0][0]
        saved_length = {b"thinking": len(saved.thinking), b"text": len(saved.text)}
        tail: list[dict[bytes, bytes]] = []
        while page:
            for _entry_id, fields in page:
                if int(fields.get(b"m", 0)) != message_id:
                    continue
                kind = fields.get(b"k")
                if kind == b"start":
                    return start, tail[::-1], last_id
                tail.append(fields)
                if b"o" in fields and int(fields[b"o"]) < saved_length.get(kind or b"", 0):
                    return start, tail[::-1], last_id
            if len(page) < (TAIL_FIRST if page[0][0] == last_id else TAIL_PAGE):
                break
            page = await self.redis.xrevrange(key, max=b"(" + page[-1][0], count=TAIL_PAGE)
        return start, tail[::-1], last_id

    # -- news of answers -----------------------------------------------------------

    def running(self, chat_id: int) -> int | None:
        """The answer running in the chat by the news (on any instance), or None."""
        return self._running.get(chat_id)

    async def wait_for_news(self, ready: Callable[[], bool]) -> None:
        """Wait until ``ready()`` holds, checking it whenever news arrives."""
        while True:
            news = self._news
            if ready():
                return
            await news.wait()

    def _hear(self, data: bytes) -> None:
        what, chat, message = data.decode().split()
        chat_id, message_id = int(chat), int(message)
        if what == "started" and message_id >= self._running.get(chat_id, 0):
            self._running[chat_id] = message_id
        elif what == "ended":
            self._forget(chat_id, message_id)
        self._changed()

    def _forget(self, chat_id: int, message_id: int) -> None:
        if self._running.get(chat_id) == message_id:
            del self._running[chat_id]
            self._changed()

    def _changed(self) -> None:
        self._news.set()
        self._news = asyncio.Event()

    async def _learn_running(self) -> None:
        """Which answers run now: what news was missed while not listening."""
        active = await self.redis.hgetall(self.active_key)
        self._running = {int(chat): int(message) for chat, message in active.items()}
        self._changed()

    # -- stop requests ------------------------------------------------------------------

    async def request_stop(self, chat_id: int) -> None:
        await self.redis.publish(self.stop_channel, str(chat_id))

    def listen_for_stops(self, on_stop: Callable[[int], Awaitable[object]]) -> None:
        """Take stop requests from other instances, and follow the news of answers."""
        self._listener = asyncio.create_task(self._listen(on_stop), name="relay-listener")

    async def _listen(self, on_stop: Callable[[int], Awaitable[object]]) -> None:
        stop_channel = self.stop_channel.encode()
        while True:
            try:
                async with self.readers.pubsub() as pubsub:
                    await pubsub.subscribe(self.stop_channel, self.news_channel)
                    await self._learn_running()  # after subscribing: nothing falls between
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        with contextlib.suppress(ValueError):
                            if message["channel"] == stop_channel:
                                asyncio.create_task(on_stop(int(message["data"])))  # noqa: RUF006
                            else:
                                self._hear(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("relay listener lost Redis (%s); reconnecting", exc)
                await asyncio.sleep(1)

    async def close(self) -> None:
        await self.flush()
        for task in (self._writer, self._listener):
            if task is not None:
                task.cancel()
        await self.redis.aclose()
        await self.readers.aclose()


def _keep_structure(batch: list[_Entry]) -> list[_Entry]:
    """What a failed write keeps: starts and ends, and a resync mark where deltas were."""
    kept: list[_Entry] = []
    marked: set[tuple[int, int]] = set()
    for entry in batch:
        if entry.structural:
            kept.append(entry)
        elif (entry.chat_id, entry.message_id) not in marked:
            marked.add((entry.chat_id, entry.message_id))
            resync = json.dumps({"type": "resync"})
            kept.append(_Entry(entry.chat_id, entry.message_id, "resync", resync))
    return kept
