"""The chat list: newest first, search, new chat, rename, delete, paging; missing chats."""

from __future__ import annotations

import asyncio
import sys
import threading

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from beykusay.models import Chat
from beykusay.services import operations
from tests.ui.conftest import PASSWORD, Register, eventually


def make_chats(titles: list[str]) -> list[Chat]:
    """Chats for the first user, oldest first (the list shows them newest first)."""
    made = []
    for title in titles:
        chat = operations.create_chat(1, None)
        made.append(operations.update_chat(1, chat.id or 0, title=title))
    return made


def shown_titles(user: User) -> list[str]:
    with user:
        labels = list(ElementFilter(kind=ui.label, marker="chat-title", local_scope=False))
    return [label.text for label in sorted(labels, key=lambda label: label.id)]


def row_menus(user: User) -> list[ui.menu]:
    with user:
        return list(ElementFilter(kind=ui.menu, local_scope=False).within(kind=ui.left_drawer))


def choose(user: User, chat: Chat, action: str) -> None:
    """Open a row's ⋯ menu and pick ``action`` (rename or delete) in it."""
    user.find(marker=f"chat-menu-{chat.id}").click()  # the menu is made by this first click
    user.find(marker=f"{action}-{chat.id}").click()


async def test_a_row_menu_is_made_when_first_opened_and_only_once(
    user: User, register: Register
) -> None:
    """The ⋯ of a chat shows Rename and Delete when clicked, every time; rows nobody
    clicked carry no menu (the chat page builds faster)."""
    await register()
    first, second = make_chats(["First", "Second"])
    await user.open(f"/chat/{first.id}")
    assert row_menus(user) == []
    for _ in range(2):
        user.find(marker=f"chat-menu-{first.id}").click()
        menus = row_menus(user)
        assert len(menus) == 1 and menus[0].value  # one menu, shown
    await user.should_see(marker=f"rename-{first.id}")
    await user.should_see(marker=f"delete-{first.id}")
    await user.should_not_see(marker=f"rename-{second.id}")


async def test_chats_are_listed_newest_first(user: User, register: Register) -> None:
    await register()
    make_chats(["Oldest", "Middle", "Newest"])
    await user.open("/chat")
    assert shown_titles(user) == ["Newest", "Middle", "Oldest"]


async def test_new_chat_opens_an_empty_conversation(user: User, register: Register) -> None:
    await register()
    chat = make_chats(["Existing"])[0]
    await user.open(f"/chat/{chat.id}")
    user.find(marker="new-chat").click()
    await user.should_see("How can I help you today?", retries=30)


