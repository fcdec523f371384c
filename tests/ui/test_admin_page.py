"""The admin page, as an admin and as anyone else sees it (User-fixture stories)."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from beykusay.db import new_session
from beykusay.models import User as UserRow
from beykusay.services import operations, signup
from tests.ui.conftest import PASSWORD, Register, eventually


def account(name: str) -> int:
    user = operations.register(name, PASSWORD)
    assert user.id is not None
    return user.id


def stored(user_id: int) -> UserRow | None:
    with new_session() as session:
        return session.get(UserRow, user_id)


def element(user: User, marker: str) -> ui.element:
    return next(iter(user.find(marker=marker).elements))


async def test_a_non_admin_gets_the_not_found_page_and_no_admin_menu(
    user: User, register: Register
) -> None:
    """Only admins know the page exists: a user sees "not found" and no menu entry."""
    account("theboss")  # the first account is the admin
    await register("alice")
    await user.should_not_see(marker="menu-admin")
    admin = await user.http_client.get("/admin")
    unknown = await user.http_client.get("/no-such-page")
    assert admin.status_code == unknown.status_code == 404
    assert "404" in admin.text and "Users" not in admin.text


async def test_the_admin_approves_disables_promotes_and_limits_without_a_reload(
    user: User, register: Register
) -> None:
    """Each action gives a toast and updates its row in place."""
    await register("alice")  # the first account: the admin
    with new_session() as session:
        signup.set_signup_policy(session, "approval")
    bob = account("bob")
    await user.open("/chat")
    user.find(marker="user-menu").click()
    user.find(marker="menu-admin").click()
    await user.should_see(marker="user-bob", retries=30)
    await user.should_see(marker="status-bob")  # pending
    await user.should_see("2 users")

    user.find(marker="approve-bob").click()
    await user.should_see("bob can log in now.")
    await eventually(lambda: stored(bob).status == "active")
    await user.should_not_see(marker="status-bob")

    user.find(marker="disable-bob").click()
    await user.should_see("bob is disabled.")
    assert stored(bob).status == "disabled"
    user.find(marker="enable-bob").click()
    await user.should_see("bob is active again.")

    user.find(marker="make-admin-bob").click()
    await user.should_see("bob is now admin.")
    assert stored(bob).role == "admin"
    user.find(marker="make-user-bob").click()
    await eventually(lambda: stored(bob).role == "user")

    user.find(marker="limit-bob").click()
    user.find(marker="limit-input").type("5000")
    user.find(marker="save-limit").click()
    await user.should_see("Monthly limit of bob saved.")
    assert stored(bob).monthly_token_limit == 5000
    await user.should_see("5,000")

    user.find(marker="password-bob").click()
    user.find(marker="new-user-password").type("a fresh password")
    user.find(marker="save-password").click()
    await user.should_see("New password set for bob; their sessions ended.", retries=50)
    assert stored(bob).token_version == 1


async def test_the_last_admin_is_refused_with_a_toast(user: User, register: Register) -> None:
    """Demoting yourself as the only admin says why and changes nothing."""
    await register("alice")
    await user.open("/admin")
    user.find(marker="make-user-alice").click()
    await user.should_see("This is the last active admin: make another admin first.")
    assert stored(1).role == "admin"


async def test_deleting_asks_for_the_name_and_removes_the_row(
    user: User, register: Register
) -> None:
    """Delete needs the user's name typed; then the row goes and the count drops."""
    await register("alice")
    bob = account("bob")
    await user.open("/admin")
    await user.should_see("2 users", retries=30)
    user.find(marker="delete-bob").click()
    confirm = element(user, "confirm-delete")
    user.find(marker="confirm-name").type("bo")
    assert not confirm.enabled
    user.find(marker="confirm-name").type("b")
    await eventually(lambda: confirm.enabled)
    user.find(marker="confirm-delete").click()
    await user.should_see("bob was deleted.")
    await eventually(lambda: stored(bob) is None)
    await user.should_see("1 users")
    await user.should_not_see(marker="user-bob")


async def test_search_pages_and_the_sign_up_switch(user: User, register: Register) -> None:
    """The admin finds a user by part of the name and changes the sign-up policy."""
    await register("alice")
    for n in range(27):
        account(f"member{n:02d}")
    await user.open("/admin")
    await user.should_see("28 users", retries=30)
    await user.should_see(marker="next-page")
    await user.should_not_see(marker="user-member26")
    user.find(marker="next-page").click()
    await user.should_see(marker="user-member26")
    user.find(marker="user-search").type("MEMBER1")
    await user.should_see("10 users", retries=40)
    await user.should_see(marker="user-member15")
    await user.should_not_see(marker="user-member26")

    toggle = element(user, "signup-policy")
    with user:
        toggle.value = "closed"
    await user.should_see("Sign-up is now: Closed.")
    with new_session() as session:
        assert signup.signup_policy(session) == "closed"
