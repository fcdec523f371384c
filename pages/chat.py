"""The chat pages: /chat for a new conversation, /chat/{id} for an existing one."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from nicegui import ui
from starlette.responses import RedirectResponse

from beykusay.models import MAX_ID, Chat
from beykusay.render_cache import render_messages
from beykusay.services import operations
from beykusay.services.errors import NotFound
from beykusay.state import get_state
from pages.auth import get_viewer
from pages.chat_view import PAGE, ChatView
from pages.frame import frame, is_demo
from pages.sidebar import PAGE as SIDEBAR_PAGE
from pages.sidebar import Sidebar

# Building a page of long answers yields to the streams on the instance now and then, so
# on a busy server it may take longer than NiceGUI's default 3 s before the page is sent.
RESPONSE_TIMEOUT = 15.0


@ui.page("/chat", response_timeout=RESPONSE_TIMEOUT)
async def new_chat_page() -> RedirectResponse | None:
    return await _chat_page(None)


@ui.page("/chat/{chat_id}", response_timeout=RESPONSE_TIMEOUT)
async def chat_page(chat_id: str) -> RedirectResponse | None:
    # A str, not an int: FastAPI would answer a malformed id with its raw 422 JSON.
    return await _chat_page(chat_id)


def parse_chat_id(text: str) -> int | None:
    """The chat id in a URL, or None when it cannot be one (``abc``, ``-1``, ``1e3``, ``١``)."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


async def _chat_page(chat_id: str | None) -> RedirectResponse | None:
    viewer = await get_viewer()
    if viewer.user is None:
        path = "/chat" if chat_id is None else f"/chat/{chat_id}"
        return RedirectResponse(f"/login?redirect_to={quote(path, safe='')}")
    t = viewer.t
    user_id = viewer.user_id
    chat: Chat | None = None
    missing = False
    if chat_id is not None:
        number = parse_chat_id(chat_id)
        try:
            if number is None:
                raise NotFound("Chat not found")
            chat = await asyncio.to_thread(operations.get_chat, user_id, number)
        except NotFound:
            missing = True
    generation = get_state().generation
    # Subscribe before reading the messages, so no part of a running answer is missed.
    live = await generation.attach(chat.id) if chat is not None and chat.id is not None else None
    messages: list = []
    has_more = False
    try:
        if chat is not None and chat.id is not None:
            messages, has_more = await asyncio.to_thread(
                operations.message_page, user_id, chat.id, limit=PAGE
            )
        rendered = await render_messages(messages, t("copy"))  # off the event loop
        chats, total = await asyncio.to_thread(operations.list_chats, user_id, None, SIDEBAR_PAGE)
    except BaseException:
        if live is not None:
            live.close()
        raise

    with frame(viewer, title=chat.title if chat else t("new_chat"), menu=True) as page:

        def renamed(changed: Chat) -> None:
            if chat is not None and changed.id == chat.id:
                ui.page_title(f"{changed.title} · BeykuSay")

        async def deleted_current() -> None:
            ui.navigate.to("/chat")

        sidebar = Sidebar(
            viewer,
            current=chat.id if chat else None,
            on_renamed=renamed,
            on_deleted_current=deleted_current,
        )
        assert page.menu_button is not None
        page.menu_button.on_click(sidebar.toggle)
        await sidebar.show(chats, total)
        if missing:
            with ui.column().classes("bk-page bk-empty items-center gap-3"):
                ui.label(t("chat_not_found")).classes("text-xl").mark("chat-missing")
                ui.button(t("back_to_chats"), on_click=lambda: ui.navigate.to("/chat")).props(
                    "unelevated no-caps"
                )
            return None
        view = ChatView(viewer, chat=chat, sidebar=sidebar, demo=is_demo())
        await view.open(messages, rendered, has_more, live)
    return None
