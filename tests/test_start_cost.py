"""What starting an answer costs the server, counted (not timed): statements run by a
start and by its history, how the send route finds a burst's users and chats; and the
send route's answers to a bad request, which finding them together must not change."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlmodel import Session

from beykusay import app as app_module
from beykusay.api import deps
from beykusay.api.router import build_api
from beykusay.app import build_state
from beykusay.config import Settings
from beykusay.db import get_engine, init_engine, new_session
from beykusay.models import User
from beykusay.providers.base import AnswerText, Finish
from beykusay.services import accounts, chats
from beykusay.services import messages as message_service
from beykusay.services import senders as senders_module
from beykusay.state import AppState, set_state
from tests.databases import BACKENDS, fresh_database
from tests.scripted import ScriptedProvider


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    """The SQL statements the engine runs meanwhile."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(get_engine(), "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(get_engine(), "before_cursor_execute", note)


@pytest.fixture(params=BACKENDS)
def chat_id(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[int]:
    """A chat with one question and its answer, on a fresh database."""
    with fresh_database(request.param, tmp_path) as url:
        init_engine(url)
        with new_session() as session:
            user = accounts.register_user(session=session, username="ada", password="x" * 8)
            chat = chats.create_chat(session=session, user=user)
            assert chat.id is not None
            turn = _start(session, chat.id)
            message_service.finish_answer(
                session=session,
                message_id=turn.assistant_message.id or 0,
                values={"content": "An answer.", "status": "complete"},
            )
        yield chat.id
        get_engine().dispose()


def _start(session: Session, chat_id: int) -> message_service.Turnstart:
    return message_service.start_turn(
        session=session, chat_id=chat_id, content="A question?", model="BeykusChat", instance_id="t"
    )


def test_a_start_and_its_history_run_a_handful_of_statements(chat_id: int) -> None:
    """Under a burst every start runs these by the hundred: the claim is two statements
    after the locks, the rows are written without reading them back, and the history of
    a chat without files is two queries."""
    with new_session() as session, counted_statements() as seen:
        turn = _start(session, chat_id)
    # SQLite: BEGIN IMMEDIATE; PostgreSQL: the owner's row lock. Then the chat, the
    # checks, two inserts, the chat's new leaf, the question's versions.
    assert len(seen) <= 7, seen
    with new_session() as session, counted_statements() as seen:
        found = message_service.history_budget(
            session=session,
            chat_id=chat_id,
            before=turn.assistant_message.id or 0,
            max_chars=100_000,
        )
    assert len(seen) <= 2, seen
    assert [(t.role, t.text) for t in found.turns] == [
        ("user", "A question?"),
        ("model", "An answer."),
        ("user", "A question?"),
    ]
    assert turn.user_json["sibling_ids"] == [turn.user_message.id]
    assert turn.user_json["content"] == "A question?"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[AppState, httpx.AsyncClient, User]]:
    with fresh_database("sqlite", tmp_path) as url:
        settings = Settings(data_dir=tmp_path, database_url=url)
        init_engine(settings.sqlalchemy_url)
        state = build_state(settings)
        provider = ScriptedProvider()
        for _ in range(3):
            provider.enqueue([AnswerText("Hello."), Finish("STOP")])
        state.provider = state.generation.provider = provider
        set_state(state)
        with new_session() as session:
            user = accounts.register_user(session=session, username="ada", password="x" * 8)
            session.expunge_all()
        api = build_api(max_body_bytes=settings.max_body_bytes)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api), base_url="http://test/api", timeout=60
        ) as client:
            yield state, client, user
        await state.generation.shutdown()
        get_engine().dispose()


def _token_of(state: AppState, user: User) -> dict[str, str]:
    token = accounts.issue_token(user=user, settings=state.settings).token
    return {"Authorization": f"Bearer {token}"}


def _chat_of(user: User) -> int:
    with new_session() as session:
        chat = chats.create_chat(session=session, user=user)
        assert chat.id is not None
        return chat.id


async def test_sends_arriving_together_find_their_users_and_chats_together(
    world: tuple[AppState, httpx.AsyncClient, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst's users and chats are read in one batch (one thread hop, two statements),
    not in a session and a hop per request; each sender still gets their own chat."""
    state, client, user = world
    with new_session() as session:
        others = [
            accounts.register_user(session=session, username=f"user{i}", password="x" * 8)
            for i in range(4)
        ]
        session.expunge_all()
    senders = [user, *others]
    chat_ids = [_chat_of(sender) for sender in senders]
    for _ in range(len(senders)):
        state.provider.enqueue([AnswerText("Hello."), Finish("STOP")])  # type: ignore[attr-defined]
    batches: list[list[int | None]] = []
    real = app_module.find_senders

    def gated(session: Session, asks: Sequence[senders_module.Ask]) -> list[Any]:
        if not batches:  # the first batch waits until every send has asked
            deadline = time.monotonic() + 10
            while len(asks) + state.senders.waiting < len(senders):
                assert time.monotonic() < deadline, "the sends never all asked"
                time.sleep(0.005)
        batches.append([ask.chat_id for ask in asks])
        return real(session, asks)

    monkeypatch.setattr(app_module, "find_senders", gated)
    monkeypatch.setattr(deps, "new_session", None)  # no session of its own per request
    sent = await asyncio.gather(
        *(
            client.post(
                f"/chats/{chat}/messages?stream=false",
                json={"content": "hi"},
                headers=_token_of(state, sender),
            )
            for sender, chat in zip(senders, chat_ids, strict=True)
        )
    )
    assert [r.status_code for r in sent] == [201] * len(senders), [r.text for r in sent]
    assert [r.json()["user_message"]["chat_id"] for r in sent] == chat_ids
    assert len(batches) in (1, 2)  # those that came first, then all the others together
    assert sorted(chat for batch in batches for chat in batch if chat) == sorted(chat_ids)


async def test_a_bad_send_is_refused_as_before(
    world: tuple[AppState, httpx.AsyncClient, User],
) -> None:
    """401 before a bad chat id, 422 for a bad chat id, 404 before a bad body."""
    state, client, user = world
    with new_session() as session:
        other = accounts.register_user(session=session, username="bob", password="x" * 8)
        session.expunge_all()
    theirs, mine = _chat_of(other), _chat_of(user)
    auth = _token_of(state, user)
    for path in ("messages", "regenerate"):
        no_auth = await client.post(f"/chats/0/{path}", json={"content": "hi"})
        assert no_auth.status_code == 401, no_auth.text
        bad_id = await client.post(f"/chats/0/{path}", json={"content": "hi"}, headers=auth)
        assert bad_id.status_code == 422, bad_id.text
        assert bad_id.json()["detail"][0]["loc"] == ["path", "chat_id"]
        not_a_number = await client.post(f"/chats/x/{path}", json={}, headers=auth)
        assert not_a_number.status_code == 422, not_a_number.text
        not_theirs = await client.post(f"/chats/{theirs}/{path}", json={"x": 1}, headers=auth)
        assert not_theirs.status_code == 404, not_theirs.text
    bad_body = await client.post(f"/chats/{mine}/messages", json={"x": 1}, headers=auth)
    assert bad_body.status_code == 422, bad_body.text
    assert bad_body.json()["detail"][0]["loc"] == ["body", "content"]
