"""Settings → Export and import: every chat as one JSON download, and importing chats
from a BeykuSay or ChatGPT export with a progress bar and a summary of what came in."""

from __future__ import annotations

import asyncio
import contextlib
import io
import tempfile
from pathlib import Path
from typing import IO

from nicegui import events, ui

from beykusay.config import get_settings
from beykusay.services import share_operations
from beykusay.services.errors import ServiceError
from beykusay.services.importer import ImportResult
from pages import sharing_words  # noqa: F401  (the words of these pages)
from pages.auth import Viewer

PROGRESS_INTERVAL = 0.25  # seconds between updates of the progress bar
MIB = 1024 * 1024


def summary(viewer: Viewer, result: ImportResult) -> str:
    """ "37 chats imported, 2 skipped: …" in the viewer's language."""
    text = viewer.t("imported_summary", count=result.imported)
    if result.skipped:
        reasons = "; ".join(f"{s['title'] or '…'} ({s['reason']})" for s in result.skipped)
        text += viewer.t("imported_skipped", count=len(result.skipped), reasons=reasons)
    return text


def _source(upload: events.UploadEventArguments) -> IO[bytes]:
    """The uploaded file to read: in place when NiceGUI spooled it to disk."""
    path = getattr(upload.file, "_path", None)  # LargeFileUpload keeps it in a temp file
    if isinstance(path, Path) and path.is_file():
        return path.open("rb")
    data = getattr(upload.file, "_data", b"")
    return io.BytesIO(data)


def transfer_section(viewer: Viewer) -> None:
    t = viewer.t
    limit = get_settings().max_import_bytes
    with ui.column().classes("bk-card w-full p-5 gap-3").mark("transfer"):
        ui.label(t("transfer")).classes("text-lg font-semibold")
        ui.button(t("export_all"), icon="download", on_click=lambda: export_all(viewer)).props(
            "outline no-caps"
        ).mark("export-all")
        ui.label(t("export_all_hint")).classes("bk-muted text-xs -mt-2")
        ui.separator()
        ui.label(t("import_chats")).classes("font-medium")
        ui.label(t("import_hint", limit=max(1, limit // MIB))).classes("bk-muted text-sm")
        progress = ui.linear_progress(value=0, show_value=False)
        progress.props("rounded size=8px animation-speed=200")
        progress.mark("import-progress").set_visibility(False)
        result = ui.label().classes("text-sm").mark("import-result")
        result.set_visibility(False)

        async def received(upload: events.UploadEventArguments) -> None:
            fraction = [0.0]
            result.set_visibility(False)
            progress.value = 0
            progress.set_visibility(True)
            timer = ui.timer(PROGRESS_INTERVAL, lambda: progress.set_value(fraction[0]))
            source = _source(upload)
            try:
                done = await asyncio.to_thread(
                    share_operations.import_chats,
                    viewer.user_id,
                    source,
                    lambda value: fraction.__setitem__(0, value),
                )
            except ServiceError as exc:
                reason = getattr(exc, "reason", exc.message)
                result.set_text(t("import_failed", reason=reason))
                result.classes(add="bk-error")
                progress.set_visibility(False)
            else:
                result.set_text(summary(viewer, done))
                result.classes(remove="bk-error")
                progress.value = 1
            finally:
                source.close()
                timer.cancel()
                uploader.reset()
            result.set_visibility(True)

        def rejected() -> None:
            result.set_text(t("import_too_large", limit=max(1, limit // MIB)))
            result.classes(add="bk-error")
            result.set_visibility(True)

        uploader = ui.upload(
            label=t("import_chats"),
            auto_upload=True,
            max_file_size=limit,
            on_upload=received,
            on_rejected=rejected,
        )
        uploader.props('accept=".json,.zip,application/json,application/zip" flat bordered')
        uploader.classes("w-full max-w-md").mark("import-upload")


async def export_all(viewer: Viewer) -> None:
    """Write the export to a temporary file (bounded memory) and hand it to the browser."""
    with tempfile.NamedTemporaryFile(prefix="beykusay-export-", suffix=".json", delete=False) as f:
        path = Path(f.name)
    await asyncio.to_thread(share_operations.export_all_to, viewer.user_id, path)
    ui.download.file(path, "beykusay-chats.json", "application/json")

    def remove() -> None:
        with contextlib.suppress(OSError):
            path.unlink()

    ui.context.client.on_delete(remove)
