"""RowMaker makes the rows a start writes as the model's own ``__init__`` would, cheaply.

What a user would see if it did not: a question or answer saved with a wrong default
(a status, a count, a time), or an object the ORM cannot save or read back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlmodel import Session

from beykusay.db import get_engine, init_engine, new_session, utcnow
from beykusay.models import Chat, Message, RowMaker, User
from tests.databases import fresh_database

FIELDS = [
    {"chat_id": 1, "parent_id": 2, "role": "user", "content": "Hello?", "created_at": utcnow()},
    {"chat_id": 1, "parent_id": 3, "role": "assistant", "model": "m", "status": "streaming"},
    {"chat_id": 1, "role": "user", "content": "", "history_omitted": 4},
]


@pytest.mark.parametrize("values", FIELDS)
def test_a_row_is_the_one_init_makes(values: dict[str, object]) -> None:
    made, expected = RowMaker(Message)(**values), Message(**values)
    assert inspect(made).transient
    for column in [c.key for c in Message.__table__.columns]:  # type: ignore[attr-defined]
        ours, theirs = getattr(made, column), getattr(expected, column)
        if column in values or column not in ("created_at", "updated_at"):
            assert ours == theirs, column
        else:  # a factory's time, called for each row
            assert abs(ours - theirs) < timedelta(seconds=5), column


def test_each_row_gets_its_own_factory_values() -> None:
    make = RowMaker(Chat)
    first, second = make(user_id=1, title="A"), make(user_id=1, title="B")
    assert first.created_at <= second.created_at
    assert (first.title, second.title, first.auto_title, first.model) == ("A", "B", True, None)
    assert "title" not in make(user_id=1).__dict__  # a required field left out stays unset


@pytest.fixture
def database(tmp_path: Path) -> Iterator[None]:
    with fresh_database("sqlite", tmp_path) as url:
        init_engine(url)
        yield
        get_engine().dispose()


def test_a_row_saves_and_reads_back_like_any_other(database: None) -> None:
    with new_session() as session:
        user = User(username="ada", username_key="ada", password_hash="-")
        session.add(user)
        session.commit()
        chat = Chat(user_id=user.id or 0, title="Chat", model="BeykusChat")
        session.add(chat)
        session.commit()
        question = RowMaker(Message)(chat_id=chat.id, role="user", content="Saved?")
        session.add(question)
        session.commit()
        assert question.id is not None
        question_id = question.id
    with Session(get_engine()) as session:
        saved = session.get(Message, question_id)
        assert saved is not None
        assert (saved.content, saved.status, saved.history_omitted) == ("Saved?", "complete", 0)
