"""Logging in from a crafted link never takes the browser to another site.

Chromium itself reads each ``redirect_to``: it drops tabs and newlines, strips leading
spaces and reads ``\\`` as ``/``, which turns ``/<TAB>/evil.example`` into a link to
evil.example. Whatever the link, after logging in the page is still on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route

from tests.browser.conftest import PASSWORD, Server

pytestmark = pytest.mark.browser

# A few of each kind; tests/test_redirect.py judges many more without a browser.
HOSTILE = [
    "/\t/evil.example",
    "/\r\n/evil.example/chat",
    "/\\evil.example",
    " //evil.example",
    "https://evil.example",
    "/..//evil.example",
]


@pytest.fixture(scope="module")
def username(server: Server) -> str:
    name = "redirected"
    response = httpx.post(
        server.url + "/api/register", json={"username": name, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 201, response.text
    return name


@pytest.fixture
def evil(context: BrowserContext) -> Iterator[list[str]]:
    """Stand in for evil.example (there is no internet here); records what reached it."""
    visits: list[str] = []

    def serve(route: Route) -> None:
        visits.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>evil</h1>")

    context.route("**://evil.example/**", serve)
    yield visits


def log_in_from(page: Page, server: Server, username: str, target: str) -> None:
    page.goto(f"{server.url}/login?redirect_to={quote(target, safe='')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")
    page.wait_for_load_state()


@pytest.mark.parametrize("target", HOSTILE)
def test_a_crafted_redirect_after_login_stays_on_this_site(
    page: Page, server: Server, username: str, evil: list[str], target: str
) -> None:
    """A phishing link to our real login page must not hand the fresh session to evil.example."""
    log_in_from(page, server, username, target)
    assert urlsplit(page.url).hostname == "127.0.0.1", page.url
    assert urlsplit(page.url).path == "/chat"
    page.locator("textarea").wait_for()
    assert not evil


@pytest.mark.parametrize("target", HOSTILE[:2])
def test_a_crafted_redirect_when_already_logged_in_stays_on_this_site(
    page: Page, server: Server, username: str, evil: list[str], target: str
) -> None:
    """The server's own redirect (the login page seen while logged in) is held to the same rule."""
    log_in_from(page, server, username, "/chat")
    page.goto(f"{server.url}/login?redirect_to={quote(target, safe='')}")
    page.locator("textarea").wait_for()
    assert urlsplit(page.url).hostname == "127.0.0.1", page.url
    assert not evil


def test_a_path_on_this_site_is_where_the_login_leads(
    page: Page, server: Server, username: str, evil: list[str]
) -> None:
    log_in_from(page, server, username, "/settings?tab=1#top")
    parts = urlsplit(page.url)
    assert (parts.hostname, parts.path, parts.query, parts.fragment) == (
        "127.0.0.1",
        "/settings",
        "tab=1",
        "top",
    )
    assert not evil
