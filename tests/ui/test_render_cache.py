"""Opening a chat: answers rendered off the event loop, each message version kept once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from nicegui import ui
from nicegui.element_filter import ElementFilter
from nicegui.testing import User
from sqlmodel import select

from beykusay import render
from beykusay.db import new_session
from beykusay.models import Chat, Message
from beykusay.render import render_markdown
from beykusay.render_cache import CACHE, HtmlCache, render_now, version_key
from beykusay.schemas import SettingsUpdate
from beykusay.services import operations
from tests.seeding import add_path
from tests.ui.conftest import Register

ANSWER = """Answer {n} with **markdown**, a table and code.

| name | value |
|---|---:|
| row {n} | {n} |

```python
def answer_{n}() -> int:
    return {n}
```

- a list item about {n}
"""


def seed(chat_id: int, count: int) -> None:
    """``count`` questions and answers as the chat's one path."""
    rows: list[Message] = []
    for n in range(count):
        rows.append(Message(chat_id=chat_id, role="user", content=f"Question {n}"))
        rows.append(
            Message(
                chat_id=chat_id,
                role="assistant",
                content=ANSWER.format(n=n),
                thinking=f"Thinking about *{n}*" if n % 2 else None,
                model="BeykusChat",
            )
        )
    with new_session() as session:
        chat = session.get(Chat, chat_id)
        assert chat is not None
        add_path(session, chat, rows)
        session.commit()


def shown_html(user: User) -> dict[int, list[str]]:
    """The HTML each answer on the page shows (thoughts first), by message id."""
    found: dict[int, list[str]] = {}
    with user:
        for element in ElementFilter(kind=ui.column, local_scope=False):
            marker = next((m for m in element._markers if m.startswith("answer-")), None)
            if marker is None:
                continue
            found[int(marker.removeprefix("answer-"))] = [
                e.content for e in element.descendants() if isinstance(e, ui.html) and e.content
            ]
    return found


def expected_html(chat_id: int, copy_label: str) -> dict[int, list[str]]:
    """What the page showed before the cache: each text rendered by render_markdown."""
    with new_session() as session:
        rows = session.exec(select(Message).where(Message.chat_id == chat_id)).all()
        return {
            row.id or 0: [
                render_markdown(text, copy_label) for text in (row.thinking, row.content) if text
            ]
            for row in rows
            if row.role == "assistant"
        }


async def test_opening_a_chat_shows_the_same_html_from_the_cache(
    user: User, register: Register
) -> None:
    """Answers look exactly as before, whether rendered now (miss) or kept (hit)."""
    await register()
    chat = operations.create_chat(1, None)
    seed(chat.id or 0, 10)
    CACHE.clear()
    expected = expected_html(chat.id or 0, "Copy")

    await user.open(f"/chat/{chat.id}")
    await user.should_see("Answer 9")
    assert shown_html(user) == expected
    assert CACHE.misses == 15 and CACHE.hits == 0  # 10 texts and 5 thoughts

    await user.open(f"/chat/{chat.id}")  # a reload, or another tab
    await user.should_see("Answer 9")
    assert shown_html(user) == expected
    assert CACHE.misses == 15 and CACHE.hits == 15  # nothing rendered again

    operations.save_settings(1, SettingsUpdate(language="ru"))  # the copy button differs
    await user.open(f"/chat/{chat.id}")
    await user.should_see("Answer 9")
    assert shown_html(user) == expected_html(chat.id or 0, "Копировать")


async def test_opening_a_chat_renders_off_the_event_loop(
    user: User, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a long chat rendered its answers on the event loop, stalling every stream
    on the instance meanwhile; now they render in a worker thread."""
    await register()
    chat = operations.create_chat(1, None)
    seed(chat.id or 0, 20)
    CACHE.clear()
    threads: list[threading.Thread] = []
    original = render.prose_html

    def spy(text: str) -> str:
        threads.append(threading.current_thread())
        return original(text)

    monkeypatch.setattr(render, "prose_html", spy)
    await user.open(f"/chat/{chat.id}")
    await user.should_see("Answer 19")
    user.find(marker="load-older").click()  # older pages too
    await user.should_see("Answer 0", retries=30)
    assert threads
    assert threading.main_thread() not in threads  # the loop runs in the main thread here


def test_the_cache_drops_the_least_recently_used_html_first() -> None:
    cache = HtmlCache(max_bytes=100)
    keys = [version_key({"id": n, "content": "x", "status": "complete"}, "content", "Copy")
            for n in range(3)]  # fmt: skip
    cache.put(keys[0], "a" * 40)
    cache.put(keys[1], "b" * 40)
    assert cache.get(keys[0]) == "a" * 40  # 0 is now the most recently used
    cache.put(keys[2], "c" * 40)  # 120 bytes > 100: 1 goes
    assert cache.get(keys[1]) is None
    assert cache.get(keys[0]) == "a" * 40 and cache.get(keys[2]) == "c" * 40
    assert cache.size == 80 and len(cache) == 2
    cache.put(keys[0], "é" * 30)  # 60 bytes in UTF-8 replaces 40
    assert cache.size == 100
    cache.put(keys[1], "z" * 101)  # larger than the whole cache: not kept
    assert cache.get(keys[1]) is None and cache.size == 100


def test_a_new_version_of_a_message_is_rendered_again() -> None:
    """A message saved mid-way and then finished must not show its old HTML."""
    cache = HtmlCache()
    message: dict[str, Any] = {"id": 7, "role": "assistant", "status": "streaming"}
    message["content"] = "Half **an"
    half = render_now([message], "Copy", cache)[7]["content"]
    message.update(content="Half **an answer**", status="complete")
    whole = render_now([message], "Copy", cache)[7]["content"]
    assert whole == render_markdown("Half **an answer**") != half
    same_length = {**message, "content": "Half **an answer!*"}
    assert render_now([same_length], "Copy", cache)[7]["content"] != whole
    assert cache.misses == 3 and cache.hits == 0
    render_now([message], "Copy", cache)
    assert cache.hits == 1
