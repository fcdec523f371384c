"""An element's changes: handlers are called as NiceGUI calls them, and nothing is queued
to send before the page's HTML (which carries every element) is made."""

from __future__ import annotations

import asyncio
import gc
import sys
import weakref
from unittest import mock

from nicegui import core, ui
from nicegui.events import ObservableChangeEventArguments
from nicegui.observables import ObservableDict
from nicegui.outbox import Outbox
from nicegui.testing import User

from beykusay.services import operations
from pages import change_cost
from tests.ui.conftest import Register


async def test_change_handlers_are_called_as_nicegui_calls_them(user: User) -> None:
    """With or without the event, a coroutine as a background task, an error to the app
    (``user``: the app runs, so background tasks start at once)."""
    seen: list[object] = []
    ran = asyncio.Event()

    def plain() -> None:
        seen.append("plain")

    def takes(event: ObservableChangeEventArguments) -> None:
        seen.append(event.sender)

    async def later() -> None:
        ran.set()

    def fails() -> None:
        raise RuntimeError("boom")

    data = ObservableDict({}, on_change=plain)
    for handler in (takes, later, fails):
        data.on_change(handler)
    with mock.patch.object(core.app, "handle_exception") as handle:
        data["key"] = 1
    assert seen == ["plain", data]
    await asyncio.wait_for(ran.wait(), 5)
    assert [type(call.args[0]) for call in handle.call_args_list] == [RuntimeError]


async def test_building_a_chat_page_queues_no_updates(user: User, register: Register) -> None:
    """Opening a chat page of messages and chats queues (next to) none of its hundreds of
    elements' changes to send: the page's HTML holds them all. Changes made afterwards
    are sent as before."""
    assert Outbox.enqueue_update is sys.modules["pages.change_cost"].enqueue_update
    await register()
    for _ in range(20):
        operations.create_chat(1, None)
    queued: list[int] = []
    real = change_cost._enqueue_update

    def counting(outbox: Outbox, element: ui.element) -> None:
        queued.append(element.id)
        real(outbox, element)

    module = sys.modules["pages.change_cost"]
    with mock.patch.object(module, "_enqueue_update", counting):
        client = await user.open("/chat")
        await user.should_see(marker="message-input")
        built = len(queued)
        with client:
            label = ui.label("later")
        label.set_text("changed")
    assert len(client.elements) > 100
    assert built < 10, built
    assert label.id in queued[built:]
    assert label.id in client.outbox.updates


async def test_a_removed_element_is_freed_without_the_garbage_collector(user: User) -> None:
    """A removed element's classes, style and props go as soon as it does (each held its
    own change handler: a cycle that only a full collection, a pause for every stream on
    the instance, would find); a deleted page lets go of its handlers too."""
    client = await user.open("/login")
    gc.collect()
    gc.disable()
    try:
        with client:
            label = ui.label("short-lived").classes("a").style("color: red")
        collections = [weakref.ref(c) for c in (label._classes, label._style, label._props)]
        label.delete()
        del label
        assert [ref() for ref in collections] == [None, None, None]
    finally:
        gc.enable()
    client.on_delete(lambda: None)
    client.delete()
    assert client.delete_handlers == client.connect_handlers == client.disconnect_handlers == []
