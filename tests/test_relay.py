"""Two instances in one process, sharing the database and Redis: a viewer on B follows an
answer that A generates, even when A's Redis connection fails; attaching costs the same
for any length of answer; a page learns of answers from news, not by polling Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from beykusay.app import build_state
from beykusay.config import Settings
from beykusay.db import get_engine, init_engine, new_session
from beykusay.events import Event, Watch, is_final
from beykusay.models import User
from beykusay.providers.base import AnswerText, Finish, Thought
from beykusay.services import accounts, chats
from beykusay.state import AppState
from tests.databases import BACKENDS, fresh_database
from tests.redisproxy import RedisProxy, redis_proxy
from tests.scripted import ScriptedProvider, Step, Wait
from tests.test_instances import REDIS_URL, redis_available

pytestmark = pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")


@dataclass
class Pair:
    a: AppState  # generates the answers; its Redis goes through the proxy
    b: AppState  # follows them
    provider: ScriptedProvider
    proxy: RedisProxy
    user: User

    def chat(self) -> int:
        with new_session() as session:
            chat = chats.create_chat(session=session, user=self.user)
            assert chat.id is not None
            return chat.id

    async def start(self, chat_id: int, steps: list[Step]) -> Any:
        self.provider.enqueue(steps)
        return await self.a.generation.send(
            user=self.user, chat_id=chat_id, content="go", model="BeykusChat"
        )


@pytest.fixture(params=BACKENDS)
async def pair(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Pair]:
    with fresh_database(request.param, tmp_path) as url, redis_proxy() as proxy:
        prefix = f"test-{uuid.uuid4().hex[:8]}:"

        def instance(redis_url: str) -> AppState:
            settings = Settings(
                data_dir=tmp_path,
                database_url=url,
                save_interval=0.05,
                redis_url=redis_url,
                redis_prefix=prefix,
            )
            state = build_state(settings)
            state.generation.send_limiter = None  # not what these tests are about
            return state

        init_engine(url)
        a, b = instance(proxy.url), instance(REDIS_URL)
        provider = ScriptedProvider()
        a.provider = a.generation.provider = provider
        with new_session() as session:
            user = accounts.register_user(session=session, username="ada", password="x" * 8)
            session.expunge_all()
        yield Pair(a, b, provider, proxy, user)
        proxy.set_mode("passing")
        await a.generation.shutdown()
        await b.generation.shutdown()
        get_engine().dispose()


async def collect(watch: Watch, timeout: float = 30.0) -> list[Event]:
    events: list[Event] = []
    async with asyncio.timeout(timeout):
        while True:
            event = await watch.next(timeout=1.0)
            if event is None:
                continue
            events.append(event)
            if is_final(event):
                return events


def joined(events: list[Event], channel: str = "text") -> str:
    return "".join(e["delta"] for e in events if e["type"] == channel)


# --------------------------------------------------------------------------- lost events


async def test_a_follower_misses_nothing_when_redis_fails_for_a_moment(pair: Pair) -> None:
    """A viewer on another instance sees the whole answer, although the generating
    instance lost Redis for a moment in the middle of it."""
    chat = pair.chat()
    middle, rest = asyncio.Event(), asyncio.Event()
    steps: list[Step] = [AnswerText("one "), Wait(middle), AnswerText("two "), Wait(rest)]
    live = await pair.start(chat, [*steps, AnswerText("three"), Finish("STOP")])
    await pair.a.generation.relay.flush()
    follower = await pair.b.generation.attach(chat)
    assert follower is not None
    following = asyncio.create_task(collect(follower))
    pair.proxy.set_mode("dropping")
    middle.set()  # "two " is generated while A cannot reach Redis
    assert await asyncio.to_thread(pair.proxy.dropped.wait, 20)
    pair.proxy.set_mode("passing")
    rest.set()
    final = await pair.a.generation.wait(live)
    events = await following
    assert joined(events) == final["message"]["content"] == "one two three"
    assert events[-1]["type"] == "done"


async def test_a_follower_fills_in_from_the_database_what_the_relay_gave_up(pair: Pair) -> None:
    """Events the relay could not write at all: the viewer still gets all the text
    (from the saved answer) and the end."""
    pair.a.generation.relay.retry_for = 0  # give the deltas up at the first failure
    chat = pair.chat()
    middle, rest = asyncio.Event(), asyncio.Event()
    steps: list[Step] = [Thought("hmm "), AnswerText("one "), Wait(middle)]
    steps += [Thought("lost "), AnswerText("two "), AnswerText("three "), Wait(rest)]
    live = await pair.start(chat, [*steps, AnswerText("four"), Finish("STOP")])
    await pair.a.generation.relay.flush()
    follower = await pair.b.generation.attach(chat)
    assert follower is not None
    following = asyncio.create_task(collect(follower))
    pair.proxy.set_mode("dropping")
    middle.set()
    assert await asyncio.to_thread(pair.proxy.dropped.wait, 20)
    pair.proxy.set_mode("passing")
    await pair.a.generation.save_progress()
    rest.set()
    final = await pair.a.generation.wait(live)
    events = await following
    assert joined(events) == final["message"]["content"] == "one two three four"
    assert joined(events, "thinking") == final["message"]["thinking"] == "hmm lost "
    assert events[-1]["type"] == "done"


async def test_a_follower_sees_the_end_that_never_reached_the_stream(pair: Pair) -> None:
    """The generating instance loses Redis for good before the end: the viewer's answer
    still completes, with all its text."""
    pair.a.generation.relay.retry_for = 0
    pair.b.generation.relay.quiet_check = 0.2  # how soon a quiet follower asks the database
    chat = pair.chat()
    rest = asyncio.Event()
    live = await pair.start(chat, [AnswerText("one "), Wait(rest), AnswerText("two")])
    await pair.a.generation.relay.flush()
    follower = await pair.b.generation.attach(chat)
    assert follower is not None
    following = asyncio.create_task(collect(follower))
    pair.proxy.set_mode("dropping")
    rest.set()
    final = await pair.a.generation.wait(live)
    events = await following
    assert joined(events) == final["message"]["content"] == "one two"
    assert events[-1] == final


# --------------------------------------------------------------------------- attach cost


@dataclass
class Tally:
    commands: Counter[str]
    received: int = 0  # bytes of the replies, roughly

    def reset(self) -> None:
        self.commands.clear()
        self.received = 0


def _size(reply: Any) -> int:
    if isinstance(reply, bytes | str):
        return len(reply)
    if isinstance(reply, list | tuple):
        return sum(_size(item) for item in reply)
    if isinstance(reply, dict):
        return sum(_size(k) + _size(v) for k, v in reply.items())
    return 8


def counting_client(tally: Tally) -> aioredis.Redis:
    class Counting(aioredis.Connection):
        def pack_command(self, *args: Any) -> list[bytes]:
            name = str(args[0]).upper()
            if name not in ("HELLO", "CLIENT"):  # setting up a connection: not the work
                tally.commands[name] += 1
            return super().pack_command(*args)

        async def read_response(self, *args: Any, **kwargs: Any) -> Any:
            reply = await super().read_response(*args, **kwargs)
            if getattr(self, "_ready", False):  # not the replies while setting up
                tally.received += _size(reply)
            return reply

        async def on_connect_check_health(self, check_health: bool = True) -> None:
            self._ready = False
            await super().on_connect_check_health(check_health)
            self._ready = True

    pool = aioredis.ConnectionPool.from_url(REDIS_URL, connection_class=Counting)
    return aioredis.Redis(connection_pool=pool)


def count_b(pair: Pair) -> Tally:
    """Count what B asks Redis from now on."""
    tally = Tally(Counter())
    relay = pair.b.generation.relay
    relay.redis = relay.readers = counting_client(tally)
    return tally


async def attach_after(pair: Pair, tally: Tally, words: int) -> tuple[Tally, int]:
    """Attach on B to an answer of ``words`` words (all saved); what it cost."""
    chat = pair.chat()
    rest = asyncio.Event()
    steps: list[Step] = [AnswerText(f"w{i} ") for i in range(words)]
    live = await pair.start(chat, [*steps, Wait(rest), Finish("STOP")])
    local = pair.a.generation.subscribe_to(live)
    expected = "".join(f"w{i} " for i in range(words))
    seen = ""
    while len(seen) < len(expected):
        event = await local.next()
        if event is not None and event["type"] == "text":
            seen += event["delta"]
    await pair.a.generation.save_progress()
    await pair.a.generation.relay.flush()
    tally.reset()
    follower = await pair.b.generation.attach(chat)
    cost = Tally(Counter(tally.commands), tally.received)
    assert follower is not None
    replay = [await follower.next(timeout=5) for _ in range(2)]
    assert [e["type"] for e in replay] == ["start", "text"]
    assert replay[1]["delta"] == expected
    rest.set()
    await pair.a.generation.wait(live)
    return cost, chat


async def test_attaching_costs_the_same_for_a_short_and_a_long_answer(pair: Pair) -> None:
    """Every open tab of a long answer's chat reads only the stream's recent tail."""
    tally = count_b(pair)
    short, _ = await attach_after(pair, tally, 20)
    long, _ = await attach_after(pair, tally, 2000)
    print(
        f"\nattach: 20 words {dict(short.commands)} {short.received} B from Redis; "
        f"2000 words {dict(long.commands)} {long.received} B"
    )
    assert sum(long.commands.values()) == sum(short.commands.values())
    assert long.received < 2 * short.received


async def test_a_finished_stream_is_not_read_again(pair: Pair) -> None:
    """A tab that looks after the answer ended reads one small field, not the stream."""
    tally = count_b(pair)
    _cost, chat = await attach_after(pair, tally, 300)
    await pair.a.generation.relay.flush()
    tally.reset()
    assert await pair.b.generation.attach(chat) is None
    read = {"XRANGE", "XREVRANGE", "XREAD"} & set(tally.commands)
    assert not read, dict(tally.commands)
    assert sum(tally.commands.values()) <= 1


async def test_a_page_hears_of_answers_from_the_news_without_asking_redis(pair: Pair) -> None:
    """The chat page's watch asks nobody each second; it hears when an answer starts
    on another instance and when it ends."""
    relay = pair.b.generation.relay
    relay.listen_for_stops(pair.b.generation.stop)
    chat = pair.chat()
    tally = count_b(pair)
    for _ in range(100):  # a hundred watch ticks of an idle chat
        assert not pair.b.generation.answer_running(chat)
    assert sum(tally.commands.values()) == 0
    rest = asyncio.Event()
    live = await pair.start(chat, [AnswerText("hi"), Wait(rest), Finish("STOP")])
    async with asyncio.timeout(20):
        await relay.wait_for_news(lambda: pair.b.generation.answer_running(chat))
    rest.set()
    await pair.a.generation.wait(live)
    async with asyncio.timeout(20):
        await relay.wait_for_news(lambda: not pair.b.generation.answer_running(chat))
