"""A streamed answer ends exactly as the same text rendered whole, sent about once."""

from __future__ import annotations

from typing import Any

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from beykusay.render import render_markdown
from tests.ui.conftest import Register, ScriptedProvider, newest_chat, use_provider

PARAGRAPH = (
    "Streaming answers should cost **linear** time — даже по-русски 🙂; "
    "here is `code` and a [link](https://x.y).\n\n"
)
LIST = "".join(f"- point {n} about the topic\n" for n in range(8)) + "\n"
CODE = "```python\n" + "".join(f"value_{n} = compute({n})  # шаг\n" for n in range(60)) + "```\n\n"


def answer_text(size: int) -> str:
    parts, text = [PARAGRAPH, LIST, CODE], ""
    while len(text) < size:
        text += parts[len(text) % 3]
    return text


def replay(patches: list[tuple[int, str, int]]) -> str:
    """What the browser ends up showing, applying the patches as stream_view.js does."""
    tail, done = b"", b""
    for keep, suffix, commit in patches:
        full = tail[: 2 * keep] + suffix.encode("utf-16-le")  # JavaScript counts UTF-16 units
        done += full[: 2 * commit]
        tail = full[2 * commit :]
    return (done + tail).decode("utf-16-le")


@pytest.mark.parametrize(("a", "b", "n"), [("", "", 0), ("abc", "abd", 2), ("ab", "abc", 2)])
def test_common_prefix(a: str, b: str, n: int) -> None:
    from pages.markdown_view import common_prefix  # imported late: see streaming_view()

    assert common_prefix(a, b) == n


def streaming_view() -> type:
    """The StreamView class of the pages main.py loaded for this test.

    The User fixture imports the pages afresh for every test (and a test module that
    imported them when collected would keep their routes from being registered again).
    """
    from pages.markdown_view import StreamView

    return StreamView


async def test_streamed_equals_whole_render(
    user: User, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register()
    view_class = streaming_view()
    patches: list[tuple[int, str, int]] = []
    original = view_class.run_method

    def record(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "apply":
            patches.append(args)  # type: ignore[arg-type]
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(view_class, "run_method", record)
    text = answer_text(12_000)
    chunks = [text[i : i + 5] for i in range(0, len(text), 5)]
    use_provider(ScriptedProvider(chunks, delay=0.0005))
    user.find(marker="message-input").type("long please")
    user.find(marker="send").click()
    await user.should_see(marker="regenerate", retries=300)

    expected = render_markdown(text, "Copy")
    with user:
        view = next(iter(ElementFilter(kind=view_class, local_scope=False)))
    assert view.html == expected
    assert replay(patches) == expected
    sent = sum(len(suffix) for _keep, suffix, _commit in patches)
    assert sent < 1.3 * len(expected)  # each piece crosses the wire about once
    assert len(patches) < len(chunks) / 10  # updates are throttled


async def test_reloaded_answer_matches_live_one(user: User, register: Register) -> None:
    await register()
    text = answer_text(3_000)
    use_provider(ScriptedProvider([text[i : i + 7] for i in range(0, len(text), 7)]))
    user.find(marker="message-input").type("again")
    user.find(marker="send").click()
    await user.should_see(marker="regenerate", retries=300)
    await user.open(f"/chat/{newest_chat().id}")
    with user:
        answer = next(iter(ElementFilter(marker="answer-2", local_scope=False)))
        pieces = [e for e in answer.descendants() if isinstance(e, ui.html) and e.content]
    assert "".join(p.content for p in pieces) == render_markdown(text, "Copy")
