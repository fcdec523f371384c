"""The main story in a real browser: register, stream with thinking, reload, stop, other tabs."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.conftest import Server, register, shot, watch

pytestmark = pytest.mark.browser


def composer(page: Page) -> Locator:
    return page.locator(".bk-composer textarea")


def test_register_stream_think_reload_stop(page: Page, server: Server) -> None:
    register(page, server, "story")
    expect(page.get_by_text("How can I help you today?")).to_be_visible()
    shot(page, "02-chat-empty")

    page.locator(".bk-model-select").click()
    page.get_by_role("option", name="Beykus Small R · demo").click()
    box = composer(page)
    box.fill("Tell me about BeykuSay")
    box.press("Shift+Enter")  # a new line, not a send
    box.press_sequentially("in two lines")
    expect(box).to_have_value("Tell me about BeykuSay\nin two lines")
    box.press("Enter")

    expect(page.locator(".bk-bubble")).to_have_text("Tell me about BeykuSay\nin two lines")
    expect(box).to_have_value("")
    thoughts = page.locator(".bk-think")
    expect(thoughts).to_contain_text("Thinking…")
    expect(thoughts).to_contain_text("This is the demo provider")  # live thoughts
    shot(page, "03-thinking-live")

    answer = page.locator(".bk-answer").last
    expect(answer).to_contain_text("demo mode")  # the answer started...
    expect(thoughts).to_contain_text("Thought for")  # ...so the thoughts folded
    assert "/chat/" in page.url

    page.reload()  # mid-answer
    answer = page.locator(".bk-answer").last
    expect(answer).to_contain_text("demo mode")
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    before = answer.inner_text()
    page.wait_for_timeout(400)
    assert len(answer.inner_text()) > len(before)  # still streaming after the reload
    stop.click()
    expect(answer).to_contain_text("Stopped")
    expect(answer).not_to_contain_text("restart the server")  # the last line never came
    page.locator(".bk-think .q-item").first.click()  # reopen the thoughts
    expect(page.locator(".bk-think .bk-md")).to_be_visible()
    page.wait_for_timeout(400)  # let the fold animation end
    shot(page, "04-chat-thinking-open")


def test_regenerate_and_edit_in_the_browser(page: Page, server: Server) -> None:
    register(page, server, "redo")
    composer(page).fill("First question")
    composer(page).press("Enter")
    expect(page.locator(".bk-answer").last).to_contain_text("restart the server", timeout=20_000)
    page.get_by_role("button", name="Edit").click()
    editor = page.locator(".bk-thread textarea")
    editor.fill("Second question")
    page.locator(".bk-thread").get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".bk-bubble")).to_have_text("Second question")
    expect(page.locator(".bk-answer")).to_have_count(1)
    expect(page.locator(".bk-answer").last).to_contain_text("Second question", timeout=20_000)
    expect(page.get_by_role("button", name="Regenerate")).to_be_visible(timeout=20_000)
    page.get_by_role("button", name="Regenerate").click()
    expect(page.locator(".bk-answer")).to_have_count(1)
    expect(page.get_by_role("button", name="Regenerate")).to_be_visible(timeout=20_000)


def test_a_second_tab_follows_and_closing_a_tab_loses_nothing(
    page: Page, context: BrowserContext, server: Server
) -> None:
    register(page, server, "tabs")
    composer(page).fill("Warm up")
    composer(page).press("Enter")
    expect(page.locator(".bk-answer").last).to_contain_text("restart the server", timeout=20_000)
    chat_url = page.url

    other = context.new_page()
    errors = watch(other)
    other.goto(chat_url)
    expect(other.locator(".bk-answer")).to_have_count(1)

    composer(page).fill("Now watch this")
    composer(page).press("Enter")
    expect(other.locator(".bk-bubble").last).to_have_text("Now watch this", timeout=5_000)
    expect(other.locator(".bk-answer").last).to_contain_text("demo mode", timeout=10_000)
    page.close()  # the tab that asked goes away mid-answer
    expect(other.locator(".bk-answer").last).to_contain_text("restart the server", timeout=20_000)

    again = context.new_page()
    again.goto(chat_url)
    expect(again.locator(".bk-answer")).to_have_count(2)
    expect(again.locator(".bk-answer").last).to_contain_text("restart the server")
    assert not errors, errors
