"""Sliding-window limiters on a clock the test moves: Retry-After counts down to the
moment the oldest hit leaves the window, in this process and shared through Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis

from beykusay.ratelimit import Limiter, RedisSlidingWindowLimiter, SlidingWindowLimiter
from tests.clock import Clock

REDIS_URL = "redis://127.0.0.1:6379/0"
LIMIT = 3
WINDOW = 300.0


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[Limiter]:
    if request.param == "memory":
        yield SlidingWindowLimiter(limit=LIMIT, window=WINDOW, clock=clock)
        return
    if not redis_available():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    prefix = f"test-rl-{uuid.uuid4().hex[:8]}:"
    shared = RedisSlidingWindowLimiter(
        url=REDIS_URL, limit=LIMIT, window=WINDOW, prefix=prefix, clock=clock
    )
    yield shared
    async for key in shared.redis.scan_iter(prefix + "*"):
        await shared.redis.delete(key)
    await shared.aclose()


async def test_under_the_limit_there_is_no_wait(limiter: Limiter, clock: Clock) -> None:
    """Two failures out of three allowed: the next attempt may go ahead at once."""
    for _ in range(LIMIT - 1):
        await limiter.hit("alice")
        clock.advance(1)
    assert await limiter.retry_after("alice") == 0


async def test_retry_after_counts_down_to_when_the_oldest_hit_leaves_the_window(
    limiter: Limiter, clock: Clock
) -> None:
    """Three failures 0, 10 and 20 s in: locked, and Retry-After says exactly how long is
    left until the first one is 300 s old; then one attempt is free again."""
    for _ in range(LIMIT):
        await limiter.hit("alice")
        clock.advance(10)
    assert await limiter.retry_after("alice") == 270  # 30 s after the first hit
    clock.advance(100)
    assert await limiter.retry_after("alice") == 170
    clock.advance(169.5)
    assert await limiter.retry_after("alice") == 1  # half a second left: rounded up, never 0
    clock.advance(0.5)
    assert await limiter.retry_after("alice") == 0  # the first hit is exactly 300 s old: gone
    await limiter.hit("alice")  # the window slides: the second hit is now the oldest
    assert await limiter.retry_after("alice") == 10


async def test_keys_are_counted_apart_and_reset_forgets_one(limiter: Limiter, clock: Clock) -> None:
    """One locked username does not lock another; a success clears only its own count."""
    for _ in range(LIMIT):
        await limiter.hit("user:alice")
        await limiter.hit("user:bob")
    await limiter.hit("user:carol")
    assert await limiter.retry_after("user:alice") == await limiter.retry_after("user:bob") == 300
    assert await limiter.retry_after("user:carol") == 0
    await limiter.reset("user:alice")
    assert await limiter.retry_after("user:alice") == 0
    assert await limiter.retry_after("user:bob") == 300


async def test_redis_limiter_is_shared_by_instances(clock: Clock) -> None:
    """Failures counted on one instance lock the name on another, with the same wait."""
    if not redis_available():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    prefix = f"test-rl-{uuid.uuid4().hex[:8]}:"
    a, b = (
        RedisSlidingWindowLimiter(
            url=REDIS_URL, limit=LIMIT, window=WINDOW, prefix=prefix, clock=clock
        )
        for _ in range(2)
    )
    try:
        for _ in range(LIMIT):
            await a.hit("user:alice")
        clock.advance(60)
        assert await b.retry_after("user:alice") == await a.retry_after("user:alice") == 240
    finally:
        await a.reset("user:alice")
        await a.aclose()
        await b.aclose()
