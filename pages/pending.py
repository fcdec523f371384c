"""The friendly page for an account that waits for an admin's approval."""

from __future__ import annotations

from nicegui import app, ui

from pages.auth import get_viewer
from pages.frame import frame

PENDING_NAME = "pending_name"  # kept in the browser session by the login and register forms


def show_pending(username: str) -> None:
    """Go to the waiting page (from a form's handler)."""
    app.storage.user[PENDING_NAME] = username
    ui.navigate.to("/pending")


@ui.page("/pending")
async def pending_page() -> None:
    viewer = await get_viewer()
    t = viewer.t
    name = str(app.storage.user.get(PENDING_NAME) or "")
    with (
        frame(viewer, title=t("pending_title")),
        ui.column().classes("bk-card bk-auth gap-3 items-start").mark("pending"),
    ):
        ui.icon("hourglass_top", size="2.5rem").classes("text-primary")
        ui.label(t("pending_title")).classes("text-2xl font-semibold")
        ui.label(t("pending_text", name=name)).classes("bk-muted")
        ui.link(t("back_to_login"), "/login").classes("text-primary").mark("to-login")
