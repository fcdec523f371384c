"""The generation manager when things go wrong: failed or cancelled final saves, requests
cancelled while their turn commits, chats deleted under an answer, bursts of starts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from beykusay.app import build_state
from beykusay.config import Settings
from beykusay.db import get_engine, init_engine, new_session
from beykusay.models import Chat, Message, User
from beykusay.providers.base import AnswerText, Finish, GenerationRequest, ProviderEvent
from beykusay.schemas import MessageOut
from beykusay.services import accounts, chats, tree
from beykusay.services import messages as message_service
from beykusay.services.errors import Conflict, NotFound
from beykusay.state import AppState
from tests.databases import BACKENDS, fresh_database
from tests.scripted import ScriptedProvider, Wait

T = TypeVar("T")
World = tuple[AppState, "SignallingProvider", User, int]


class SignallingProvider(ScriptedProvider):
    """A scripted provider that also says when an answer began to stream."""

    def __init__(self) -> None:
        super().__init__()
        self.streaming = asyncio.Event()

    async def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        self.streaming.set()
        async for step in super().stream(request):
            yield step


@pytest.fixture(params=BACKENDS)
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    with fresh_database(request.param, tmp_path) as url:
        settings = Settings(
            data_dir=tmp_path, database_url=url, save_interval=0.05, shutdown_grace_seconds=0.2
        )
        init_engine(settings.sqlalchemy_url)
        state = build_state(settings)
        provider = SignallingProvider()
        state.provider = state.generation.provider = provider
        with new_session() as session:
            user = accounts.register_user(session=session, username="ada", password="x" * 8)
            chat = chats.create_chat(session=session, user=user)
            session.expunge_all()
        assert chat.id is not None
        yield state, provider, user, chat.id
        await state.generation.shutdown()
        get_engine().dispose()


async def ends(awaitable: Awaitable[T]) -> T:
    """Await something that must end: a guard that fails a hang, not a timing assertion."""
    return await asyncio.wait_for(awaitable, 20)


async def happened(flag: threading.Event) -> None:
    """Wait for something a worker thread signals."""
    assert await asyncio.to_thread(flag.wait, 20), "it never happened"


def stored(message_id: int) -> Message:
    with new_session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def assert_message_out(message: dict[str, Any], chat_id: int) -> None:
    """A final event's message has every field the API promises, and the right ones."""
    assert set(message) >= set(MessageOut.model_fields), message
    MessageOut.model_validate(message)
    assert (message["chat_id"], message["role"]) == (chat_id, "assistant")


class FlakyFinalSaves:
    """``finish_answer`` that fails its first ``failures`` calls, as a database that is
    briefly unreachable would; ``block_first`` makes the first call wait for a gate."""

    def __init__(self, failures: int, *, block_first: bool = False) -> None:
        self.failures = failures
        self.block_first = block_first
        self.calls = 0
        self.failed = threading.Event()  # the first failure happened
        self.entered = threading.Event()  # the first call began
        self.gate = threading.Event()
        self.stored = threading.Event()  # the final state went through to the database
        self.real = message_service.finish_answer

    def __call__(self, **kwargs: Any) -> Message | None:
        self.calls += 1
        call = self.calls
        if call == 1:
            self.entered.set()
            if self.block_first:
                self.gate.wait(20)
        if call <= self.failures:
            self.failed.set()
            raise OperationalError("UPDATE messages", {}, Exception("database unreachable"))
        saved = self.real(**kwargs)
        if "content" in kwargs["values"]:  # the whole final state, not just its status
            self.stored.set()
        return saved


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FlakyFinalSaves]:
    def install(failures: int, *, block_first: bool = False) -> FlakyFinalSaves:
        saves = FlakyFinalSaves(failures, block_first=block_first)
        monkeypatch.setattr(message_service, "finish_answer", saves)
        return saves

    return install


# --------------------------------------------------------------------------- final saves