async def test_a_slow_earlier_search_never_replaces_a_newer_one(
    user: User, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typing "shop", then more: the list shows what the last search found, even when the
    database answers the earlier search last. Before, the late answer replaced the list,
    so "Nothing found." gave way to "Shopping list" for a search that does not match it."""
    await register()
    make_chats(["Shopping list", "Travel plans"])
    await user.open("/chat")
    list_chats = operations.list_chats
    asked, release, answered = threading.Event(), threading.Event(), threading.Event()

    def slow_for_shop(user_id: int, query: str | None, limit: int) -> tuple[list[Chat], int]:
        if query != "shop":
            return list_chats(user_id, query, limit)
        asked.set()
        release.wait(timeout=10)  # answers once the newer search is shown
        try:
            return list_chats(user_id, query, limit)
        finally:
            answered.set()

    monkeypatch.setattr(operations, "list_chats", slow_for_shop)
    user.find(marker="search").type("shop")
    await eventually(asked.is_set)  # the "shop" search is on its way
    user.find(marker="search").clear().type("nothing like this")
    await user.should_see("Nothing found.", retries=30)
    release.set()
    await eventually(answered.is_set)
    await asyncio.sleep(0.2)  # the page has had the late answer for a while now
    await user.should_see("Nothing found.")
    assert shown_titles(user) == []


async def test_search_filters_by_title_and_text_in_any_alphabet(
    user: User, register: Register
) -> None:
    await register()
    make_chats(["Привет, мир", "Shopping list", "100% sure"])
    await user.open("/chat")
    user.find(marker="search").type("привет")
    await eventually(lambda: shown_titles(user) == ["Привет, мир"])
    user.find(marker="search").clear().type("%")
    await eventually(lambda: shown_titles(user) == ["100% sure"])
    user.find(marker="search").clear().type("nothing like this")
    await user.should_see("Nothing found.", retries=30)
    user.find(marker="search").clear()
    await eventually(lambda: len(shown_titles(user)) == 3)


async def test_rename_a_chat(user: User, register: Register) -> None:
    await register()
    chat = make_chats(["Old name"])[0]
    await user.open(f"/chat/{chat.id}")
    choose(user, chat, "rename")
    await user.should_see(marker="rename-input", retries=30)
    user.find(marker="rename-input").clear().type("   ")
    user.find(marker="rename-save").click()
    await user.should_see("A title needs 1–200 characters.", retries=30)
    user.find(marker="rename-input").clear().type("  New name  ")
    user.find(marker="rename-save").click()
    await eventually(lambda: shown_titles(user) == ["New name"])
    assert operations.get_chat(1, chat.id or 0).title == "New name"


async def test_delete_asks_first(user: User, register: Register) -> None:
    await register()
    keep, doomed = make_chats(["Keep me", "Delete me"])
    await user.open(f"/chat/{keep.id}")
    choose(user, doomed, "delete")
    await user.should_see("Delete chat?", retries=30)
    await user.should_see("“Delete me” and all its messages will be deleted for good.")
    user.find("Cancel").click()
    await user.should_not_see("Delete chat?", retries=30)
    assert shown_titles(user) == ["Delete me", "Keep me"]
    choose(user, doomed, "delete")
    await user.should_see(marker="delete-confirm", retries=30)
    user.find(marker="delete-confirm").click()
    await eventually(lambda: shown_titles(user) == ["Keep me"])
    await user.should_see("Chat deleted.")


async def test_deleting_the_open_chat_goes_to_a_new_one(user: User, register: Register) -> None:
    await register()
    chat = make_chats(["Open one"])[0]
    await user.open(f"/chat/{chat.id}")
    choose(user, chat, "delete")
    await user.should_see(marker="delete-confirm", retries=30)
    user.find(marker="delete-confirm").click()
    await user.should_see("No chats yet.", retries=50)
    await user.should_see("How can I help you today?")


async def test_many_chats_come_in_pages(user: User, register: Register) -> None:
    await register()
    make_chats([f"Chat {n}" for n in range(55)])
    await user.open("/chat")
    assert len(shown_titles(user)) == 50
    user.find(marker="more-chats").click()
    await eventually(lambda: len(shown_titles(user)) == 55)
    await user.should_not_see(marker="more-chats")


async def test_missing_and_foreign_chats_are_not_found(user: User, register: Register) -> None:
    other = operations.register("mallory", PASSWORD)
    foreign = operations.create_chat(other.id or 0, None)
    await register()
    await user.open(f"/chat/{foreign.id}")
    await user.should_see("This chat does not exist or was deleted.")
    await user.open("/chat/999999")
    await user.should_see(marker="chat-missing")
    await user.open("/chat/99999999999999")
    await user.should_see(marker="chat-missing")


async def test_a_newer_list_wins_over_one_still_being_built(
    user: User, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list is built a few rows at a time (streams go on meanwhile); two refreshes
    at once (a search while an answer starts) must not show rows twice."""
    await register()
    make_chats([f"Chat {n}" for n in range(60)])
    monkeypatch.setattr(sys.modules["pages.widgets"], "BUILD_SLICE", 0.0)  # a turn every row
    await user.open("/chat")
    with user:
        timer = next(
            t for t in ElementFilter(kind=ui.timer, local_scope=False)
            if type(getattr(t.callback, "__self__", None)).__name__ == "ChatView"
        )  # fmt: skip
        sidebar = timer.callback.__self__.sidebar
        await asyncio.gather(sidebar.refresh(), sidebar.refresh())
    assert shown_titles(user) == [f"Chat {n}" for n in range(59, 9, -1)]
