"""Registering, logging in, and each user's settings."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from beykusay.config import Settings
from beykusay.models import User
from beykusay.ratelimit import Limiter
from beykusay.schemas import SettingsUpdate, UserSettings
from beykusay.security import AccessToken, create_access_token, hash_password, verify_password
from beykusay.services.errors import (
    Conflict,
    InvalidCredentials,
    InvalidInput,
    NotFound,
    TooManyAttempts,
)


def username_key(username: str) -> str:
    return username.strip().lower()


def register_user(*, session: Session, username: str, password: str) -> User:
    key = username_key(username)
    if session.exec(select(User.id).where(User.username_key == key)).first() is not None:
        raise Conflict("That username is taken")
    user = User(username=username, username_key=key, password_hash=hash_password(password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:  # lost a race for the same name
        session.rollback()
        raise Conflict("That username is taken") from exc
    session.refresh(user)
    return user


class LoginGuard:
    """Counts failed logins per username and per client address."""

    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter

    @staticmethod
    def _keys(username: str, client: str) -> tuple[str, str]:
        return f"user:{username_key(username)}", f"addr:{client}"

    def check(self, username: str, client: str) -> None:
        wait = max(self.limiter.retry_after(key) for key in self._keys(username, client))
        if wait:
            raise TooManyAttempts(wait, f"Too many failed logins. Try again in {wait} seconds.")

    def failed(self, username: str, client: str) -> None:
        for key in self._keys(username, client):
            self.limiter.hit(key)

    def succeeded(self, username: str) -> None:
        self.limiter.reset(self._keys(username, "")[0])


def authenticate(
    *, session: Session, guard: LoginGuard, username: str, password: str, client: str
) -> User:
    guard.check(username, client)
    user = session.exec(select(User).where(User.username_key == username_key(username))).first()
    if not verify_password(password, user.password_hash if user else None) or user is None:
        guard.failed(username, client)
        raise InvalidCredentials()
    guard.succeeded(username)
    return user


def issue_token(*, user: User, settings: Settings) -> AccessToken:
    assert user.id is not None
    return create_access_token(
        user_id=user.id,
        token_version=user.token_version,
        key=settings.token_signing_key(),
        minutes=settings.access_token_minutes,
    )


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


def user_settings(user: User) -> UserSettings:
    return UserSettings(
        theme=user.theme,  # type: ignore[arg-type]
        default_model=user.default_model,  # type: ignore[arg-type]
        custom_instructions=user.custom_instructions,
        language=user.language,  # type: ignore[arg-type]
    )


def update_settings(*, session: Session, user: User, update: SettingsUpdate) -> UserSettings:
    for field, value in update.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(user, field, value)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user_settings(user)


def change_password(*, session: Session, user: User, current: str, new: str) -> None:
    """Set a new password; every token issued before stops working."""
    if not verify_password(current, user.password_hash):
        raise InvalidInput("The current password is wrong")
    user.password_hash = hash_password(new)
    user.token_version += 1
    session.add(user)
    session.commit()
