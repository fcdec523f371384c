"""Where websockets are blocked (some proxies, some company networks) NiceGUI falls back to
long polling over plain HTTP; logging in must still work there."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.browser.conftest import PASSWORD, Server

pytestmark = pytest.mark.browser


def test_logging_in_works_when_websockets_are_blocked(page: Page, server: Server) -> None:
    """A visitor behind a proxy that blocks websockets can still log in."""
    name = "polling"
    response = httpx.post(
        server.url + "/api/register", json={"username": name, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 201, response.text
    swallowed: list[str] = []

    def swallow(ws: WebSocketRoute) -> None:
        """Like a proxy that takes the websocket and passes nothing on, either way."""
        swallowed.append(ws.url)

    page.route_web_socket("**/_nicegui_ws/**", swallow)
    polls: list[int] = []
    page.on(
        "response",
        lambda r: polls.append(r.status) if "transport=polling" in r.url else None,
    )

    page.goto(server.url + "/login")
    # NiceGUI gives the websocket socket.io's 20 s, then retries with polling first.
    page.wait_for_function("window.socket && window.socket.connected", timeout=60_000)
    assert page.evaluate("window.socket.io.engine.transport.name") == "polling"
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/chat")
    assert urlsplit(page.url).path == "/chat"
    expect(page.locator(".bk-composer textarea")).to_be_visible()

    assert swallowed, "the websocket was never tried, so nothing was blocked"
    assert polls and set(polls) == {200}, polls
