"""The message tree in the services: paging the current path in a bounded number of
queries, versions, moving the path, the history sent, and deleting every branch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlmodel import col, func, select

from beykusay.db import get_engine, init_engine, new_session
from beykusay.models import Chat, Message, User
from beykusay.services import accounts, chats, messages, tree
from beykusay.services.errors import Conflict, InvalidReference, NotFound
from tests.databases import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def chat_id(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[int]:
    with fresh_database(request.param, tmp_path) as url:
        init_engine(url)
        with new_session() as session:
            user = accounts.register_user(session=session, username="ada", password="x" * 8)
            chat = chats.create_chat(session=session, user=user)
        assert chat.id is not None
        yield chat.id
        get_engine().dispose()


def add(chat_id: int, parent: int | None, role: str, content: str, *, leaf: bool = True) -> int:
    """One message under ``parent``; it becomes the chat's leaf unless told otherwise."""
    with new_session() as session:
        message = Message(chat_id=chat_id, parent_id=parent, role=role, content=content)
        session.add(message)
        session.flush()
        if leaf:
            chat = session.get(Chat, chat_id)
            assert chat is not None
            chat.current_leaf_id = message.id
            session.add(chat)
        session.commit()
        assert message.id is not None
        return message.id


def linear(chat_id: int, count: int, parent: int | None = None) -> list[int]:
    ids = []
    for n in range(count):
        parent = add(chat_id, parent, "user" if n % 2 == 0 else "assistant", f"m{n}")
        ids.append(parent)
    return ids


def page(chat_id: int, **kwargs: int) -> tree.PathPage:
    with new_session() as session:
        return tree.current_page(session=session, chat_id=chat_id, **kwargs)


@contextmanager
def counted() -> Iterator[list[str]]:
    """The SQL statements run meanwhile."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)


def test_a_page_of_the_path_costs_two_queries_however_long_and_branched(chat_id: int) -> None:
    """A chat with many versions opens as fast, in queries, as a short plain one."""
    ids = linear(chat_id, 120)
    for index in range(1, 120, 10):  # a second version of every tenth message
        add(chat_id, ids[index - 1], "assistant" if index % 2 else "user", "v2", leaf=False)
    for size in (5, 50):
        with counted() as statements:
            shown = page(chat_id, limit=size)
        assert len(statements) == 2, statements
        assert [m.id for m in shown.messages] == ids[-size:]
        assert shown.has_more
    with counted() as statements:
        older = page(chat_id, limit=50, before=ids[20])
    assert len(statements) == 2
    assert [m.id for m in older.messages] == ids[:20] and not older.has_more
    assert older.sibling_ids[ids[11]] == [ids[11], ids[-1] + 2]  # the second version added
    assert older.sibling_ids[ids[10]] == [ids[10]]


def test_first_messages_are_versions_of_each_other_within_their_chat(chat_id: int) -> None:
    with new_session() as session:
        owner = session.get(User, 1)
        assert owner is not None
        other = chats.create_chat(session=session, user=owner)
    other_root = add(other.id or 0, None, "user", "elsewhere")
    first = add(chat_id, None, "user", "first")
    second = add(chat_id, None, "user", "second")
    assert page(chat_id).sibling_ids == {second: [first, second]}
    assert page(other.id or 0).sibling_ids == {other_root: [other_root]}


def test_switching_goes_down_to_the_newest_leaf_below(chat_id: int) -> None:
    q1, a1, q2, a2 = linear(chat_id, 4)
    q2b = add(chat_id, a1, "user", "q2b")
    a2b = add(chat_id, q2b, "assistant", "a2b")
    a2c = add(chat_id, q2b, "assistant", "a2c")
    with new_session() as session:
        messages.switch_branch(session=session, chat_id=chat_id, message_id=q2)
    assert [m.id for m in page(chat_id).messages] == [q1, a1, q2, a2]
    with new_session() as session:
        messages.switch_branch(session=session, chat_id=chat_id, message_id=a1)
    assert [m.id for m in page(chat_id).messages] == [q1, a1, q2b, a2c]  # the newest leaf
    with new_session() as session:
        messages.switch_branch(session=session, chat_id=chat_id, message_id=a2b)
        assert tree.on_current_path(session=session, chat_id=chat_id, message_id=q2b)
        assert not tree.on_current_path(session=session, chat_id=chat_id, message_id=q2)
        with pytest.raises(NotFound):
            messages.switch_branch(session=session, chat_id=chat_id, message_id=10_000)
    assert [m.id for m in page(chat_id).messages] == [q1, a1, q2b, a2b]


def test_no_switch_and_no_edit_of_a_user_message_while_an_answer_streams(chat_id: int) -> None:
    q1, a1 = linear(chat_id, 2)
    with new_session() as session:
        with pytest.raises(InvalidReference):
            messages.start_turn(
                session=session,
                chat_id=chat_id,
                content="x",
                model="BeykusChat",
                instance_id="here",
                parent=q1,
            )
        turn = messages.start_turn(
            session=session,
            chat_id=chat_id,
            content="x",
            model="BeykusChat",
            instance_id="here",
            parent=a1,
        )
        assert turn.user_json["parent_id"] == a1
        with pytest.raises(Conflict):
            messages.switch_branch(session=session, chat_id=chat_id, message_id=q1)


def test_history_is_the_path_above_the_answer_only(chat_id: int) -> None:
    _q1, a1, _q2, _a2 = linear(chat_id, 4)
    q2b = add(chat_id, a1, "user", "other question")
    answer = add(chat_id, q2b, "assistant", "")
    with new_session() as session:
        turns, omitted = messages.history(
            session=session, chat_id=chat_id, before=answer, max_chars=10_000
        )
        assert [(t.role, t.text) for t in turns] == [
            ("user", "m0"),
            ("model", "m1"),
            ("user", "other question"),
        ]
        assert omitted == 0
        turns, omitted = messages.history(
            session=session, chat_id=chat_id, before=answer, max_chars=16
        )
    assert [t.text for t in turns] == ["other question"]
    assert omitted == 2


def test_deleting_a_chat_or_its_owner_takes_every_branch(chat_id: int) -> None:
    _q1, a1, *_ = linear(chat_id, 4)
    add(chat_id, a1, "user", "edited")
    add(chat_id, None, "user", "from the top")
    with new_session() as session:
        chat = session.get(Chat, chat_id)
        assert chat is not None
        owner = session.get(User, chat.user_id)
        assert owner is not None
        kept = chats.create_chat(session=session, user=owner)
    linear(kept.id or 0, 3)
    with new_session() as session:
        chats.delete_chat(
            session=session, chat=chats.get_chat(session=session, user_id=1, chat_id=chat_id)
        )
        left = session.exec(select(func.count()).select_from(Message)).one()
        assert left == 3  # only the other chat's
    linear(kept.id or 0, 2, parent=page(kept.id or 0).messages[-1].id)
    with new_session() as session:  # what an account's deletion does: one cascading statement
        session.exec(text("DELETE FROM users WHERE id = 1"))  # type: ignore[call-overload]
        session.commit()
        assert session.exec(select(func.count()).select_from(Message)).one() == 0
        assert session.exec(select(func.count()).select_from(Chat)).one() == 0
        assert session.exec(select(col(Message.id))).all() == []
