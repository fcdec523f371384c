"""Password hashing (argon2id through passlib's API) and access tokens (HS256 JWTs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import jwt
from passlib.context import CryptContext

from beykusay.config import get_settings
from beykusay.db import utcnow

ALGORITHM = "HS256"


@lru_cache
def _hashing(memory_kib: int, time_cost: int, parallelism: int) -> tuple[CryptContext, str]:
    """argon2id at this cost, and a hash at it that is verified against when the user is
    unknown, so both answers take the same time."""
    context = CryptContext(
        schemes=["argon2"],
        argon2__type="ID",
        argon2__memory_cost=memory_kib,
        argon2__rounds=time_cost,
        argon2__parallelism=parallelism,
    )
    return context, context.hash("not a real password, only spends the same time")


def _passwords() -> tuple[CryptContext, str]:
    settings = get_settings()
    return _hashing(
        settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
    )


def hash_password(password: str) -> str:
    return _passwords()[0].hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash (unknown user) spend the same time and fail.

    A hash names its own cost, so hashes made at another cost still verify."""
    context, dummy = _passwords()
    if password_hash is None:
        context.verify(password, dummy)
        return False
    return context.verify(password, password_hash)


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int  # seconds


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    token_version: int


class InvalidToken(Exception):
    """Missing, malformed, tampered, expired or wrongly signed token."""


def create_access_token(*, user_id: int, token_version: int, key: str, minutes: int) -> AccessToken:
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "ver": token_version,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return AccessToken(jwt.encode(claims, key, algorithm=ALGORITHM), minutes * 60)


def decode_access_token(token: str, *, key: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "iat"]}
        )
        return TokenClaims(int(claims["sub"]), int(claims.get("ver", 0)))
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
