"""Sliding-window counters for failed logins and other throttled actions."""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Protocol


class Limiter(Protocol):
    def retry_after(self, key: str) -> int: ...

    def hit(self, key: str) -> None: ...

    def reset(self, key: str) -> None: ...


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

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may act again; 0 when it may act now."""
        with self._lock:
            now = self._clock()
            hits = self._live(key, now)
            if len(hits) < self.limit:
                return 0
            return max(1, math.ceil(hits[0] + self.window - now))

    def hit(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            self._live(key, now)
            self._hits.setdefault(key, deque()).append(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


class RedisSlidingWindowLimiter:
    """The same limits shared by every instance, kept in Redis sorted sets."""

    def __init__(
        self,
        *,
        url: str,
        limit: int,
        window: float,
        prefix: str = "beykusay:rl:",
        clock: Callable[[], float] = time.time,  # wall time: shared by every instance
    ):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.limit = limit
        self.window = window
        self.prefix = prefix
        self._clock = clock

    def _hits(self, key: str, now: float) -> list[float]:
        name = self.prefix + key
        pipe = self.redis.pipeline()
        pipe.zremrangebyscore(name, 0, now - self.window)
        pipe.zrange(name, 0, -1, withscores=True)
        return [score for _member, score in pipe.execute()[1]]

    def retry_after(self, key: str) -> int:
        now = self._clock()
        hits = self._hits(key, now)
        if len(hits) < self.limit:
            return 0
        return max(1, math.ceil(hits[0] + self.window - now))

    def hit(self, key: str) -> None:
        now = self._clock()
        name = self.prefix + key
        pipe = self.redis.pipeline()
        pipe.zadd(name, {f"{now}:{uuid.uuid4().hex[:8]}": now})
        pipe.expire(name, math.ceil(self.window) + 1)
        pipe.execute()

    def reset(self, key: str) -> None:
        self.redis.delete(self.prefix + key)
