"""Sliding-window counters for failed logins and other throttled actions.

One async interface for both kinds, so that no caller ever waits on Redis with the
event loop: in this process (``SlidingWindowLimiter``) or shared by every instance
through Redis (``RedisSlidingWindowLimiter``), which fails closed with ``Unavailable``
when Redis does not answer in time.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Protocol

from beykusay.services.errors import TooManyAttempts, Unavailable

UNAVAILABLE = "Rate limiting is unavailable right now; try again in a moment"


class Limiter(Protocol):
    async def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may act again; 0 when it may act now."""
        ...

    async def hit(self, key: str) -> None: ...

    async def acquire(self, key: str) -> int:
        """Count an action if allowed (returns 0), else the seconds to wait (not counted)."""
        ...

    async def reset(self, key: str) -> None: ...


async def check_send_rate(limiter: Limiter | None, user_id: int) -> None:
    """Count one of the user's sends (chats and /v1 share the rate), or refuse it (429).

    A limiter that cannot answer refuses too (Unavailable, 503).
    """
    if limiter is None:
        return
    wait = await limiter.acquire(f"send:{user_id}")
    if wait:
        raise TooManyAttempts(
            wait, f"You are sending messages too fast. Try again in {wait} seconds."
        )


class SlidingWindowLimiter:
    """At most ``limit`` hits per key within ``window`` seconds (in this process)."""

    def __init__(
        self, *, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
        return hits

    def _wait(self, key: str, now: float) -> int:
        hits = self._live(key, now)
        if len(hits) < self.limit:
            return 0
        return max(1, math.ceil(hits[0] + self.window - now))

    async def retry_after(self, key: str) -> int:
        with self._lock:
            return self._wait(key, self._clock())

    async def hit(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            self._live(key, now)
            self._hits.setdefault(key, deque()).append(now)

    async def acquire(self, key: str) -> int:
        with self._lock:
            now = self._clock()
            wait = self._wait(key, now)
            if not wait:
                self._hits.setdefault(key, deque()).append(now)
            return wait

    async def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


# Drop hits older than the window; if below the limit, count this one (0), else the
# seconds until the oldest hit leaves the window. One round trip, and atomic.
_ACQUIRE = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
    if ARGV[4] ~= '' then
        redis.call('ZADD', KEYS[1], now, ARGV[4])
        redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
    end
    return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


class RedisSlidingWindowLimiter:
    """The same limits shared by every instance, kept in Redis sorted sets.

    Every call gives up after ``timeout`` seconds and raises ``Unavailable``: a slow
    or unreachable Redis refuses the action instead of waving it through.
    """

    def __init__(
        self,
        *,
        url: str,
        limit: int,
        window: float,
        prefix: str = "beykusay:rl:",
        timeout: float = 2.0,
        clock: Callable[[], float] = time.time,  # wall time: shared by every instance
    ) -> None:
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        pool = aioredis.ConnectionPool.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # a retry would double the wait; the user retries
        )
        self.redis = aioredis.Redis(connection_pool=pool)
        self._script = self.redis.register_script(_ACQUIRE)
        self.limit = limit
        self.window = window
        self.prefix = prefix
        self.timeout = timeout
        self._clock = clock

    async def _run(self, key: str, member: str) -> int:
        import redis

        now = self._clock()
        args = [now, self.window, self.limit, member]
        try:
            wait = float(await self._script(keys=[self.prefix + key], args=args))
        except (redis.RedisError, OSError) as exc:
            raise Unavailable(UNAVAILABLE) from exc
        return max(1, math.ceil(wait)) if wait > 0 else 0

    async def retry_after(self, key: str) -> int:
        return await self._run(key, "")

    async def hit(self, key: str) -> None:
        import redis

        now = self._clock()
        name = self.prefix + key
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zadd(name, {f"{now}:{uuid.uuid4().hex[:8]}": now})
                pipe.expire(name, math.ceil(self.window) + 1)
                await pipe.execute()
        except (redis.RedisError, OSError) as exc:
            raise Unavailable(UNAVAILABLE) from exc

    async def acquire(self, key: str) -> int:
        return await self._run(key, f"{self._clock()}:{uuid.uuid4().hex[:8]}")

    async def reset(self, key: str) -> None:
        import redis

        try:
            await self.redis.delete(self.prefix + key)
        except (redis.RedisError, OSError) as exc:
            raise Unavailable(UNAVAILABLE) from exc

    async def aclose(self) -> None:
        await self.redis.aclose()
