"""Sharing in a real browser: the owner makes a link in the Share dialog, a stranger in a
fresh browser (no login) reads it rendered like the chat, in light and dark, marked
noindex; stopping kills it. And Settings → Import chats with a ChatGPT export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import chatgpt_export as cg
from tests.browser.conftest import Server, register, seed_chat, shot

pytestmark = pytest.mark.browser

ANSWER = (
    "Here is how:\n\n```python\ndef greet(name):\n    return f'Привет, {name}! 👋'\n```\n\n"
    "**Done.**"
)
THOUGHT = "The user wants a *greeting* function."


def add_thinking(server: Server, chat_id: int, thinking: str) -> None:
    from sqlmodel import Session, select

    from beykusay.db import make_engine
    from beykusay.models import Message

    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            answer = session.exec(
                select(Message).where(Message.chat_id == chat_id, Message.role == "assistant")
            ).one()
            answer.thinking = thinking
            session.add(answer)
            session.commit()
    finally:
        engine.dispose()


def make_link(page: Page) -> str:
    """Share the chat open on the page through its menu's Share dialog; the link."""
    page.locator(".bk-chat-item:has(.bk-chat-more) >> nth=0").hover()
    page.locator(".bk-chat-more").first.click()
    page.get_by_text("Share…", exact=True).click()
    dialog = page.locator(".q-dialog")
    expect(dialog).to_contain_text("Anyone with the link")
    dialog.get_by_role("button", name="Create link").click()
    field = dialog.locator("input")
    field.wait_for()
    url = field.input_value()
    assert url.startswith("http") and "/share/" in url
    return url


def test_a_stranger_reads_a_shared_chat_without_logging_in(
    page: Page, browser: Browser, server: Server
) -> None:
    """A visitor with no account opens the link and reads the chat as the chat page shows
    it (highlighted code, folded thoughts), in light and dark, marked noindex, with no
    owner name; after Stop sharing the link says it is gone."""
    name = register(page, server, "sharer")
    chat_id = seed_chat(
        server, name, [("user", "Write a greeting 🙂"), ("assistant", ANSWER)], "Greeting 👋"
    )
    add_thinking(server, chat_id, THOUGHT)
    page.goto(f"{server.url}/chat/{chat_id}")
    url = make_link(page)
    shot(page, "share-dialog")

    for scheme in ("light", "dark"):
        stranger = browser.new_context(viewport={"width": 1100, "height": 800}, color_scheme=scheme)
        try:
            visitor = stranger.new_page()
            response = visitor.goto(url)
            assert response is not None and response.status == 200
            assert "noindex" in response.headers["x-robots-tag"]
            assert visitor.url == url  # not sent to the login page
            robots = visitor.locator('meta[name="robots"]')
            assert "noindex" in (robots.get_attribute("content") or "")
            expect(visitor.locator(".bk-bubble")).to_have_text("Write a greeting 🙂")
            code = visitor.locator(".bk-answer code.language-python")
            expect(code).to_contain_text("Привет, {name}! 👋")
            expect(code.locator("span").first).to_be_attached()  # highlighted
            expect(visitor.locator(".bk-answer strong")).to_have_text("Done.")
            thoughts = visitor.locator(".bk-think")
            expect(thoughts).to_contain_text("Thought")
            expect(thoughts.locator(".bk-md")).to_be_hidden()  # folded
            thoughts.locator(".q-item").first.click()
            expect(thoughts.locator("em")).to_have_text("greeting")
            assert name not in visitor.locator("body").inner_text()
            expect(
                visitor.get_by_role("button", name="Log in to continue this chat")
            ).to_be_visible()
            expect(visitor.get_by_text("Continue in my chats")).to_have_count(0)
            dark = visitor.evaluate("document.documentElement.classList.contains('bk-dark')")
            assert dark is (scheme == "dark")
            shot(visitor, f"share-page-{scheme}", full_page=True)
        finally:
            stranger.close()

    page.locator(".q-dialog").get_by_role("button", name="Refresh snapshot").click()
    expect(page.get_by_text("The link now shows the chat as it is")).to_be_visible()
    page.locator(".q-dialog").get_by_role("button", name="Stop sharing").click()
    expect(page.locator(".q-dialog").get_by_role("button", name="Create link")).to_be_visible()
    expect(page.get_by_text("The link no longer works")).to_be_visible()  # the notice
    stranger = browser.new_context()
    try:
        visitor = stranger.new_page()
        visitor.goto(url)
        expect(visitor.get_by_text("no longer shared")).to_be_visible()
    finally:
        stranger.close()


def test_a_signed_in_visitor_continues_in_their_chats(
    page: Page, browser: Browser, server: Server
) -> None:
    """A signed-in visitor clicks Continue in my chats and lands in a copy of their own."""
    name = register(page, server, "owner")
    chat_id = seed_chat(
        server, name, [("user", "Shared question"), ("assistant", "Shared answer")], "To copy"
    )
    page.goto(f"{server.url}/chat/{chat_id}")
    url = make_link(page)
    other = browser.new_context()
    try:
        visitor = other.new_page()
        register(visitor, server, "visitor")
        visitor.goto(url)
        visitor.get_by_role("button", name="Continue in my chats").click()
        visitor.wait_for_url("**/chat/*")
        assert visitor.url != f"{server.url}/chat/{chat_id}"
        expect(visitor.locator(".bk-bubble")).to_have_text("Shared question")
        expect(visitor.locator(".bk-answer")).to_contain_text("Shared answer")
        expect(visitor.locator(".bk-chat-title").first).to_have_text("To copy")
    finally:
        other.close()


def test_importing_a_chatgpt_export_in_settings(page: Page, server: Server, tmp_path: Path) -> None:
    """Settings → Import chats takes ChatGPT's .zip and says what came in; a broken file
    says where it is broken and adds nothing; the imported chat shows its photo note."""
    register(page, server, "importer")
    page.goto(server.url + "/settings")
    section = page.locator(".bk-card", has_text="Export and import")
    section.scroll_into_view_if_needed()
    archive = tmp_path / "chatgpt-export.zip"
    archive.write_bytes(cg.as_zip(cg.sample()))
    section.locator("input[type=file]").set_input_files(str(archive))
    result = section.locator(".q-field, .text-sm").filter(has_text="imported")
    expect(result.first).to_have_text(
        "2 chats imported, 1 skipped: Nothing here (no messages to import)", timeout=30_000
    )
    expect(section.locator(".q-linear-progress")).to_be_visible()
    shot(page, "import-done", full_page=True)
    broken = tmp_path / "conversations.json"
    bad = cg.sample()
    bad[0]["mapping"]["u2"]["parent"] = "nowhere"
    broken.write_text(json.dumps(bad))
    section.locator("input[type=file]").set_input_files(str(broken))
    expect(section.get_by_text("Nothing was imported")).to_contain_text(
        'mapping["u2"].parent', timeout=30_000
    )
    shot(page, "import-failed", full_page=True)
    page.goto(server.url + "/chat")
    expect(page.locator(".bk-chat-title")).to_have_count(2)
    page.get_by_text("Рецепт борща 🍲").click()
    expect(page.locator(".bk-bubble").last).to_have_text("[image not imported]\nЧто на фото?")
