"""The conversation on the page: the chat's current path of user messages and answers,
paging back to older ones, and switching to other versions of a message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from beykusay.render_cache import Rendered
from pages.answer import AnswerView
from pages.attachments import message_files
from pages.auth import Viewer
from pages.composer import ENTER_SENDS
from pages.versions import SwitchAction, VersionSwitcher, version_switcher
from pages.widgets import Pacer, copy_to_clipboard, icon_button

# Sends the edited text (with the question's files) as a new version of the question
# after ``parent_id``.
EditAction = Callable[[int | None, str, list[int]], Awaitable[bool]]


class UserMessage:
    """A message the user sent: any of them can be edited and sent as a new version."""

    def __init__(
        self,
        viewer: Viewer,
        message: dict[str, Any],
        on_edit: EditAction,
        on_switch: SwitchAction,
    ) -> None:
        t = viewer.t
        self.viewer = viewer
        self.message_id: int = message["id"]
        self.parent_id: int | None = message.get("parent_id")
        self.content: str = message["content"]
        # The files go with an edited version too (deleted ones cannot).
        self.file_ids = [f["id"] for f in message.get("attachments") or [] if not f.get("deleted")]
        self.on_edit = on_edit
        self.editor: ui.column | None = None
        self.switcher: VersionSwitcher | None = None
        with ui.column().classes("w-full items-end gap-1") as self.root:
            self.root.mark(f"user-{self.message_id}")
            message_files(viewer, message)
            self.bubble = ui.label(self.content).classes("bk-bubble").mark("user-message")
            self.bubble.set_visibility(bool(self.content))
            with ui.row().classes("bk-actions items-center") as self.actions:
                self.switcher = version_switcher(viewer, message, on_switch)
                icon_button("content_copy", t("copy"), self.copy)
                self.edit_button = icon_button("edit", t("edit"), self.open_editor, marker="edit")

    def set_content(self, content: str) -> None:
        self.content = content
        self.bubble.set_text(content)

    def set_position(self, *, last: bool, busy: bool) -> None:
        self.edit_button.set_visibility(not busy)
        if self.switcher is not None:
            self.switcher.set_busy(busy)

    async def copy(self) -> None:
        await copy_to_clipboard(self.viewer, self.content)

    def open_editor(self) -> None:
        t = self.viewer.t
        self.close_editor()
        with self.root, ui.column().classes("w-full items-end gap-2") as self.editor:
            field = ui.textarea(value=self.content).props("outlined autogrow autofocus")
            field.classes("w-full").mark("edit-input")
            field.props["aria-label"] = t("edit")

            async def send() -> None:
                if await self.on_edit(self.parent_id, field.value or "", self.file_ids):
                    self.close_editor()

            field.on("keydown", send, js_handler=ENTER_SENDS)
            field.on("keydown.escape", self.close_editor)
            with ui.row().classes("gap-2 items-center"):
                ui.label(t("edit_keys")).classes("bk-hint")
                ui.button(t("cancel"), on_click=self.close_editor).props("flat no-caps").mark(
                    "edit-cancel"
                )
                ui.button(t("save_and_send"), on_click=send).props("unelevated no-caps").mark(
                    "edit-send"
                )
        self.bubble.set_visibility(False)
        self.actions.set_visibility(False)

    def close_editor(self) -> None:
        if self.root.is_deleted:  # sent: the new version took its place
            return
        if self.editor is not None:
            self.editor.delete()
            self.editor = None
        self.bubble.set_visibility(bool(self.content))
        self.actions.set_visibility(True)


Item = UserMessage | AnswerView


class Thread:
    """The messages of one chat in order, with the oldest loaded on demand."""

    def __init__(
        self,
        viewer: Viewer,
        *,
        on_regenerate: Callable[[], Awaitable[Any]],
        on_edit: EditAction,
        on_switch: SwitchAction,
        on_older: Callable[[], Awaitable[Any]],
        on_continue: Callable[[], Awaitable[Any]],
    ) -> None:
        self.viewer = viewer
        self.on_regenerate = on_regenerate
        self.on_edit = on_edit
        self.on_switch = on_switch
        self.on_continue = on_continue
        self.items: list[Item] = []
        self.has_more = False
        self.busy = False
        with ui.column().classes("bk-page bk-thread w-full").mark("thread") as self.column:
            self.older = ui.button(viewer.t("earlier"), icon="history", on_click=on_older)
            self.older.props("flat no-caps size=sm").classes("bk-load-older self-center bk-muted")
            self.older.mark("load-older")
            self.older.set_visibility(False)
            self.empty = ui.column().classes("bk-empty w-full items-center gap-1")
            with self.empty:
                ui.label(viewer.t("empty_title")).classes("text-2xl font-semibold")
                ui.label(viewer.t("empty_text")).classes("bk-muted text-center")
            self.box = ui.column().classes("w-full gap-6")

    @property
    def oldest_id(self) -> int | None:
        return self.items[0].message_id if self.items else None

    def ids(self) -> set[int]:
        return {item.message_id for item in self.items}

    def _make(self, message: dict[str, Any], rendered: Rendered) -> Item:
        if message["role"] == "user":
            return UserMessage(self.viewer, message, self.on_edit, self.on_switch)
        answer = self._answer(message["id"], message.get("model"))
        answer.show_message(message, rendered[message["id"]])
        return answer

    def _answer(self, message_id: int, model: str | None) -> AnswerView:
        return AnswerView(
            self.viewer,
            message_id=message_id,
            model=model,
            on_regenerate=self.on_regenerate,
            on_switch=self.on_switch,
            on_continue=self.on_continue,
        )

    async def _build(
        self, into: ui.element, messages: list[dict[str, Any]], rendered: Rendered
    ) -> list[Item]:
        """The messages' elements, made one message at a time: building a page of them
        takes a while, and the event loop serves every stream on the instance meanwhile."""
        made: list[Item] = []
        pacer = Pacer()
        for message in messages:
            with into:
                made.append(self._make(message, rendered))
            await pacer.turn()
        return made

    async def show(
        self, messages: list[dict[str, Any]], has_more: bool, rendered: Rendered
    ) -> None:
        """Show a page of messages; ``rendered`` holds their answers' HTML."""
        self.items.extend(await self._build(self.box, messages, rendered))
        self._set_more(has_more)
        self.refresh()

    async def prepend(
        self, messages: list[dict[str, Any]], has_more: bool, rendered: Rendered
    ) -> None:
        """Older messages go above the ones shown, in one container moved to the top."""
        with self.box:
            page = ui.column().classes("w-full gap-6")
        page.set_visibility(False)  # shown once whole: one change for the reader's scrolling
        older = await self._build(page, messages, rendered)
        page.move(self.box, target_index=0)
        page.set_visibility(True)
        self.items[:0] = older
        self._set_more(has_more)
        self.refresh()

    def _set_more(self, has_more: bool) -> None:
        self.has_more = has_more
        self.older.set_visibility(has_more)

    async def show_path(
        self, messages: list[dict[str, Any]], has_more: bool, rendered: Rendered
    ) -> None:
        """Show another path's latest page: what it shares with the shown one stays as it
        is (no flicker, no jump); only what follows the first difference is rebuilt."""
        start = next(
            (
                i
                for i, item in enumerate(self.items)
                if messages and item.message_id == messages[0]["id"]
            ),
            None,
        )
        if start is None:  # nothing in common with the page: show it afresh
            self._cut(0)
            await self.show(messages, has_more, rendered)
            return
        same = 0
        while (
            same < len(messages)
            and start + same < len(self.items)
            and self.items[start + same].message_id == messages[same]["id"]
        ):
            same += 1
        self._cut(start + same)
        self.items.extend(await self._build(self.box, messages[same:], rendered))
        if start == 0:  # else older messages loaded before still lead the thread
            self._set_more(has_more)
        self.refresh()

    def _cut(self, index: int) -> None:
        """Remove the items from ``index`` on."""
        for item in self.items[index:]:
            item.root.delete()
        del self.items[index:]

    def begin_answer(self, start: dict[str, Any], model: str | None) -> AnswerView:
        """A new answer started (here or elsewhere): show its question and an empty answer.

        A new version of an answer replaces the shown one; an edited question replaces
        the old one and everything after it.
        """
        question = start["user_message"]
        shown = {item.message_id: index for index, item in enumerate(self.items)}
        if question["id"] in shown:  # the same question answered again
            index = shown[question["id"]]
            question_item = self.items[index]
            if isinstance(question_item, UserMessage):
                question_item.set_content(question["content"])
            self._cut(index + 1)
        else:
            parent = question.get("parent_id")
            if parent in shown:
                self._cut(shown[parent] + 1)
            else:  # it follows something not loaded here (or starts over): only it shows
                self._cut(0)
                self._set_more(parent is not None)
            with self.box:
                self.items.append(UserMessage(self.viewer, question, self.on_edit, self.on_switch))
        with self.box:
            answer = self._answer(start["assistant_message_id"], model)
        answer.start_live()
        self.items.append(answer)
        self.refresh()
        return answer

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.refresh()

    def refresh(self) -> None:
        """Only the last answer can be regenerated; nothing changes while one is written."""
        self.empty.set_visibility(not self.items)
        for index, item in enumerate(self.items):
            item.set_position(last=index == len(self.items) - 1, busy=self.busy)
