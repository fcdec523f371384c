"""The landing page: what BeykuSay is, and the way in. Logged-in users go to their chats."""

from __future__ import annotations

from nicegui import ui
from starlette.responses import RedirectResponse

from pages.auth import get_viewer
from pages.frame import frame

FEATURES = (
    ("bolt", "feature_stream_title", "feature_stream_text"),
    ("psychology", "feature_think_title", "feature_think_text"),
    ("dns", "feature_own_title", "feature_own_text"),
)


@ui.page("/")
async def landing_page() -> RedirectResponse | None:
    viewer = await get_viewer()
    if viewer.user is not None:
        return RedirectResponse("/chat")
    t = viewer.t
    with frame(viewer), ui.column().classes("bk-page items-center"):
        with ui.column().classes("bk-hero items-center gap-4 w-full"):
            ui.html(
                '<span class="bk-logo" style="width:56px;height:56px;font-size:28px;'
                'border-radius:16px">B</span>',
                sanitize=False,
            )
            ui.label("BeykuSay").classes("bk-title")
            ui.label(t("app_tagline")).classes("text-xl bk-muted text-center")
            ui.label(t("landing_lead")).classes("bk-lead text-center")
            with ui.row().classes("gap-3 mt-2 justify-center"):
                ui.button(t("register"), on_click=lambda: ui.navigate.to("/register")).props(
                    "unelevated no-caps size=md"
                ).classes("px-4").mark("cta-register")
                ui.button(t("log_in"), on_click=lambda: ui.navigate.to("/login")).props(
                    "outline no-caps size=md"
                ).classes("px-4").mark("cta-login")
        with ui.element("div").classes("bk-features w-full"):
            for icon, title, text in FEATURES:
                with ui.column().classes("bk-card bk-feature gap-0"):
                    ui.icon(icon, size="26px").classes("text-primary")
                    ui.label(t(title)).classes("font-semibold mt-2")
                    ui.label(t(text)).classes("bk-muted text-sm")
    return None
