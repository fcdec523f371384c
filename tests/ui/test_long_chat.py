"""A chat with 2,000 messages opens fast with its latest messages; older ones load on demand."""

from __future__ import annotations

import time

from nicegui.testing import User

from beykusay.db import new_session
from beykusay.models import Chat, Message
from beykusay.services import operations
from tests.seeding import add_path
from tests.ui.conftest import Register

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
        chat = session.get(Chat, chat_id)
        assert chat is not None
        add_path(
            session,
            chat,
            (
                Message(
                    chat_id=chat_id,
                    role="user" if n % 2 == 0 else "assistant",
                    content=f"Question {n}" if n % 2 == 0 else ANSWER.format(n=n),
                    model=None if n % 2 == 0 else "BeykusChat",
                )
                for n in range(count)
            ),
        )


async def test_a_long_chat_opens_quickly_and_pages_back(user: User, register: Register) -> None:
    await register()
    chat = operations.create_chat(1, None)
    assert chat.id is not None
    seed(chat.id, 2000)

    started = time.perf_counter()
    await user.open(f"/chat/{chat.id}")
    await user.should_see("Answer 1999", retries=1)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"opening took {elapsed:.2f} s"
    await user.should_see("Question 1970")  # the newest 30
    await user.should_not_see("Answer 1969")

    user.find(marker="load-older").click()
    await user.should_see("Answer 1969", retries=30)
    await user.should_see("Question 1940")
    await user.should_not_see("Answer 1939")
    await user.should_see(marker="load-older")  # more are left


async def test_the_older_button_goes_away_at_the_first_message(
    user: User, register: Register
) -> None:
    await register()
    chat = operations.create_chat(1, None)
    seed(chat.id or 0, 50)
    await user.open(f"/chat/{chat.id}")
    user.find(marker="load-older").click()
    await user.should_see("Question 0", retries=30)
    await user.should_not_see(marker="load-older")
