"""Users never see or touch each other's chats: another user's chat is 404 - never 403 -
on every endpoint, with the same answer as a chat that does not exist, and changes nothing."""

from __future__ import annotations

import httpx
import pytest

from tests import fakegemini as g
from tests.apihelpers import (
    assert_error_body,
    messages,
    new_chat,
    open_stream,
    read_until,
    send,
    settled,
)
from tests.conftest import register
from tests.fakegemini import FakeGemini
from tests.sse import joined

# Every endpoint that names a chat ({chat} is filled in).
CHAT_ENDPOINTS: list[tuple[str, str, dict | None]] = [
    ("GET", "/chats/{chat}", None),
    ("PATCH", "/chats/{chat}", {"title": "hijacked", "model": "BeykusSmall"}),
    ("GET", "/chats/{chat}/messages", None),
    ("GET", "/chats/{chat}/messages?limit=1&before=1000000", None),
    ("POST", "/chats/{chat}/messages", {"content": "intruder"}),
    ("POST", "/chats/{chat}/messages?stream=false", {"content": "intruder"}),
    ("GET", "/chats/{chat}/stream", None),
    ("POST", "/chats/{chat}/stop", None),
    ("POST", "/chats/{chat}/regenerate", {}),
    ("POST", "/chats/{chat}/regenerate?stream=false", {"model": "BeykusSmall"}),
    ("POST", "/chats/{chat}/branch", {"message_id": 1}),
    ("DELETE", "/chats/{chat}", None),  # last: if it wrongly worked, the rest would be moot
]


@pytest.fixture
def alice(api: httpx.Client) -> dict[str, str]:
    return register(api)


@pytest.fixture
def bob(api: httpx.Client) -> dict[str, str]:
    return register(api)


def _state(api: httpx.Client, auth: dict[str, str], chat_id: int) -> tuple[dict, list]:
    chat = api.get(f"/chats/{chat_id}", headers=auth)
    assert chat.status_code == 200, chat.text
    return chat.json(), messages(api, auth, chat_id)


def test_user_b_gets_404_on_every_endpoint_of_user_a_chat_and_changes_nothing(
    api: httpx.Client, alice: dict[str, str], bob: dict[str, str], gemini: FakeGemini
) -> None:
    chat = new_chat(api, alice, title="Alice's secrets", model="BeykusChat")
    send(api, alice, chat["id"], "my private question")
    before = _state(api, alice, chat["id"])
    requests_before = len(gemini.requests)

    wrong = []
    for method, path, body in CHAT_ENDPOINTS:
        response = api.request(method, path.format(chat=chat["id"]), json=body, headers=bob)
        if response.status_code != 404:
            wrong.append((method, path, response.status_code, response.text[:200]))
            continue
        assert_error_body(response)
        assert "secret" not in response.text.lower()
    assert not wrong, wrong

    assert _state(api, alice, chat["id"]) == before
    assert len(gemini.requests) == requests_before  # no answer was started for Bob


def test_another_users_chat_answers_exactly_like_a_missing_one(
    api: httpx.Client, alice: dict[str, str], bob: dict[str, str]
) -> None:
    theirs = new_chat(api, alice)
    gone = new_chat(api, bob)
    api.delete(f"/chats/{gone['id']}", headers=bob)
    invalid_bodies = [
        ("POST", "/chats/{chat}/messages", {"content": ""}),
        ("POST", "/chats/{chat}/messages", {"content": "x", "model": "nope"}),
        ("PATCH", "/chats/{chat}", {"title": ""}),
        ("POST", "/chats/{chat}/regenerate", {"model": "nope"}),
    ]
    for method, path, body in CHAT_ENDPOINTS + invalid_bodies:
        foreign = api.request(method, path.format(chat=theirs["id"]), json=body, headers=bob)
        missing = api.request(method, path.format(chat=gone["id"]), json=body, headers=bob)
        assert foreign.status_code == missing.status_code == 404, (method, path)
        assert foreign.json() == missing.json(), (method, path)


def test_user_b_cannot_stop_or_watch_user_a_running_answer(
    api: httpx.Client, alice: dict[str, str], bob: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Alice's "), g.pause(1.5), g.text("answer."), g.finish()])
    chat = new_chat(api, alice)
    with open_stream(api, alice, f"/chats/{chat['id']}/messages", {"content": "go"}) as events:
        seen = read_until(events, "text")
        for method, path in (
            ("POST", "/chats/{chat}/stop"),
            ("GET", "/chats/{chat}/stream"),
            ("POST", "/chats/{chat}/messages"),
            ("POST", "/chats/{chat}/regenerate"),
            ("DELETE", "/chats/{chat}"),
        ):
            response = api.request(
                method, path.format(chat=chat["id"]), json={"content": "x"}, headers=bob
            )
            assert response.status_code == 404, (method, path, response.status_code)
        rest = list(events)
    every = seen + rest
    assert every[-1]["type"] == "done"
    assert every[-1]["message"]["status"] == "complete"
    assert joined(every, "text") == "Alice's answer."
    assert settled(api, alice, chat["id"])[-1]["content"] == "Alice's answer."


def test_chat_list_and_search_show_only_your_own_chats(
    api: httpx.Client, alice: dict[str, str], bob: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("answer mentioning aardvark"))
    mine = new_chat(api, alice, title="shared-word kiwi")
    send(api, alice, mine["id"], "question about narwhals")
    theirs = new_chat(api, bob, title="shared-word kiwi too")

    bob_list = api.get("/chats", headers=bob).json()
    assert [c["id"] for c in bob_list["chats"]] == [theirs["id"]]
    assert bob_list["total"] == 1
    for q in ("kiwi", "narwhals", "aardvark", "shared-word"):
        found = api.get("/chats", params={"q": q}, headers=bob).json()
        assert mine["id"] not in [c["id"] for c in found["chats"]], q
    assert api.get("/chats", params={"q": "narwhals"}, headers=bob).json()["total"] == 0
    assert [
        c["id"] for c in api.get("/chats", params={"q": "kiwi"}, headers=alice).json()["chats"]
    ] == [mine["id"]]


def test_settings_and_me_are_per_user(
    api: httpx.Client, alice: dict[str, str], bob: dict[str, str]
) -> None:
    a = api.get("/me", headers=alice).json()
    b = api.get("/me", headers=bob).json()
    assert a["id"] != b["id"] and a["username"] != b["username"]
    api.patch("/me/settings", json={"custom_instructions": "alice only"}, headers=alice)
    assert api.get("/me", headers=bob).json()["settings"]["custom_instructions"] == ""


def test_user_a_instructions_never_reach_user_b_prompt(
    api: httpx.Client, alice: dict[str, str], bob: dict[str, str], gemini: FakeGemini
) -> None:
    api.patch("/me/settings", json={"custom_instructions": "ALICE-ONLY-MARKER"}, headers=alice)
    chat = new_chat(api, bob)
    send(api, bob, chat["id"], "hello")
    system = gemini.requests[-1].body.get("systemInstruction") or {}
    assert "ALICE-ONLY-MARKER" not in str(system)
