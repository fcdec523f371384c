"""A chat page follows each answer exactly once, however its watch timer and sending interleave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from nicegui import ui
from nicegui.testing import User

from beykusay.providers.base import AnswerText, Finish, GenerationRequest, ProviderEvent
from beykusay.state import get_state
from tests.ui.conftest import Register, newest_chat, use_provider


class GatedProvider:
    """Writes its first chunk, then waits for ``gate`` before writing the rest."""

    name = "demo"

    def __init__(self, first: str, rest: str) -> None:
        self.first = first
        self.rest = rest
        self.gate = asyncio.Event()

    async def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        yield AnswerText(self.first)
        await self.gate.wait()
        yield AnswerText(self.rest)
        yield Finish("STOP")


def chat_view(user: User) -> Any:
    """The page's ChatView, found through its watch timer (main.py imports pages afresh)."""
    with user:
        for timer in user.find(kind=ui.timer).elements:
            owner = getattr(timer.callback, "__self__", None)
            if type(owner).__name__ == "ChatView":
                return owner
    raise AssertionError("no chat view on the page")


async def test_the_watch_timer_does_not_follow_an_answer_the_page_is_still_sending(
    user: User, register: Register
) -> None:
    """The watch timer firing while Send is still starting the answer must not follow it a
    second time: the user saw the answer's view replaced and Send come back mid-answer."""
    await register()
    provider = GatedProvider("First part. ", "Second part.")
    use_provider(provider)
    generation = get_state().generation
    started, release = asyncio.Event(), asyncio.Event()
    original_send = generation.send

    async def held_send(**kwargs: Any) -> Any:
        """The answer runs, but the page's send() has not resumed yet: the race window."""
        live = await original_send(**kwargs)
        started.set()
        await release.wait()
        return live

    generation.send = held_send  # type: ignore[method-assign]
    view = chat_view(user)
    user.find(marker="message-input").type("Hello")
    user.find(marker="send").click()
    await started.wait()
    chat = newest_chat()
    assert chat.id is not None
    live = generation.running(chat.id)
    assert live is not None
    await view.watch()  # the timer fires inside the window
    release.set()
    await user.should_see(marker=f"chat-{chat.id}", retries=100)  # send() has followed
    await user.should_see("First part.", retries=100)
    assert len(live.watchers) == 1  # one follower for the page
    await user.should_see(marker="stop")
    await user.should_not_see(marker="send")  # mid-answer: no Send
    provider.gate.set()
    await user.should_see("Second part.", retries=100)
    await user.should_see(marker="regenerate", retries=200)
    await user.should_see(marker="send")
    assert len(user.find(marker=f"answer-{live.message_id}").elements) == 1
