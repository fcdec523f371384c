"""Usage bookkeeping in the service: an answer counts once, showing usage reads a few
rows (never the messages), and the limit's message names the reset date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import event

from beykusay.db import get_engine, init_engine, new_session
from beykusay.models import STREAMING, Chat, Message, User
from beykusay.services import usage
from tests.databases import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def user_id(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[int]:
    with fresh_database(request.param, tmp_path) as url:
        init_engine(url)
        with new_session() as session:
            user = User(username="ada", username_key="ada", password_hash="x")
            session.add(user)
            session.commit()
            assert user.id is not None
            yield user.id
        get_engine().dispose()


def finish(user_id: int, values: dict, *, twice: bool = False) -> None:
    """An answer streams, then its final values are stored (maybe again, by a repair)."""
    with new_session() as session:
        chat = Chat(user_id=user_id, title="t", model="BeykusChat")
        session.add(chat)
        session.flush()
        answer = Message(chat_id=chat.id or 0, role="assistant", status=STREAMING)
        session.add(answer)
        session.commit()
        for _ in range(2 if twice else 1):
            usage.count_answer(session=session, answer=answer, values=values)
            for name, value in values.items():
                setattr(answer, name, value)
            session.add(answer)
            session.commit()


def test_an_answer_saved_twice_counts_once(user_id: int) -> None:
    """A final save repeated after a failure does not double the user's tokens."""
    values = {"status": "complete", "prompt_tokens": 10, "output_tokens": 5, "thinking_tokens": 2}
    finish(user_id, values, twice=True)
    finish(user_id, {"status": "error", "error": "boom"})  # an answer without usage
    with new_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        report = usage.usage_report(session=session, user=user)
    (day,) = report.days
    assert (day.messages, day.prompt_tokens, day.output_tokens, day.thinking_tokens) == (
        2,
        10,
        5,
        2,
    )
    assert report.month_tokens == 17


def test_showing_usage_takes_two_small_queries_however_many_answers(user_id: int) -> None:
    """The settings chart reads the usage table only: the same queries for 1 or 40 answers."""

    def queries_for_report() -> list[str]:
        seen: list[str] = []

        def note(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(get_engine(), "before_cursor_execute", note)
        try:
            with new_session() as session:
                user = session.get(User, user_id)
                seen.clear()
                assert user is not None
                usage.usage_report(session=session, user=user)
        finally:
            event.remove(get_engine(), "before_cursor_execute", note)
        return seen

    finish(user_id, {"status": "complete", "prompt_tokens": 1, "output_tokens": 1})
    few = queries_for_report()
    for _ in range(40):
        finish(user_id, {"status": "complete", "prompt_tokens": 1, "output_tokens": 1})
    many = queries_for_report()
    assert len(few) == len(many) == 2
    assert all("FROM usage_days" in sql and "JOIN" not in sql for sql in many)


def test_the_limit_says_when_the_month_resets() -> None:
    """The 429's message gives the first day of next month, also across the year's end."""
    now = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    reached = usage.LimitReached(1000, usage.next_month(now.date()), now)
    assert "2027-01-01" in reached.message and "1,000" in reached.message
    assert reached.retry_after == 3600
    assert usage.next_month(date(2026, 1, 31)) == date(2026, 2, 1)
