"""What only a browser shows: the theme before first paint, phone width, copy buttons, the tour."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, register, seed_chat, shot, watch

pytestmark = pytest.mark.browser

# Records the theme at the moment <body> is created: the head has been parsed, nothing painted.
AT_BODY = """
window.__atBody = null;
new MutationObserver((_, observer) => {
  if (!document.body) return;
  observer.disconnect();
  const root = document.documentElement;
  window.__atBody = {dark: root.classList.contains("bk-dark"),
                     background: getComputedStyle(root).backgroundColor};
}).observe(document, {childList: true, subtree: true});
"""
DARK_BACKGROUND = "rgb(27, 28, 31)"

LONG_CALL = "result = some_function(" + ", ".join(f"argument_{n}={n}" for n in range(8)) + ")"
WIDE = f"""Here is a wide table and a long line of code.

| column one | column two | column three | column four | column five | column six |
|---|---|---|---|---|---|
| a fairly long cell | another long cell | and another one | still going | more text | the end |

```python
{LONG_CALL}
```

Averyveryveryveryveryveryveryveryveryveryveryveryveryverylongwordwithoutanyspacesatall.
"""


def test_login_and_landing_look(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    expect(page.get_by_text("Your own AI chat, on your own server.")).to_be_visible()
    shot(page, "00-landing")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome back")).to_be_visible()
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password", exact=True).fill("wrong password")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_enabled()
    shot(page, "01-login")


def test_theme_switch_survives_reload_without_a_flash(page: Page, server: Server) -> None:
    page.add_init_script(AT_BODY)
    register(page, server, "theme")
    assert page.evaluate("window.__atBody")["dark"] is False

    toggle = page.get_by_role("button", name="Switch theme")
    toggle.click()  # auto, showing light -> dark: one click changes what the user sees
    expect(page.locator("html.bk-dark")).to_have_count(1)
    expect(toggle.locator("i")).to_have_text("dark_mode")
    expect(page.locator("body.body--dark")).to_have_count(1)
    page.wait_for_timeout(300)  # the setting is saved in the background

    page.reload()
    first = page.evaluate("window.__atBody")
    assert first == {"dark": True, "background": DARK_BACKGROUND}  # dark before first paint
    expect(page.locator("body.body--dark")).to_have_count(1)
    page.locator(".bk-composer textarea").fill("How does the dark theme look?")
    page.keyboard.press("Enter")
    expect(page.locator(".bk-answer").last).to_contain_text("restart the server", timeout=20_000)
    shot(page, "06-dark-chat")

    page.goto(server.url + "/settings")
    assert page.evaluate("window.__atBody")["dark"] is True
    shot(page, "07-dark-settings", full_page=True)
    page.get_by_role("button", name="Light").click()
    expect(page.locator("html.bk-dark")).to_have_count(0)
    page.wait_for_timeout(300)
    page.reload()
    assert page.evaluate("window.__atBody")["dark"] is False


def test_auto_theme_follows_the_system(browser: Browser, server: Server) -> None:
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.add_init_script(AT_BODY)
    page.goto(server.url + "/login")
    assert page.evaluate("window.__atBody") == {"dark": True, "background": DARK_BACKGROUND}
    page.get_by_role("button", name="Switch theme").click()  # auto, showing dark -> light
    expect(page.locator("html.bk-dark")).to_have_count(0)
    expect(page.locator("body.body--dark")).to_have_count(0)
    context.close()


def test_settings_look(page: Page, server: Server) -> None:
    register(page, server, "settings")
    page.get_by_role("button").filter(has=page.locator(".q-avatar")).click()
    page.get_by_text("Settings", exact=True).click()
    expect(page.get_by_text("Custom instructions")).to_be_visible()
    shot(page, "05-settings", full_page=True)


def test_phone_width_uses_a_drawer_and_never_scrolls_sideways(
    browser: Browser, server: Server
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True)
    page = context.new_page()
    errors = watch(page)
    name = register(page, server, "phone")
    messages = [("user", "Show me something wide"), ("assistant", WIDE)]
    chat_id = seed_chat(server, name, messages, "Wide")
    page.goto(f"{server.url}/chat/{chat_id}")
    expect(page.locator(".bk-answer")).to_contain_text("the end")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    table = page.locator(".bk-table")
    assert table.evaluate("e => e.scrollWidth > e.clientWidth")  # it scrolls in its own box
    code = page.locator(".bk-code pre")
    assert code.evaluate("e => e.scrollWidth > e.clientWidth")
    expect(page.locator(".q-drawer")).not_to_be_in_viewport()  # the sidebar is a drawer
    shot(page, "08-phone-chat")

    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_text("Wide", exact=True)).to_be_visible()
    page.wait_for_timeout(300)
    shot(page, "09-phone-drawer")
    page.get_by_role("button", name="New chat").click()
    page.wait_for_url("**/chat")
    expect(page.get_by_text("How can I help you today?")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert not errors, errors
    context.close()


def test_a_40000_character_paste_is_kept_whole_and_explained(
    browser: Browser, server: Server
) -> None:
    """Pasting 40,000 characters keeps all of them in the box (no silent cut at 32,000 by
    the browser); Enter sends nothing and says "A message can have at most 32,000
    characters; this one has 40,000."; the box that edits a question does the same."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    name = register(page, server, "paste")
    text = "0123456789" * 4000
    notice = page.get_by_text("A message can have at most 32,000 characters; this one has 40,000.")

    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    box = page.locator(".bk-composer textarea")
    box.click()
    page.keyboard.press("Control+V")
    assert box.input_value() == text, len(box.input_value())  # not cut at 32,000
    page.keyboard.press("Enter")
    expect(notice).to_be_visible()
    assert box.input_value() == text  # nothing lost: the user shortens it and sends again
    expect(page.locator(".bk-bubble")).to_have_count(0)
    assert page.url.endswith("/chat")  # no chat was made

    chat_id = seed_chat(server, name, [("user", "Short question"), ("assistant", "Hi")], "Edit")
    page.goto(f"{server.url}/chat/{chat_id}")
    page.get_by_role("button", name="Edit").first.click()
    editor = page.locator(".bk-thread textarea")
    editor.press("Control+A")
    page.keyboard.press("Control+V")
    assert editor.input_value() == text, len(editor.input_value())
    editor.press("Enter")
    expect(notice).to_be_visible()
    assert editor.input_value() == text
    expect(page.get_by_text("Short question")).to_have_count(1)  # the question is unchanged
    context.close()


