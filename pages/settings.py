"""Settings: theme, language, default model, custom instructions, password, log out."""

from __future__ import annotations

import asyncio

from nicegui import ui
from pydantic import ValidationError
from starlette.responses import RedirectResponse

from beykusay import i18n
from beykusay.schemas import PasswordChange, SettingsUpdate
from beykusay.services import operations
from beykusay.services.errors import InvalidCredentials, InvalidInput
from pages import auth
from pages.auth import get_viewer
from pages.composer import model_options
from pages.frame import frame, is_demo
from pages.settings_team import keys_panel, usage_panel, v1_base_url


def _section(title: str) -> ui.column:
    with ui.column().classes("bk-card w-full p-5 gap-3") as card:
        ui.label(title).classes("text-lg font-semibold")
    return card


@ui.page("/settings")
async def settings_page() -> RedirectResponse | None:
    viewer = await get_viewer()
    if viewer.user is None:
        return RedirectResponse("/login?redirect_to=%2Fsettings")
    user = viewer.user
    t = viewer.t

    async def save(update: SettingsUpdate) -> bool:
        if await auth.current_user() is None:
            ui.navigate.to("/login")
            return False
        await asyncio.to_thread(operations.save_settings, viewer.user_id, update)
        ui.notify(t("saved"), type="positive", position="bottom", timeout=1500)
        return True

    with frame(viewer, title=t("settings")) as page, ui.column().classes("bk-page gap-4 py-6"):
        with ui.row().classes("items-center gap-2"):
            ui.button(icon="arrow_back", on_click=lambda: ui.navigate.to("/chat")).props(
                "flat round dense"
            ).mark("back")
            ui.label(t("settings")).classes("text-2xl font-semibold")

        with _section(t("appearance")):
            ui.label(t("theme")).classes("bk-muted text-sm -mb-2")
            themes = {name: t(f"theme_{name}") for name in ("light", "dark", "auto")}
            theme = ui.toggle(themes, value=user.theme).props("no-caps unelevated").mark("theme")

            async def theme_changed() -> None:
                if theme.value and theme.value != viewer.theme:
                    await page.set_theme(theme.value)

            theme.on_value_change(theme_changed)
            languages = {"": t("language_auto"), **i18n.LANGUAGE_NAMES}
            language = ui.select(languages, value=user.language or "", label=t("language"))
            language.props("outlined dense").classes("w-64 max-w-full").mark("language")

            async def language_changed() -> None:
                if await save(SettingsUpdate(language=language.value or "")):
                    ui.navigate.reload()

            language.on_value_change(language_changed)

        with _section(t("chat_defaults")):
            model = (
                ui.select(
                    model_options(viewer, is_demo()),
                    value=user.default_model,
                    label=t("default_model"),
                )
                .props("outlined dense")
                .classes("w-72 max-w-full")
                .mark("default-model")
            )
            model.on_value_change(lambda: save(SettingsUpdate(default_model=model.value)))
            instructions = ui.textarea(t("custom_instructions"), value=user.custom_instructions)
            instructions.props(
                'outlined autogrow maxlength=8000 input-style="min-height: 4.5rem"'
            ).classes("w-full")
            instructions.mark("instructions")
            ui.label(t("custom_instructions_hint")).classes("bk-muted text-xs -mt-2")

            async def save_instructions() -> None:
                await save(SettingsUpdate(custom_instructions=instructions.value or ""))

            ui.button(t("save"), on_click=save_instructions).props("unelevated no-caps").mark(
                "save-instructions"
            )

        await usage_panel(viewer, _section)
        await keys_panel(viewer, _section, v1_base_url())

        with _section(t("change_password")):
            current = (
                ui.input(t("current_password"), password=True)
                .props("outlined dense autocomplete=current-password")
                .classes("w-72 max-w-full")
                .mark("current-password")
            )
            new = (
                ui.input(t("new_password"), password=True)
                .props("outlined dense autocomplete=new-password")
                .classes("w-72 max-w-full")
                .mark("new-password")
            )
            repeat = (
                ui.input(t("password_repeat"), password=True)
                .props("outlined dense autocomplete=new-password")
                .classes("w-72 max-w-full")
                .mark("repeat-password")
            )
            problem = ui.label().classes("bk-error").mark("password-error")
            problem.set_visibility(False)

            async def change() -> None:
                problem.set_visibility(False)
                try:
                    body = PasswordChange(
                        current_password=current.value or "", new_password=new.value or ""
                    )
                except ValidationError:
                    problem.set_text(t("password_rules"))
                    problem.set_visibility(True)
                    return
                if new.value != repeat.value:
                    problem.set_text(t("passwords_differ"))
                    problem.set_visibility(True)
                    return
                try:
                    version = await asyncio.to_thread(
                        operations.change_password,
                        viewer.user_id,
                        body.current_password,
                        body.new_password,
                    )
                except (InvalidCredentials, InvalidInput):
                    problem.set_text(t("wrong_password"))
                    problem.set_visibility(True)
                    return
                auth.keep_session(version)
                for field in (current, new, repeat):
                    field.value = ""
                ui.notify(t("password_changed"), type="positive")

            ui.button(t("change_password"), on_click=change).props("unelevated no-caps").mark(
                "change-password"
            )

        with _section(t("account")):
            ui.label(t("signed_in_as", name=user.username)).classes("bk-muted")

            def log_out() -> None:
                auth.log_out()
                ui.navigate.to("/login")

            ui.button(t("log_out"), icon="logout", on_click=log_out).props(
                "outline no-caps color=negative"
            ).mark("logout")
    return None
