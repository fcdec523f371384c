"""A chat with 2,000 messages opens with only its latest page; older ones load on demand.

How fast it opens is measured by `make bench` (tests/bench/long_chat.py); here the cause
is checked without a clock: the page builds one page of messages from one page of rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import Client
from nicegui.testing import User
from sqlalchemy import event
from sqlmodel import col, select

from beykusay.db import new_session
from beykusay.models import Message
from beykusay.services import operations
from pages.chat_view import PAGE
from tests.ui.conftest import Register

MESSAGE_MARKER = re.compile(r"(?:user|answer)-(\d+)")

ANSWER = """Answer {n}: here is **some** markdown with a list

- first point about {n}
- second point

```python
def answer_{n}() -> int:
    return {n}
```
"""


def seed(chat_id: int, count: int) -> None:
    with new_session() as session:
        session.add_all(
            Message(
                chat_id=chat_id,
                role="user" if n % 2 == 0 else "assistant",
                content=f"Question {n}" if n % 2 == 0 else ANSWER.format(n=n),
                model=None if n % 2 == 0 else "BeykusChat",
            )
            for n in range(count)
        )
        session.commit()


@contextmanager
def counting_loaded_messages() -> Iterator[list[int]]:
    """Collect the id of every Message row the ORM builds while the block runs."""
    loaded: list[int] = []

    def on_load(message: Message, _context: object) -> None:
        loaded.append(message.id or 0)

    event.listen(Message, "load", on_load)
    try:
        yield loaded
    finally:
        event.remove(Message, "load", on_load)


def shown_message_ids(client: Client) -> list[int]:
    """Ids of the messages on the page (user bubbles and answers), in no set order."""
    return [
        int(found.group(1))
        for element in client.elements.values()
        for marker in element._markers
        if (found := MESSAGE_MARKER.fullmatch(marker))
    ]


def chat_message_ids(chat_id: int) -> list[int]:
    with new_session() as session:
        return list(
            session.exec(
                select(Message.id).where(Message.chat_id == chat_id).order_by(col(Message.id))
            ).all()
        )


async def test_a_long_chat_opens_with_only_its_latest_page_and_pages_back(
    user: User, register: Register
) -> None:
    """Opening a 2,000-message chat shows its newest 30 messages and nothing older, built
    from one page of rows (not the whole chat); "Earlier" adds the 30 before them."""
    await register()
    chat = operations.create_chat(1, None)
    assert chat.id is not None
    seed(chat.id, 2000)
    ids = chat_message_ids(chat.id)

    with counting_loaded_messages() as loaded:
        client = await user.open(f"/chat/{chat.id}")
    await user.should_see("Answer 1999")
    assert sorted(shown_message_ids(client)) == ids[-PAGE:]  # exactly the newest page
    # one page of rows, plus the one that tells whether older messages exist
    assert len(loaded) <= PAGE + 1, len(loaded)
    assert set(loaded) <= set(ids[-PAGE - 1 :])
    await user.should_see("Question 1970")
    await user.should_not_see("Answer 1969")

    with counting_loaded_messages() as loaded:
        user.find(marker="load-older").click()
        await user.should_see("Answer 1969", retries=30)
    assert sorted(shown_message_ids(client)) == ids[-2 * PAGE :]
    assert len(loaded) <= PAGE + 1, len(loaded)
    await user.should_see("Question 1940")
    await user.should_not_see("Answer 1939")
    await user.should_see(marker="load-older")  # more are left


async def test_the_older_button_goes_away_at_the_first_message(
    user: User, register: Register
) -> None:
    """In a 50-message chat one click on "Earlier" reaches the first question, and the
    button goes away: there is nothing older to load."""
    await register()
    chat = operations.create_chat(1, None)
    seed(chat.id or 0, 50)
    await user.open(f"/chat/{chat.id}")
    user.find(marker="load-older").click()
    await user.should_see("Question 0", retries=30)
    await user.should_not_see(marker="load-older")