async def test_an_answer_whose_final_save_keeps_failing_still_ends_and_is_stored_later(
    world: World, flaky: Callable[..., FlakyFinalSaves]
) -> None:
    """A user whose answer's last save met a database hiccup sees the answer end at once
    (not a spinner forever), and it is stored as soon as the database is back; the chat
    then takes the next message instead of answering 409 until a restart."""
    state, provider, user, chat_id = world
    saves = flaky(failures=4)
    provider.enqueue([AnswerText("Hello"), Finish("STOP")])
    live = await state.generation.send(user=user, chat_id=chat_id, content="hi", model="BeykusChat")
    final = await ends(state.generation.wait(live))
    assert final["type"] == "done"
    assert final["message"]["content"] == "Hello"
    assert_message_out(final["message"], chat_id)
    assert state.generation.running(chat_id) is None
    await happened(saves.stored)
    answer = stored(live.message_id)
    assert (answer.status, answer.content, answer.finish_reason) == ("complete", "Hello", "STOP")
    provider.enqueue([AnswerText("Again"), Finish("STOP")])
    again = await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    assert (await ends(state.generation.wait(again)))["message"]["content"] == "Again"


async def test_a_stop_during_the_retry_of_a_failed_final_save_still_ends_the_answer(
    world: World, flaky: Callable[..., FlakyFinalSaves]
) -> None:
    """Pressing stop twice while the server retries a failed save must not leave the
    answer hanging: both stops return, watchers get the end, the answer is stored."""
    state, provider, user, chat_id = world
    saves = flaky(failures=2)
    provider.enqueue([AnswerText("partial"), Wait(asyncio.Event())])
    live = await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    watcher = state.generation.subscribe_to(live)
    await provider.streaming.wait()
    first_stop = asyncio.create_task(state.generation.stop(chat_id))
    await happened(saves.failed)
    await ends(state.generation.stop(chat_id))  # the second stop, as the save is retried
    assert await ends(first_stop) is True
    events = [event async for event in watcher]
    assert events[-1]["type"] == "done"
    assert events[-1]["message"]["status"] == "stopped"
    assert_message_out(events[-1]["message"], chat_id)
    await happened(saves.stored)
    assert (stored(live.message_id).status, stored(live.message_id).content) == (
        "stopped",
        "partial",
    )


async def test_a_second_stop_while_the_final_save_runs_ends_the_answer_at_once(
    world: World, flaky: Callable[..., FlakyFinalSaves]
) -> None:
    """A save stuck on a slow database does not hold a second stop (or shutdown): the
    answer ends as stopped at once and is stored when the database answers."""
    state, provider, user, chat_id = world
    saves = flaky(failures=0, block_first=True)
    provider.enqueue([AnswerText("partial"), Wait(asyncio.Event())])
    live = await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    await provider.streaming.wait()
    first_stop = asyncio.create_task(state.generation.stop(chat_id))
    await happened(saves.entered)
    second_stop = asyncio.create_task(state.generation.stop(chat_id))
    final = await ends(state.generation.wait(live))
    assert final["message"]["status"] == "stopped"
    assert_message_out(final["message"], chat_id)
    saves.gate.set()
    await ends(asyncio.gather(first_stop, second_stop))
    await happened(saves.stored)
    assert stored(live.message_id).status == "stopped"


# --------------------------------------------------------------------------- cancelled starts


@contextmanager
def slow_turn_commit() -> Iterator[tuple[threading.Event, threading.Event]]:
    """The first INSERT of a message waits for a gate: a start caught mid-commit."""
    entered, gate = threading.Event(), threading.Event()
    engine = get_engine()

    def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO MESSAGES") and not entered.is_set():
            entered.set()
            gate.wait(20)

    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield entered, gate
    finally:
        gate.set()
        event.remove(engine, "before_cursor_execute", hold)


async def test_a_send_cancelled_while_its_turn_commits_keeps_the_chat_busy(world: World) -> None:
    """A browser that gives up on a send while the server is still saving it must not let
    a second send start a second answer in the same chat: that one is refused (409), and
    the first answer completes and is saved."""
    state, provider, user, chat_id = world
    provider.enqueue([AnswerText("The first answer"), Finish("STOP")])
    with slow_turn_commit() as (entered, gate):
        first = asyncio.create_task(
            state.generation.send(user=user, chat_id=chat_id, content="1", model="BeykusChat")
        )
        await happened(entered)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        with pytest.raises(Conflict):
            await ends(
                state.generation.send(user=user, chat_id=chat_id, content="2", model="BeykusChat")
            )
        gate.set()
        await ends(provider.streaming.wait())
    live = state.generation.running(chat_id)
    assert live is not None
    final = await ends(state.generation.wait(live))
    assert final["message"]["content"] == "The first answer"
    with new_session() as session:
        contents = [
            (m.role, m.content, m.status)
            for m in tree.current_page(session=session, chat_id=chat_id).messages
        ]
    assert contents == [("user", "1", "complete"), ("assistant", "The first answer", "complete")]


