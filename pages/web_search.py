"""Web search on the page: the globe toggle in the composer, "Searching…" while a grounded
answer has no text yet, and the sources, queries and search entry point under an answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from nicegui import ui

from beykusay.citations import ENTRY_CSP, entry_point_document, sources_html
from pages.auth import Viewer
from pages.widgets import hint

if TYPE_CHECKING:
    from pages.answer import AnswerView

SANDBOX = "allow-popups allow-popups-to-escape-sandbox"  # links may open tabs; nothing runs


class WebSearchToggle:
    """A globe button: on, answers may search the web. The chat view decides what it means
    (the chat's setting, remembered; the next message is sent with it as it is)."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.value = False
        self.on_change: Callable[[bool], Awaitable[Any]] | None = None
        self.button = ui.button(icon="travel_explore", on_click=self._toggle, color=None)
        self.button.props("flat round dense").classes("bk-globe").mark("web-search")
        self._show()

    def set(self, value: bool) -> None:
        self.value = value
        self._show()

    async def _toggle(self) -> None:
        self.set(not self.value)
        if self.on_change is not None:
            await self.on_change(self.value)

    def _show(self) -> None:
        on = self.value
        hint(self.button, self.viewer.t("web_search_on" if on else "web_search_off"))
        self.button.props["aria-pressed"] = "true" if on else "false"
        self.button.classes(add="bk-globe-on" if on else "", remove="" if on else "bk-globe-on")


def show_searching(answer: AnswerView) -> None:
    """A grounded answer with no text yet says it is searching (instead of typing dots)."""
    if answer.dots is not None:
        answer.dots.delete()
    with answer.root:
        label = ui.label(answer.viewer.t("searching")).classes("bk-searching")
        answer.dots = label.mark("searching")  # type: ignore[assignment]  # goes as dots go


def show_sources(root: ui.element, message: dict[str, Any], viewer: Viewer) -> None:
    """Under a finished answer: its sources and queries, and Google's search suggestions."""
    listed = sources_html(message, heading=viewer.t("sources"), searched=viewer.t("searched_for"))
    entry = message.get("search_entry_point")
    if not listed and not entry:
        return
    with root, ui.column().classes("bk-sources w-full gap-1").mark("sources"):
        if listed:
            # Built from escaped text and passed through nh3 here; DOMPurify in the browser
            # would drop the links' target and rel, which nh3 set.
            ui.html(listed, sanitize=False)
        for scheme in ("light", "dark") if entry else ():  # the theme shows one of them
            frame = ui.element("iframe").classes(f"bk-entry-point bk-entry-{scheme}")
            frame.mark("search-entry-point")
            # Set as values, never parsed as props: the document is Gemini's HTML.
            frame.props["srcdoc"] = entry_point_document(entry, scheme)
            frame.props["sandbox"] = SANDBOX
            frame.props["csp"] = ENTRY_CSP  # enforced from the start, not only once parsed
            frame.props["title"] = viewer.t("search_suggestions")
            frame.props["referrerpolicy"] = "no-referrer"
