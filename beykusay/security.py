"""Password hashing (argon2id through passlib's API) and access tokens (HS256 JWTs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import jwt
from passlib.context import CryptContext

from beykusay.db import utcnow

ALGORITHM = "HS256"

_passwords = CryptContext(schemes=["argon2"], argon2__type="ID")
# Verified against when the user is unknown, so both answers take the same time.
_DUMMY_HASH = _passwords.hash("not a real password, only spends the same time")


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash (unknown user) spend the same time and fail."""
    if password_hash is None:
        _passwords.verify(password, _DUMMY_HASH)
        return False
    return _passwords.verify(password, password_hash)


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
