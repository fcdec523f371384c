"""A grounded answer in Chromium: markers that open their source in a new tab, the Sources
list, the queries, and Google's suggestions in a sandboxed frame, light and dark."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SHOTS, Server, register
from tests.browser.grounded import seed_grounded, span
from tests.fakegrounding import entry_point

pytestmark = pytest.mark.browser

ANSWER = (
    "Стамбул 🌉 lies on **both sides of the Bosphorus**, so it spans two continents. "
    "Its old name was Constantinople.\n\n"
    "- Population: about 15.7 million\n"
    "- Founded as Byzantium around 660 BC\n\n"
    "```python\nprint('no markers inside code')\n```\n"
)


def grounded_chat(page: Page, server: Server) -> int:
    name = register(page, server, "ground")
    sources = [
        {"index": 1, "title": "wikipedia.org", "url": f"{server.url}/api/health?source=1"},
        {"index": 2, "title": "britannica.com", "url": f"{server.url}/api/health?source=2"},
        {"index": 3, "title": "Istanbul — Türkiye", "url": "https://www.goturkiye.com/istanbul"},
    ]
    citations = [
        span(ANSWER, "so it spans two continents.", [1, 2]),
        span(ANSWER, "Its old name was Constantinople.", [2]),
        span(ANSWER, "about 15.7 million", [3]),
        span(ANSWER, "around 660 BC", [1]),
    ]
    queries = ["istanbul two continents", "istanbul population"]
    return seed_grounded(
        server,
        name,
        "Tell me about Istanbul",
        ANSWER,
        sources=sources,
        citations=citations,
        queries=queries,
        entry_point=entry_point(queries),
        title="Istanbul",
    )


def test_a_grounded_answer_shows_markers_sources_and_suggestions(
    page: Page, server: Server
) -> None:
    """A saved grounded answer: markers after the cited paragraph and list (none in the
    code), each opening its source in a new tab without an opener; the Sources list with
    titles and domains and no favicons; the queries; Google's suggestion chips in their
    sandboxed frame, light, then dark after switching the theme."""
    chat_id = grounded_chat(page, server)
    page.goto(f"{server.url}/chat/{chat_id}")
    answer = page.locator(".bk-answer").last
    markers = answer.locator("a.bk-cite")
    expect(markers.first).to_be_visible(timeout=20_000)
    # after each block holding a cited span's end, its sources once each, in order: the
    # paragraph's two spans, then the list's two
    expect(markers).to_have_count(4)
    assert markers.all_inner_texts() == ["[1]", "[2]", "[1]", "[3]"]
    assert answer.locator("pre a.bk-cite, code a.bk-cite").count() == 0
    sources = answer.locator(".bk-sources")
    expect(sources).to_contain_text("Sources")
    expect(sources).to_contain_text("Istanbul — Türkiye")
    expect(sources).to_contain_text("goturkiye.com")
    expect(sources).to_contain_text("istanbul two continents")
    assert sources.locator("img").count() == 0  # no favicons
    for link in sources.locator("a").all():
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener noreferrer"
    frame = answer.locator("iframe.bk-entry-point:visible")
    expect(frame).to_have_count(1)
    assert frame.get_attribute("sandbox") == "allow-popups allow-popups-to-escape-sandbox"
    chips = page.frame_locator("iframe.bk-entry-point:visible").locator(".chip")
    expect(chips.first).to_have_text("istanbul two continents")
    page.screenshot(path=str(SHOTS / "search-grounded-light.png"))

    for link, opens in ((markers.first, "source=1"), (sources.locator("a").nth(1), "source=2")):
        with page.expect_popup() as opened:
            link.click()
        popup = opened.value
        popup.wait_for_load_state()
        assert popup.url.endswith(f"/api/health?{opens}")  # the source, in a new tab...
        assert popup.evaluate("window.opener") is None  # ...that cannot reach back
        popup.close()
    assert page.url.endswith(f"/chat/{chat_id}")

    page.get_by_role("button", name="Switch theme").click()  # light -> dark
    expect(page.locator("html.bk-dark")).to_have_count(1)
    expect(page.locator("body.body--dark")).to_have_count(1)
    dark_chip = page.frame_locator("iframe.bk-entry-point:visible").locator(".chip").first
    expect(dark_chip).to_have_css("background-color", "rgb(44, 44, 44)")  # Gemini's dark chip
    page.screenshot(path=str(SHOTS / "search-grounded-dark.png"))


def test_the_globe_asks_the_demo_for_its_example_sources(page: Page, server: Server) -> None:
    """Offline: the globe lights up when switched on, the demo answer shows its two labelled
    example sources with markers, and after a reload the globe is still on."""
    register(page, server, "globe")
    globe = page.locator(".bk-globe")
    expect(globe).to_have_attribute("aria-pressed", "false")
    off = globe.evaluate("element => getComputedStyle(element).color")
    globe.click()
    expect(globe).to_have_attribute("aria-pressed", "true")
    assert globe.evaluate("element => getComputedStyle(element).color") != off  # it shows
    page.locator(".bk-composer").screenshot(path=str(SHOTS / "search-globe-on.png"))
    box = page.locator(".bk-composer textarea")
    box.fill("Is there a web?")
    box.press("Enter")
    answer = page.locator(".bk-answer").last
    sources = answer.locator(".bk-sources")
    expect(sources).to_contain_text("demo, not a real search result", timeout=60_000)
    expect(answer.locator("a.bk-cite")).to_have_count(3)  # [1], then [1][2]
    answer.locator(".bk-sources").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "search-demo.png"))
    page.reload()
    expect(page.locator(".bk-globe")).to_have_attribute("aria-pressed", "true", timeout=20_000)
    expect(page.locator(".bk-answer").last.locator("a.bk-cite")).to_have_count(3)
