"""The "‹ k / n ›" switcher under a message that has several versions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from pages.auth import Viewer
from pages.widgets import switch_button

SwitchAction = Callable[[int], Awaitable[Any]]  # takes the id of the version to show


class VersionSwitcher:
    """Steps to the previous or next version of one message (its siblings, oldest first)."""

    def __init__(
        self, viewer: Viewer, *, message_id: int, sibling_ids: list[int], on_switch: SwitchAction
    ) -> None:
        t = viewer.t
        self.on_switch = on_switch
        self.sibling_ids = sibling_ids
        self.index = sibling_ids.index(message_id) if message_id in sibling_ids else 0
        count = len(sibling_ids)
        with ui.row().classes("bk-versions no-wrap").mark("versions") as self.root:
            self.root.props["role"] = "group"
            self.root.props["aria-label"] = t("version_of", index=self.index + 1, count=count)
            self.previous = switch_button(
                "chevron_left", t("previous_version"), self.go_previous, marker="version-previous"
            )
            self.label = ui.label(f"{self.index + 1} / {count}").classes("bk-version-label")
            self.label.mark("version-label")
            self.next = switch_button(
                "chevron_right", t("next_version"), self.go_next, marker="version-next"
            )
        self.set_busy(False)

    async def go_previous(self) -> None:
        if self.index > 0:
            await self.on_switch(self.sibling_ids[self.index - 1])

    async def go_next(self) -> None:
        if self.index < len(self.sibling_ids) - 1:
            await self.on_switch(self.sibling_ids[self.index + 1])

    def set_busy(self, busy: bool) -> None:
        """No switching while an answer is written, nor past either end."""
        self.previous.set_enabled(not busy and self.index > 0)
        self.next.set_enabled(not busy and self.index < len(self.sibling_ids) - 1)


def version_switcher(
    viewer: Viewer, message: dict[str, Any], on_switch: SwitchAction
) -> VersionSwitcher | None:
    """A switcher for ``message`` when it has other versions, in the current container."""
    sibling_ids = message.get("sibling_ids") or []
    if len(sibling_ids) < 2:
        return None
    return VersionSwitcher(
        viewer, message_id=message["id"], sibling_ids=sibling_ids, on_switch=on_switch
    )
