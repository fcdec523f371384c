"""The ⋯ menu of a chat in the sidebar, made on its first click, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, register, seed_chat, shot

pytestmark = pytest.mark.browser


def test_the_row_menu_opens_on_every_click_and_stays_on_the_page(
    page: Page, server: Server
) -> None:
    """Clicking ⋯ shows Rename and Delete (the first time too, when the menu is made),
    does not open the chat, closes with Escape and opens again; Delete asks first. A long
    title is cut short before the ⋯, which sits level with it."""
    name = register(page, server, "menu")
    kept = seed_chat(server, name, [("user", "Question"), ("assistant", "Answer")], "Kept")
    other = seed_chat(server, name, [("user", "Other"), ("assistant", "Reply")], "Other")
    long_title = "A title far too long for the sidebar, " * 4
    seed_chat(server, name, [("user", "Long"), ("assistant", "Reply")], long_title)
    page.goto(f"{server.url}/chat/{kept}")
    expect(page.locator(".bk-bubble")).to_have_text("Question")
    row = page.locator(".bk-chat-item", has_text="Other")
    long_row = page.locator(".bk-chat-item", has_text="far too long")
    title_box = long_row.locator(".bk-chat-title").bounding_box()
    more_box = long_row.locator(".bk-chat-more").bounding_box()
    assert title_box and more_box and title_box["x"] + title_box["width"] <= more_box["x"] + 1
    middle = title_box["y"] + title_box["height"] / 2
    assert abs(more_box["y"] + more_box["height"] / 2 - middle) < 3  # level with the title
    for _ in range(2):
        row.locator(".bk-chat-more").click()
        expect(page.locator(".q-menu").get_by_text("Rename", exact=True)).to_be_visible()
        expect(page.locator(".q-menu").get_by_text("Delete", exact=True)).to_be_visible()
        assert page.url.endswith(f"/chat/{kept}")  # the row's own click did not fire
        shot(page, "perf-sidebar-menu")
        page.keyboard.press("Escape")
        expect(page.locator(".q-menu").get_by_text("Rename", exact=True)).to_be_hidden()
    row.locator(".bk-chat-more").click()
    page.locator(".q-menu").get_by_text("Delete", exact=True).click()
    expect(page.get_by_text("Delete chat?")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(row).to_be_visible()
    assert other  # still listed
