"""Waiting for approval, closed sign-up, and a disabled user thrown out of open pages."""

from __future__ import annotations

import asyncio

import pytest
from nicegui import ui
from nicegui.testing import User

from beykusay.db import new_session
from beykusay.services import admin, operations, signup, team_operations
from pages import session_guard
from tests.ui.conftest import PASSWORD, Register


def set_policy(policy: signup.Policy) -> None:
    with new_session() as session:
        signup.set_signup_policy(session, policy)


def set_status(user_id: int, status: str) -> None:
    with new_session() as session:
        target = session.get(admin.User, user_id)
        assert target is not None
        admin.change_user(session=session, target=target, by="test", status=status)


async def fill(user: User, name: str, *, repeat: bool) -> None:
    user.find(marker="username").type(name)
    user.find(marker="password").type(PASSWORD)
    if repeat:
        user.find(marker="password-repeat").type(PASSWORD)
    user.find(marker="submit").click()


async def test_a_newcomer_waits_for_approval_then_logs_in(user: User) -> None:
    """With approval on, registering and logging in show the waiting page, not an error."""
    operations.register("theboss", PASSWORD)
    set_policy("approval")
    await user.open("/register")
    await fill(user, "newbie", repeat=True)
    await user.should_see("Waiting for approval", retries=50)
    await user.should_see(marker="pending")
    await user.should_see("Your account newbie was created.")
    await user.open("/login")
    await fill(user, "newbie", repeat=False)
    await user.should_see("Waiting for approval", retries=50)
    set_status(2, "active")
    await user.open("/login")
    await fill(user, "newbie", repeat=False)
    await user.should_see(marker="message-input", retries=50)


async def test_closed_sign_up_says_so_on_the_form(user: User) -> None:
    """A visitor who tries to register on a closed server is told to ask an admin."""
    operations.register("theboss", PASSWORD)
    set_policy("closed")
    await user.open("/register")
    await fill(user, "newbie", repeat=True)
    await user.should_see("Registration is closed on this server.", retries=50)


async def test_a_disabled_user_is_told_so_at_login(user: User) -> None:
    operations.register("theboss", PASSWORD)
    bob = operations.register("bob", PASSWORD)
    set_status(bob.id or 0, "disabled")
    await user.open("/login")
    await fill(user, "bob", repeat=False)
    await user.should_see("This account has been disabled.", retries=50)


async def test_a_disabled_users_open_pages_go_to_the_login_page(
    user: User, register: Register
) -> None:
    """The open page of a user who is disabled lands on the login page, logged out, at
    the guard's next sweep (one a second). (Two real tabs: tests/browser/test_team.py.)"""
    assert session_guard.SWEEP_EVERY <= 1.0
    operations.register("theboss", PASSWORD)
    await register("alice")
    set_status(2, "disabled")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await user.should_see(marker="to-register", retries=100)  # the login form
    elapsed = loop.time() - started
    print(f"disabled user's pages went to the login page after {elapsed:.2f} s")
    await user.open("/chat")  # the browser session has ended: back to the login
    await user.should_see(marker="to-register")


class _Page:
    """Stands in for an open page: the guard only needs its id, state and context."""

    current: _Page | None = None

    def __init__(self, name: str) -> None:
        self.id = name
        self.is_deleted = False

    def on_delete(self, handler: object) -> None:
        pass

    def __enter__(self) -> _Page:
        _Page.current = self
        return self

    def __exit__(self, *exc: object) -> None:
        _Page.current = None


async def test_a_page_opened_while_the_guard_reads_is_left_alone(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newcomer's first page, opened while a sweep reads the open pages' users, stays
    where it is. Before, the sweep judged it by a query that had not asked about its
    user, took them for deleted and sent the page to /login, which sends a logged-in
    user on to an empty /chat: their first question's chat vanished from view."""
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(session_guard, "_watched", {})
    monkeypatch.setattr(
        ui.navigate,
        "to",
        lambda target: sent.append((_Page.current.id, target)),  # type: ignore[union-attr]
    )
    alice = operations.register("alice", PASSWORD)
    session_guard.watch(_Page("alice's page"), alice.id or 0)
    read = team_operations.standings

    def standings_while_a_page_opens(user_ids: set[int]) -> dict[int, tuple[str, int]]:
        newcomer = operations.register("newcomer", PASSWORD)
        session_guard.watch(_Page("newcomer's first page"), newcomer.id or 0)
        return read(user_ids)

    monkeypatch.setattr(team_operations, "standings", standings_while_a_page_opens)
    await session_guard.sweep()
    assert sent == []
    monkeypatch.setattr(team_operations, "standings", read)
    await session_guard.sweep()  # the next sweep asks about the newcomer too: still here
    assert sent == []
    assert len(session_guard._watched) == 2
    set_status(2, "disabled")  # and the guard still works: the newcomer is thrown out
    await session_guard.sweep()
    assert sent == [("newcomer's first page", "/login")]
