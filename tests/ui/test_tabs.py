"""The simulated tabs themselves: one tab's navigation never moves another tab."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User

from tests.ui.conftest import Register, other_browser_logs_in


async def test_logging_in_on_a_second_tab_moves_that_tab_only(
    user: User, register: Register
) -> None:
    """While the first tab's chat page runs JavaScript (it scrolls itself), the second
    tab logs in: the second tab lands in the chat; the first stays where it was. Before
    the tabs routed ``ui.navigate``, the first tab was sent to /chat again and the second
    stayed on the login form (the flaky password-change test)."""
    await register()
    laptop = await other_browser_logs_in(user)
    first_page = object.__getattribute__(user, "client")
    for _ in range(40):
        with first_page:
            ui.run_javascript("window.bkScrollToBottom && window.bkScrollToBottom()")
        await asyncio.sleep(0.02)
    await laptop.should_see(marker="message-input", retries=30)
    assert object.__getattribute__(user, "back_history") == ["/register", "/chat"]
    assert object.__getattribute__(laptop, "back_history") == ["/login", "/chat"]
