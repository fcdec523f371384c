"""Small building blocks shared by the pages."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from nicegui import ui

from pages.auth import Viewer

E = TypeVar("E", bound=ui.element)

BUILD_SLICE = 0.01  # seconds of building elements before the event loop gets a turn


class Pacer:
    """Building many elements takes a while, and every stream on the instance waits for the
    event loop meanwhile: ``await pacer.turn()`` after each piece lets them go on now and then."""

    def __init__(self) -> None:
        self.slice = BUILD_SLICE
        self.due = time.monotonic() + self.slice

    async def turn(self) -> None:
        if time.monotonic() >= self.due:
            await asyncio.sleep(0)
            self.due = time.monotonic() + self.slice


def hint(element: E, text: str) -> E:
    """A native tooltip and an accessible name, without an extra element."""
    element.props["title"] = text
    element.props["aria-label"] = text
    return element


class IconButton(ui.element):
    """A quiet round icon button: Quasar's QBtn as ``ui.button`` makes it, without its
    text, colour and enabled bindings, which make a ``ui.button`` cost about three plain
    elements (a chat page has several per message and one per chat in the sidebar)."""

    def __init__(self, icon: str, label: str, on_click: Callable[..., Any]) -> None:
        super().__init__("q-btn")
        self._props.update(
            {"icon": icon, "color": "primary", "flat": True, "round": True, "dense": True,
             "size": "sm", "title": label, "aria-label": label}
        )  # fmt: skip
        self.on("click", on_click, [])


def icon_button(
    icon: str, label: str, on_click: Callable[..., Any], *, marker: str = ""
) -> IconButton:
    """A quiet round icon button, named by ``label``."""
    button = IconButton(icon, label, on_click)
    if marker:
        button.mark(marker)
    return button


def switch_button(
    icon: str, label: str, on_click: Callable[..., Any], *, marker: str = ""
) -> ui.button:
    """An icon button like ``icon_button`` that can be disabled (``set_enabled``)."""
    button = hint(ui.button(icon=icon, on_click=on_click).props("flat round dense size=sm"), label)
    if marker:
        button.mark(marker)
    return button


async def copy_to_clipboard(viewer: Viewer, text: str) -> None:
    """Copy ``text`` in the browser (window.bkCopy, with its plain-HTTP fallback), and say
    whether that worked."""
    try:
        # json.dumps (ASCII only) makes the text a JavaScript string literal, never code.
        copied = await ui.run_javascript(
            f"return await window.bkCopy({json.dumps(text)})", timeout=5
        )
    except TimeoutError:
        copied = False
    if copied:
        ui.notify(viewer.t("copied"), position="bottom", timeout=1200)
    else:
        ui.notify(viewer.t("copy_failed"), position="bottom", type="warning", timeout=4000)


def typing_dots() -> ui.html:
    return ui.html("<span></span><span></span><span></span>", sanitize=False).classes(
        "bk-dots py-2"
    )


@contextmanager
def busy(button: ui.button) -> Iterator[None]:
    """Show a spinner on ``button`` and keep it disabled while the block runs."""
    button.props("loading")
    button.disable()
    try:
        yield
    finally:
        button.props(remove="loading")
        button.enable()
