"""Share links over real HTTP (API.md, "Sharing, export, import"): a snapshot of the
current path that anyone with the link can read, refreshed under the same link, dead
the moment it is stopped, and copied into a signed-in visitor's own chats."""

from __future__ import annotations

from typing import Any

import httpx

from tests import fakegemini as g
from tests.apihelpers import UserPool, assert_chat, assert_error_body, messages, new_chat, send
from tests.fakegemini import FakeGemini

SHARE_KEYS = {"token", "url", "created_at"}


def chat_with(api: httpx.Client, auth: dict[str, str], gemini: FakeGemini, *pairs: tuple[str, str]):
    chat = new_chat(api, auth, title="Shared 🍲 чат")["id"]
    for question, answer in pairs:
        gemini.enqueue(g.reply(answer, thinking="thought about " + question))
        send(api, auth, chat, question)
    return chat


def share(api: httpx.Client, auth: dict[str, str], chat: int) -> dict[str, Any]:
    response = api.post(f"/chats/{chat}/share", headers=auth)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) >= SHARE_KEYS
    return body


def shared(api: httpx.Client, token: str) -> httpx.Response:
    return api.get(f"/shared/{token}")  # no Authorization: anyone with the link


def test_anyone_with_the_link_reads_the_current_path_without_names_or_ids(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini, server: str
) -> None:
    """A colleague without an account opens the link and sees the questions, the
    answers and the thoughts, and nothing that names the owner or the database."""
    chat = chat_with(api, user, gemini, ("Привет 👋", "Здравствуйте!"), ("2+2?", "4"))
    link = share(api, user, chat)
    assert len(link["token"]) >= 22  # at least 128 bits in URL-safe base64
    assert link["url"] == f"{server}/share/{link['token']}"
    response = shared(api, link["token"])
    assert response.status_code == 200, response.text
    assert "noindex" in response.headers["x-robots-tag"]
    body = response.json()
    assert set(body) == {"title", "model", "shared_at", "messages"}
    assert body["title"] == "Shared 🍲 чат"
    assert [(m["role"], m["content"]) for m in body["messages"]] == [
        ("user", "Привет 👋"),
        ("assistant", "Здравствуйте!"),
        ("user", "2+2?"),
        ("assistant", "4"),
    ]
    assert body["messages"][1]["thinking"] == "thought about Привет 👋"
    for message in body["messages"]:
        assert set(message) == {"role", "content", "thinking", "created_at", "attachments"}
        assert message["attachments"] == []
    me = api.get("/me", headers=user).json()
    assert me["username"] not in response.text


def test_tokens_are_long_random_and_one_per_chat(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """Two chats get two unrelated links; asking again shows the same link."""
    first = chat_with(api, user, gemini, ("a", "b"))
    second = chat_with(api, user, gemini, ("c", "d"))
    one, two = share(api, user, first), share(api, user, second)
    assert one["token"] != two["token"]
    again = api.get(f"/chats/{first}/share", headers=user)
    assert again.status_code == 200
    assert again.json()["token"] == one["token"] and again.json()["url"] == one["url"]


def test_sharing_again_refreshes_the_snapshot_under_the_same_link(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """What the link shows is frozen when shared; "Refresh snapshot" adds what came
    after, and the link people already have keeps working."""
    chat = chat_with(api, user, gemini, ("first", "one"))
    link = share(api, user, chat)
    gemini.enqueue(g.reply("two"))
    send(api, user, chat, "second")
    assert [m["content"] for m in shared(api, link["token"]).json()["messages"]] == ["first", "one"]
    again = share(api, user, chat)
    assert again["token"] == link["token"] and again["created_at"] == link["created_at"]
    contents = [m["content"] for m in shared(api, link["token"]).json()["messages"]]
    assert contents == ["first", "one", "second", "two"]


def test_stopping_kills_the_link_at_once(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """After "Stop sharing" the link says it is gone; sharing anew makes a new link."""
    chat = chat_with(api, user, gemini, ("secret", "kept"))
    link = share(api, user, chat)
    assert api.delete(f"/chats/{chat}/share", headers=user).status_code == 204
    gone = shared(api, link["token"])
    assert gone.status_code == 404
    assert "no longer shared" in assert_error_body(gone)
    assert api.get(f"/chats/{chat}/share", headers=user).status_code == 404
    assert api.delete(f"/chats/{chat}/share", headers=user).status_code == 404
    assert share(api, user, chat)["token"] != link["token"]


def test_deleting_the_chat_kills_its_link(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """A deleted chat cannot be read through a link shared earlier."""
    chat = chat_with(api, user, gemini, ("bye", "ok"))
    link = share(api, user, chat)
    assert api.delete(f"/chats/{chat}", headers=user).status_code == 204
    assert shared(api, link["token"]).status_code == 404


def test_unknown_tokens_and_other_peoples_chats_are_404(
    api: httpx.Client, pool: UserPool, gemini: FakeGemini
) -> None:
    """A made-up token finds nothing; nobody can share, see or stop another's link."""
    owner, other = pool.next(), pool.next()
    chat = chat_with(api, owner, gemini, ("mine", "yes"))
    share(api, owner, chat)
    for token in ("x", "A" * 43, "-" * 200):
        assert shared(api, token).status_code == 404
    assert shared(api, "A" * 201).status_code == 422
    for method in ("POST", "GET", "DELETE"):
        assert api.request(method, f"/chats/{chat}/share", headers=other).status_code == 404
        assert api.request(method, f"/chats/{chat}/share").status_code == 401


def test_a_signed_in_visitor_continues_a_shared_chat_as_their_own_copy(
    api: httpx.Client, pool: UserPool, gemini: FakeGemini
) -> None:
    """ "Continue in my chats" gives the visitor a chat of their own with the shared
    path; their next question goes on from there and the owner's chat is untouched."""
    owner, visitor = pool.next(), pool.next()
    chat = chat_with(api, owner, gemini, ("Как дела?", "Отлично 😀"))
    link = share(api, owner, chat)
    assert api.post(f"/shared/{link['token']}/copy").status_code == 401
    response = api.post(f"/shared/{link['token']}/copy", headers=visitor)
    assert response.status_code == 201, response.text
    copy = assert_chat(response.json())
    assert copy["id"] != chat and copy["title"] == "Shared 🍲 чат"
    copied = messages(api, visitor, copy["id"])
    assert [(m["role"], m["content"], m["thinking"]) for m in copied] == [
        ("user", "Как дела?", None),
        ("assistant", "Отлично 😀", "thought about Как дела?"),
    ]
    gemini.enqueue(g.reply("Продолжаем"))
    send(api, visitor, copy["id"], "Дальше")
    assert len(messages(api, visitor, copy["id"])) == 4
    assert len(messages(api, owner, chat)) == 2
    api.delete(f"/chats/{chat}/share", headers=owner)
    assert api.post(f"/shared/{link['token']}/copy", headers=visitor).status_code == 404
