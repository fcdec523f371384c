"""A chat on the page: sending, following answers live (here or from elsewhere), stop, redo,
editing any question, and switching between versions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from nicegui import background_tasks, ui
from pydantic import ValidationError

from beykusay.events import Watch, is_final
from beykusay.generation.live import LiveAnswer
from beykusay.models import Chat, User
from beykusay.render_cache import Rendered, render_messages
from beykusay.schemas import MAX_MESSAGE_CHARS, MessageCreate
from beykusay.services import operations
from beykusay.services.errors import Conflict, ServiceError, TooManyAttempts, Unavailable
from beykusay.services.usage import LimitReached
from beykusay.state import get_state
from pages import auth
from pages.answer import AnswerView
from pages.auth import Viewer
from pages.composer import Composer
from pages.sidebar import Sidebar
from pages.thread import Thread
from pages.web_search import show_searching

PAGE = 30  # messages shown when a chat opens, and loaded per step back
FLUSH_INTERVAL = 0.1  # at most ten screen updates a second per answer
WATCH_INTERVAL = 1.0  # how often to look for an answer started in another tab

# One answer at a time per page: "starting" while Send/Regenerate/Edit is getting it going,
# "following" while it is shown live. Both keep the watch timer (and a second send) away.
Phase = Literal["idle", "starting", "following"]


class ChatView:
    def __init__(
        self,
        viewer: Viewer,
        *,
        chat: Chat | None,
        sidebar: Sidebar,
        demo: bool,
    ) -> None:
        assert viewer.user is not None
        self.viewer = viewer
        self.chat = chat
        self.sidebar = sidebar
        self.generation = get_state().generation
        self.model = chat.model if chat else viewer.user.default_model
        self.phase: Phase = "idle"
        self.task: asyncio.Task[None] | None = None
        self.loading_older = False
        self.switching = False  # a switch to another version is on its way
        # Switches of this chat's path made in this process: another tab's show up here.
        self.path_version = self.generation.path_version(chat.id) if chat and chat.id else 0
        self.thread = Thread(
            viewer,
            on_regenerate=self.regenerate,
            on_edit=self.edit_and_resend,
            on_switch=self.switch_to,
            on_older=self.load_older,
            on_continue=self.continue_answer,
        )
        self.composer = Composer(
            viewer,
            model=self.model,
            demo=demo,
            on_send=self.send,
            on_stop=self.stop,
            on_model=self.set_model,
        )
        self.composer.web_search.set(bool(chat and chat.web_search))
        self.composer.web_search.on_change = self.set_web_search
        self.client = ui.context.client
        self.client.on_delete(self.close)

    async def open(
        self,
        messages: list[dict[str, Any]],
        rendered: Rendered,
        has_more: bool,
        live: Watch | None,
    ) -> None:
        """Show the chat's latest messages, then follow its running answer, if any."""
        # A running answer is in ``messages`` as saved so far; its start event replaces it.
        await self.thread.show(messages, has_more, rendered)
        # Only now: a timer waits for the browser's connection, and NiceGUI answers the
        # page request as soon as anything does, with whatever was built by then.
        ui.timer(WATCH_INTERVAL, self.watch)
        ui.run_javascript("window.bkScrollToBottom && window.bkScrollToBottom()")
        if live is not None:
            self.follow(live)

    # -- actions ------------------------------------------------------------------

    async def _user(self) -> User | None:
        user = await auth.current_user()
        if user is None:
            ui.notify(self.viewer.t("session_ended"), type="warning")
            ui.navigate.to("/login")
        return user

    def _valid(self, text: str, attachments: list[int] | None = None) -> str | None:
        try:
            return MessageCreate(content=text, attachments=attachments or []).content
        except ValidationError:
            if len(text) > MAX_MESSAGE_CHARS:  # the text stays in the box to be shortened
                ui.notify(self.viewer.t("too_long", count=len(text)), type="warning")
            elif text.strip():
                ui.notify(self.viewer.t("unstorable_text"), type="warning")
            return None

    def _claim(self) -> bool:
        """Take the page's one answer slot to start an answer; False when it is taken."""
        if self.phase == "starting":
            return False  # already on its way (a second click or Enter)
        if self.phase == "following" or self.switching:
            ui.notify(self.viewer.t("busy"), type="info")
            return False
        self.phase = "starting"
        return True

    async def _start(self, ask: Callable[[User], Awaitable[LiveAnswer]]) -> LiveAnswer | None:
        """Start a claimed answer with ``ask``; if none starts, say why and free the slot."""
        live: LiveAnswer | None = None
        try:
            user = await self._user()
            if user is not None:
                try:
                    live = await ask(user)
                except ServiceError as exc:
                    self._notify_failure(exc)
        finally:
            if live is None:
                self.phase = "idle"
        return live

    async def send(self) -> None:
        if self.composer.tray.uploading:
            return  # Send is disabled meanwhile; Enter waits too
        content = self._valid(self.composer.text, self.composer.tray.file_ids)
        if content is not None:
            await self._send(content, typed=True)

    async def continue_answer(self) -> None:
        """An answer was cut at the length limit: ask for the rest in a new message."""
        await self._send(self.viewer.t("continue_message"), typed=False)

    async def _send(self, content: str, *, typed: bool) -> None:
        if not self._claim():
            return
        attached = self.composer.tray.file_ids if typed else []
        live = await self._start(lambda user: self._send_as(user, content, attached))
        if live is None:
            return
        assert self.chat is not None and self.chat.id is not None
        if typed:
            self.composer.clear()  # only now: nothing typed is lost when sending fails
        self.follow(self.generation.subscribe_to(live))
        ui.run_javascript("window.bkScrollToBottom()")
        await self.sidebar.refresh()
        if title := self.sidebar.titles.get(self.chat.id):
            ui.page_title(f"{title} · BeykuSay")

    async def _send_as(self, user: User, content: str, attached: list[int]) -> LiveAnswer:
        if self.chat is None:
            self.chat = await asyncio.to_thread(
                operations.create_chat, self.viewer.user_id, self.model, self.web_search
            )
            self.sidebar.current = self.chat.id
            ui.navigate.history.replace(f"/chat/{self.chat.id}")
        assert self.chat.id is not None
        return await self.generation.send(
            user=user,
            chat_id=self.chat.id,
            content=content,
            model=self.model,
            web_search=self.web_search,
            attachments=attached,
        )

    async def regenerate(self) -> bool:
        if self.chat is None or self.chat.id is None or not self._claim():
            return False
        chat_id = self.chat.id
        live = await self._start(
            lambda user: self.generation.regenerate(
                user=user, chat_id=chat_id, model=self.model, web_search=self.web_search
            )
        )
        if live is None:
            return False
        self.follow(self.generation.subscribe_to(live))
        return True

    async def edit_and_resend(
        self, parent_id: int | None, text: str, attachments: list[int] | None = None
    ) -> bool:
        """Send ``text`` (and the question's files) as a new version of the question that
        followed ``parent_id``."""
        attached = list(attachments or [])
        content = self._valid(text, attached)
        if content is None or self.chat is None or self.chat.id is None:
            return False
        if not self._claim():
            return False
        chat_id = self.chat.id
        live = await self._start(
            lambda user: self.generation.send(
                user=user,
                chat_id=chat_id,
                content=content,
                model=self.model,
                parent_id=parent_id,
                web_search=self.web_search,
                attachments=attached,
            )
        )
        if live is None:
            return False
        self.follow(self.generation.subscribe_to(live))
        return True

    async def switch_to(self, message_id: int) -> None:
        """Show another version: one switch that returns the new path's latest page."""
        if self.chat is None or self.chat.id is None or self.switching:
            return
        if self.phase != "idle":
            ui.notify(self.viewer.t("busy"), type="info")
            return
        chat_id, user_id = self.chat.id, self.viewer.user_id
        self.switching = True
        try:
            page, has_more = await self.generation.switch_path(
                chat_id,
                lambda: operations.switch_branch(user_id, chat_id, message_id, limit=PAGE),
            )
        except ServiceError as exc:
            self._notify_failure(exc)
            return
        finally:
            self.switching = False
        self.path_version = self.generation.path_version(chat_id)
        rendered = await render_messages(page, self.viewer.t("copy"))
        # An answer asked meanwhile started on the new path, and its view shows that.
        if not (self.phase != "idle" or self.client.is_deleted):
            await self.thread.show_path(page, has_more, rendered)

    async def follow_switch(self) -> None:
        """Another tab (or a script) switched this chat's path: show the new one."""
        if self.chat is None or self.chat.id is None:
            return
        version = self.generation.path_version(self.chat.id)
        if version == self.path_version or self.switching:
            return
        self.path_version = version
        page, has_more = await asyncio.to_thread(
            operations.message_page, self.viewer.user_id, self.chat.id, limit=PAGE
        )
        rendered = await render_messages(page, self.viewer.t("copy"))
        if not (self.phase != "idle" or self.switching or self.client.is_deleted):
            await self.thread.show_path(page, has_more, rendered)

    async def stop(self) -> None:
        if self.chat is not None and self.chat.id is not None:
            await self.generation.stop(self.chat.id)

    async def set_model(self, model: str) -> None:
        self.model = model
        if self.chat is not None and self.chat.id is not None and self.chat.model != model:
            self.chat = await asyncio.to_thread(
                operations.update_chat, self.viewer.user_id, self.chat.id, model=model
            )

    @property
    def web_search(self) -> bool:
        """Whether the next answer searches the web: the globe as it is now."""
        return self.composer.web_search.value

    async def set_web_search(self, on: bool) -> None:
        """The globe was switched: the chat remembers it (a new chat, once it exists)."""
        if self.chat is not None and self.chat.id is not None and self.chat.web_search != on:
            self.chat = await asyncio.to_thread(
                operations.update_chat, self.viewer.user_id, self.chat.id, web_search=on
            )

    async def load_older(self) -> None:
        if self.chat is None or self.chat.id is None or not self.thread.has_more:
            return
        if self.loading_older:  # the page asks again when scrolled to the top
            return
        self.loading_older = True
        try:
            messages, has_more = await asyncio.to_thread(
                operations.message_page,
                self.viewer.user_id,
                self.chat.id,
                limit=PAGE,
                before=self.thread.oldest_id,
            )
            rendered = await render_messages(messages, self.viewer.t("copy"))
            await self.thread.prepend(messages, has_more, rendered)
        finally:
            self.loading_older = False

    def _notify_failure(self, exc: ServiceError) -> None:
        t = self.viewer.t
        if isinstance(exc, LimitReached):
            text = t("limit_reached", date=exc.resets_on.isoformat())
        elif isinstance(exc, TooManyAttempts):
            text = t("too_fast", seconds=exc.retry_after)
        elif isinstance(exc, Unavailable):
            text = t("server_restarting")
        elif isinstance(exc, Conflict):
            text = t("busy")
        else:
            text = exc.message
        ui.notify(text, type="warning")

    # -- following answers ------------------------------------------------------------

    async def watch(self) -> None:
        """Pick up an answer started in another tab, by the API or on another instance."""
        if self.chat is None or self.chat.id is None or self.phase != "idle":
            return
        await self.follow_switch()
        if not self.generation.answer_running(self.chat.id):
            return  # a dictionary lookup: other instances' answers are known from their news
        found = await self.generation.attach(self.chat.id)
        if found is None:
            return
        if self.phase != "idle" or self.client.is_deleted:
            found.close()
            return
        self.follow(found)

    def follow(self, subscription: Watch) -> None:
        """Show an answer live; the page's one follower (the slot is idle or was claimed)."""
        assert self.phase != "following", "a page follows one answer at a time"
        self.phase = "following"
        self.thread.set_busy(True)
        self.composer.set_busy(True)
        self.task = background_tasks.create(
            self._follow(subscription), name="follow answer", context=self.client
        )

    async def _follow(self, subscription: Watch) -> None:
        answer: AnswerView | None = None
        last_flush = 0.0
        queue = getattr(subscription, "queue", None)  # local: take what is there in one go
        try:
            while True:
                if queue is not None and not queue.empty():
                    event = queue.get_nowait()
                else:
                    due = None
                    if answer is not None and answer.dirty:
                        due = max(0.0, last_flush + FLUSH_INTERVAL - time.monotonic())
                    event = await subscription.next(due)
                    if event is None and due is None:
                        return  # the stream ended without a final event
                if event is None:  # time to show what arrived
                    if answer is not None:
                        answer.flush()
                    last_flush = time.monotonic()
                    continue
                kind = event["type"]
                if kind == "start":
                    answer = self.thread.begin_answer(event, self.model)
                    if event.get("web_search"):
                        show_searching(answer)
                    continue
                assert answer is not None
                if kind == "thinking":
                    answer.add_thinking(event["delta"])
                elif kind == "text":
                    answer.add_text(event["delta"])
                elif is_final(event):
                    answer.finish(event["message"])
                    return
                if time.monotonic() - last_flush >= FLUSH_INTERVAL:
                    answer.flush()
                    last_flush = time.monotonic()
        finally:
            subscription.close()
            self.phase = "idle"
            if not self.client.is_deleted:
                self.thread.set_busy(False)
                self.composer.set_busy(False)

    def close(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
