"""Whole team operations for the NiceGUI pages, each in a session of its own (as
``operations`` does for chats): admin actions, usage, API keys, session checks."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from beykusay.db import new_session
from beykusay.models import User
from beykusay.services import admin, keys, signup, usage
from beykusay.services.signup import Policy
from beykusay.team_models import ApiKey


def standings(user_ids: set[int]) -> dict[int, tuple[str, int]]:
    """(status, token version) of each user that still exists, in one query; users with
    an open page count as seen now (written at most once a minute each)."""
    if not user_ids:
        return {}
    with new_session() as session:
        rows = session.exec(
            select(User.id, User.status, User.token_version).where(col(User.id).in_(user_ids))
        ).all()
        signup.note_seen_many(session, user_ids)
    return {user_id: (status, version) for user_id, status, version in rows if user_id}


def list_users(actor_id: int, query: str, limit: int, offset: int) -> tuple[list[dict], int]:
    with new_session() as session:
        rows, total = admin.list_users(
            session=session, actor_id=actor_id, query=query, limit=limit, offset=offset
        )
        return [row.as_json() for row in rows], total


def update_user(actor_id: int, user_id: int, **changes: Any) -> dict[str, Any]:
    """Change a user as an admin; the row as the table shows it."""
    with new_session() as session:
        admin.update_user(session=session, actor_id=actor_id, user_id=user_id, **changes)
        return admin.user_row(session=session, actor_id=actor_id, user_id=user_id).as_json()


def chat_ids_of(actor_id: int, user_id: int) -> list[int]:
    with new_session() as session:
        return admin.chat_ids_of(session=session, actor_id=actor_id, user_id=user_id)


def delete_user(actor_id: int, user_id: int) -> None:
    with new_session() as session:
        admin.delete_user(session=session, actor_id=actor_id, user_id=user_id)


def signup_policy(actor_id: int) -> Policy:
    with new_session() as session:
        return admin.get_signup_policy(session=session, actor_id=actor_id)


def set_signup_policy(actor_id: int, policy: Policy) -> Policy:
    with new_session() as session:
        return admin.set_signup_policy(session=session, actor_id=actor_id, policy=policy)


def usage_report(user_id: int, days: int = 30) -> usage.UsageReport:
    with new_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return usage.usage_report(session=session, user=user, days=days)


def list_keys(user_id: int) -> list[ApiKey]:
    with new_session() as session:
        return keys.list_keys(session=session, user_id=user_id)


def create_key(user_id: int, name: str) -> tuple[ApiKey, str]:
    with new_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return keys.create_key(session=session, user=user, name=name)


def revoke_key(user_id: int, key_id: int) -> None:
    with new_session() as session:
        keys.revoke_key(session=session, user_id=user_id, key_id=key_id)
