"""Copying a message or a code block where the Clipboard API is missing (plain-HTTP installs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, col, select

from beykusay.db import make_engine
from beykusay.models import Message
from tests.browser.conftest import Server, register, watch

pytestmark = pytest.mark.browser

# On http:// to a real host name navigator.clipboard does not exist; 127.0.0.1 counts as
# secure, so take it away to get the same page.
NO_CLIPBOARD_API = "delete Navigator.prototype.clipboard;"
# ...and a browser that refuses the old execCommand("copy") too.
NO_COPY_AT_ALL = NO_CLIPBOARD_API + "document.execCommand = () => false;"
FAILED = "Copy failed — select the text and press Ctrl+C"


@pytest.fixture
def clipboard_context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(15_000)
    yield context
    context.close()


def answered(context: BrowserContext, server: Server, script: str) -> tuple[Page, list[str]]:
    """A chat page (with ``script`` run before the page's own) showing a demo answer."""
    page = context.new_page()
    page.add_init_script(script)
    errors = watch(page)
    register(page, server, "clip")
    assert page.evaluate("typeof navigator.clipboard") == "undefined"
    page.locator(".bk-composer textarea").fill("code please")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Regenerate")).to_be_visible(timeout=20_000)
    return page, errors


def clipboard(context: BrowserContext, server: Server, write: str | None = None) -> str:
    """What the system clipboard holds (after ``write``), seen by a page with the Clipboard API."""
    other = context.new_page()
    other.goto(server.url + "/")
    other.bring_to_front()
    if write is not None:
        other.evaluate("(text) => navigator.clipboard.writeText(text)", write)
    text = other.evaluate("navigator.clipboard.readText()")
    other.close()
    return text


def last_answer(server: Server) -> str:
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            query = select(Message).where(Message.role == "assistant")
            return session.exec(query.order_by(col(Message.id).desc())).first().content
    finally:
        engine.dispose()


def test_copy_without_the_clipboard_api_still_copies(
    clipboard_context: BrowserContext, server: Server
) -> None:
    """On plain HTTP the copy action said "Copied" and copied nothing; now it copies."""
    page, errors = answered(clipboard_context, server, NO_CLIPBOARD_API)
    assert clipboard(clipboard_context, server, write="") == ""  # nothing left from before
    page.bring_to_front()
    page.locator(".bk-answer .bk-actions").get_by_role("button", name="Copy").click()
    expect(page.locator(".q-notification").get_by_text("Copied")).to_be_visible()
    assert clipboard(clipboard_context, server) == last_answer(server)

    page.bring_to_front()
    block = page.locator(".bk-code").first
    block.get_by_role("button", name="Copy").click()
    expect(block.get_by_role("button", name="Copied")).to_be_visible()
    assert clipboard(clipboard_context, server).startswith("def greet(name: str) -> str:")
    assert not errors, errors


def test_when_copying_fails_the_page_says_so(
    clipboard_context: BrowserContext, server: Server
) -> None:
    """When the browser cannot copy at all, the page said "Copied"; now it says it failed."""
    page, errors = answered(clipboard_context, server, NO_COPY_AT_ALL)
    page.locator(".bk-answer .bk-actions").get_by_role("button", name="Copy").click()
    expect(page.locator(".q-notification").get_by_text(FAILED)).to_be_visible()
    expect(page.locator(".q-notification").get_by_text("Copied", exact=True)).to_have_count(0)

    block = page.locator(".bk-code").first
    block.get_by_role("button", name="Copy").click()
    expect(block.get_by_role("button", name=FAILED)).to_be_visible()
    assert not errors, errors
