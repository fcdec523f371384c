"""The public page of a shared chat (/share/{token}): read-only, for anyone with the link.

It shows the snapshot as the chat page shows answers (the same Markdown rendering,
highlighting, sanitizing and folded thoughts), never the owner's name, and tells search
engines to stay away (a robots meta tag, and X-Robots-Tag on the response). A signed-in
visitor may continue the chat as a copy in their own chats.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from urllib.parse import quote

from nicegui import ui
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from beykusay.render import render_markdown
from beykusay.services import share_operations
from beykusay.services.errors import NotFound
from pages import sharing_words  # noqa: F401  (the words of these pages)
from pages.auth import Viewer, get_viewer
from pages.frame import frame

ROOT = "/share"
NOINDEX = "noindex, nofollow"


class NoIndex:
    """X-Robots-Tag: noindex on every response under /share (the page and its redirects)."""

    def __init__(self, app_: ASGIApp) -> None:
        self.app = app_

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == ROOT or path.startswith(ROOT + "/")):
            await self.app(scope, receive, send)
            return

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-robots-tag", NOINDEX.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, tagged)


def _when(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


def _rendered(shared: dict[str, Any], copy_label: str) -> list[dict[str, str]]:
    """Each answer's thoughts and text as sanitized HTML (done in a worker thread)."""
    return [
        {
            part: render_markdown(message[part], copy_label) if message.get(part) else ""
            for part in ("thinking", "content")
        }
        for message in shared["messages"]
    ]


def _attachments(message: dict[str, Any]) -> None:
    files = message.get("attachments") or []
    if files:
        with ui.row().classes("gap-2 items-center bk-muted text-sm"):
            ui.icon("attach_file", size="16px")
            for item in files:
                ui.label(item["name"]).classes("bk-badge")


def _message(viewer: Viewer, message: dict[str, Any], html: dict[str, str]) -> None:
    if message["role"] == "user":
        with ui.column().classes("w-full items-end gap-1"):
            ui.label(message["content"]).classes("bk-bubble").mark("shared-user")
            _attachments(message)
        return
    with ui.column().classes("bk-answer gap-1").mark("shared-answer"):
        if html["thinking"]:
            thoughts = ui.expansion(viewer.t("thought"), icon="psychology", value=False)
            with thoughts.classes("bk-think w-full").props("dense").mark("thoughts"):
                ui.html(html["thinking"], sanitize=True).classes("bk-md")
        if html["content"]:
            ui.html(html["content"], sanitize=True).classes("bk-md")
        _attachments(message)


async def _continue(viewer: Viewer, token: str) -> None:
    try:
        chat_id = await asyncio.to_thread(share_operations.copy_shared, viewer.user_id, token)
    except NotFound:
        ui.notify(viewer.t("shared_gone"), type="warning")
        return
    ui.navigate.to(f"/chat/{chat_id}")


@ui.page(ROOT + "/{token}")
async def shared_page(token: str) -> None:
    viewer = await get_viewer()
    t = viewer.t
    ui.add_head_html(f'<meta name="robots" content="{NOINDEX}">')
    try:
        shared = await asyncio.to_thread(share_operations.read_shared, token)
    except NotFound:
        shared = None
    if shared is None:
        with frame(viewer), ui.column().classes("bk-page bk-empty items-center gap-3"):
            ui.label(t("shared_gone")).classes("text-xl").mark("shared-gone")
        return
    rendered = await asyncio.to_thread(_rendered, shared, t("copy"))
    with (
        frame(viewer, title=shared["title"]),
        ui.column().classes("bk-page bk-thread w-full").mark("shared"),
    ):
        with ui.column().classes("w-full gap-1"):
            ui.label(t("shared_badge")).classes("bk-badge")
            ui.label(shared["title"]).classes("text-2xl font-semibold").mark("shared-title")
            ui.label(t("shared_when", when=_when(shared["shared_at"]))).classes("bk-muted text-sm")
        with ui.column().classes("w-full gap-6"):
            for message, html in zip(shared["messages"], rendered, strict=True):
                _message(viewer, message, html)
        with ui.row().classes("w-full justify-center py-4"):
            if viewer.user is not None:
                ui.button(
                    t("continue_copy"),
                    icon="forum",
                    on_click=lambda: _continue(viewer, token),
                ).props("unelevated no-caps").mark("continue-copy")
            else:
                target = "/login?redirect_to=" + quote(f"{ROOT}/{token}", safe="")
                ui.button(
                    t("continue_login"),
                    icon="login",
                    on_click=lambda: ui.navigate.to(target),
                ).props("outline no-caps").mark("continue-login")
