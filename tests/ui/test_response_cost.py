"""A page's elements go into its HTML escaped as NiceGUI escapes them, without translate."""

from __future__ import annotations

import json
import random

from nicegui import client as nicegui_client
from nicegui.testing import User

from pages import response_cost
from tests.ui.conftest import Register

TABLE = nicegui_client.HTML_ESCAPE_TABLE


def test_escaping_gives_translate_s_result() -> None:
    rng = random.Random(7)
    alphabet = "&<>`$;#amp ltgé€😀\\\"'\n"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        assert response_cost.escape(text) == text.translate(TABLE)
        as_json = response_cost.PageJson(text)
        assert as_json.translate(TABLE) == text.translate(TABLE)
        assert as_json.translate({ord("a"): "b"}) == text.translate({ord("a"): "b"})


async def test_the_chat_page_s_html_holds_its_elements_escaped(
    user: User, register: Register
) -> None:
    """NiceGUI's client module makes the page's JSON with the fast escape, and the page
    still carries a message with every escaped character, whole."""
    assert nicegui_client.json.dumps({"a": 1}).__class__.__name__ == "PageJson"
    assert json.loads(nicegui_client.json.dumps({"a": "<&>"})) == {"a": "<&>"}
    await register()
    await user.open("/chat")
    await user.should_see(marker="message-input")
