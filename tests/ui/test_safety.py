"""Payloads in answers, messages and titles stay text (the browser tests try to run them)."""

from __future__ import annotations

from nicegui import ElementFilter, ui
from nicegui.testing import User

from beykusay.services import operations
from tests.ui.conftest import Register, ScriptedProvider, newest_chat, use_provider

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def html_elements(user: User) -> list[str]:
    with user:
        return [element.content for element in ElementFilter(kind=ui.html, local_scope=False)]


async def test_payloads_everywhere_stay_text(user: User, register: Register) -> None:
    await register()
    use_provider(
        ScriptedProvider([f"Answer with {PAYLOAD} inside.\n\n", "```html\n", PAYLOAD, "\n```\n"])
    )
    user.find(marker="message-input").type(f"Question {PAYLOAD}")
    user.find(marker="send").click()
    await user.should_see(marker="regenerate", retries=200)
    chat = newest_chat()
    operations.update_chat(1, chat.id or 0, title=f"Title {PAYLOAD}")
    await user.open(f"/chat/{chat.id}")

    await user.should_see(f"Question {PAYLOAD}")  # a label: Vue shows it as text
    await user.should_see(f"Title {PAYLOAD}")
    for content in html_elements(user):
        lowered = content.lower()
        assert "<script" not in lowered and "<img" not in lowered, content
    answer = "".join(html_elements(user))
    assert "&lt;script&gt;" in answer  # the payload is there, as text

    response = await user.http_client.get(f"/chat/{chat.id}")
    assert '<script>alert("x")' not in response.text
    assert "onerror=alert(1)>" not in response.text