def test_code_blocks_copy_their_code(browser: Browser, server: Server) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    register(page, server, "copy")
    page.locator(".bk-composer textarea").fill("code please")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Regenerate")).to_be_visible(timeout=20_000)
    block = page.locator(".bk-code").first
    block.get_by_role("button", name="Copy").click()
    expect(block.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("def greet(name: str) -> str:")
    context.close()


def test_a_long_chat_opens_with_its_latest_page_and_loads_older_on_scroll(
    page: Page, server: Server
) -> None:
    """A 2,000-message chat opens showing its newest 30 messages and no more (the page
    stays light however long the chat; `make bench` times it: tests/bench/long_chat.py);
    scrolling to the top loads the 30 before them by itself."""
    name = register(page, server, "long")
    messages = [
        ("user", f"Question {n}") if n % 2 == 0 else ("assistant", f"Answer **{n}**\n\n- a\n- b")
        for n in range(2000)
    ]
    chat_id = seed_chat(server, name, messages, "Long chat")
    page.goto(f"{server.url}/chat/{chat_id}")
    expect(page.get_by_text("Question 1998")).to_be_visible()
    expect(page.locator(".bk-bubble")).to_have_count(15)
    expect(page.locator(".bk-answer")).to_have_count(15)
    expect(page.locator(".bk-bubble").first).to_have_text("Question 1970")
    expect(page.get_by_text("Answer 1969", exact=True)).to_have_count(0)
    page.mouse.wheel(0, -100_000)  # scroll to the top: older messages load by themselves
    expect(page.get_by_text("Answer 1969", exact=True)).to_be_visible()
    expect(page.locator(".bk-bubble")).to_have_count(30)
    expect(page.locator(".bk-answer")).to_have_count(30)
    expect(page.locator(".bk-bubble").first).to_have_text("Question 1940")


def test_the_browser_language_picks_russian(browser: Browser, server: Server) -> None:
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    page.goto(server.url + "/")
    expect(page.get_by_text("Свой ИИ-чат на своём сервере.")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "ru"
    shot(page, "11-landing-ru")
    page.get_by_role("button", name="Создать аккаунт").click()
    expect(page.get_by_text("Создание аккаунта")).to_be_visible()
    context.close()
