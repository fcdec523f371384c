"""In a chat: the Share dialog (link, copy, refresh the snapshot, stop sharing) and the
chat menu's exports (Markdown, JSON)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from nicegui import ui

from beykusay.models import Chat
from beykusay.services import share_operations
from beykusay.services.sharing import ShareLink
from pages import sharing_words  # noqa: F401  (the words of these pages)
from pages.auth import Viewer
from pages.widgets import copy_to_clipboard

MEDIA = {"markdown": "text/markdown", "json": "application/json"}


def share_url(token: str) -> str:
    """The link as this visitor reached the site (its scheme, host and port)."""
    request = ui.context.client.request
    base = str(request.base_url).rstrip("/") if request is not None else ""
    return f"{base}/share/{token}"


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


async def open_share_dialog(viewer: Viewer, chat_id: int) -> None:
    t = viewer.t
    url = ""
    link = await asyncio.to_thread(share_operations.current_link, viewer.user_id, chat_id)
    with ui.dialog() as dialog, ui.card().classes("bk-card p-5 gap-3").style("width: 34rem"):
        dialog.mark("share-dialog")
        ui.label(t("share_title")).classes("text-lg font-semibold")
        ui.label(t("share_explain")).classes("bk-muted text-sm")
        body = ui.column().classes("w-full gap-3")

    def show(found: ShareLink | None) -> None:
        nonlocal url
        body.clear()
        with body:
            if found is None:
                ui.button(t("share_create"), icon="link", on_click=create).props(
                    "unelevated no-caps"
                ).mark("share-create")
                return
            url = share_url(found.token)
            field = ui.input(t("share_link"), value=url).props("outlined dense readonly")
            field.classes("w-full").mark("share-url")
            ui.label(t("share_as_of", when=_when(found.shared_at))).classes(
                "bk-muted text-xs"
            ).mark("share-time")
            with ui.row().classes("gap-2 items-center"):
                ui.button(t("share_copy"), icon="content_copy", on_click=copy).props(
                    "unelevated no-caps"
                ).mark("share-copy")
                ui.button(t("share_refresh"), icon="refresh", on_click=refresh).props(
                    "outline no-caps"
                ).mark("share-refresh")
                ui.button(t("share_stop"), icon="link_off", on_click=stop).props(
                    "flat no-caps color=negative"
                ).mark("share-stop")

    async def create() -> None:
        show(await asyncio.to_thread(share_operations.share, viewer.user_id, chat_id))

    # The clicked button is gone once ``show`` rebuilt the body: notices come from the body.
    async def refresh() -> None:
        show(await asyncio.to_thread(share_operations.share, viewer.user_id, chat_id))
        with body:
            ui.notify(t("share_refreshed"), type="positive", position="bottom")

    async def stop() -> None:
        await asyncio.to_thread(share_operations.stop, viewer.user_id, chat_id)
        show(None)
        with body:
            ui.notify(t("share_stopped"), position="bottom")

    async def copy() -> None:
        await copy_to_clipboard(viewer, url)

    show(link)
    dialog.open()


async def download_chat(viewer: Viewer, chat_id: int, fmt: str) -> None:
    name, data = await asyncio.to_thread(share_operations.export_chat, viewer.user_id, chat_id, fmt)
    ui.download.content(data, name, MEDIA[fmt])


def chat_menu_items(viewer: Viewer, chat: Chat) -> None:
    """Share and export entries for a chat's menu (call inside the ``ui.menu``)."""
    t = viewer.t
    chat_id = chat.id or 0
    ui.menu_item(t("share"), lambda: open_share_dialog(viewer, chat_id)).mark(f"share-{chat_id}")
    ui.menu_item(t("export_markdown"), lambda: download_chat(viewer, chat_id, "markdown")).mark(
        f"export-markdown-{chat_id}"
    )
    ui.menu_item(t("export_json"), lambda: download_chat(viewer, chat_id, "json")).mark(
        f"export-json-{chat_id}"
    )
