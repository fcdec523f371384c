"""Making elements: NiceGUI's per-element inspection is done once per handler function."""

from __future__ import annotations

import functools
import inspect
import sys
from unittest import mock

from nicegui import helpers
from nicegui.helpers import functions
from nicegui.testing import User

from beykusay.services import operations
from pages import element_cost
from tests.ui.conftest import Register


class Handlers:
    def plain(self) -> None: ...

    def takes(self, event: object) -> None: ...

    def optional(self, event: object = None) -> None: ...

    @staticmethod
    def static(event: object) -> None: ...

    @classmethod
    def klass(cls, event: object) -> None: ...


def test_the_answers_are_nicegui_s_own() -> None:
    """Whatever handler a page uses, NiceGUI calls it as before (with or without an event)."""
    first, second = Handlers(), Handlers()
    callables = [
        first.plain,
        first.takes,
        first.optional,
        second.plain,
        second.takes,  # the same functions bound to another object: remembered answers
        Handlers.static,
        Handlers.klass,
        lambda: None,
        lambda event: None,
        functools.partial(first.takes),
        functools.partial(lambda a, b: None, 1),
        [].append,  # a built-in method: not remembered, inspected every time
        print,
    ]
    for _ in range(2):
        for func in callables:
            assert element_cost.expects_arguments(func) == element_cost._inspect(func), func


async def test_a_longer_chat_list_inspects_no_more_handlers(user: User, register: Register) -> None:
    """The chat page of a user with 40 chats takes NiceGUI no more handler inspections
    than one with 2 (each inspection costs as much as making a small element: with one
    per element, a long sidebar and thread made a chat slow to open, and every answer
    streaming on the server waited meanwhile)."""
    # main.py (run by the fixture) imported the pages afresh: its module is installed.
    assert helpers.expects_arguments is sys.modules["pages.element_cost"].expects_arguments
    await register()
    real = functions.signature
    counts = []
    for total in (2, 40):
        while len(operations.list_chats(1, None, 100)[0]) < total:
            operations.create_chat(1, None)
        with mock.patch.object(functions, "signature", wraps=real) as signature:
            await user.open("/chat")
            await user.should_see(marker="message-input")
        counts.append(signature.call_count)
    assert counts[1] <= counts[0], counts
    assert inspect.signature is real
