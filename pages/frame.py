"""The frame every page shares: colours, the theme applied before paint, the header."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from nicegui import app, ui
from nicegui.events import GenericEventArguments

from beykusay import i18n
from beykusay.schemas import SettingsUpdate
from beykusay.services import operations
from beykusay.state import get_state
from pages import auth
from pages.assets import THEMES, add_theme_head, quasar_dark
from pages.auth import Viewer
from pages.widgets import hint

THEME_ICONS = {"light": "light_mode", "dark": "dark_mode", "auto": "contrast"}
SHOWING_DARK = '() => emit(document.documentElement.classList.contains("bk-dark"))'


@dataclass
class Frame:
    viewer: Viewer
    dark: ui.dark_mode
    menu_button: ui.button | None = None
    theme_button: ui.button | None = None

    async def set_theme(self, theme: str) -> None:
        """Show ``theme`` now and keep it for this user (or this browser, for visitors)."""
        if theme not in THEMES:
            return
        self.viewer.theme = theme
        self.dark.value = quasar_dark(theme)
        ui.run_javascript(f"window.bkTheme({json.dumps(theme)})")
        if self.theme_button is not None:
            self.theme_button.props(f"icon={THEME_ICONS[theme]}")
        if self.viewer.user is not None:
            await asyncio.to_thread(
                operations.save_settings, self.viewer.user_id, SettingsUpdate(theme=theme)
            )
            self.viewer.user.theme = theme
        else:
            app.storage.user["theme"] = theme

    async def flip_theme(self, event: GenericEventArguments) -> None:
        """Show the other of light and dark. What the page shows decides, as the browser
        reports it: it alone knows what "auto" looks like (the system's choice)."""
        showing_dark = event.args if isinstance(event.args, bool) else self.viewer.theme == "dark"
        await self.set_theme("light" if showing_dark else "dark")


def is_demo() -> bool:
    return get_state().provider.name == "demo"


@contextmanager
def frame(viewer: Viewer, *, title: str | None = None, menu: bool = False) -> Iterator[Frame]:
    t = viewer.t
    ui.colors(primary="#4f46e5")
    add_theme_head(viewer.theme, viewer.lang, t("copied"), t("copy_failed"))
    ui.page_title(f"{title} · BeykuSay" if title else "BeykuSay")
    page = Frame(viewer=viewer, dark=ui.dark_mode(quasar_dark(viewer.theme)))
    with ui.header(elevated=False).classes("bk-header items-center gap-1 px-2 py-1"):
        if menu:
            page.menu_button = hint(
                ui.button(icon="menu").props("flat round dense"), t("open_menu")
            )
            page.menu_button.mark("menu")
        with ui.link(target="/chat" if viewer.user else "/").classes(
            "bk-brand row items-center gap-2 no-underline px-1"
        ):
            ui.html('<span class="bk-logo">B</span>', sanitize=False)
            ui.label("BeykuSay")
        if is_demo():
            hint(ui.label(t("demo_mode")).classes("bk-badge"), t("demo_hint")).mark("demo-badge")
        ui.space()
        page.theme_button = hint(
            ui.button(icon=THEME_ICONS.get(viewer.theme, "contrast")), t("toggle_theme")
        )
        page.theme_button.on("click", page.flip_theme, js_handler=SHOWING_DARK)
        page.theme_button.props("flat round dense").mark("theme-toggle")
        if viewer.user is None:
            _visitor_menu(viewer)
        else:
            _user_menu(viewer)
    yield page


def _visitor_menu(viewer: Viewer) -> None:
    other = "ru" if viewer.lang == "en" else "en"

    def switch() -> None:
        app.storage.user["lang"] = other
        ui.navigate.reload()

    button = ui.button(other.upper(), on_click=switch).props("flat dense no-caps")
    hint(button, i18n.LANGUAGE_NAMES[other]).mark("language-toggle")


def _user_menu(viewer: Viewer) -> None:
    assert viewer.user is not None
    name = viewer.user.username

    def log_out() -> None:
        auth.log_out()
        ui.navigate.to("/login")

    with ui.button().props("flat round dense").mark("user-menu"):
        with ui.avatar(color="primary", text_color="white", size="30px").props("font-size=14px"):
            ui.label(name[:1].upper()).classes("font-semibold")
        with ui.menu().props("anchor='bottom right' self='top right'"):
            ui.item(viewer.t("signed_in_as", name=name)).props("dense").classes("bk-muted text-sm")
            ui.separator()
            ui.menu_item(viewer.t("settings"), lambda: ui.navigate.to("/settings")).mark(
                "menu-settings"
            )
            if viewer.user.role == "admin":  # the page itself checks again, as every action
                ui.menu_item(viewer.t("admin"), lambda: ui.navigate.to("/admin")).mark("menu-admin")
            ui.menu_item(viewer.t("log_out"), log_out).mark("menu-logout")
