"""Attachments in a real browser: a PNG dragged onto the chat shows as a chip with its
size, is sent with the question, shows as a thumbnail that opens the full image, and the
demo answer names it; a pasted screenshot attaches too; a refused file says why in its
chip and the typed text stays. Light and dark screenshots."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import JSHandle, Page, Route, expect

from pages.attachments import human_size
from tests.browser.conftest import Server, register, shot
from tests.filesamples import SVG, png

pytestmark = pytest.mark.browser


def files_handle(page: Page, files: list[tuple[str, bytes, str]]) -> JSHandle:
    """A DataTransfer holding these (name, bytes, type) files, made in the page."""
    encoded = [[name, base64.b64encode(data).decode(), kind] for name, data, kind in files]
    return page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const [name, b64, type] of files) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, { type }));
            }
            return transfer;
        }""",
        encoded,
    )


def drop(page: Page, files: list[tuple[str, bytes, str]]) -> None:
    transfer = files_handle(page, files)
    for kind in ("dragenter", "dragover", "drop"):
        page.dispatch_event(".q-page", kind, {"dataTransfer": transfer})


def keep_shot(page: Page, name: str) -> None:
    shot(page, f"files-{name}")


def test_drag_a_png_in_send_it_and_see_the_thumbnail_and_answer(page: Page, server: Server) -> None:
    """The user drops photo.png on the chat: a chip shows its name and size, Send waits
    for the upload, the sent message shows the thumbnail (a link to the full image) and
    the demo answer says it received 1 image, photo.png."""
    register(page, server, "attach")
    data = png(320, 200, "#2a6")
    held: list[Route] = []
    page.route("**/attachments", lambda route: held.append(route))  # the upload waits
    drop(page, [("photo.png", data, "image/png")])
    chip = page.locator(".bk-tray .bk-chip")
    expect(chip).to_contain_text("photo.png")
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_disabled()  # while the upload is in flight
    assert held, "the upload did not start"
    held[0].continue_()
    expect(chip).to_contain_text(human_size(len(data)))
    expect(chip.locator(".q-linear-progress")).to_be_hidden()  # upload finished
    page.locator("textarea").fill("What colour is this?")
    keep_shot(page, "01-chip-light")
    expect(send).to_be_enabled()
    send.click()
    message = page.locator(".bk-message-files")
    thumbnail = message.locator("img")
    expect(thumbnail).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.bk-message-files img')]"
        ".every((img) => img.complete && img.naturalWidth === 320)"
    )
    answer = page.locator(".bk-answer").last
    expect(answer).to_contain_text("I received 1 image, photo.png", timeout=30_000)
    expect(page.locator(".bk-tray .bk-chip")).to_have_count(0)  # the tray is empty again
    with page.expect_popup() as popup:
        message.locator("a").first.click()
    full = popup.value
    full.wait_for_load_state()
    assert "/attachments/" in full.url
    full.close()
    page.mouse.move(0, 0)
    keep_shot(page, "02-thumbnail-light")

    page.get_by_role("button", name="Switch theme").click()  # light -> dark
    expect(page.locator("html.bk-dark")).to_have_count(1)
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    keep_shot(page, "03-thumbnail-dark")


def test_paste_attaches_and_a_refused_file_says_why_keeping_the_text(
    page: Page, server: Server
) -> None:
    """Ctrl+V of a screenshot attaches it; an SVG dropped in gets a chip that says what
    is accepted, the typed text is still there, and removing the chip (by keyboard)
    lets the message go with the screenshot alone."""
    register(page, server, "paste")
    box = page.locator("textarea")
    box.fill("Here is my screen")
    transfer = files_handle(page, [("", png(64, 64, "#c52"), "image/png")])
    box.evaluate(
        "(el, transfer) => el.dispatchEvent(new ClipboardEvent('paste',"
        " { clipboardData: transfer, bubbles: true, cancelable: true }))",
        transfer,
    )
    expect(page.locator(".bk-tray .bk-chip")).to_contain_text("pasted.png")
    drop(page, [("logo.svg", SVG, "image/svg+xml")])
    error = page.locator(".bk-chip-failed .bk-chip-note")
    expect(error).to_contain_text("Accepted")
    expect(box).to_have_value("Here is my screen")
    page.mouse.move(0, 0)
    keep_shot(page, "04-refused-light")
    page.set_viewport_size({"width": 390, "height": 800})  # a phone: chips wrap, no page scroll
    page.wait_for_timeout(300)
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    keep_shot(page, "05-refused-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    refused = page.locator(".bk-tray .bk-chip").filter(has_text="logo.svg")
    refused.get_by_role("button", name="Remove").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".bk-tray .bk-chip")).to_have_count(1)
    # larger than MAX_BODY_BYTES (256 KiB): uploads have their own limit
    drop(page, [("notes.txt", b"line of notes\n" * 50_000, "text/plain")])
    expect(page.locator(".bk-tray .bk-chip").last).to_contain_text("700 KB")
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_enabled()
    send.click()
    expect(page.locator(".bk-answer").last).to_contain_text(
        "I received 1 image and 1 text file: pasted.png, ", timeout=30_000
    )
    expect(page.locator(".bk-message-files a.bk-file-link")).to_contain_text("notes.txt")


def test_a_refused_file_says_why_in_russian_on_the_russian_ui(page: Page, server: Server) -> None:
    """A reader whose browser asks for Russian drops an SVG and a file over the upload
    limit: both chips say why in Russian (before: the server's English sentence)."""
    register(page, server, "russian")
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    page.reload()
    page.locator("textarea").wait_for()
    drop(page, [("logo.svg", SVG, "image/svg+xml")])
    error = page.locator(".bk-chip-failed .bk-chip-note")
    expect(error).to_contain_text("не принимаются")
    expect(error).not_to_contain_text("Accepted")
    page.evaluate("window.bkAttachOptions.maxBytes = 10")  # the browser's own size check
    drop(page, [("big.txt", b"more than ten bytes", "text/plain")])
    expect(error.last).to_contain_text("Файл слишком большой")
