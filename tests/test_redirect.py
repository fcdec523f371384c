"""Where a login may send the browser next, and which paths a visitor may reach logged out.

A target is judged by what a browser's URL parser makes of it, not by its raw text:
a browser drops tabs and newlines anywhere, strips leading control characters and
spaces, and reads `\\` as `/`, so `/<TAB>/evil.example` is `//evil.example`, another host.
"""

from __future__ import annotations

import pytest

from pages.auth import is_public, safe_target

DEFAULT = "/chat"

OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "//evil.example/chat",
    "/\t/evil.example",  # a browser drops the tab: //evil.example
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "/\t\t/evil.example",
    "/\\evil.example",  # `\` is `/` to a browser
    "\\/evil.example",
    "\\\\evil.example",
    "/\t\\evil.example",
    " //evil.example",  # leading spaces and C0 controls are stripped
    "\t//evil.example",
    "\x00//evil.example",
    "\x1f//evil.example",
    "https://evil.example",
    "HTTPS://evil.example/chat",
    "http:evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "chat",  # relative: resolved against /login's folder, not a path we chose
    "",
    None,
]

CONTROL_CHARACTERS = [
    "/chat\x00",
    "/chat/\x07",
    "/chat\x7f",
    "/chat\t",
    "/chat\n1",
]

# Dot segments are resolved by the browser (`%2e` counts as a dot), so the path it
# would request is not the one we looked at: `/..//evil.example` becomes `//evil.example`
# on this host. No page of ours has such links; refuse them.
DOT_SEGMENTS = [
    "/..//evil.example",
    "/./chat",
    "/chat/../settings",
    "/%2e%2e//evil.example",
    "/%2E./chat",
    "/.%2e/chat",
    "/chat/%2e",
]

ON_SITE = [
    ("/", "/"),
    ("/chat", "/chat"),
    ("/chat/1", "/chat/1"),
    ("/chat/1?x=1#y", "/chat/1?x=1#y"),
    ("/settings", "/settings"),
    ("/chat?next=//evil.example", "/chat?next=//evil.example"),  # a query is not a host
    ("/chat#//evil.example", "/chat#//evil.example"),
    # Percent-encoded characters stay encoded: a browser never decodes them while it
    # parses, so this is the path /%09/evil.example on this site (a 404), not a host.
    # (Sent as ?redirect_to=/%2509/evil.example; a plain %09 there arrives here as a tab.)
    ("/%09/evil.example", "/%09/evil.example"),
    ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
    ("/%5Cevil.example", "/%5Cevil.example"),
    ("/chat/…", "/chat/…"),
    ("/chat/a\\b", "/chat/a/b"),  # given as the browser would go there
    ("/chat/1 ", "/chat/1"),  # trailing spaces are stripped, as a browser does
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_targets_a_browser_reads_as_another_site_are_refused(target: str | None) -> None:
    """A login link from a phishing mail would otherwise land the user on evil.example."""
    assert safe_target(target) == DEFAULT


@pytest.mark.parametrize("target", CONTROL_CHARACTERS)
def test_targets_with_control_characters_are_refused(target: str) -> None:
    assert safe_target(target) == DEFAULT


@pytest.mark.parametrize("target", DOT_SEGMENTS)
def test_targets_with_dot_segments_are_refused(target: str) -> None:
    assert safe_target(target) == DEFAULT


@pytest.mark.parametrize(("target", "expected"), ON_SITE)
def test_paths_on_this_site_are_kept(target: str, expected: str) -> None:
    """After logging in from /login?redirect_to=/chat/1 the user is back in chat 1."""
    assert safe_target(target) == expected


def test_the_default_is_the_callers() -> None:
    assert safe_target("//evil.example", default="/settings") == "/settings"


PUBLIC = [
    "/",
    "/login",
    "/register",
    "/favicon.ico",
    "/api",
    "/api/health",
    "/api/chats/1",
    "/docs",
    "/docs/oauth2-redirect",
    "/openapi.json",
    "/_nicegui/3.18.0/static/nicegui.js",
    "/_nicegui/3.18.0/libraries/x",
    "/_nicegui_ws/socket.io/",  # the websocket's long-polling fallback
    "/_nicegui_ws",
]

PRIVATE = [
    "/chat",
    "/chat/1",
    "/settings",
    "/loginx",
    "/login/x",
    "/register2",
    "/apix",
    "/api-keys",
    "/docsx",
    "/docs-private",
    "/openapi.jsonx",
    "/openapi.json/x",
    "/_niceguix",
    "/_nicegui_wsx",
    "/favicon.ico/x",
    "/redoc",  # nothing serves it
]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_paths(path: str) -> None:
    """The login page, its assets and its websocket work for a visitor not logged in."""
    assert is_public(path)


@pytest.mark.parametrize("path", PRIVATE)
def test_private_paths_match_whole_segments_only(path: str) -> None:
    """`/loginx` is not `/login`: a page named so would not be open to everyone."""
    assert not is_public(path)