# --------------------------------------------------------------------------- deleted chats


async def test_starting_a_turn_in_a_deleted_chat_is_not_found(world: World) -> None:
    """A send that races the chat's deletion answers like any missing chat (404)."""
    _state, _provider, _user, chat_id = world
    with new_session() as session:
        chats.delete_chat(session=session, chat=session.get(Chat, chat_id))
    with new_session() as session, pytest.raises(NotFound):
        message_service.start_turn(
            session=session, chat_id=chat_id, content="x", model="BeykusChat", instance_id="i"
        )
    with new_session() as session, pytest.raises(NotFound):
        message_service.start_regeneration(
            session=session, chat_id=chat_id, model="BeykusChat", instance_id="i"
        )


async def test_an_answer_whose_chat_was_deleted_ends_with_a_whole_message(world: World) -> None:
    """When the chat goes away under a running answer (deleted elsewhere), watchers still
    get a final event whose message has every field a client reads."""
    state, provider, user, chat_id = world
    gate = asyncio.Event()
    provider.enqueue([AnswerText("Doomed"), Wait(gate), Finish("STOP")])
    live = await state.generation.send(user=user, chat_id=chat_id, content="x", model="BeykusChat")
    await provider.streaming.wait()
    with new_session() as session:
        chats.delete_chat(session=session, chat=session.get(Chat, chat_id))
    gate.set()
    final = await ends(state.generation.wait(live))
    assert_message_out(final["message"], chat_id)
    assert (final["message"]["id"], final["message"]["content"]) == (live.message_id, "Doomed")
    assert final["message"]["model"] == "BeykusChat"


# --------------------------------------------------------------------------- batched starts


@contextmanager
def counted_commits() -> Iterator[list[int]]:
    """How many transactions the database committed meanwhile."""
    commits = [0]
    engine = get_engine()

    def count(_conn: Any) -> None:
        commits[0] += 1

    event.listen(engine, "commit", count)
    try:
        yield commits
    finally:
        event.remove(engine, "commit", count)


async def test_a_burst_of_sends_starts_in_one_transaction_and_refusals_stay_apart(
    world: World,
) -> None:
    """Many sends at once (a class hitting enter together) start in one shared
    transaction instead of queueing for the database one by one; the ones that must be
    refused (a deleted chat, a chat answered by another instance, a user over the cap)
    get their own 404, 409 or 429 while all the others start."""
    state, provider, user, first_chat = world
    state.settings.max_answers_per_user = 3
    with new_session() as session:
        owner = session.get(User, user.id)
        mine = [first_chat] + [chats.create_chat(session=session, user=owner).id for _ in range(3)]
        other = accounts.register_user(session=session, username="bob", password="y" * 8)
        theirs = [chats.create_chat(session=session, user=other).id for _ in range(4)]
        busy, gone = theirs[2], theirs[3]
        session.add(Message(chat_id=busy, role="assistant", status="streaming", instance_id="b"))
        chats.delete_chat(session=session, chat=session.get(Chat, gone))
        session.expunge_all()
    hold = asyncio.Event()
    for _ in range(5):
        provider.enqueue([Wait(hold), AnswerText("ok"), Finish("STOP")])
    targets = [(user, chat) for chat in mine] + [(other, chat) for chat in theirs]
    with counted_commits() as commits:
        outcomes = await ends(
            asyncio.gather(
                *(
                    state.generation.send(user=u, chat_id=c, content="hi", model="BeykusChat")
                    for u, c in targets
                ),
                return_exceptions=True,
            )
        )
    assert commits[0] == 1
    kinds = [type(o).__name__ for o in outcomes]
    started, refused = ["LiveAnswer"], ["TooManyAttempts", "Conflict", "NotFound"]
    assert kinds == started * 3 + refused[:1] + started * 2 + refused[1:]
    hold.set()
    for live in outcomes:
        if not isinstance(live, Exception):
            assert (await ends(state.generation.wait(live)))["message"]["content"] == "ok"
