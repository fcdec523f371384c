"""Sends that race something over real HTTP: the chat's deletion, and each other."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, create_engine

from beykusay.models import Chat
from beykusay.services import chats
from tests import fakegemini as g
from tests.apihelpers import (
    assert_error_body,
    assert_message,
    make_user,
    new_chat,
    open_stream,
    read_until,
    wait_for,
)
from tests.fakegemini import FakeGemini
from tests.sse import iter_events


@pytest.fixture
def database(database_url: str) -> Iterator[Engine]:
    """The server's own database, reached directly (as another instance or the CLI would)."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def test_an_answer_whose_chat_is_deleted_elsewhere_ends_with_a_whole_message(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini, database: Engine
) -> None:
    """A client streaming an answer whose chat was deleted meanwhile (by another instance,
    or the operator) still gets a final event with a complete message: its id, chat_id,
    role, created_at and every other field a client reads."""
    gemini.enqueue([g.text("Doomed "), g.pause(0.5), g.text("answer"), g.finish()])
    chat = new_chat(api, auth)["id"]
    with open_stream(api, auth, f"/chats/{chat}/messages", {"content": "x"}) as events:
        start = read_until(events, "text")[0]
        with Session(database) as session:
            chats.delete_chat(session=session, chat=session.get(Chat, chat))
        final = read_until(events, "done")[-1]
    message = assert_message(final["message"])
    assert (message["id"], message["chat_id"], message["role"]) == (
        start["assistant_message_id"],
        chat,
        "assistant",
    )
    assert message["content"] == "Doomed answer"


def test_a_send_that_races_the_deletion_of_its_chat_is_404(
    server: str, auth: dict[str, str], database: Engine, database_url: str
) -> None:
    """A chat deleted while a send to it is starting: the send answers like any missing
    chat (404 with a detail), not with a server error.

    The test holds the chat's row lock, so the send waits inside its start transaction
    (having found the chat already); the chat is deleted under that lock. Only PostgreSQL
    shows who waits on a lock; on SQLite starts take the database's write lock first."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL's pg_locks to see the send waiting")
    base = server + "/api"
    with httpx.Client(base_url=base, timeout=30) as api:
        chat = new_chat(api, auth)["id"]
    with database.connect() as holder, ThreadPoolExecutor(1) as pool:
        holder.execute(text("SELECT id FROM chats WHERE id = :id FOR UPDATE"), {"id": chat})

        def send() -> httpx.Response:
            with httpx.Client(base_url=base, timeout=30) as client:
                return client.post(
                    f"/chats/{chat}/messages",
                    params={"stream": "false"},
                    json={"content": "hello"},
                    headers=auth,
                )

        sending = pool.submit(send)
        wait_for(lambda: _waiting_for_a_lock(database) or sending.done())
        holder.execute(text("DELETE FROM messages WHERE chat_id = :id"), {"id": chat})
        holder.execute(text("DELETE FROM chats WHERE id = :id"), {"id": chat})
        holder.commit()
        response = sending.result(timeout=30)
    assert response.status_code == 404, response.text
    assert assert_error_body(response) == "Chat not found"


def _waiting_for_a_lock(database: Engine) -> bool:
    with database.connect() as connection:
        found = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return found > 0


def test_simultaneous_sends_of_one_user_start_exactly_the_cap(
    server: str, gemini: FakeGemini
) -> None:
    """A user sending to many chats at once gets exactly MAX_ANSWERS_PER_USER (3) answers;
    every other send is told to wait (429), never with a count above 3."""
    gemini.default = [g.text("Slow "), g.pause(30), g.text("answer"), g.finish()]
    base = server + "/api"
    with httpx.Client(base_url=base, timeout=30) as api:
        auth = make_user(api)[1]
        chat_ids = [new_chat(api, auth)["id"] for _ in range(16)]

    def send(chat: int) -> tuple[int, str]:
        with (
            httpx.Client(base_url=base, timeout=30) as client,
            client.stream(
                "POST", f"/chats/{chat}/messages", json={"content": "go"}, headers=auth
            ) as response,
        ):
            if response.status_code != 200:
                response.read()
                return response.status_code, assert_error_body(response)
            read_until(iter_events(response), "start")
            return 200, ""

    with ThreadPoolExecutor(len(chat_ids)) as pool:
        outcomes = list(pool.map(send, chat_ids))
    try:
        assert sorted(status for status, _ in outcomes) == [200] * 3 + [429] * 13, outcomes
        for status, detail in outcomes:
            if status == 429:
                claimed = re.search(r"You already have (\d+) answers", detail)
                assert claimed is not None and int(claimed.group(1)) <= 3, detail
    finally:
        with httpx.Client(base_url=base, timeout=30) as api:
            for chat in chat_ids:
                api.post(f"/chats/{chat}/stop", headers=auth)
