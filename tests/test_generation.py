"""The generation manager in-process: saving as it grows, stop, watchers, shutdown, recovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session
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
from tests.clock import Clock
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


class Commits:
    """Wakes the test after each committed transaction, from whatever thread made it."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.happened = asyncio.Event()

    def _committed(self, _session: Session) -> None:
        self.loop.call_soon_threadsafe(self.happened.set)

    async def until(self, check: Callable[[], bool]) -> None:
        """Return once ``check()`` holds, looking again after every commit."""
        async with asyncio.timeout(30):  # a guard against hanging only, not a measurement
            while True:
                self.happened.clear()
                if check():
                    return
                await self.happened.wait()

    def __enter__(self) -> Commits:
        event.listen(Session, "after_commit", self._committed)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(Session, "after_commit", self._committed)


async def test_answer_is_saved_while_it_grows_and_at_the_end(world) -> None:
    """While the model is still writing, a reader of the database already finds the
    answer so far (thoughts too) marked streaming; at the end, complete with its usage."""
    state, provider, user, chat_id = world
    pause = Wait()
    provider.enqueue(
        [
            Thought("hmm"),
            AnswerText("Hel"),
            AnswerText("lo"),
            pause,
            AnswerText("!"),
            Usage(prompt_tokens=3, output_tokens=2, total_tokens=5),
            Finish("STOP"),
        ]
    )
    with Commits() as commits:
        live = await state.generation.send(
            user=user, chat_id=chat_id, content="hi", model="BeykusChat"
        )
        await pause.reached.wait()  # the model has sent "Hello" and now says nothing
        # the saver writes it by itself (nobody calls save_progress): wait for that commit
        await commits.until(lambda: stored(live.message_id).content == "Hello")
    growing = stored(live.message_id)
    assert (growing.status, growing.content, growing.thinking) == ("streaming", "Hello", "hmm")
    pause.gate.set()
    final = await state.generation.wait(live)
    assert final["message"]["status"] == "complete"
    done = stored(live.message_id)
    assert (done.content, done.status, done.output_tokens) == ("Hello!", "complete", 2)
    assert done.thinking_seconds is not None and done.thinking_seconds >= 0


async def test_second_send_in_the_same_chat_is_a_conflict(world) -> None:
    """Sending again while an answer is being written is refused (409 in the API); the
    answer under way is not disturbed and finishes as usual."""
    state, provider, user, chat_id = world
    pause = Wait()
    provider.enqueue([AnswerText("a"), pause, Finish("STOP")])
    live = await state.generation.send(user=user, chat_id=chat_id, content="1", model="BeykusChat")
    with pytest.raises(Conflict):
        await state.generation.send(user=user, chat_id=chat_id, content="2", model="BeykusChat")
    pause.gate.set()
    final = await state.generation.wait(live)
    assert (final["message"]["status"], final["message"]["content"]) == ("complete", "a")
    assert len(provider.requests) == 1  # the refused send never reached the model


async def test_stop_keeps_what_arrived(world) -> None:
    """Stop while the model is mid-answer: the answer is saved as stopped with the text
    that had arrived; stopping again has nothing to stop."""
    state, provider, user, chat_id = world
    pause = Wait()  # never let go: only the stop ends this answer
    provider.enqueue([AnswerText("partial"), pause])
    live = await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    await pause.reached.wait()  # "partial" has arrived
    assert await state.generation.stop(chat_id) is True
    assert await state.generation.stop(chat_id) is False
    message = stored(live.message_id)
    assert (message.status, message.content) == ("stopped", "partial")


async def test_a_late_watcher_gets_everything_so_far_then_live(world) -> None:
    """A tab opened mid-answer first gets the thoughts and text so far (one event each),
    then the rest live, then the end; once it is over there is nothing to follow."""
    state, provider, user, chat_id = world
    pause = Wait()
    provider.enqueue(
        [Thought("plan"), AnswerText("one "), pause, AnswerText("two"), Finish("STOP")]
    )
    await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusSmallR")
    await pause.reached.wait()  # "plan" and "one " have arrived; "two" has not
    subscription = state.generation.subscribe(chat_id)
    assert subscription is not None
    pause.gate.set()
    events = [event async for event in subscription]
    kinds = [event["type"] for event in events]
    assert kinds == ["start", "thinking", "text", "text", "done"]
    assert [events[1]["delta"], events[2]["delta"], events[3]["delta"]] == ["plan", "one ", "two"]
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
    """On shutdown an answer that ends within the grace period is saved complete; one that
    does not is saved interrupted with its text; new messages are refused meanwhile."""
    state, provider, user, chat_id = world
    with new_session() as session:
        other = chats.create_chat(session=session, user=session.get(User, user.id))
        session.expunge_all()
    quick_pause, slow_pause = Wait(), Wait()  # the slow one is never let go
    provider.enqueue([AnswerText("quick"), quick_pause, Finish("STOP")])
    provider.enqueue([AnswerText("slow"), slow_pause])
    quick = await state.generation.send(user=user, chat_id=chat_id, content="a", model="BeykusChat")
    slow = await state.generation.send(user=user, chat_id=other.id, content="b", model="BeykusChat")
    await quick_pause.reached.wait()
    await slow_pause.reached.wait()

    async def finish_quick_once_shutting_down() -> None:
        # Tasks start in the order they were created: shutdown has run up to its wait.
        assert not state.generation.accepting
        quick_pause.gate.set()

    # a grace long enough for the quick answer's last save on a busy machine; the slow
    # answer waits all of it out, so it is the test's running time, not an assertion
    shutting = asyncio.create_task(state.generation.shutdown(grace=2.0))
    await asyncio.gather(shutting, asyncio.create_task(finish_quick_once_shutting_down()))
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
    """With two answers being written for a user, a third chat's message is refused with
    a reason; once they finish, it goes through."""
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
        assert (await state.generation.wait(live))["message"]["status"] == "complete"
    # with those two done, the third chat may have its answer
    provider.enqueue([AnswerText("b"), Finish("STOP")])
    third = await state.generation.send(
        user=user, chat_id=chat_ids[2], content="x", model="BeykusChat"
    )
    assert (await state.generation.wait(third))["message"]["content"] == "b"


async def test_sending_too_fast_is_refused_with_a_wait(world) -> None:
    """Two messages in a minute are allowed, the third is refused with how long to wait
    (the whole minute, since the clock has not moved); when the minute is up it goes."""
    state, provider, user, chat_id = world
    clock = Clock()
    state.generation.send_limiter = SlidingWindowLimiter(limit=2, window=60, clock=clock)
    for _ in range(2):
        provider.enqueue([AnswerText("ok"), Finish("STOP")])
        live = await state.generation.send(
            user=user, chat_id=chat_id, content="x", model="BeykusChat"
        )
        await state.generation.wait(live)
    with pytest.raises(TooManyAttempts) as refused:
        await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    assert refused.value.retry_after == 60
    clock.advance(45)
    with pytest.raises(TooManyAttempts) as refused:
        await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    assert refused.value.retry_after == 15
    clock.advance(15)
    provider.enqueue([AnswerText("ok"), Finish("STOP")])
    live = await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    assert (await state.generation.wait(live))["message"]["status"] == "complete"
