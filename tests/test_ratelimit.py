"""Rate limiters: in this process and in Redis; a Redis that does not answer refuses in time
(503) and never freezes the event loop, so other answers keep streaming meanwhile."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from beykusay.api.router import build_api
from beykusay.app import build_state
from beykusay.config import Settings
from beykusay.db import get_engine, init_engine, new_session
from beykusay.models import Message
from beykusay.providers.base import AnswerText, Finish
from beykusay.ratelimit import UNAVAILABLE, RedisSlidingWindowLimiter, SlidingWindowLimiter
from beykusay.services import accounts, chats
from beykusay.services.accounts import LoginGuard
from beykusay.services.errors import Unavailable
from beykusay.state import AppState, set_state
from tests.clock import Clock
from tests.databases import fresh_database
from tests.redisproxy import redis_proxy
from tests.scripted import ScriptedProvider, Wait
from tests.test_instances import REDIS_URL, redis_available

needs_redis = pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")


async def test_in_memory_limiter_allows_the_limit_per_window_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=2, window=10, clock=clock)
    assert await limiter.acquire("a") == 0
    clock.now += 4
    assert await limiter.acquire("a") == 0
    assert await limiter.acquire("a") == 6  # the first hit leaves the window in 6 s
    assert await limiter.acquire("b") == 0  # keys are counted apart
    clock.now += 6
    assert await limiter.retry_after("a") == 0
    await limiter.hit("a")
    assert await limiter.retry_after("a") == 4
    await limiter.reset("a")
    assert await limiter.retry_after("a") == 0


@needs_redis
async def test_redis_limiter_counts_like_the_in_memory_one() -> None:
    limiter = RedisSlidingWindowLimiter(
        url=REDIS_URL, limit=2, window=60, prefix=f"test-{uuid.uuid4().hex[:8]}:rl:"
    )
    try:
        assert await limiter.acquire("send:1") == 0
        assert await limiter.acquire("send:1") == 0
        assert 59 <= await limiter.acquire("send:1") <= 60  # refused, and not counted
        assert await limiter.acquire("send:2") == 0
        await limiter.reset("send:1")
        assert await limiter.retry_after("send:1") == 0
        await limiter.hit("login:x")
        await limiter.hit("login:x")
        assert 59 <= await limiter.retry_after("login:x") <= 60
    finally:
        await limiter.aclose()


async def test_a_redis_that_does_not_answer_refuses_instead_of_hanging() -> None:
    with redis_proxy("silent") as silent:
        limiter = RedisSlidingWindowLimiter(url=silent.url, limit=5, window=60, timeout=0.5)
        with pytest.raises(Unavailable, match="Rate limiting is unavailable"):
            await limiter.acquire("send:1")
        await limiter.aclose()


# --------------------------------------------------------------------------- through the API


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[AppState, ScriptedProvider, Any]]:
    with fresh_database("sqlite", tmp_path) as url:
        settings = Settings(data_dir=tmp_path, database_url=url, save_interval=0.05)
        init_engine(settings.sqlalchemy_url)
        state = build_state(settings)
        provider = ScriptedProvider()
        state.provider = state.generation.provider = provider
        set_state(state)
        with new_session() as session:
            user = accounts.register_user(session=session, username="ada", password="x" * 8)
            session.expunge_all()
        api = build_api(max_body_bytes=settings.max_body_bytes)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api), base_url="http://test/api", timeout=60
        ) as client:
            yield state, provider, (client, user)
        await state.generation.shutdown()
        get_engine().dispose()


def _new_chat(user: Any) -> int:
    with new_session() as session:
        chat = chats.create_chat(session=session, user=user)
        assert chat.id is not None
        return chat.id


async def test_a_send_gets_503_while_redis_hangs_and_other_answers_keep_streaming(world) -> None:
    """A user sending while Redis hangs is told to try again in a moment; everyone
    else's answers go on streaming meanwhile (the loop never waits on Redis)."""
    state, provider, (client, user) = world
    streaming_chat, refused_chat = _new_chat(user), _new_chat(user)
    gate = asyncio.Event()
    provider.enqueue([AnswerText("first"), Wait(gate), AnswerText(" second"), Finish("STOP")])
    live = await state.generation.send(
        user=user, chat_id=streaming_chat, content="hi", model="BeykusChat"
    )
    watching = state.generation.subscribe_to(live)
    token = accounts.issue_token(user=user, settings=state.settings).token
    with redis_proxy("silent") as silent:
        state.generation.send_limiter = RedisSlidingWindowLimiter(
            url=silent.url, limit=5, window=60
        )
        sending = asyncio.create_task(
            client.post(
                f"/chats/{refused_chat}/messages?stream=false",
                json={"content": "hello?"},
                headers={"Authorization": f"Bearer {token}"},
            )
        )
        assert await asyncio.to_thread(silent.heard.wait, 30)  # the send waits on Redis now
        gate.set()
        events = [event async for event in watching]
        assert not sending.done()  # the other answer finished while the send still waited
        response = await sending
    assert "".join(e["delta"] for e in events if e["type"] == "text") == "first second"
    assert events[-1]["type"] == "done"
    assert response.status_code == 503
    assert response.json() == {"detail": UNAVAILABLE}
    with new_session() as session:
        saved = session.exec(select(Message).where(Message.chat_id == refused_chat)).all()
    assert saved == []  # refused before anything was saved


async def test_a_login_gets_503_while_redis_hangs(world) -> None:
    state, _provider, (client, _user) = world
    with redis_proxy("silent") as silent:
        state.login_guard = LoginGuard(
            RedisSlidingWindowLimiter(url=silent.url, limit=5, window=60, timeout=0.5)
        )
        response = await client.post("/login", json={"username": "ada", "password": "x" * 8})
    assert response.status_code == 503
    assert response.json() == {"detail": UNAVAILABLE}


async def test_logins_are_still_limited_in_memory(world) -> None:
    state, _provider, (client, _user) = world
    state.login_guard = LoginGuard(SlidingWindowLimiter(limit=2, window=60))
    for _ in range(2):
        wrong = await client.post("/login", json={"username": "ada", "password": "wrong pass"})
        assert wrong.status_code == 401
    refused = await client.post("/login", json={"username": "ada", "password": "x" * 8})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 60
