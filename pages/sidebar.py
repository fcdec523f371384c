"""The chat list in a drawer: newest first, search, new chat, rename, delete."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui
from pydantic import ValidationError

from beykusay.models import Chat
from beykusay.schemas import ChatUpdate
from beykusay.services import operations
from beykusay.services.errors import NotFound
from beykusay.state import get_state
from pages.auth import Viewer
from pages.share_dialog import chat_menu_items
from pages.widgets import Pacer

PAGE = 50


class Sidebar:
    def __init__(
        self,
        viewer: Viewer,
        *,
        current: int | None,
        on_renamed: Callable[[Chat], Any],
        on_deleted_current: Callable[[], Awaitable[Any]],
    ) -> None:
        t = viewer.t
        self.viewer = viewer
        self.current = current
        self.limit = PAGE
        self.titles: dict[int | None, str] = {}
        self.shown = 0  # bumped by each render: an older one still building stops
        self.asked = 0  # bumped by each refresh: an older query's answer is not shown
        self.on_renamed = on_renamed
        self.on_deleted_current = on_deleted_current
        drawer = ui.left_drawer(value=False, fixed=True, bottom_corner=True)
        # Open on wide screens, closed on phones; Quasar decides and reports the value back
        # (value=None would ask the browser by JavaScript on every connect).
        drawer.props["show-if-above"] = True
        with drawer.classes("bk-drawer p-3 gap-2").props("width=280 breakpoint=900") as self.drawer:
            ui.button(t("new_chat"), icon="add", on_click=lambda: ui.navigate.to("/chat")).props(
                "unelevated no-caps align=left"
            ).classes("w-full").mark("new-chat")
            self.search = (
                ui.input(placeholder=t("search_chats"))
                .props("dense outlined clearable debounce=300")
                .classes("w-full")
                .mark("search")
            )
            with self.search.add_slot("prepend"):
                ui.icon("search", size="18px")
            self.search.on_value_change(self.refresh)
            self.list = ui.column().classes("w-full gap-0 mt-1")
            self.more = ui.button(t("show_more"), on_click=self.show_more).props(
                "flat no-caps size=sm"
            )
            self.more.classes("self-center bk-muted").mark("more-chats")

    async def show(self, chats: list[Chat], total: int) -> None:
        """Show the first chats (the page awaits this once, after building the sidebar)."""
        await self.render(chats, total)

    def toggle(self) -> None:
        self.drawer.toggle()

    async def render(self, chats: list[Chat], total: int) -> None:
        t = self.viewer.t
        self.shown += 1
        shown = self.shown
        self.titles = {chat.id: chat.title for chat in chats}
        self.list.clear()
        self.more.set_visibility(total > len(chats))
        if not chats:
            with self.list:
                ui.label(t("no_matches") if self.search.value else t("no_chats")).classes(
                    "bk-muted text-sm px-2 py-3"
                )
        pacer = Pacer()  # a row is a dozen elements: 50 of them take a while to build
        for chat in chats:
            if shown != self.shown:
                return  # a newer list is being shown
            with self.list:
                self._row(chat)
            await pacer.turn()

    def _row(self, chat: Chat) -> None:
        t = self.viewer.t
        current = " bk-current" if chat.id == self.current else ""
        # Three elements a row, laid out by the stylesheet (no q-item-sections); the item
        # and its button are Quasar's QItem and QBtn as ui.item and ui.button make them,
        # without the bindings that make those cost two or three plain elements each.
        row = ui.element("q-item").classes("bk-chat-item w-full" + current)
        row.props("clickable dense").mark(f"chat-{chat.id}")
        row.on("click", lambda c=chat: ui.navigate.to(f"/chat/{c.id}"), [])
        with row:
            ui.label(chat.title).classes("bk-chat-title").mark("chat-title")
            button = ui.element("q-btn").classes("bk-chat-more").mark(f"chat-menu-{chat.id}")
            button.props.update(
                {"icon": "more_horiz", "color": "primary", "flat": True, "round": True,
                 "dense": True, "size": "sm", "aria-label": t("chat_actions")}
            )  # fmt: skip
            button.on("click.stop", js_handler="() => {}")  # not the row's own click
            button.on("click", lambda c=chat, b=button: self._menu(b, c), [])

    def _menu(self, button: ui.element, chat: Chat) -> None:
        """A row's menu, made when its button is first clicked: made for every row, the
        menus were most of the elements (and of the time) a chat page took to build."""
        if button.default_slot.children:
            return  # made by an earlier click: Quasar opens and closes it by itself now
        t = self.viewer.t
        with button, ui.menu() as menu:
            ui.menu_item(t("rename"), lambda: self.rename(chat)).mark(f"rename-{chat.id}")
            chat_menu_items(self.viewer, chat)
            ui.menu_item(t("delete"), lambda: self.confirm_delete(chat)).mark(f"delete-{chat.id}")
        menu.open()

    async def refresh(self) -> None:
        self.asked += 1
        asked = self.asked
        query = (self.search.value or "").strip()[:200] or None
        chats, total = await asyncio.to_thread(
            operations.list_chats, self.viewer.user_id, query, self.limit
        )
        if asked == self.asked:  # else a newer search (or list) is on its way: show that
            await self.render(chats, total)

    async def show_more(self) -> None:
        self.limit += PAGE
        await self.refresh()

    async def rename(self, chat: Chat) -> None:
        t = self.viewer.t
        with self.drawer, ui.dialog() as dialog, ui.card().classes("bk-card w-96 max-w-full gap-3"):
            ui.label(t("rename_chat")).classes("text-lg font-semibold")
            field = ui.input(t("title"), value=chat.title).props("outlined autofocus maxlength=200")
            field.classes("w-full").mark("rename-input")
            field.on("keydown.enter", lambda: dialog.submit("save"))
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(t("cancel"), on_click=lambda: dialog.submit(None)).props("flat no-caps")
                ui.button(t("save"), on_click=lambda: dialog.submit("save")).props(
                    "unelevated no-caps"
                ).mark("rename-save")
        try:
            while await dialog == "save":
                try:
                    title = ChatUpdate(title=field.value or "").title
                except ValidationError:
                    title = None
                if not title:  # the schema lets a blank title through as ""
                    ui.notify(t("title_rules"), type="warning")
                    continue
                try:
                    renamed = await asyncio.to_thread(
                        operations.update_chat, self.viewer.user_id, chat.id or 0, title=title
                    )
                except NotFound:
                    ui.notify(t("chat_not_found"), type="warning")
                    break
                self.on_renamed(renamed)
                break
        finally:
            dialog.delete()
        await self.refresh()

    async def confirm_delete(self, chat: Chat) -> None:
        t = self.viewer.t
        with self.drawer, ui.dialog() as dialog, ui.card().classes("bk-card w-96 max-w-full gap-3"):
            ui.label(t("delete_chat")).classes("text-lg font-semibold")
            ui.label(t("delete_chat_text", title=chat.title)).classes("bk-muted break-words")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(t("cancel"), on_click=lambda: dialog.submit(False)).props("flat no-caps")
                ui.button(t("delete"), on_click=lambda: dialog.submit(True)).props(
                    "unelevated no-caps color=negative"
                ).mark("delete-confirm")
        confirmed = await dialog
        dialog.delete()
        if not confirmed:
            return
        assert chat.id is not None
        await get_state().generation.stop(chat.id)
        with contextlib.suppress(NotFound):  # already gone is gone
            await asyncio.to_thread(operations.delete_chat, self.viewer.user_id, chat.id)
        ui.notify(t("chat_deleted"))
        if chat.id == self.current:
            await self.on_deleted_current()
        else:
            await self.refresh()
