"""The message input at the bottom of a chat: text, model picker, send and stop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from beykusay.catalog import MODELS
from pages.attachments import AttachmentTray
from pages.auth import Viewer
from pages.web_search import WebSearchToggle
from pages.widgets import hint

# Enter sends; Shift+Enter (or any modifier, or an IME composing) makes a new line.
ENTER_SENDS = """(event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.altKey
      && !event.metaKey && !event.isComposing) { event.preventDefault(); emit(); }
}"""


def model_options(viewer: Viewer, demo: bool) -> dict[str, str]:
    suffix = f" · {viewer.t('demo')}" if demo else ""
    return {info.id: info.label + suffix for info in MODELS.values()}


class Composer:
    def __init__(
        self,
        viewer: Viewer,
        *,
        model: str,
        demo: bool,
        on_send: Callable[[], Awaitable[Any]],
        on_stop: Callable[[], Awaitable[Any]],
        on_model: Callable[[str], Awaitable[Any]],
    ) -> None:
        t = viewer.t
        self.on_model = on_model
        with (
            ui.footer().classes("bk-footer p-0"),
            ui.column().classes("bk-footer-inner w-full"),
            ui.column().classes("bk-page gap-0"),
        ):
            with ui.column().classes("bk-composer w-full gap-0"):
                self.tray = AttachmentTray(viewer, on_busy=self._uploading)
                self.input = ui.textarea(placeholder=t("message_placeholder"))
                self.input.props("autogrow borderless dense rows=1 autofocus")
                self.input.classes("w-full").mark("message-input")
                self.input.on("keydown", on_send, js_handler=ENTER_SENDS)
                with ui.row().classes("w-full items-center gap-1 no-wrap"):
                    self.tray.paperclip()
                    self.model = ui.select(
                        model_options(viewer, demo), value=model, on_change=self._model_changed
                    )
                    self.model.props("dense borderless options-dense").classes("bk-model-select")
                    hint(self.model, t("model")).mark("model-select")
                    self.web_search = WebSearchToggle(viewer)
                    ui.space()
                    self.send_button = ui.button(icon="arrow_upward", on_click=on_send)
                    self.send_button.props("round unelevated dense").mark("send")
                    hint(self.send_button, t("send"))
                    self.stop_button = ui.button(icon="stop", on_click=on_stop)
                    self.stop_button.props("round unelevated dense color=grey-8").mark("stop")
                    hint(self.stop_button, t("stop"))
                    self.stop_button.set_visibility(False)
            ui.label(t("disclaimer")).classes("bk-hint")

    async def _model_changed(self, event: Any) -> None:
        if event.value:
            await self.on_model(event.value)

    def _uploading(self, busy: bool) -> None:
        """Sending waits for every upload to finish."""
        self.send_button.set_enabled(not busy)

    @property
    def text(self) -> str:
        return self.input.value or ""

    def clear(self) -> None:
        self.input.value = ""
        self.tray.clear()

    def set_busy(self, busy: bool) -> None:
        self.send_button.set_visibility(not busy)
        self.stop_button.set_visibility(busy)
