"""Tokens and answers per user per UTC day, the monthly limit, and what a user has used.

The ``usage_days`` table is added to when an answer finishes (and when a ``/v1`` call
does), so showing usage or checking the limit reads a month of one user's rows at most,
never the messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from beykusay.config import get_settings
from beykusay.db import utcnow
from beykusay.models import STREAMING, Chat, Message, User
from beykusay.services.errors import ServiceError
from beykusay.team_models import UsageDay

TOKEN_FIELDS = ("prompt_tokens", "output_tokens", "thinking_tokens")
DAY_TOKENS = UsageDay.prompt_tokens + UsageDay.output_tokens + UsageDay.thinking_tokens


class LimitReached(ServiceError):
    """The user's monthly token limit is used up until ``resets_on`` (UTC)."""

    status_code = 429

    def __init__(self, limit: int, resets_on: date, now: datetime) -> None:
        super().__init__(
            f"You have used your monthly limit of {limit:,} tokens. "
            f"It resets on {resets_on.isoformat()} (UTC)."
        )
        self.limit = limit
        self.resets_on = resets_on
        reset_at = datetime.combine(resets_on, time(), tzinfo=now.tzinfo)
        self.retry_after = max(1, int((reset_at - now).total_seconds()))


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def effective_limit(user: User) -> int | None:
    """The user's own monthly limit, else USER_MONTHLY_TOKENS (None: no limit)."""
    return effective_limit_of(user.monthly_token_limit)


def effective_limit_of(own_limit: int | None) -> int | None:
    """``effective_limit`` of a user whose own limit is ``own_limit``."""
    return own_limit if own_limit is not None else get_settings().user_monthly_tokens


def record_usage(
    *,
    session: Session,
    user_id: int,
    messages: int = 1,
    prompt_tokens: int = 0,
    output_tokens: int = 0,
    thinking_tokens: int = 0,
    day: date | None = None,
) -> None:
    """Add to the user's row for ``day`` (today, UTC) in the session's transaction.

    One upsert; the caller commits (``/v1`` calls: ``session.commit()`` after it).
    """
    values = {
        "user_id": user_id,
        "day": day or utcnow().date(),
        "messages": messages,
        "prompt_tokens": prompt_tokens,
        "output_tokens": output_tokens,
        "thinking_tokens": thinking_tokens,
    }
    if not any(values[name] for name in ("messages", *TOKEN_FIELDS)):
        return
    dialect = session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(UsageDay).values(**values)
    table = UsageDay.__table__  # type: ignore[attr-defined]
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "day"],
        set_={
            name: table.c[name] + statement.excluded[name] for name in ("messages", *TOKEN_FIELDS)
        },
    )
    session.exec(statement)  # type: ignore[call-overload]


def count_answer(*, session: Session, answer: Message, values: dict[str, Any]) -> None:
    """Count an answer's end before ``values`` are stored on it; safe to repeat.

    The answer counts once, when it leaves ``streaming``; its tokens count by how much
    they grew, so storing the same final values again adds nothing.
    """
    ends = answer.status == STREAMING and values.get("status", STREAMING) != STREAMING
    grown = {
        name: max(0, (values.get(name) or 0) - (getattr(answer, name) or 0))
        for name in TOKEN_FIELDS
        if name in values
    }
    chat = session.get(Chat, answer.chat_id)
    if chat is not None:
        record_usage(session=session, user_id=chat.user_id, messages=int(ends), **grown)


def month_tokens(*, session: Session, user_id: int, today: date | None = None) -> int:
    """Prompt + output + thinking tokens since the first of this UTC month."""
    first = month_start(today or utcnow().date())
    total = session.exec(
        select(func.coalesce(func.sum(DAY_TOKENS), 0)).where(
            UsageDay.user_id == user_id, col(UsageDay.day) >= first
        )
    ).one()
    return int(total)


def ensure_within_limit(session: Session, user: User) -> None:
    """Refuse a new answer (LimitReached, 429) once the month's tokens reach the limit."""
    limit = effective_limit(user)
    if limit is None:
        return
    now = utcnow()
    assert user.id is not None
    refuse_over_limit(limit, month_tokens(session=session, user_id=user.id, today=now.date()), now)


def refuse_over_limit(limit: int | None, used: int, now: datetime) -> None:
    """LimitReached (429) when ``used`` tokens this month reach ``limit`` (None: no limit)."""
    if limit is not None and used >= limit:
        raise LimitReached(limit, next_month(now.date()), now)


@dataclass(frozen=True, slots=True)
class UsageReport:
    days: list[UsageDay]  # oldest first, only days with use
    month_tokens: int
    monthly_token_limit: int | None


def usage_report(*, session: Session, user: User, days: int = 30) -> UsageReport:
    """The user's last ``days`` UTC days (today included) and this month's total."""
    assert user.id is not None
    today = utcnow().date()
    rows = session.exec(
        select(UsageDay)
        .where(UsageDay.user_id == user.id, col(UsageDay.day) > today - timedelta(days=days))
        .order_by(col(UsageDay.day))
    ).all()
    return UsageReport(
        days=list(rows),
        month_tokens=month_tokens(session=session, user_id=user.id, today=today),
        monthly_token_limit=effective_limit(user),
    )


def month_tokens_by_user(*, session: Session, user_ids: list[int]) -> dict[int, int]:
    """This month's tokens of several users, in one grouped query (the admin's table)."""
    if not user_ids:
        return {}
    first = month_start(utcnow().date())
    rows = session.exec(
        select(
            UsageDay.user_id,
            func.sum(DAY_TOKENS),
        )
        .where(col(UsageDay.user_id).in_(user_ids), col(UsageDay.day) >= first)
        .group_by(col(UsageDay.user_id))
    ).all()
    return {user_id: int(total or 0) for user_id, total in rows}
