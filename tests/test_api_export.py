"""Exports over real HTTP: a chat as Markdown that reads on its own, a chat or all of
them as JSON with every branch, each a download."""

from __future__ import annotations

import json

import httpx

from tests import fakegemini as g
from tests.apihelpers import UserPool, assert_validation_error, messages, new_chat, send
from tests.fakegemini import FakeGemini


def branched_chat(api: httpx.Client, auth: dict[str, str], gemini: FakeGemini) -> int:
    """A chat whose answer was regenerated once: two versions, the newer current."""
    chat = new_chat(api, auth, title="Борщ / Borscht: 🍲")["id"]
    gemini.enqueue(g.reply("Сначала свёкла.", thinking="Вспоминаю рецепт"))
    send(api, auth, chat, "Как сварить борщ?")
    gemini.enqueue(g.reply("Начните с **бульона**."))
    response = api.post(f"/chats/{chat}/regenerate", params={"stream": "false"}, headers=auth)
    assert response.status_code == 201, response.text
    return chat


def export(api: httpx.Client, auth: dict[str, str], chat: int, fmt: str) -> httpx.Response:
    response = api.get(f"/chats/{chat}/export", params={"format": fmt}, headers=auth)
    assert response.status_code == 200, response.text
    return response


def test_markdown_reads_on_its_own_with_thoughts_folded(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """The downloaded .md has the title, who said what on the current path, and the
    model's thoughts folded in <details>; the replaced answer is not in it."""
    chat = new_chat(api, user, title="Борщ 🍲")["id"]
    gemini.enqueue(g.reply("Начните с **бульона**.", thinking="Вспоминаю рецепт"))
    send(api, user, chat, "Как сварить борщ?")
    response = export(api, user, chat, "markdown")
    assert response.headers["content-type"].startswith("text/markdown")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "%D0%91%D0%BE%D1%80%D1%89" in disposition  # "Борщ", RFC 6266 encoded
    text = response.text
    assert text.startswith("# Борщ 🍲\n")
    assert "**You**" in text and "Как сварить борщ?" in text
    assert "<details>\n<summary>Thoughts</summary>\n\nВспоминаю рецепт\n\n</details>" in text
    assert text.index("</details>") < text.index("Начните с **бульона**.")


def test_markdown_shows_the_current_path_only(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """After regenerating, the Markdown reads as the chat does now: the newer answer."""
    chat = branched_chat(api, user, gemini)
    text = export(api, user, chat, "markdown").text
    assert "Начните с **бульона**." in text and "Сначала свёкла." not in text
    assert text.count("**You**") == 1


def test_json_holds_every_branch_with_format_and_version(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """The JSON download keeps both versions of the answer, which one is current,
    and says its format and version so a later BeykuSay can read it."""
    chat = branched_chat(api, user, gemini)
    response = export(api, user, chat, "json")
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment;")
    body = response.json()
    assert body["format"] == "beykusay" and body["version"] == 1
    (exported,) = body["chats"]
    assert exported["title"] == "Борщ / Borscht: 🍲"
    rows = exported["messages"]
    assert [m["content"] for m in rows] == [
        "Как сварить борщ?",
        "Сначала свёкла.",
        "Начните с **бульона**.",
    ]
    question, old, new = rows
    assert old["parent_id"] == new["parent_id"] == question["id"]
    assert exported["current_leaf_id"] == new["id"]
    assert old["thinking"] == "Вспоминаю рецепт"
    assert all(m["attachments"] == [] for m in rows)


def test_another_format_is_422_and_other_peoples_chats_404(
    api: httpx.Client, pool: UserPool, gemini: FakeGemini
) -> None:
    """Only markdown and json exist; a chat that is not yours cannot be exported."""
    owner, other = pool.next(), pool.next()
    chat = new_chat(api, owner)["id"]
    for fmt in ("pdf", "MARKDOWN", ""):
        assert_validation_error(
            api.get(f"/chats/{chat}/export", params={"format": fmt}, headers=owner)
        )
    assert api.get(f"/chats/{chat}/export", headers=other).status_code == 404
    assert api.get(f"/chats/{chat}/export").status_code == 401


def test_export_all_is_one_json_download_of_every_chat(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """ "Export all my chats" downloads one JSON file with every chat, empty ones too."""
    chats = api.get("/chats", params={"limit": 200}, headers=user).json()["chats"]
    branched = branched_chat(api, user, gemini)
    empty = new_chat(api, user, title="Пусто")["id"]
    response = api.get("/me/export", headers=user)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    body = json.loads(response.content)
    assert body["format"] == "beykusay" and body["version"] == 1
    titles = [c["title"] for c in body["chats"]]
    assert len(titles) == len(chats) + 2
    assert "Пусто" in titles and "Борщ / Borscht: 🍲" in titles
    by_title = {c["title"]: c for c in body["chats"]}
    assert len(by_title["Борщ / Borscht: 🍲"]["messages"]) == 3
    assert messages(api, user, branched)  # nothing was consumed by exporting
    assert by_title["Пусто"]["messages"] == [] and empty
    assert api.get("/me/export").status_code == 401
