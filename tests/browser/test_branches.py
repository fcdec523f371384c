"""Versions in a real browser: "‹ 2 / 3 ›" under an answer, switched from the keyboard,
in the light and the dark theme; an earlier question edited in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, register, seed_chat, shot

pytestmark = pytest.mark.browser

FIRST = "The **first** answer: short and plain."
SECOND = "The **second** answer, with a list:\n\n- one point\n- another point"
THIRD = "The **third** answer, and the newest."


def test_stepping_through_versions_with_the_keyboard_in_light_and_dark(
    page: Page, server: Server
) -> None:
    name = register(page, server, "versions")
    chat_id = seed_chat(
        server,
        name,
        [("user", "Explain versions, please."), ("assistant", FIRST)],
        "Versions",
        versions=[(1, [("assistant", SECOND)]), (1, [("assistant", THIRD)])],
    )
    page.goto(f"{server.url}/chat/{chat_id}")
    answer = page.locator(".bk-answer").last
    expect(answer).to_contain_text("third answer")
    expect(answer.locator(".bk-version-label")).to_have_text("3 / 3")
    next_button = answer.get_by_role("button", name="Next version")
    expect(next_button).to_be_disabled()

    previous = answer.get_by_role("button", name="Previous version")
    previous.focus()
    page.keyboard.press("Enter")  # reachable and usable without a mouse
    answer = page.locator(".bk-answer").last
    expect(answer).to_contain_text("another point")
    expect(answer.locator(".bk-version-label")).to_have_text("2 / 3")
    expect(page.get_by_text("third answer")).to_have_count(0)
    assert page.url.endswith(f"/chat/{chat_id}")  # no reload, no navigation
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    shot(page, "10-versions-light")

    page.get_by_role("button", name="Switch theme").click()  # light -> dark
    expect(page.locator("html.bk-dark")).to_have_count(1)
    expect(page.locator("body.body--dark")).to_have_count(1)
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    shot(page, "11-versions-dark")

    page.reload()  # the switch was saved: the second version is the current one
    expect(page.locator(".bk-answer").last.locator(".bk-version-label")).to_have_text("2 / 3")


def test_an_earlier_question_is_edited_in_place_and_sent_with_enter(
    page: Page, server: Server
) -> None:
    name = register(page, server, "edits")
    chat_id = seed_chat(
        server,
        name,
        [
            ("user", "First question"),
            ("assistant", "First answer."),
            ("user", "Second question"),
            ("assistant", "Second answer."),
        ],
        "Edits",
    )
    page.goto(f"{server.url}/chat/{chat_id}")
    expect(page.locator(".bk-answer")).to_have_count(2)
    first = page.locator(".bk-bubble").first
    first.hover()
    page.get_by_role("button", name="Edit").first.click()
    editor = page.locator(".bk-thread textarea")
    expect(editor).to_be_focused()
    editor.press("Escape")
    expect(editor).to_have_count(0)
    page.get_by_role("button", name="Edit").first.click()
    editor = page.locator(".bk-thread textarea")
    editor.fill("First question, asked again")
    editor.press("Enter")
    expect(page.locator(".bk-bubble")).to_have_text(["First question, asked again"])
    expect(page.locator(".bk-answer")).to_have_count(1)
    expect(page.locator(".bk-answer").last).to_contain_text("restart the server", timeout=20_000)
    question = page.locator(".bk-bubble").first.locator("xpath=..")
    expect(question.locator(".bk-version-label")).to_have_text("2 / 2")
    question.get_by_role("button", name="Previous version").click()
    expect(page.locator(".bk-bubble")).to_have_text(["First question", "Second question"])
