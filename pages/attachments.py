"""Attachments on the chat page: the composer's tray (paperclip, drop, paste; a chip per
file with its progress, removable, saying why when refused) and the files of a sent
message (image thumbnails that open the full image, download chips for the rest).

The browser uploads through ``POST /attachments`` and shows files from
``GET /attachments/{id}``: the page's own routes, on the login session, beside the API's
bearer-token ``/api/files``; both run the same code (beykusay.api.files).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from nicegui import ui

from beykusay import i18n
from beykusay.api.files import content_response, receive_file
from beykusay.db import in_session
from beykusay.services import files
from beykusay.services.errors import ServiceError
from beykusay.state import get_state
from pages import auth
from pages.auth import Viewer
from pages.widgets import hint

STATIC = Path(__file__).parent / "static"
UPLOAD_URL = "/attachments"
# What the file picker offers (the server still decides from the bytes).
PICKER_ACCEPT = ",".join(
    (
        "image/png,image/jpeg,image/webp,image/gif,application/pdf,audio/*,text/*",
        ".md,.csv,.json,.py,.js,.ts,.txt,.log,.yaml,.yml,.toml,.xml,.sql,.sh",
    )
)

KIND_ICONS = {"image": "image", "pdf": "picture_as_pdf", "audio": "audio_file"}

LABELS = {
    "en": {
        "attach": "Attach files (or drop them here, or paste)",
        "remove": "Remove",
        "deleted": "deleted",
        "failed": "Upload failed. Please try again.",
        "open": "Open the full image",
        "download": "Download",
    },
    "ru": {
        "attach": "Прикрепить файлы (или перетащите их сюда, или вставьте)",
        "remove": "Убрать",
        "deleted": "удалён",
        "failed": "Не удалось загрузить файл. Попробуйте ещё раз.",
        "open": "Открыть изображение целиком",
        "download": "Скачать",
    },
}


def label(viewer: Viewer, key: str, **values: Any) -> str:
    return LABELS.get(viewer.lang, LABELS["en"])[key].format(**values)


def refusal_text(viewer: Viewer, args: dict[str, Any], limit: int) -> str:
    """Why the composer's chip failed, in the viewer's language.

    The page's upload route answers a refusal's ``reason`` and ``values`` beside the
    English ``detail`` (beykusay.i18n_files has the words); a reason without words,
    or values that do not fit them, show the general failure instead.
    """
    reason, values = args.get("reason"), args.get("values")
    if reason is None and args.get("status") == 413:
        reason = "too_large"
    key = f"file_refused_{reason}"
    if isinstance(reason, str) and key in i18n.EN:
        shown = {
            name: f"{value:,}" if isinstance(value, int) else str(value)
            for name, value in (values.items() if isinstance(values, dict) else ())
            if isinstance(name, str) and isinstance(value, str | int | float)
        }
        shown["accepted"] = viewer.t("file_accepted")
        if reason == "too_large":
            shown["mib"] = f"{limit / 1024 / 1024:g}"
        try:
            return viewer.t(key, **shown)
        except (KeyError, IndexError, ValueError):
            pass
    return label(viewer, "failed")


def human_size(size: int) -> str:
    for unit, step in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= step:
            return f"{size / step:.1f} {unit}".replace(".0 ", " ")
    return f"{size} B"


# -- the page's own routes (login session) -------------------------------------------------

router = APIRouter(include_in_schema=False)


async def _session_user_id() -> int:
    user = await auth.current_user()
    if user is None or user.id is None:
        raise HTTPException(401, "Not logged in")
    return user.id


@router.post(UPLOAD_URL)
async def upload_from_page(request: Request) -> Response:
    # A custom header: a cross-site form cannot send one, so no one else's page can
    # upload into this user's storage with their cookie.
    if request.headers.get("x-beykusay-upload") != "1":
        return JSONResponse({"detail": "Missing upload header"}, status_code=403)
    user_id = await _session_user_id()
    try:
        file = await receive_file(request, user_id, get_state().settings)
    except ServiceError as exc:
        refused = {"reason": getattr(exc, "reason", None), "values": getattr(exc, "values", {})}
        return JSONResponse({"detail": exc.message, **refused}, status_code=exc.status_code)
    return JSONResponse(files.file_json(file), status_code=201)


@router.get(UPLOAD_URL + "/{file_id}")
async def file_for_page(file_id: int) -> Response:
    user_id = await _session_user_id()
    try:
        file, data = await asyncio.to_thread(
            in_session, lambda s: files.read_content(session=s, user_id=user_id, file_id=file_id)
        )
    except ServiceError as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code)
    return content_response(file, data)


# -- the composer's tray --------------------------------------------------------------------


@cache
def _script() -> str:
    return (STATIC / "attachments.js").read_text(encoding="utf-8")


@dataclass
class Chip:
    key: str
    name: str
    size: int
    root: ui.row
    icon: ui.icon
    progress: ui.linear_progress
    note: ui.label
    file_id: int | None = None
    failed: bool = False


class AttachmentTray:
    """The files attached to the message being written, above the text."""

    def __init__(self, viewer: Viewer, *, on_busy: Callable[[bool], None]) -> None:
        self.viewer = viewer
        self.on_busy = on_busy
        self.chips: dict[str, Chip] = {}
        self.limit = get_state().settings.max_upload_bytes
        self.row = ui.row().classes("bk-tray w-full gap-2").mark("attachments")
        self.row.set_visibility(False)
        options = {
            "url": UPLOAD_URL,
            "maxBytes": self.limit,
            "accept": PICKER_ACCEPT,
        }
        # json.dumps: the options are a JavaScript literal, never code.
        ui.add_body_html(
            f"<script>{_script()}\nwindow.bkAttachInit({json.dumps(options)});</script>"
        )
        ui.on("bk_attach", self._reported)

    def paperclip(self) -> ui.button:
        """The button that opens the file picker (in the browser: a picker needs the click)."""
        button = ui.button(icon="attach_file").props("flat round dense").mark("attach")
        button.on("click", js_handler="() => window.bkAttachPick && window.bkAttachPick()")
        return hint(button, label(self.viewer, "attach"))

    @property
    def uploading(self) -> bool:
        return any(c.file_id is None and not c.failed for c in self.chips.values())

    @property
    def file_ids(self) -> list[int]:
        return [c.file_id for c in self.chips.values() if c.file_id is not None]

    def clear(self) -> None:
        """After the message was sent: its files go with it."""
        for key in [k for k, c in self.chips.items() if c.file_id is not None or c.failed]:
            self._remove(key)

    def _reported(self, event: Any) -> None:
        args = event.args if isinstance(event.args, dict) else {}
        key = str(args.get("key", ""))
        state = args.get("state")
        if state == "start" and key not in self.chips:
            self._add(key, str(args.get("name") or "file"), int(args.get("size") or 0))
        chip = self.chips.get(key)
        if chip is None:
            return
        if state == "progress":
            chip.progress.set_value(float(args.get("fraction") or 0))
        elif state == "done" and isinstance(args.get("file"), dict):
            chip.file_id = int(args["file"]["id"])
            chip.icon.name = KIND_ICONS.get(str(args["file"].get("kind")), "description")
            chip.progress.set_visibility(False)
            chip.note.set_text(human_size(chip.size))
        elif state == "failed":
            chip.failed = True
            chip.progress.set_visibility(False)
            chip.note.set_text(refusal_text(self.viewer, args, self.limit))
            chip.root.classes("bk-chip-failed")
            chip.note.mark("attachment-error")
        self.on_busy(self.uploading)

    def _add(self, key: str, name: str, size: int) -> None:
        with (
            self.row,
            ui.row().classes("bk-chip items-center gap-1 no-wrap").mark("attachment") as root,
        ):
            icon = ui.icon("description").classes("bk-chip-icon")
            with ui.column().classes("gap-0 bk-chip-text"):
                ui.label(name).classes("bk-chip-name")
                note = ui.label(human_size(size)).classes("bk-chip-note")
                progress = ui.linear_progress(value=0, show_value=False, size="3px")
                progress.classes("bk-chip-progress")
            remove = ui.button(icon="close", on_click=lambda: self._remove(key))
            remove.props("flat round dense size=xs").mark("remove-attachment")
            hint(remove, label(self.viewer, "remove"))
        self.chips[key] = Chip(key, name, size, root, icon, progress, note)
        self.row.set_visibility(True)

    def _remove(self, key: str) -> None:
        chip = self.chips.pop(key, None)
        if chip is not None:
            chip.root.delete()
        self.row.set_visibility(bool(self.chips))
        self.on_busy(self.uploading)


# -- a sent message's files -------------------------------------------------------------------


def message_files(viewer: Viewer, message: dict[str, Any]) -> None:
    """Thumbnails of the message's images (each opens the full image), chips for the rest."""
    shown = message.get("attachments") or []
    if not shown:
        return
    with ui.row().classes("bk-message-files gap-2 justify-end").mark("message-files"):
        for file in shown:
            url = f"{UPLOAD_URL}/{int(file['id'])}"
            name = str(file.get("name", "file"))
            if file.get("deleted"):
                ui.label(f"{name} ({label(viewer, 'deleted')})").classes("bk-chip bk-chip-deleted")
            elif file.get("kind") == "image":
                with ui.link(target=url, new_tab=True).classes("bk-thumb-link") as link:
                    thumb = ui.image(url).classes("bk-thumb").mark("thumbnail")
                    thumb._props["alt"] = name  # a prop set directly: text, never parsed
                link._props["aria-label"] = f"{label(viewer, 'open')}: {name}"
            else:
                with ui.link(target=url).classes("bk-chip bk-file-link").mark("file-link") as link:
                    ui.icon("download").classes("bk-chip-icon")
                    ui.label(f"{name} · {human_size(int(file.get('size', 0)))}")
                link._props["download"] = name
