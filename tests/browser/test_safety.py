"""Script and HTML payloads in messages, answers, thoughts and titles never run in a browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, register, seed_chat, shot

pytestmark = pytest.mark.browser

PAYLOAD = (
    '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    '<svg onload="window.__pwned=3">'
)


def test_a_script_payload_stays_inert(page: Page, server: Server) -> None:
    register(page, server, "xss")
    page.locator(".bk-model-select").click()
    page.get_by_role("option", name="Beykus Small R · demo").click()
    box = page.locator(".bk-composer textarea")
    box.fill(PAYLOAD)
    box.press("Enter")
    answer = page.locator(".bk-answer").last
    expect(answer).to_contain_text("restart the server", timeout=20_000)
    expect(page.locator(".bk-bubble")).to_have_text(PAYLOAD)  # shown as the text it is
    expect(answer).to_contain_text('<img src=x onerror="window.__pwned=1">')  # echoed, as text
    page.locator(".bk-think .q-item").first.click()
    expect(page.locator(".bk-think")).to_contain_text("<script>window.__pwned=2</script>")

    page.locator(".bk-chat-item .bk-chat-more").first.click()
    page.get_by_text("Rename", exact=True).click()
    page.locator(".q-dialog input").fill("Title " + PAYLOAD)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".bk-chat-title").first).to_have_text("Title " + PAYLOAD)
    page.reload()
    expect(page.locator(".bk-bubble")).to_have_text(PAYLOAD)
    assert PAYLOAD in page.title()
    expect(page.locator(".bk-answer").last).to_contain_text("onerror")
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".bk-thread img, .bk-thread svg script, .bk-thread script").count() == 0
    shot(page, "10-payload-inert")


def test_links_open_safely_and_images_are_never_fetched(page: Page, server: Server) -> None:
    name = register(page, server, "links")
    target = f"{server.url}/api/health"
    image = f"{server.url}/api/models?image=1"
    markdown = (
        f"A [safe link]({target}), a [bad link](javascript:window.__pwned=4), "
        f'<a href="javascript:window.__pwned=5">raw html link</a> and an image: '
        f"![a cat]({image})\n"
    )
    chat_id = seed_chat(server, name, [("user", "links?"), ("assistant", markdown)], "Links")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server.url}/chat/{chat_id}")
    answer = page.locator(".bk-answer").last
    expect(answer).to_contain_text("a cat")
    assert not any("image=1" in url for url in requested)  # shown as a link, not loaded
    assert answer.locator("img").count() == 0

    answer.get_by_text("bad link").click()
    answer.get_by_text("raw html link").click()  # plain text: nothing happens
    assert page.evaluate("window.__pwned") is None

    with page.expect_popup() as opened:
        answer.get_by_role("link", name="safe link").click()
    popup = opened.value
    popup.wait_for_load_state()
    assert popup.url == target  # a new tab...
    assert popup.evaluate("window.opener") is None  # ...that cannot reach back
    assert page.url.endswith(f"/chat/{chat_id}")


def test_web_sources_and_queries_with_payloads_stay_text(page: Page, server: Server) -> None:
    """Source titles, URLs and search queries come from the web: payloads in them show
    as text, only http(s) URLs become links, and the search suggestions' frame runs
    nothing and loads nothing remote."""
    from tests.browser.grounded import seed_grounded, span

    name = register(page, server, "xssweb")
    answer = "Grounded text one. Grounded text two."
    image = f"{server.url}/api/models?image=2"
    sources = [
        {"index": 1, "title": "Title " + PAYLOAD, "url": "javascript:window.__pwned=6"},
        {
            "index": 2,
            "title": '"><img src=x onerror="window.__pwned=7">',
            "url": "data:text/html,x",
        },
        {"index": 3, "title": "Fine", "url": f'{server.url}/api/health?"><script>x</script>'},
    ]
    chat_id = seed_grounded(
        server,
        name,
        "search?",
        answer,
        sources=sources,
        citations=[span(answer, "Grounded text one.", [1, 2]), span(answer, "two.", [3])],
        queries=["query " + PAYLOAD, "</script><script>window.__pwned=8</script>"],
        entry_point=(
            f'<div class="container"><img src="{image}"><script>parent.__pwned=9</script>'
            '<a class="chip" href="javascript:parent.__pwned=10">chip</a></div>'
        ),
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server.url}/chat/{chat_id}")
    shown = page.locator(".bk-answer").last
    sources_box = shown.locator(".bk-sources")
    expect(sources_box).to_contain_text("Title " + PAYLOAD, timeout=20_000)
    expect(sources_box).to_contain_text("query " + PAYLOAD)
    expect(sources_box).to_contain_text("</script><script>window.__pwned=8</script>")
    expect(sources_box).to_contain_text('"><img src=x onerror="window.__pwned=7">')
    links = sources_box.locator("a")
    expect(links).to_have_count(1)  # only the http(s) source is a link
    assert links.first.get_attribute("href").startswith(server.url)
    markers = shown.locator(".bk-cite")
    expect(markers).to_have_count(3)
    assert shown.locator("a.bk-cite").count() == 1  # [1] and [2] are text
    for marker in markers.all()[:2]:
        marker.click()
    frame = page.frame_locator("iframe.bk-entry-point:visible")
    frame.locator(".chip").click()
    page.wait_for_timeout(300)  # give anything that would run a moment to do it
    assert page.evaluate("window.__pwned") is None
    assert shown.locator("img, script").count() == 0
    assert not any("image=2" in url for url in requested)  # the frame loads nothing remote
    shot(page, "12-web-sources-inert")
