"""The admin page: a searchable, paged list of users with their actions, and the sign-up
policy. Every action is checked on the server (the services read the actor's role
afresh); this page only decides what to show."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import HTTPException
from nicegui import ui

from beykusay.services import team_operations
from beykusay.services.errors import Forbidden, ServiceError
from beykusay.services.signup import ADMIN
from beykusay.state import get_state
from pages.auth import Viewer, get_viewer
from pages.frame import frame

PAGE_SIZE = 25
POLICIES = ("open", "approval", "closed")

CSS = """
.bk-admin { max-width: 72rem; }
.bk-admin-row { display: grid; gap: 4px 12px; align-items: center; padding: 8px 12px;
  width: 100%; grid-template-columns: minmax(10rem, 2fr) repeat(6, minmax(4.5rem, 1fr)) 10rem;
  border-bottom: 1px solid var(--bk-border); }
.bk-admin-head { font-size: 12px; color: var(--bk-muted); font-weight: 600; }
.bk-admin-cell { font-size: 14px; min-width: 0; overflow-wrap: anywhere; }
.bk-admin-cell .bk-label { display: none; font-size: 11px; color: var(--bk-muted); }
.bk-admin-name { font-weight: 600; }
.bk-admin-actions { display: flex; gap: 4px; justify-content: flex-end; flex-wrap: wrap; }
.bk-badge-pending { color: #b45309; border-color: #f59e0b; }
.bk-badge-disabled { color: #b91c1c; border-color: #ef4444; }
.bk-badge-admin { color: var(--q-primary); border-color: var(--q-primary); }
@media (max-width: 760px) {
  .bk-admin-row { grid-template-columns: repeat(2, minmax(0, 1fr)); padding: 10px 12px; }
  .bk-admin-head { display: none; }
  .bk-admin-row > .bk-admin-cell:first-child, .bk-admin-actions { grid-column: 1 / -1; }
  .bk-admin-actions { justify-content: flex-start; }
  .bk-admin-cell .bk-label { display: block; }
}
"""

COLUMNS = ("col_created", "col_seen", "col_chats", "col_messages", "col_tokens", "col_limit")


def _when(value: datetime | None, viewer: Viewer) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else viewer.t("never")


class UserRow:
    """One user's line: rebuilt in place after each action, never by a reload."""

    def __init__(self, page: AdminPage, data: dict[str, Any]) -> None:
        self.page = page
        self.data = data
        self.element = ui.element("div").classes("bk-admin-row").mark(f"user-{data['username']}")
        self.render()

    @property
    def name(self) -> str:
        return str(self.data["username"])

    def render(self) -> None:
        t = self.page.viewer.t
        d = self.data
        self.element.clear()
        with self.element:
            with ui.element("div").classes("bk-admin-cell"), ui.row().classes("items-center"):
                ui.label(self.name).classes("bk-admin-name")
                if d["role"] == ADMIN:
                    ui.label(t("role_admin")).classes("bk-badge bk-badge-admin")
                if d["status"] != "active":
                    ui.label(t(f"status_{d['status']}")).classes(
                        f"bk-badge bk-badge-{d['status']}"
                    ).mark(f"status-{self.name}")
            limit = d["monthly_token_limit"]
            values = (
                _when(d["created_at"], self.page.viewer),
                _when(d["last_seen_at"], self.page.viewer),
                f"{d['chats']:,}",
                f"{d['messages']:,}",
                f"{d['month_tokens']:,}",
                f"{limit:,}" if limit is not None else t("no_limit"),
            )
            for key, value in zip(COLUMNS, values, strict=True):
                with ui.element("div").classes("bk-admin-cell"):
                    ui.label(t(key)).classes("bk-label")
                    ui.label(value)
            with ui.element("div").classes("bk-admin-actions"):
                self._actions()

    def _actions(self) -> None:
        t = self.page.viewer.t
        d = self.data
        if d["status"] == "pending":
            self._button(t("approve"), "check", "approve", status="active")
        if d["status"] == "disabled":
            self._button(t("enable"), "lock_open", "enable", status="active")
        elif d["status"] == "active":
            self._button(t("disable"), "block", "disable", status="disabled")
        more = ui.button(icon="more_vert").props("flat round dense").mark(f"more-{self.name}")
        with more, ui.menu():
            if d["role"] == ADMIN:
                ui.menu_item(t("make_user"), lambda: self.change(role="user")).mark(
                    f"make-user-{self.name}"
                )
            else:
                ui.menu_item(t("make_admin"), lambda: self.change(role="admin")).mark(
                    f"make-admin-{self.name}"
                )
            ui.menu_item(t("set_password"), self.ask_password).mark(f"password-{self.name}")
            ui.menu_item(t("set_limit"), self.ask_limit).mark(f"limit-{self.name}")
            ui.menu_item(t("delete_user"), self.ask_delete).mark(f"delete-{self.name}")

    def _button(self, text: str, icon: str, marker: str, **changes: Any) -> None:
        ui.button(text, icon=icon, on_click=lambda: self.change(**changes)).props(
            "flat dense no-caps"
        ).mark(f"{marker}-{self.name}")

    async def change(self, **changes: Any) -> None:
        before = self.data["status"]
        done = await self.page.act(
            lambda: team_operations.update_user(self.page.actor_id, self.data["id"], **changes)
        )
        if done is None:
            return
        self.data = done
        self.render()
        ui.notify(self._told(changes, before), type="positive")

    def _told(self, changes: dict[str, Any], before: str) -> str:
        t = self.page.viewer.t
        if "password" in changes:
            return t("user_password_set", name=self.name)
        if "monthly_token_limit" in changes:
            return t("user_limit_set", name=self.name)
        if "role" in changes:
            return t("user_role_set", name=self.name, role=t(f"role_{changes['role']}"))
        if changes.get("status") == "disabled":
            return t("user_disabled", name=self.name)
        return t("user_approved" if before == "pending" else "user_enabled", name=self.name)

    def ask_password(self) -> None:
        t = self.page.viewer.t
        with ui.dialog() as dialog, ui.card().classes("gap-3"):
            ui.label(t("set_password")).classes("text-lg")
            field = ui.input(t("new_password"), password=True).props("outlined dense")
            field.mark("new-user-password")
            problem = ui.label(t("password_rules")).classes("bk-muted text-xs")

            async def save() -> None:
                value = field.value or ""
                if not 8 <= len(value) <= 128:
                    problem.classes(replace="bk-error text-xs")
                    return
                dialog.close()
                await self.change(password=value)

            with ui.row():
                ui.button(t("cancel"), on_click=dialog.close).props("flat no-caps")
                ui.button(t("save"), on_click=save).props("unelevated no-caps").mark(
                    "save-password"
                )
        dialog.open()

    def ask_limit(self) -> None:
        t = self.page.viewer.t
        with ui.dialog() as dialog, ui.card().classes("gap-3"):
            ui.label(t("set_limit")).classes("text-lg")
            field = (
                ui.number(
                    t("limit_tokens"), value=self.data["monthly_token_limit"], min=0, step=1000
                )
                .props("outlined dense")
                .classes("w-64")
                .mark("limit-input")
            )

            async def save() -> None:
                value = field.value
                dialog.close()
                await self.change(monthly_token_limit=None if value in (None, "") else int(value))

            with ui.row():
                ui.button(t("cancel"), on_click=dialog.close).props("flat no-caps")
                ui.button(t("save"), on_click=save).props("unelevated no-caps").mark("save-limit")
        dialog.open()

    def ask_delete(self) -> None:
        t = self.page.viewer.t
        with ui.dialog() as dialog, ui.card().classes("gap-3"):
            ui.label(t("delete_user")).classes("text-lg")
            ui.label(t("delete_user_text", name=self.name))
            typed = ui.input(t("type_name", name=self.name)).props("outlined dense")
            typed.mark("confirm-name")

            async def delete() -> None:
                if typed.value != self.name:
                    return
                dialog.close()
                await self.delete()

            with ui.row():
                ui.button(t("cancel"), on_click=dialog.close).props("flat no-caps")
                button = ui.button(t("delete"), on_click=delete)
                button.props("unelevated no-caps color=negative").mark("confirm-delete")
                button.bind_enabled_from(typed, "value", backward=lambda v: v == self.name)
        dialog.open()

    async def delete(self) -> None:
        user_id = self.data["id"]
        actor = self.page.actor_id
        chat_ids = await self.page.act(lambda: team_operations.chat_ids_of(actor, user_id))
        if chat_ids is None:
            return
        for chat_id in chat_ids:  # their running answers stop first
            await get_state().generation.stop(chat_id)
        if await self.page.act(lambda: team_operations.delete_user(actor, user_id) or True):
            self.element.delete()
            self.page.total -= 1
            self.page.show_total()
            ui.notify(self.page.viewer.t("user_deleted", name=self.name), type="positive")


class AdminPage:
    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.actor_id = viewer.user_id
        self.query = ""
        self.offset = 0
        self.total = 0
        self.rows: ui.column
        self.total_label: ui.label
        self.pager: ui.row

    async def act(self, work: Callable[[], Any]) -> Any:
        """Run a service call off the loop; a refusal becomes a toast (None)."""
        try:
            return await asyncio.to_thread(work)
        except Forbidden as exc:  # no longer an admin: nothing more to do here
            ui.notify(exc.message, type="negative")
            ui.navigate.to("/chat")
        except ServiceError as exc:
            ui.notify(exc.message, type="warning")
        return None

    async def load(self) -> None:
        found = await self.act(
            lambda: team_operations.list_users(self.actor_id, self.query, PAGE_SIZE, self.offset)
        )
        if found is None:
            return
        users, self.total = found
        self.rows.clear()
        with self.rows:
            self._head()
            for data in users:
                UserRow(self, data)
        self.show_total()

    def _head(self) -> None:
        t = self.viewer.t
        with ui.element("div").classes("bk-admin-row bk-admin-head"):
            for key in ("col_user", *COLUMNS):
                ui.label(t(key))
            ui.label("")

    def show_total(self) -> None:
        self.total_label.set_text(self.viewer.t("users_total", count=self.total))
        self.pager.clear()
        with self.pager:
            if self.offset > 0:
                ui.button(icon="chevron_left", on_click=lambda: self.page_to(-1)).props(
                    "flat round dense"
                ).mark("previous-page")
            if self.offset + PAGE_SIZE < self.total:
                ui.button(icon="chevron_right", on_click=lambda: self.page_to(1)).props(
                    "flat round dense"
                ).mark("next-page")

    async def page_to(self, step: int) -> None:
        self.offset = max(0, self.offset + step * PAGE_SIZE)
        await self.load()

    async def search(self, text: str) -> None:
        self.query, self.offset = text.strip(), 0
        await self.load()


def not_found() -> HTTPException:
    return HTTPException(status_code=404, detail="Not Found")


@ui.page("/admin")
async def admin_page() -> None:
    viewer = await get_viewer()
    if viewer.user is None or viewer.user.role != ADMIN:
        raise not_found()  # the page does not exist for anyone else
    t = viewer.t
    page = AdminPage(viewer)
    policy = await page.act(lambda: team_operations.signup_policy(page.actor_id))
    ui.add_css(CSS)
    with frame(viewer, title=t("admin")), ui.column().classes("bk-page bk-admin gap-4 py-6"):
        ui.label(t("admin_title")).classes("text-2xl font-medium")
        with ui.row().classes("items-center gap-4 w-full"):
            ui.label(t("signup_policy")).classes("bk-muted")
            toggle = ui.toggle({p: t(f"signup_{p}") for p in POLICIES}, value=policy)
            toggle.props("no-caps unelevated dense").mark("signup-policy")

            async def policy_changed() -> None:
                chosen = toggle.value
                saved = await page.act(
                    lambda: team_operations.set_signup_policy(page.actor_id, chosen)
                )
                if saved is not None:
                    ui.notify(t("signup_saved", policy=t(f"signup_{saved}")), type="positive")

            toggle.on_value_change(policy_changed)
        with ui.row().classes("items-center gap-4 w-full"):
            search = ui.input(t("search_users")).props("outlined dense clearable debounce=300")
            search.classes("w-64").mark("user-search")
            search.on_value_change(lambda e: page.search(e.value or ""))
            page.total_label = ui.label().classes("bk-muted").mark("users-total")
            ui.space()
            page.pager = ui.row().classes("items-center gap-0")
        page.rows = ui.column().classes("bk-card w-full gap-0 p-0").mark("users")
        await page.load()
