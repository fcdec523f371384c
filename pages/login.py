"""Logging in and registering."""

from __future__ import annotations

import asyncio

from nicegui import ui
from pydantic import ValidationError
from starlette.responses import RedirectResponse

from beykusay.clients import client_address
from beykusay.schemas import Credentials
from beykusay.services import operations
from beykusay.services.errors import (
    Conflict,
    Forbidden,
    InvalidCredentials,
    TooManyAttempts,
    Unavailable,
)
from beykusay.services.signup import PENDING, AccountDisabled, AccountPending
from beykusay.state import get_state
from pages import auth
from pages.auth import Viewer, get_viewer, safe_target
from pages.frame import frame
from pages.pending import show_pending
from pages.widgets import busy


def _form(title: str, subtitle: str) -> ui.column:
    with ui.column().classes("bk-card bk-auth gap-3") as card:
        ui.label(title).classes("text-2xl font-semibold")
        ui.label(subtitle).classes("bk-muted -mt-2")
    return card


@ui.page("/login")
async def login_page(redirect_to: str | None = None) -> RedirectResponse | None:
    viewer = await get_viewer()
    target = safe_target(redirect_to)
    if viewer.user is not None:
        return RedirectResponse(target)
    t = viewer.t
    with frame(viewer, title=t("log_in")), _form(t("login_title"), t("login_subtitle")):
        username = ui.input(t("username")).props("outlined autofocus autocomplete=username")
        username.classes("w-full").mark("username")
        password = ui.input(t("password"), password=True, password_toggle_button=True)
        password.props("outlined autocomplete=current-password").classes("w-full").mark("password")
        error = ui.label().classes("bk-error w-full").mark("form-error")
        error.set_visibility(False)

        async def submit() -> None:
            error.set_visibility(False)
            if not username.value or not password.value:
                _show(error, t("fill_in"))
                return
            try:
                with busy(button):
                    user = await asyncio.to_thread(
                        operations.login,
                        guard=get_state().login_guard,
                        username=username.value,
                        password=password.value,
                        client=client_address(ui.context.client.request),
                    )
            except TooManyAttempts as exc:
                _show(error, t("too_many_attempts", seconds=exc.retry_after))
                return
            except InvalidCredentials:
                _show(error, t("invalid_credentials"))
                return
            except Unavailable:
                _show(error, t("unavailable"))
                return
            except AccountPending:
                show_pending(username.value)
                return
            except AccountDisabled:
                _show(error, t("account_disabled"))
                return
            auth.log_in(user)
            ui.navigate.to(target)

        username.on("keydown.enter", submit)
        password.on("keydown.enter", submit)
        button = ui.button(t("log_in"), on_click=submit).props("unelevated no-caps")
        button.classes("w-full").mark("submit")
        with ui.row().classes("gap-1 justify-center w-full text-sm"):
            ui.label(t("no_account")).classes("bk-muted")
            ui.link(t("register"), "/register").classes("text-primary").mark("to-register")
    return None


def _show(label: ui.label, text: str) -> None:
    label.set_text(text)
    label.set_visibility(True)


def _registration_problems(viewer: Viewer, error: ValidationError) -> list[str]:
    fields = {str(item["loc"][0]) for item in error.errors() if item.get("loc")}
    problems = []
    if "username" in fields:
        problems.append(viewer.t("username_rules"))
    if "password" in fields:
        problems.append(viewer.t("password_rules"))
    return problems or [viewer.t("error_generic")]


@ui.page("/register")
async def register_page() -> RedirectResponse | None:
    viewer = await get_viewer()
    if viewer.user is not None:
        return RedirectResponse("/chat")
    t = viewer.t
    with frame(viewer, title=t("register")), _form(t("register_title"), t("register_subtitle")):
        username = ui.input(t("username")).props("outlined autofocus autocomplete=username")
        username.classes("w-full").mark("username")
        ui.label(t("username_rules")).classes("bk-muted text-xs -mt-2")
        password = ui.input(t("password"), password=True, password_toggle_button=True)
        password.props("outlined autocomplete=new-password").classes("w-full").mark("password")
        repeat = ui.input(t("password_repeat"), password=True)
        repeat.props("outlined autocomplete=new-password").classes("w-full").mark("password-repeat")
        error = ui.label().classes("bk-error w-full").mark("form-error")
        error.set_visibility(False)

        async def submit() -> None:
            error.set_visibility(False)
            try:
                credentials = Credentials(
                    username=username.value or "", password=password.value or ""
                )
            except ValidationError as exc:
                _show(error, " ".join(_registration_problems(viewer, exc)))
                return
            if password.value != repeat.value:
                _show(error, t("passwords_differ"))
                return
            try:
                with busy(button):
                    user = await asyncio.to_thread(
                        operations.register, credentials.username, credentials.password
                    )
            except Conflict:
                _show(error, t("username_taken"))
                return
            except Forbidden:
                _show(error, t("signup_closed_text"))
                return
            if user.status == PENDING:
                show_pending(user.username)
                return
            auth.log_in(user)
            ui.navigate.to("/chat")

        repeat.on("keydown.enter", submit)
        button = ui.button(t("register"), on_click=submit).props("unelevated no-caps")
        button.classes("w-full").mark("submit")
        with ui.row().classes("gap-1 justify-center w-full text-sm"):
            ui.label(t("have_account")).classes("bk-muted")
            ui.link(t("log_in"), "/login").classes("text-primary").mark("to-login")
    return None
