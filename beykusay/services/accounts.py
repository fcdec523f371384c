"""Registering, logging in, and each user's settings."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from beykusay.config import Settings
from beykusay.models import User
from beykusay.ratelimit import UNAVAILABLE, Limiter
from beykusay.schemas import SettingsUpdate, UserSettings
from beykusay.security import AccessToken, create_access_token, hash_password, verify_password
from beykusay.services import signup
from beykusay.services.errors import (
    Conflict,
    InvalidCredentials,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    Unavailable,
)

T = TypeVar("T")
LIMITER_WAIT = 30.0  # seconds a login waits for the loop at most (it is never that busy)


def username_key(username: str) -> str:
    return username.strip().lower()


def register_user(
    *, session: Session, username: str, password: str, role: str | None = None
) -> User:
    """A new account; without ``role`` it registers under the sign-up policy."""
    key = username_key(username)
    password_hash = hash_password(password)  # slow: before the write lock below
    role, status = signup.new_account_standing(session, role)
    if session.exec(select(User.id).where(User.username_key == key)).first() is not None:
        raise Conflict("That username is taken")
    user = User(
        username=username,
        username_key=key,
        password_hash=password_hash,
        role=role,
        status=status,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:  # lost a race for the same name
        session.rollback()
        raise Conflict("That username is taken") from exc
    session.refresh(user)
    return user


class LoginGuard:
    """Counts failed logins per username and per client address.

    Logging in hashes with argon2, so it runs in a worker thread (the API's sync route,
    the page's ``to_thread``); the guard runs the limiter, which is async, on the
    server's event loop and waits for it there, never blocking the loop itself.
    """

    def __init__(self, limiter: Limiter, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.limiter = limiter
        # None: no server loop (a script, a test); each call then gets a loop of its own.
        self._loop = loop or _running_loop()

    def _run(self, call: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            return asyncio.run(call)
        if _running_loop() is self._loop:
            call.close()
            raise RuntimeError("LoginGuard waits for its loop: call it from a worker thread")
        future = asyncio.run_coroutine_threadsafe(call, self._loop)
        try:
            return future.result(timeout=LIMITER_WAIT)
        except concurrent.futures.TimeoutError as exc:  # the limiter has its own timeouts
            future.cancel()
            raise Unavailable(UNAVAILABLE) from exc

    @staticmethod
    def _keys(username: str, client: str) -> tuple[str, str]:
        return f"user:{username_key(username)}", f"addr:{client}"

    async def _wait(self, keys: tuple[str, str]) -> int:
        return max([await self.limiter.retry_after(key) for key in keys])

    async def _hit(self, keys: tuple[str, str]) -> None:
        for key in keys:
            await self.limiter.hit(key)

    def check(self, username: str, client: str) -> None:
        wait = self._run(self._wait(self._keys(username, client)))
        if wait:
            raise TooManyAttempts(wait, f"Too many failed logins. Try again in {wait} seconds.")

    def failed(self, username: str, client: str) -> None:
        self._run(self._hit(self._keys(username, client)))

    def succeeded(self, username: str) -> None:
        self._run(self.limiter.reset(self._keys(username, "")[0]))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def authenticate(
    *, session: Session, guard: LoginGuard, username: str, password: str, client: str
) -> User:
    guard.check(username, client)
    user = session.exec(select(User).where(User.username_key == username_key(username))).first()
    if not verify_password(password, user.password_hash if user else None) or user is None:
        guard.failed(username, client)
        raise InvalidCredentials()
    guard.succeeded(username)
    signup.check_may_log_in(user)
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
