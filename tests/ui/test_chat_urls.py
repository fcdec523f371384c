"""Any /chat/<something> that is not one of your chats shows the same "not found" page,
never FastAPI's raw validation error and never a hint that the chat exists."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import select

from beykusay.db import new_session
from beykusay.models import User as UserRow
from beykusay.services import operations
from tests.ui.conftest import PASSWORD, Register

MALFORMED = [
    "abc",
    "-1",
    "0",
    "99999999999",
    "2147483648",  # one past the largest id a database column holds
    "1.5",
    "1e3",
    "0x10",
    "%20",
    "%EF%BC%91",  # a fullwidth digit one
    "%D9%A3",  # an Arabic-Indic digit three
]


@pytest.mark.parametrize("chat_id", MALFORMED)
async def test_a_malformed_chat_url_shows_the_not_found_page(
    user: User, register: Register, chat_id: str
) -> None:
    """A mistyped or truncated link shows "This chat does not exist", with the sidebar and
    a way back, instead of a page of JSON."""
    await register()
    await user.open(f"/chat/{chat_id}")
    await user.should_see(marker="chat-missing")
    await user.should_see("This chat does not exist or was deleted.")
    await user.should_see(marker="new-chat")
    await user.should_not_see("int_parsing")


async def test_another_users_chat_looks_exactly_like_a_missing_one(
    user: User, register: Register
) -> None:
    other = operations.register("mallory", PASSWORD)
    foreign = operations.create_chat(other.id or 0, None)
    await register()
    await user.open(f"/chat/{foreign.id}")
    await user.should_see(marker="chat-missing")
    await user.open(f"/chat/{(foreign.id or 0) + 1000}")
    await user.should_see(marker="chat-missing")


async def test_a_chat_url_with_a_leading_zero_still_opens_the_chat(
    user: User, register: Register
) -> None:
    await register("alice")
    with new_session() as session:
        alice = session.exec(select(UserRow).where(UserRow.username_key == "alice")).one()
    mine = operations.create_chat(alice.id or 0, None)
    await user.open(f"/chat/0{mine.id}")
    await user.should_not_see(marker="chat-missing")
    await user.should_see(marker="message-input")
