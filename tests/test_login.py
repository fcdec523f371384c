"""Logging in, in process: the lock after too many failures lifts when Retry-After said,
and an unknown name costs the same password work as a wrong password."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from passlib.hash import argon2
from sqlmodel import Session

from beykusay import security
from beykusay.db import get_engine, init_engine, new_session
from beykusay.ratelimit import SlidingWindowLimiter
from beykusay.services import accounts
from beykusay.services.accounts import LoginGuard
from beykusay.services.errors import InvalidCredentials, TooManyAttempts
from tests.clock import Clock

PASSWORD = "correct horse battery"
WINDOW = 300.0


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    init_engine(f"sqlite:///{tmp_path / 'beykusay.db'}")
    with new_session() as session:
        accounts.register_user(session=session, username="Alice", password=PASSWORD)
        yield session
    get_engine().dispose()


def login(session: Session, guard: LoginGuard, username: str, password: str) -> str:
    """What the login route would answer, in words: ok, wrong, or the Retry-After."""
    try:
        accounts.authenticate(
            session=session, guard=guard, username=username, password=password, client="10.0.0.1"
        )
    except InvalidCredentials:
        return "wrong"
    except TooManyAttempts as refused:
        return f"retry after {refused.retry_after}"
    return "ok"


def test_a_locked_name_may_log_in_again_exactly_when_retry_after_said(session: Session) -> None:
    """Three wrong passwords a minute apart lock the name, even for the right password;
    Retry-After counts down, and once it has passed the right password works."""
    clock = Clock()
    guard = LoginGuard(SlidingWindowLimiter(limit=3, window=WINDOW, clock=clock))
    for _ in range(3):
        assert login(session, guard, "alice", "wrong password") == "wrong"
        clock.advance(60)
    assert login(session, guard, "ALICE", PASSWORD) == "retry after 120"
    clock.advance(119)
    assert login(session, guard, "alice", PASSWORD) == "retry after 1"
    clock.advance(1)
    assert login(session, guard, "alice", PASSWORD) == "ok"


def test_an_unknown_name_costs_one_argon2_check_like_a_wrong_password(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No user enumeration by timing: a wrong password and an unknown name each verify
    one argon2id hash, of the same cost, and get the same refusal."""
    verified: list[str] = []
    context, _ = security._passwords()
    real_verify = context.verify

    def counted(password: str, password_hash: str) -> bool:
        verified.append(password_hash)
        return real_verify(password, password_hash)

    monkeypatch.setattr(context, "verify", counted)
    guard = LoginGuard(SlidingWindowLimiter(limit=100, window=WINDOW))
    assert login(session, guard, "alice", "wrong password") == "wrong"
    assert login(session, guard, "nobody_here", "wrong password") == "wrong"
    assert len(verified) == 2
    real, dummy = (argon2.from_string(found) for found in verified)
    assert real.checksum != dummy.checksum  # the second is the stand-in hash, not Alice's
    assert (dummy.type, dummy.memory_cost, dummy.rounds, dummy.parallelism) == (
        real.type,
        real.memory_cost,
        real.rounds,
        real.parallelism,
    )
    assert real.type == "id"  # argon2id
