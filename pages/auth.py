"""Who is looking at a page: the login middleware, the session in app.storage.user, the language."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from nicegui import app, ui
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from beykusay import i18n
from beykusay.models import User
from beykusay.services import operations, signup
from pages import session_guard

# Reachable without logging in: these exact paths, and everything below these roots
# (matched on whole path segments, so `/loginx` or `/apix` are private like any page).
# `/_nicegui_ws` is the websocket, with its long-polling fallback over plain HTTP.
PUBLIC_PAGES = frozenset({"/", "/login", "/register", "/pending", "/favicon.ico", "/openapi.json"})
PUBLIC_ROOTS = ("/api", "/docs", "/_nicegui", "/_nicegui_ws", "/share")


def is_public(path: str) -> bool:
    return path in PUBLIC_PAGES or any(
        path == root or path.startswith(root + "/") for root in PUBLIC_ROOTS
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EDGE = "".join(map(chr, range(0x21)))  # C0 controls and space, stripped at both ends
_DOT_SEGMENTS = {".", "..", "%2e", "%2e%2e", ".%2e", "%2e."}


def as_browser_reads(url: str) -> str:
    """What a browser's URL parser (WHATWG) makes of ``url`` before it looks for a host.

    It strips C0 controls and spaces at both ends, drops tabs and newlines anywhere,
    and reads ``\\`` as ``/`` in http(s) URLs, so ``/<TAB>/evil`` and ``/\\evil`` are ``//evil``.
    """
    return (
        url.strip(_EDGE)
        .translate({ord("\t"): None, ord("\n"): None, ord("\r"): None})
        .replace("\\", "/")
    )


def safe_target(target: str | None, default: str = "/chat") -> str:
    """A redirect target that stays on this site, as the browser will read it; else ``default``.

    Accepted: an absolute path (``/chat/1?x=1#y``) with no control characters, whose
    browser reading has no scheme and no host, and no dot segments (``/..//evil`` would
    be resolved into another path than the one checked here). Percent-escapes stay as
    they are: a browser never decodes them while parsing, so ``/%2F%2Fevil`` is a path.
    """
    if not target or _CONTROL.search(target):
        return default
    url = as_browser_reads(target)
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host
        return default
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return default
    if any(segment.lower() in _DOT_SEGMENTS for segment in parts.path.split("/")):
        return default
    return url


class AuthMiddleware:
    """Sends visitors who are not logged in from private pages to /login?redirect_to=…"""

    def __init__(self, app_: ASGIApp) -> None:
        self.app = app_

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not is_public(scope["path"])
            and not app.storage.user.get("user_id")
        ):
            target = scope["path"]
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            response = RedirectResponse(f"/login?redirect_to={quote(target, safe='')}")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def log_in(user: User) -> None:
    app.storage.user.update(user_id=user.id, token_version=user.token_version)


def log_out() -> None:
    for key in ("user_id", "token_version"):
        app.storage.user.pop(key, None)


@dataclass
class Viewer:
    """The person a page is built for: maybe a user, always a language and a theme."""

    user: User | None
    lang: str
    theme: str

    def t(self, key: str, **values: Any) -> str:
        return i18n.t(self.lang, key, **values)

    @property
    def user_id(self) -> int:
        assert self.user is not None and self.user.id is not None
        return self.user.id


async def current_user() -> User | None:
    """The logged-in user, or None when the session ended (e.g. the password was changed)."""
    session = app.storage.user
    user_id = session.get("user_id")
    if not user_id:
        return None
    user = await asyncio.to_thread(operations.load_user, user_id)
    if not signup.still_signed_in(user, session.get("token_version")):  # e.g. disabled since
        log_out()
        return None
    return user


async def get_viewer() -> Viewer:
    """Build the viewer for the page being built (call from page functions)."""
    request = ui.context.client.request
    accept_language = request.headers.get("accept-language") if request else None
    user = await current_user()
    session = app.storage.user
    if user is not None:
        session_guard.watch(ui.context.client, user.id or 0)  # thrown out once disabled
        return Viewer(user, i18n.choose(user.language, accept_language), user.theme)
    return Viewer(
        None, i18n.choose(session.get("lang"), accept_language), session.get("theme", "auto")
    )


def keep_session(token_version: int) -> None:
    """After this session changed the password, it stays logged in; the others end."""
    app.storage.user["token_version"] = token_version
