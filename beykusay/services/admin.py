"""What admins do: list users, create, approve, disable, change roles, passwords and
limits, delete, and set the sign-up policy. Every call checks that its actor is an
active admin (read afresh), and every change is logged with who did it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, func, select

from beykusay.models import Chat, Message, User
from beykusay.security import hash_password
from beykusay.services import accounts, chats, signup, usage
from beykusay.services.errors import Conflict, Forbidden, NotFound
from beykusay.services.signup import ACTIVE, ADMIN, Policy
from beykusay.services.turns import hold_write_lock
from beykusay.team_models import ApiKey, UsageDay

log = logging.getLogger("beykusay.admin")

ROLES = ("admin", "user")
STATUSES = ("active", "pending", "disabled")
LAST_ADMIN = "This is the last active admin: make another admin first."


def require_admin(session: Session, actor_id: int) -> User:
    """The actor, if an active admin right now; else Forbidden (403)."""
    actor = session.get(User, actor_id)
    if actor is None or actor.role != ADMIN or actor.status != ACTIVE:
        raise Forbidden("Only admins can do this")
    return actor


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user as the admin's table shows them."""

    user: User
    chats: int
    messages: int
    month_tokens: int
    monthly_token_limit: int | None

    def as_json(self) -> dict[str, Any]:
        u = self.user
        return {
            "id": u.id,
            "username": u.username,
            "role": u.role,
            "status": u.status,
            "created_at": u.created_at,
            "last_seen_at": u.last_seen_at,
            "chats": self.chats,
            "messages": self.messages,
            "month_tokens": self.month_tokens,
            "monthly_token_limit": self.monthly_token_limit,
        }


def _rows(session: Session, users: list[User]) -> list[UserRow]:
    """The users' counts in three grouped queries over just these users."""
    ids = [u.id for u in users if u.id is not None]
    chat_counts = dict(
        session.exec(
            select(Chat.user_id, func.count())
            .where(col(Chat.user_id).in_(ids))
            .group_by(col(Chat.user_id))
        ).all()
    )
    message_counts = dict(
        session.exec(
            select(Chat.user_id, func.count())
            .select_from(Message)
            .join(Chat, col(Chat.id) == Message.chat_id)
            .where(col(Chat.user_id).in_(ids))
            .group_by(col(Chat.user_id))
        ).all()
    )
    tokens = usage.month_tokens_by_user(session=session, user_ids=ids)
    return [
        UserRow(
            u,
            chat_counts.get(u.id, 0),
            message_counts.get(u.id, 0),
            tokens.get(u.id or 0, 0),
            usage.effective_limit(u),
        )
        for u in users
    ]


def list_all(*, session: Session) -> tuple[list[UserRow], int]:
    """Every user, for the operator's command (no actor: it runs on the server's host)."""
    users = list(session.exec(select(User).order_by(col(User.id))).all())
    return _rows(session, users), len(users)


def list_users(
    *, session: Session, actor_id: int, query: str = "", limit: int = 50, offset: int = 0
) -> tuple[list[UserRow], int]:
    """Users whose name contains ``query`` (any case), oldest account first."""
    require_admin(session, actor_id)
    condition = col(User.username_key).contains(query.strip().lower(), autoescape=True)
    total = session.exec(select(func.count()).select_from(User).where(condition)).one()
    users = session.exec(
        select(User).where(condition).order_by(col(User.id)).offset(offset).limit(limit)
    ).all()
    return _rows(session, list(users)), total


def user_row(*, session: Session, actor_id: int, user_id: int) -> UserRow:
    require_admin(session, actor_id)
    return _rows(session, [_target(session, user_id)])[0]


