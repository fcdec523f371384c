"""The generation manager in-process: saving as it grows, stop, watchers, shutdown, recovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from beykusay.app import build_state
from beykusay.config import Settings
from beykusay.db import get_engine, init_engine, new_session
from beykusay.models import Message, User
from beykusay.providers.base import AnswerText, Finish, ProviderError, Thought, Usage
from beykusay.ratelimit import SlidingWindowLimiter
from beykusay.services import accounts, chats
from beykusay.services.errors import Conflict, TooManyAttempts
from beykusay.services.messages import interrupt_streaming
from beykusay.state import AppState
from tests.databases import BACKENDS, fresh_database
from tests.scripted import ScriptedProvider, Wait


@pytest.fixture(params=BACKENDS)
async def world(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[AppState, ScriptedProvider, User, int]]:
    with fresh_database(request.param, tmp_path) as url:
        async for world in _world(url, tmp_path):
            yield world


async def _world(
    url: str, tmp_path: Path
) -> AsyncIterator[tuple[AppState, ScriptedProvider, User, int]]:
    settings = Settings(
        data_dir=tmp_path, database_url=url, save_interval=0.05, shutdown_grace_seconds=0.2
    )
    init_engine(settings.sqlalchemy_url)
    state = build_state(settings)
    provider = ScriptedProvider()
    state.provider = state.generation.provider = provider
    with new_session() as session:
        user = accounts.register_user(session=session, username="ada", password="x" * 8)
        chat = chats.create_chat(session=session, user=user)
        session.expunge_all()
    assert chat.id is not None
    yield state, provider, user, chat.id
    await state.generation.shutdown()
    get_engine().dispose()


def stored(message_id: int) -> Message:
    with new_session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


async def test_answer_is_saved_while_it_grows_and_at_the_end(world) -> None:
    state, provider, user, chat_id = world
    gate = asyncio.Event()
    provider.enqueue(
        [
            Thought("hmm"),
            AnswerText("Hel"),
            AnswerText("lo"),
            Wait(gate),
            AnswerText("!"),
            Usage(prompt_tokens=3, output_tokens=2, total_tokens=5),
            Finish("STOP"),
        ]
    )
    live = await state.generation.send(user=user, chat_id=chat_id, content="hi", model="BeykusChat")
    await asyncio.sleep(0.3)  # several save intervals
    growing = stored(live.message_id)
    assert (growing.status, growing.content, growing.thinking) == ("streaming", "Hello", "hmm")
    gate.set()
    final = await state.generation.wait(live)
    assert final["message"]["status"] == "complete"
    done = stored(live.message_id)
    assert (done.content, done.status, done.output_tokens) == ("Hello!", "complete", 2)
    assert done.thinking_seconds is not None and done.thinking_seconds >= 0


async def test_second_send_in_the_same_chat_is_a_conflict(world) -> None:
    state, provider, user, chat_id = world
    gate = asyncio.Event()
    provider.enqueue([AnswerText("a"), Wait(gate), Finish("STOP")])
    live = await state.generation.send(user=user, chat_id=chat_id, content="1", model="BeykusChat")
    with pytest.raises(Conflict):
        await state.generation.send(user=user, chat_id=chat_id, content="2", model="BeykusChat")
    gate.set()
    await state.generation.wait(live)


async def test_stop_keeps_what_arrived(world) -> None:
    state, provider, user, chat_id = world
    provider.enqueue([AnswerText("partial"), Wait(asyncio.Event())])
    live = await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    await asyncio.sleep(0.05)
    assert await state.generation.stop(chat_id) is True
    assert await state.generation.stop(chat_id) is False
    message = stored(live.message_id)
    assert (message.status, message.content) == ("stopped", "partial")


async def test_a_late_watcher_gets_everything_so_far_then_live(world) -> None:
    state, provider, user, chat_id = world
    gate = asyncio.Event()
    provider.enqueue(
        [Thought("plan"), AnswerText("one "), Wait(gate), AnswerText("two"), Finish("STOP")]
    )
    await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusSmallR")
    await asyncio.sleep(0.05)
    subscription = state.generation.subscribe(chat_id)
    assert subscription is not None
    gate.set()
    events = [event async for event in subscription]
    kinds = [event["type"] for event in events]
    assert kinds == ["start", "thinking", "text", "text", "done"]
    assert events[2]["delta"] + events[3]["delta"] == "one two"
    assert state.generation.subscribe(chat_id) is None


async def test_provider_error_keeps_partial_text(world) -> None:
    state, provider, user, chat_id = world
    provider.enqueue(
        [AnswerText("so far"), ProviderError("Gemini is busy.", retryable=True, code="overloaded")]
    )
    live = await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    final = await state.generation.wait(live)
    assert final["type"] == "error"
    assert final["message"]["error"] == "Gemini is busy."
    assert final["message"]["error_code"] == "overloaded"
    assert stored(live.message_id).content == "so far"
    assert stored(live.message_id).error_code == "overloaded"


@pytest.mark.parametrize(
    ("reason", "status", "code"),
    [
        ("STOP", "complete", None),
        ("MAX_TOKENS", "complete", None),
        ("SAFETY", "error", "safety"),
        ("RECITATION", "error", "recitation"),
        ("OTHER", "error", "unexpected_finish"),
    ],
)
async def test_finish_reasons(world, reason: str, status: str, code: str | None) -> None:
    state, provider, user, chat_id = world
    provider.enqueue([AnswerText("text"), Finish(reason)])
    live = await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    final = await state.generation.wait(live)
    assert final["message"]["status"] == status
    assert final["message"]["error_code"] == code
    assert stored(live.message_id).finish_reason == reason


async def test_an_empty_answer_is_an_error_with_its_code(world) -> None:
    state, provider, user, chat_id = world
    provider.enqueue([AnswerText("  "), Finish("STOP")])
    live = await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    final = await state.generation.wait(live)
    assert final["message"]["status"] == "error"
    assert final["message"]["error_code"] == "empty"


async def test_stream_without_finish_reason_is_an_error(world) -> None:
    state, provider, user, chat_id = world
    provider.enqueue([AnswerText("cut off")])
    live = await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    final = await state.generation.wait(live)
    assert final["message"]["status"] == "error"
    assert final["message"]["content"] == "cut off"


async def test_shutdown_lets_short_answers_finish_and_interrupts_long_ones(world) -> None:
    state, provider, user, chat_id = world
    with new_session() as session:
        other = chats.create_chat(session=session, user=session.get(User, user.id))
        session.expunge_all()
    provider.enqueue([AnswerText("quick"), Wait(seconds=0.05), Finish("STOP")])
    provider.enqueue([AnswerText("slow"), Wait(asyncio.Event())])
    quick = await state.generation.send(user=user, chat_id=chat_id, content="a", model="BeykusChat")
    slow = await state.generation.send(user=user, chat_id=other.id, content="b", model="BeykusChat")
    await state.generation.shutdown()
    assert stored(quick.message_id).status == "complete"
    assert (stored(slow.message_id).status, stored(slow.message_id).content) == (
        "interrupted",
        "slow",
    )
    with pytest.raises(Exception, match="restarting"):
        await state.generation.send(user=user, chat_id=chat_id, content="c", model="BeykusChat")


async def test_answers_left_streaming_become_interrupted_at_start(world) -> None:
    _state, _provider, _user, chat_id = world
    with new_session() as session:
        session.add(Message(chat_id=chat_id, role="assistant", content="half", status="streaming"))
        session.commit()
        assert interrupt_streaming(session=session) == 1
        rows = session.exec(select(Message).where(Message.chat_id == chat_id)).all()
    assert [(m.status, m.content) for m in rows] == [("interrupted", "half")]


async def test_history_and_system_instruction_reach_the_provider(world) -> None:
    state, provider, user, chat_id = world
    provider.enqueue([AnswerText("first answer"), Finish("STOP")])
    provider.enqueue([AnswerText("second answer"), Finish("STOP")])
    for content in ("first", "second"):
        live = await state.generation.send(
            user=user, chat_id=chat_id, content=content, model="BeykusSmall"
        )
        await state.generation.wait(live)
    request = provider.requests[-1]
    assert [(t.role, t.text) for t in request.history] == [
        ("user", "first"),
        ("model", "first answer"),
        ("user", "second"),
    ]
    assert "Beykus" in request.system_instruction and request.model == "gemini-2.5-flash-lite"


async def test_old_turns_are_left_out_to_fit_the_history_budget(world) -> None:
    state, provider, user, chat_id = world
    state.settings.history_max_chars = 1000
    for index in range(4):
        provider.enqueue([AnswerText(f"answer {index} " + "x" * 600), Finish("STOP")])
        live = await state.generation.send(
            user=user, chat_id=chat_id, content=f"question {index}", model="BeykusChat"
        )
        await state.generation.wait(live)
    request = provider.requests[-1]
    kept = sum(len(turn.text) for turn in request.history)
    assert kept <= 1000
    assert request.history[0].role == "user" and request.history[-1].text == "question 3"
    assert "question 0" not in [turn.text for turn in request.history]
    assert request.system_instruction  # always sent, whatever the budget
    assert stored(live.message_id).history_omitted == 4  # question 0 and 1, their answers


async def test_a_user_has_a_bounded_number_of_answers_at_once(world) -> None:
    state, provider, user, _chat_id = world
    state.settings.max_answers_per_user = 2
    with new_session() as session:
        owner = session.get(User, user.id)
        chat_ids = [chats.create_chat(session=session, user=owner).id for _ in range(3)]
    gate = asyncio.Event()
    for _ in range(2):
        provider.enqueue([AnswerText("a"), Wait(gate), Finish("STOP")])
    lives = [
        await state.generation.send(user=user, chat_id=chat, content="x", model="BeykusChat")
        for chat in chat_ids[:2]
    ]
    with pytest.raises(TooManyAttempts, match="answers being generated"):
        await state.generation.send(user=user, chat_id=chat_ids[2], content="x", model="BeykusChat")
    gate.set()
    for live in lives:
        await state.generation.wait(live)


async def test_sending_too_fast_is_refused_with_a_wait(world) -> None:
    state, provider, user, chat_id = world
    state.generation.send_limiter = SlidingWindowLimiter(limit=2, window=60)
    for _ in range(2):
        provider.enqueue([AnswerText("ok"), Finish("STOP")])
        live = await state.generation.send(
            user=user, chat_id=chat_id, content="x", model="BeykusChat"
        )
        await state.generation.wait(live)
    with pytest.raises(TooManyAttempts) as refused:
        await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    assert 50 <= refused.value.retry_after <= 60
