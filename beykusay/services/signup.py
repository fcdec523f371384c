"""Who may register and log in: the sign-up policy and a new account's role and status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlmodel import Session, col, func, or_, select, update

from beykusay.config import get_settings
from beykusay.db import utcnow
from beykusay.models import User
from beykusay.services.errors import Forbidden
from beykusay.services.turns import hold_write_lock
from beykusay.team_models import AppSetting

Policy = Literal["open", "approval", "closed"]
POLICIES: tuple[str, ...] = get_args(Policy)
SETTING = "signup"

ACTIVE, PENDING, DISABLED = "active", "pending", "disabled"
ADMIN, USER = "admin", "user"


class AccountPending(Forbidden):
    def __init__(self) -> None:
        super().__init__("Your account is waiting for approval by an admin.")


class AccountDisabled(Forbidden):
    def __init__(self) -> None:
        super().__init__("Your account has been disabled. Ask an admin if this is a mistake.")


def signup_policy(session: Session) -> Policy:
    """The policy an admin set, else SIGNUP from the environment."""
    stored = session.get(AppSetting, SETTING)
    if stored is not None and stored.value in POLICIES:
        return stored.value  # type: ignore[return-value]
    return get_settings().signup


def set_signup_policy(session: Session, policy: Policy) -> Policy:
    stored = session.get(AppSetting, SETTING) or AppSetting(name=SETTING, value=policy)
    stored.value = policy
    session.add(stored)
    session.commit()
    return policy


def new_account_standing(session: Session, role: str | None = None) -> tuple[str, str]:
    """(role, status) of an account created now; refuses registration when it is closed.

    The first account of an empty database is an active admin. An admin (or the
    operator's command) creating an account gives its ``role``; it is active at once.
    On SQLite the write lock is taken first, so two first accounts cannot both see an
    empty table.
    """
    hold_write_lock(session)
    if session.exec(select(func.count()).select_from(User)).one() == 0:
        return ADMIN, ACTIVE
    if role is not None:
        return role, ACTIVE
    policy = signup_policy(session)
    if policy == "closed":
        raise Forbidden("Registration is closed on this server. Ask an admin for an account.")
    return USER, PENDING if policy == "approval" else ACTIVE


def check_may_log_in(user: User) -> None:
    """After the right password: a pending or disabled account is told so (403)."""
    if user.status == PENDING:
        raise AccountPending()
    if user.status == DISABLED:
        raise AccountDisabled()


def still_signed_in(user: User | None, token_version: object) -> bool:
    """Whether a login of ``token_version`` (a token's, or a browser session's) still lets
    ``user`` in: the account exists, is active, and no password change or "log out
    everywhere" has ended the logins made before it."""
    return user is not None and user.token_version == token_version and user.status == ACTIVE


SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


def seen_long_ago(user: User, now: datetime) -> bool:
    """Whether ``user``'s last visit is due to be written again (once a minute)."""
    return user.last_seen_at is None or now - user.last_seen_at >= SEEN_EVERY


def note_seen(session: Session, user: User) -> None:
    """Remember that ``user`` was here now, writing at most once a minute."""
    now = utcnow()
    if seen_long_ago(user, now):
        session.exec(update(User).where(col(User.id) == user.id).values(last_seen_at=now))
        session.commit()
        user.last_seen_at = now


def note_seen_many(session: Session, user_ids: set[int]) -> None:
    """The same for users with open pages: one statement, each row once a minute."""
    now = utcnow()
    stale = or_(col(User.last_seen_at).is_(None), col(User.last_seen_at) < now - SEEN_EVERY)
    result = session.exec(
        update(User).where(col(User.id).in_(user_ids), stale).values(last_seen_at=now)
    )
    if result.rowcount:
        session.commit()
