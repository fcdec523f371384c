"""Landing, registration, login, logout and the login middleware, as a visitor sees them."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from beykusay.services import operations
from tests.ui.conftest import PASSWORD, Register, eventually, other_browser_logs_in


async def submit(user: User) -> None:
    """Press the form's button and wait until the server has answered."""
    button = next(iter(user.find(marker="submit").elements))
    user.find(marker="submit").click()
    await asyncio.sleep(0.01)
    await eventually(lambda: button.enabled)


async def test_landing_says_what_beykusay_is_and_leads_in(user: User) -> None:
    await user.open("/")
    await user.should_see("Your own AI chat, on your own server.")
    await user.should_see(marker="cta-register")
    user.find(marker="cta-login").click()
    await user.should_see("Welcome back")


async def test_a_logged_in_user_lands_in_their_chats(user: User, register: Register) -> None:
    await register()
    await user.open("/")
    await user.should_see(marker="message-input")
    await user.should_see("How can I help you today?")


async def test_private_pages_send_visitors_to_login_and_back(user: User) -> None:
    operations.register("bob", PASSWORD)
    await user.open("/settings")
    await user.should_see("Welcome back")
    user.find(marker="username").type("BOB")  # names match case-insensitively
    user.find(marker="password").type(PASSWORD)
    user.find(marker="submit").click()
    await user.should_see(marker="change-password", retries=30)


async def test_login_never_redirects_off_site(user: User) -> None:
    operations.register("bob", PASSWORD)
    await user.open("/login?redirect_to=//evil.example/x")
    user.find(marker="username").type("bob")
    user.find(marker="password").type(PASSWORD)
    user.find(marker="submit").click()
    await user.should_see(marker="message-input", retries=30)


async def test_registration_explains_what_is_wrong(user: User) -> None:
    operations.register("taken", PASSWORD)
    await user.open("/register")

    async def attempt(name: str, password: str, repeat: str | None = None) -> None:
        for marker, value in (
            ("username", name),
            ("password", password),
            ("password-repeat", password if repeat is None else repeat),
        ):
            user.find(marker=marker).clear().type(value)
        user.find(marker="submit").click()

    await attempt("x", PASSWORD)
    await user.should_see("3–32 characters: letters, digits, _ . -")
    await attempt("good_name", "short")
    await user.should_see("At least 8 characters (at most 128).")
    await attempt("good_name", PASSWORD, "something else")
    await user.should_see("The passwords do not match.")
    await attempt("Taken", PASSWORD)
    await user.should_see("That username is taken. Try another one.", retries=30)
    await attempt("good_name", PASSWORD)
    await user.should_see(marker="message-input", retries=30)


async def test_wrong_credentials_and_rate_limiting(user: User) -> None:
    operations.register("carol", PASSWORD)
    await user.open("/login")
    user.find(marker="username").type("carol")
    user.find(marker="password").type("not the password")
    for _ in range(5):
        await submit(user)
        await user.should_see("Wrong username or password.")
    await submit(user)
    await user.should_see("Too many failed attempts")
    user.find(marker="password").clear().type(PASSWORD)  # even the right one waits now
    await submit(user)
    await user.should_see("Too many failed attempts")


async def test_empty_login_form_asks_to_fill_in(user: User) -> None:
    await user.open("/login")
    user.find(marker="submit").click()
    await user.should_see("Please fill in both fields.")


async def test_log_out_from_the_user_menu(user: User, register: Register) -> None:
    await register()
    user.find(marker="menu-logout").click()
    await user.should_see("Welcome back", retries=30)
    await user.open("/chat")
    await user.should_see("Welcome back")


async def test_password_change_ends_other_sessions(user: User, register: Register) -> None:
    await register()
    laptop = await other_browser_logs_in(user)
    await laptop.should_see(marker="message-input", retries=30)

    await user.open("/settings")
    user.find(marker="current-password").type("wrong one")
    user.find(marker="new-password").type("a new passphrase")
    user.find(marker="repeat-password").type("a new passphrase")
    user.find(marker="change-password").click()
    await user.should_see("The current password is wrong.", retries=30)
    user.find(marker="current-password").clear().type(PASSWORD)
    user.find(marker="change-password").click()
    await user.should_see("Password changed. Other sessions were logged out.", retries=30)

    await user.open("/chat")  # the session that changed it goes on
    await user.should_see(marker="message-input")
    await laptop.open("/chat")
    await laptop.should_see("Welcome back")


async def test_old_session_after_password_change_is_logged_out(user: User) -> None:
    bob = operations.register("bob", PASSWORD)
    await user.open("/login")
    user.find(marker="username").type("bob")
    user.find(marker="password").type(PASSWORD)
    user.find(marker="submit").click()
    await user.should_see(marker="message-input", retries=30)
    assert bob.id is not None
    operations.change_password(bob.id, PASSWORD, "another passphrase")  # e.g. through the API
    await user.open("/chat")
    await user.should_see("Welcome back")


async def test_the_browser_language_is_used_and_can_be_switched(user: User) -> None:
    user.http_client.headers["Accept-Language"] = "ru-RU,ru;q=0.9,en;q=0.5"
    await user.open("/login")
    await user.should_see("С возвращением")
    user.find(marker="language-toggle").click()
    await user.should_see("Welcome back", retries=30)


async def test_login_says_so_when_the_limits_cannot_be_checked(user: User) -> None:
    """With Redis not answering, the login form says to try again in a moment (no error log)."""
    from beykusay.ratelimit import RedisSlidingWindowLimiter
    from beykusay.services.accounts import LoginGuard
    from beykusay.state import get_state
    from tests.redisproxy import redis_proxy

    operations.register("dora", PASSWORD)
    await user.open("/login")
    user.find(marker="username").type("dora")
    user.find(marker="password").type(PASSWORD)
    state = get_state()
    with redis_proxy("silent") as silent:
        state.login_guard = LoginGuard(
            RedisSlidingWindowLimiter(url=silent.url, limit=5, window=60, timeout=0.3)
        )
        await submit(user)
        await user.should_see("Logging in is not possible right now")