def _target(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


def _active_admins(session: Session) -> int:
    """How many active admins there are, their rows locked (PostgreSQL) until commit."""
    ids = session.exec(
        select(User.id).where(User.role == ADMIN, User.status == ACTIVE).with_for_update()
    ).all()
    return len(ids)


def _keeps_an_admin(session: Session, target: User, role: str, status: str) -> None:
    """Refuse (409) to leave the server without an active admin."""
    was_admin = target.role == ADMIN and target.status == ACTIVE
    stays_admin = role == ADMIN and status == ACTIVE
    if was_admin and not stays_admin and _active_admins(session) <= 1:
        raise Conflict(LAST_ADMIN)


def create_user(
    *, session: Session, actor_id: int, username: str, password: str, role: str = "user"
) -> User:
    actor = require_admin(session, actor_id)
    user = accounts.register_user(session=session, username=username, password=password, role=role)
    log.info("admin %s created user %s (id %s, %s)", actor.username, user.username, user.id, role)
    return user


UNSET: Any = object()


def update_user(
    *,
    session: Session,
    actor_id: int,
    user_id: int,
    role: str | None = None,
    status: str | None = None,
    password: str | None = None,
    monthly_token_limit: int | None = UNSET,
) -> User:
    """Change what is given; a new password ends the user's older tokens and sessions."""
    hold_write_lock(session)  # SQLite: one admin change at a time (the last-admin rule)
    actor = require_admin(session, actor_id)
    return change_user(
        session=session,
        target=_target(session, user_id),
        by=f"admin {actor.username}",
        role=role,
        status=status,
        password=password,
        monthly_token_limit=monthly_token_limit,
    )


def change_user(
    *,
    session: Session,
    target: User,
    by: str,
    role: str | None = None,
    status: str | None = None,
    password: str | None = None,
    monthly_token_limit: int | None = UNSET,
) -> User:
    """The change itself, for an admin (checked by the caller) or the operator's command."""
    hold_write_lock(session)
    _keeps_an_admin(session, target, role or target.role, status or target.status)
    changes = []
    if role is not None and role != target.role:
        target.role = role
        changes.append(f"role={role}")
    if status is not None and status != target.status:
        target.status = status
        changes.append(f"status={status}")
    if password is not None:
        target.password_hash = hash_password(password)
        target.token_version += 1
        changes.append("password")
    if monthly_token_limit is not UNSET:
        target.monthly_token_limit = monthly_token_limit
        changes.append(f"monthly_token_limit={monthly_token_limit}")
    session.add(target)
    session.commit()
    session.refresh(target)
    log.info(
        "%s changed user %s (id %s): %s",
        by,
        target.username,
        target.id,
        ", ".join(changes) or "nothing",
    )
    return target


def find_user(*, session: Session, username: str) -> User:
    """A user by name (any case), for the operator's command."""
    key = accounts.username_key(username)
    user = session.exec(select(User).where(User.username_key == key)).first()
    if user is None:
        raise NotFound(f"No user named {username!r}")
    return user


def chat_ids_of(*, session: Session, actor_id: int, user_id: int) -> list[int]:
    """The user's chats (to stop their answers before the user is deleted)."""
    require_admin(session, actor_id)
    _target(session, user_id)
    return [i for i in session.exec(select(Chat.id).where(Chat.user_id == user_id)).all() if i]


def delete_user(*, session: Session, actor_id: int, user_id: int) -> None:
    """The user with every chat, message, key and day of usage (files go by cascade).

    One transaction: should any step fail, nothing of the user is deleted.
    """
    hold_write_lock(session)
    try:
        actor = require_admin(session, actor_id)
        target = _target(session, user_id)
        _keeps_an_admin(session, target, "deleted", "deleted")
        username = target.username
        for chat in session.exec(select(Chat).where(Chat.user_id == user_id)).all():
            chats.remove_chat(session=session, chat=chat)
        session.exec(delete(ApiKey).where(col(ApiKey.user_id) == user_id))
        session.exec(delete(UsageDay).where(col(UsageDay.user_id) == user_id))
        session.delete(target)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    log.info("admin %s deleted user %s (id %s)", actor.username, username, user_id)


def get_signup_policy(*, session: Session, actor_id: int) -> Policy:
    require_admin(session, actor_id)
    return signup.signup_policy(session)


def set_signup_policy(*, session: Session, actor_id: int, policy: Policy) -> Policy:
    actor = require_admin(session, actor_id)
    signup.set_signup_policy(session, policy)
    log.info("admin %s set the sign-up policy to %s", actor.username, policy)
    return policy
