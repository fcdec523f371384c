"""The globe in the composer, and a grounded answer on the chat page (demo provider)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from nicegui import ui
from nicegui.testing import User

from beykusay.providers.base import AnswerText, Finish, GenerationRequest, ProviderEvent
from beykusay.providers.demo_search import SOURCES
from tests.ui.conftest import Register, eventually, messages_of, newest_chat, use_provider


def globe(user: User) -> ui.button:
    (button,) = user.find(marker="web-search").elements
    assert isinstance(button, ui.button)
    return button


async def send(user: User, text: str) -> None:
    user.find(marker="message-input").clear().type(text)
    user.find(marker="send").click()


def answers_html(user: User) -> str:
    with user:
        return "".join(
            element.content
            for element in user.find(ui.html).elements
            if isinstance(element, ui.html)
        )


async def test_the_globe_makes_answers_search_and_the_chat_remembers_it(
    user: User, register: Register
) -> None:
    """Switched on before the first message, the answer cites the demo's two labelled
    example sources; the chat keeps the setting when opened again; switched off, the next
    answer has none."""
    await register()
    assert globe(user).props["aria-pressed"] == "false"
    user.find(marker="web-search").click()
    await eventually(lambda: globe(user).props["aria-pressed"] == "true")
    await send(user, "Istanbul?")
    await user.should_see(marker="sources", retries=200)
    await user.should_see(SOURCES[0].title)
    await user.should_see(SOURCES[1].title)
    await user.should_see(marker="search-entry-point")
    shown = answers_html(user)
    assert 'class="bk-cite" href="https://example.com/"' in shown
    assert 'rel="noopener noreferrer"' in shown
    with user:
        chat = newest_chat()
    assert chat.web_search is True

    await user.open(f"/chat/{chat.id}")  # opened again: the globe and the sources as saved
    await user.should_see(marker="sources")
    assert globe(user).props["aria-pressed"] == "true"
    frames = user.find(marker="search-entry-point").elements  # one per theme
    assert len(frames) == 2
    for frame in frames:
        assert frame.props["sandbox"] == "allow-popups allow-popups-to-escape-sandbox"
        assert "Search suggestions appear here (demo)" in frame.props["srcdoc"]
        assert "<script" not in frame.props["srcdoc"].lower()

    user.find(marker="web-search").click()
    await eventually(lambda: not newest_chat().web_search)
    await send(user, "And now?")
    await eventually(
        lambda: (
            len(messages_of(chat.id or 0)) == 4
            and messages_of(chat.id or 0)[-1]["status"] == "complete"
        ),
        timeout=20,
    )
    assert messages_of(chat.id or 0)[-1]["grounding"] is None


class SlowSearch:
    """Searches (the start event says so), then writes only when let go."""

    name = "demo"

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.asked: list[bool] = []

    async def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        self.asked.append(request.web_search)
        await self.go.wait()
        yield AnswerText("Found it.")
        yield Finish("STOP")


async def test_a_searching_answer_says_so_until_its_text_arrives(
    user: User, register: Register
) -> None:
    """While the model searches nothing is written yet: "Searching…" shows, then the text."""
    await register()
    provider = SlowSearch()
    use_provider(provider)
    user.find(marker="web-search").click()
    await eventually(lambda: globe(user).props["aria-pressed"] == "true")
    await send(user, "Look it up")
    await user.should_see(marker="searching", retries=100)
    assert provider.asked == [True]
    provider.go.set()
    await user.should_see("Found it.", retries=200)
    await user.should_not_see(marker="searching", retries=100)


class Recorder:
    """Answers at once, noting whether each answer was asked to search."""

    name = "demo"

    def __init__(self) -> None:
        self.asked: list[bool] = []

    async def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        self.asked.append(request.web_search)
        yield AnswerText(f"Answer {len(self.asked)}.")
        yield Finish("STOP")


async def test_regenerate_and_edit_ask_the_way_the_globe_is_now(
    user: User, register: Register
) -> None:
    """The globe decides each answer when it is asked: a regeneration after switching it
    off does not search, an edit after switching it on again does."""
    await register()
    provider = Recorder()
    use_provider(provider)
    user.find(marker="web-search").click()
    await eventually(lambda: globe(user).props["aria-pressed"] == "true")
    await send(user, "first")
    await user.should_see("Answer 1.", retries=200)
    user.find(marker="web-search").click()
    await eventually(lambda: not newest_chat().web_search)
    await user.should_see(marker="regenerate", retries=200)
    user.find(marker="regenerate").click()
    await user.should_see("Answer 2.", retries=200)
    user.find(marker="web-search").click()
    await eventually(lambda: newest_chat().web_search)
    user.find(marker="edit").click()
    user.find(marker="edit-input").clear().type("first, again")
    user.find(marker="edit-send").click()
    await user.should_see("Answer 3.", retries=200)
    assert provider.asked == [True, False, True]
