"""Versions in the chat page: "‹ k / n ›" under a message with several, regenerate keeps
the old answer, any question can be edited in place, a second tab follows a switch."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from sqlalchemy import event

from beykusay.db import get_engine, new_session
from beykusay.models import Chat, Message
from tests.seeding import add_path
from tests.ui.conftest import (
    Register,
    ScriptedProvider,
    eventually,
    messages_of,
    newest_chat,
    second_tab,
    use_provider,
)


async def send(user: User, text: str) -> None:
    user.find(marker="message-input").clear().type(text)
    user.find(marker="send").click()


async def answered(user: User) -> None:
    await user.should_see(marker="regenerate", retries=200)


async def ask(user: User, question: str, answer: str) -> None:
    use_provider(ScriptedProvider([answer]))
    await send(user, question)
    await user.should_see(answer, retries=200)
    await answered(user)


def element(user: User, marker: str) -> ui.element:
    found = list(user.find(marker=marker).elements)
    assert len(found) == 1, (marker, found)
    return found[0]


async def test_regenerate_keeps_the_old_answer_one_click_away(
    user: User, register: Register
) -> None:
    """After a new answer, "2 / 2" shows under it; the arrows bring back the first."""
    await register()
    await ask(user, "Question", "First answer.")
    use_provider(ScriptedProvider(["Second answer."]))
    user.find(marker="regenerate").click()
    await user.should_see("Second answer.", retries=200)
    await answered(user)
    await user.should_see("2 / 2")
    question = element(user, "user-message")
    previous = element(user, "version-previous")
    assert previous.props["aria-label"] == "Previous version"
    assert element(user, "version-next").props["aria-label"] == "Next version"
    assert not element(user, "version-next").enabled  # already the newest

    user.find(marker="version-previous").click()
    await user.should_see("First answer.", retries=50)
    await user.should_not_see("Second answer.")
    await user.should_see("1 / 2")
    assert element(user, "user-message") is question  # only what follows it was redrawn
    assert newest_chat().current_leaf_id == messages_of(newest_chat().id or 0)[1]["id"]

    user.find(marker="version-next").click()
    await user.should_see("Second answer.", retries=50)
    await user.should_see("2 / 2")


async def test_any_question_can_be_edited_in_place_and_sent_as_a_new_version(
    user: User, register: Register
) -> None:
    await register()
    await ask(user, "First question", "First reply.")
    await ask(user, "Second question", "Second reply.")
    assert len(user.find(marker="edit").elements) == 2  # a pencil on every question
    first = messages_of(newest_chat().id or 0)[0]
    with user.scope(marker=f"user-{first['id']}"):
        user.find(marker="edit").click()
    await user.should_see(marker="edit-input")
    user.find(marker="edit-input").trigger("keydown.escape")  # Escape cancels
    await user.should_not_see(marker="edit-input")
    await user.should_see("First question")

    with user.scope(marker=f"user-{first['id']}"):
        user.find(marker="edit").click()
    user.find(marker="edit-input").clear().type("First question, edited")
    use_provider(ScriptedProvider(["Reply to the edit."]))
    user.find(marker="edit-input").trigger("keydown")  # Enter sends
    await user.should_see("Reply to the edit.", retries=200)
    await answered(user)
    with user.scope(marker="thread"):
        await user.should_see("First question, edited")
        await user.should_not_see("Second question")
        await user.should_not_see("First reply.")
    await user.should_see("2 / 2")
    saved = messages_of(newest_chat().id or 0)
    assert [(m["content"], m["parent_id"]) for m in saved][-2:] == [
        ("First question, edited", None),
        ("Reply to the edit.", saved[-2]["id"]),
    ]

    user.find(marker="version-previous").click()  # the whole first conversation is back
    await user.should_see("Second reply.", retries=50)
    await user.should_see("First question")
    await user.should_see("1 / 2")
    await user.should_not_see("Reply to the edit.")


async def test_a_second_tab_follows_a_switch(user: User, register: Register) -> None:
    await register()
    await ask(user, "Question", "Old answer.")
    use_provider(ScriptedProvider(["New answer."]))
    user.find(marker="regenerate").click()
    await user.should_see("New answer.", retries=200)
    await answered(user)
    chat = newest_chat()
    other = second_tab(user)
    await other.open(f"/chat/{chat.id}")
    await other.should_see("New answer.")
    user.find(marker="version-previous").click()
    await user.should_see("Old answer.", retries=50)
    await other.should_see("Old answer.", retries=100)  # without a reload
    await other.should_not_see("New answer.")
    await other.should_see("1 / 2")


async def test_switching_is_one_short_request_however_long_the_chat(
    user: User, register: Register
) -> None:
    """A long chat switches versions without a query per message."""
    await register()
    await ask(user, "Warm-up", "Warm reply.")
    chat_id = newest_chat().id or 0
    with new_session() as session:
        chat = session.get(Chat, chat_id)
        assert chat is not None
        leaf = chat.current_leaf_id
        rows = add_path(
            session,
            chat,
            (
                Message(role="user" if n % 2 == 0 else "assistant", content=f"Turn {n}")
                for n in range(400)
            ),
            parent_id=leaf,
        )
        add_path(
            session,
            chat,
            [Message(role="assistant", content="Another last answer")],
            parent_id=rows[-2].id,
        )
    await user.open(f"/chat/{chat_id}")
    await user.should_see("Another last answer")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        user.find(marker="version-previous").click()
        await user.should_see("Turn 399", retries=50)
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    assert len(statements) <= 15, statements  # a query per message would be 400+
    await eventually(lambda: newest_chat().current_leaf_id == rows[-1].id)


async def test_versions_cannot_be_switched_while_an_answer_is_written(
    user: User, register: Register
) -> None:
    await register()
    await ask(user, "Question", "One.")
    use_provider(ScriptedProvider(["Two."]))
    user.find(marker="regenerate").click()
    await user.should_see("Two.", retries=200)
    await user.should_see("2 / 2", retries=200)
    use_provider(ScriptedProvider(["slow "] * 100, delay=0.02))
    await send(user, "Next question")
    await user.should_see(marker="stop", retries=50)
    assert not element(user, "version-previous").enabled
    user.find(marker="stop").click()
    await user.should_see(marker="regenerate", retries=200)
    await eventually(lambda: element(user, "version-previous").enabled)
