"""One assistant message on the page: its thoughts, the answer, its status and actions."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from beykusay import i18n
from beykusay.catalog import MODELS
from beykusay.citations import render_part
from pages.auth import Viewer
from pages.markdown_view import LiveMarkdown, rendered_markdown
from pages.versions import SwitchAction, VersionSwitcher, version_switcher
from pages.web_search import show_sources
from pages.widgets import copy_to_clipboard, hint, icon_button, typing_dots

Action = Callable[[], Awaitable[Any]]
LENGTH_LIMIT = "MAX_TOKENS"  # the finish reason of an answer cut at the output token limit

# The live answer body; the render benchmark swaps in a naive one as its baseline.
StreamingMarkdown = LiveMarkdown


class AnswerView:
    """An answer that is either finished (from the database) or being written (from events)."""

    def __init__(
        self,
        viewer: Viewer,
        *,
        message_id: int,
        model: str | None,
        on_regenerate: Action,
        on_switch: SwitchAction,
        on_continue: Action,
    ) -> None:
        self.viewer = viewer
        self.message_id = message_id
        self.model = model
        self.on_regenerate = on_regenerate
        self.on_switch = on_switch
        self.switcher: VersionSwitcher | None = None
        self.on_continue = on_continue
        self.status = "streaming"
        self.content = ""
        self.thinking_started: float | None = None
        self.thinking_seconds: float | None = None
        self.body: LiveMarkdown | None = None
        self.thoughts: LiveMarkdown | None = None
        self.expansion: ui.expansion | None = None
        self.dots: ui.html | None = None
        self.failure: ui.row | None = None
        self.retry_button: ui.button | None = None
        self.continue_button: ui.button | None = None
        self.actions: ui.row | None = None
        self.last = False
        self.busy = False
        self.root = ui.column().classes("bk-answer gap-1").mark(f"answer-{message_id}")
        self.think_slot: ui.element | None = None  # live answers only: thoughts go above...
        self.body_slot: ui.element | None = None  # ...the text, whichever comes first

    # -- a finished answer ----------------------------------------------------------

    def show_message(self, message: dict[str, Any], html: dict[str, str]) -> None:
        """Show a finished (or saved mid-way) answer in one go; ``html`` is its rendered
        thoughts and text (see beykusay.render_cache), made off the event loop."""
        if message.get("thinking"):
            with self.root:
                self._thought_box(False, self._thought_label(message.get("thinking_seconds")))
            with self.expansion:  # type: ignore[union-attr]
                rendered_markdown(html["thinking"])
        if message.get("content"):
            with self.root:
                rendered_markdown(html["content"])
        self._finished(message)

    # -- an answer being written ----------------------------------------------------

    def start_live(self) -> None:
        with self.root:
            self.think_slot = ui.element("div").classes("w-full")
            self.body_slot = ui.element("div").classes("w-full")
            self.dots = typing_dots().mark("typing")

    def add_thinking(self, delta: str) -> None:
        if self.thoughts is None:
            self.thinking_started = time.monotonic()
            with self.think_slot:
                self._thought_box(True, self.viewer.t("thinking"))
            self.expansion.classes("bk-thinking")  # type: ignore[union-attr]
            with self.expansion:  # type: ignore[union-attr]
                self.thoughts = StreamingMarkdown(copy_label=self.viewer.t("copy"))
        self.thoughts.add(delta)

    def add_text(self, delta: str) -> None:
        if self.body is None:
            self._answer_started()
            with self.body_slot:
                self.body = StreamingMarkdown(copy_label=self.viewer.t("copy"))
        self.content += delta
        self.body.add(delta)

    def _answer_started(self) -> None:
        if self.expansion is not None:
            if self.thinking_started is not None and self.thoughts is not None:
                seconds = time.monotonic() - self.thinking_started
                # After a reload the thoughts and the text arrive together: time unknown.
                if seconds > 0.05:
                    self.thinking_seconds = seconds
            self.expansion.close()
            self.expansion.classes(remove="bk-thinking")
            self.expansion.text = self._thought_label(self.thinking_seconds)
        self._drop_dots()

    def _drop_dots(self) -> None:
        if self.dots is not None:
            self.dots.delete()
            self.dots = None

    @property
    def dirty(self) -> bool:
        return bool((self.body and self.body.dirty) or (self.thoughts and self.thoughts.dirty))

    def flush(self) -> None:
        if self.thoughts is not None:
            self.thoughts.flush()
        if self.body is not None:
            self.body.flush()

    def finish(self, message: dict[str, Any]) -> None:
        """The final message arrived: settle the live text and show the outcome."""
        if self.thoughts is not None:
            self.thoughts.finish()
        if self.body is not None:
            self.body.finish()
        final = message.get("content") or ""
        cited = bool(message.get("citations"))  # markers go in once the answer is whole
        if (final != self.content or cited) and self.body_slot is not None:
            # never show less (or other) than what was saved
            self.body_slot.clear()
            if final:
                with self.body_slot:
                    rendered_markdown(render_part(message, "content", self.viewer.t("copy")))
        if self.expansion is not None:
            self.expansion.close()
            self.expansion.classes(remove="bk-thinking")
            self.expansion.text = self._thought_label(message.get("thinking_seconds"))
        self._finished(message)

    # -- pieces -------------------------------------------------------------------

    def _thought_box(self, open_: bool, label: str) -> None:
        self.expansion = ui.expansion(label, icon="psychology", value=open_)
        self.expansion.classes("bk-think w-full").props("dense").mark("thoughts")

    def _thought_label(self, seconds: float | None) -> str:
        if seconds is None:
            return self.viewer.t("thought")
        return self.viewer.t("thought_for", seconds=max(1, round(seconds)))

    def _finished(self, message: dict[str, Any]) -> None:
        t = self.viewer.t
        self.status = message.get("status", "complete")
        self.content = message.get("content") or ""
        self.model = message.get("model") or self.model
        self._drop_dots()
        if self.status == "streaming":  # saved mid-way by a server that is still writing it
            with self.root:
                self.dots = typing_dots()
            return
        if self.status in ("error", "interrupted"):
            with self.root, ui.row().classes("bk-failed w-full items-center gap-3") as self.failure:
                ui.icon("error_outline", size="20px")
                if self.status == "error":
                    code, stored = message.get("error_code"), message.get("error")
                    text = i18n.error_text(self.viewer.lang, code, stored)
                else:
                    text = t("interrupted")
                with ui.column().classes("gap-0 grow min-w-0"):
                    ui.label(t("answer_failed")).classes("font-medium")
                    ui.label(text).classes("text-sm").mark("answer-error")
                self.retry_button = ui.button(
                    t("retry"), icon="refresh", on_click=self.on_regenerate
                )
                self.retry_button.props("outline dense no-caps").mark("retry")
        if self.status == "complete" and message.get("finish_reason") == LENGTH_LIMIT:
            with self.root, ui.row().classes("bk-status items-center gap-2"):
                ui.icon("short_text", size="16px")
                ui.label(t("cut_off")).mark("cut-off")
                self.continue_button = ui.button(
                    t("continue"), icon="arrow_forward", on_click=self.on_continue
                )
                self.continue_button.props("outline dense no-caps size=sm").mark("continue")
                hint(self.continue_button, t("continue_hint"))
        omitted = message.get("history_omitted") or 0
        if omitted:  # the oldest messages did not fit the history budget
            with self.root, ui.row().classes("bk-status items-center gap-1"):
                ui.icon("history_toggle_off", size="16px")
                ui.label(t("history_trimmed", count=omitted)).mark("history-trimmed")
        show_sources(self.root, message, self.viewer)
        label = MODELS[self.model].label if self.model in MODELS else ""
        if self.status == "stopped":
            label = f"{label} · {t('stopped')}" if label else t("stopped")
        with self.root, ui.row().classes("bk-actions items-center") as self.actions:
            self.switcher = version_switcher(self.viewer, message, self.on_switch)
            icon_button("content_copy", t("copy"), self.copy, marker="copy-answer")
            self.regenerate_button = icon_button(
                "refresh", t("regenerate"), self.on_regenerate, marker="regenerate"
            )
            ui.label(label).classes("bk-status ml-1")
        self.refresh_actions()

    def set_position(self, *, last: bool, busy: bool) -> None:
        self.last, self.busy = last, busy
        self.refresh_actions()

    def refresh_actions(self) -> None:
        if self.actions is not None:
            self.regenerate_button.set_visibility(self.last and not self.busy)
        if self.switcher is not None:
            self.switcher.set_busy(self.busy)
        if self.retry_button is not None:
            self.retry_button.set_visibility(self.last and not self.busy)
        if self.continue_button is not None:
            self.continue_button.set_visibility(self.last and not self.busy)

    async def copy(self) -> None:
        await copy_to_clipboard(self.viewer, self.content)
