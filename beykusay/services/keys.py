"""API keys: created once and shown once, kept as a sha256 only, revoked at once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from beykusay.db import utcnow
from beykusay.models import User
from beykusay.services.errors import NotFound
from beykusay.team_models import ApiKey

KEY_START = "bk_"
PREFIX_CHARS = 10  # "bk_" and 7 characters of the secret: enough to tell keys apart
SECRET_BYTES = 32  # 256 random bits
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


def looks_like_key(bearer: str) -> bool:
    return bearer.startswith(KEY_START)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(*, session: Session, user: User, name: str) -> tuple[ApiKey, str]:
    """A new key for ``user``; returns the row and the key itself (never stored)."""
    assert user.id is not None
    key = KEY_START + secrets.token_urlsafe(SECRET_BYTES)
    row = ApiKey(user_id=user.id, name=name, prefix=key[:PREFIX_CHARS], key_hash=key_hash(key))
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, key


def list_keys(*, session: Session, user_id: int) -> list[ApiKey]:
    return list(
        session.exec(
            select(ApiKey)
            .where(ApiKey.user_id == user_id)
            .order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc())
        ).all()
    )


def revoke_key(*, session: Session, user_id: int, key_id: int) -> None:
    row = session.get(ApiKey, key_id)
    if row is None or row.user_id != user_id:
        raise NotFound("API key not found")
    session.delete(row)
    session.commit()


def user_for_key(*, session: Session, key: str) -> User | None:
    """The owner of ``key``, or None; notes when it was used (at most once a minute)."""
    digest = key_hash(key)
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    # The lookup is by hash, so timing says nothing about the key; compare anyway.
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        session.add(row)
        session.commit()
    return session.get(User, row.user_id)
