"""Who is looking at a page: the login middleware, the session in app.storage.user, the language."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from nicegui import app, ui
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from beykusay import i18n
from beykusay.models import User
from beykusay.services import operations

PUBLIC_PAGES = {"/", "/login", "/register", "/favicon.ico"}
PUBLIC_PREFIXES = ("/api/", "/_nicegui/", "/docs", "/redoc", "/openapi.json")


def is_public(path: str) -> bool:
    return path in PUBLIC_PAGES or path == "/api" or path.startswith(PUBLIC_PREFIXES)


def safe_target(target: str | None, default: str = "/chat") -> str:
    """A redirect target on this site only (no scheme, no host, no //evil.example)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


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
    if user is None or user.token_version != session.get("token_version"):
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
        return Viewer(user, i18n.choose(user.language, accept_language), user.theme)
    return Viewer(
        None, i18n.choose(session.get("lang"), accept_language), session.get("theme", "auto")
    )


def keep_session(token_version: int) -> None:
    """After this session changed the password, it stays logged in; the others end."""
    app.storage.user["token_version"] = token_version
