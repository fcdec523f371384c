"""Chats over real HTTP: create, read, rename, delete, list, search (API.md "Chats")."""

from __future__ import annotations

import httpx
import pytest

from tests import fakegemini as g
from tests.apihelpers import (
    assert_chat,
    assert_error_body,
    assert_validation_error,
    new_chat,
    open_stream,
    parse_time,
    read_until,
    send,
)
from tests.conftest import register
from tests.fakegemini import FakeGemini


@pytest.fixture(scope="module")
def shared(server: str) -> dict[str, str]:
    """A user for tests that only touch chats they create themselves (never the list)."""
    with httpx.Client(base_url=server + "/api", timeout=30) as client:
        return register(client)


def listed(api: httpx.Client, auth: dict[str, str], **params: object) -> dict:
    response = api.get("/chats", params=params, headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"chats", "total"}
    assert type(body["total"]) is int
    for chat in body["chats"]:
        assert_chat(chat)
    return body


def ids(body: dict) -> list[int]:
    return [chat["id"] for chat in body["chats"]]


# --------------------------------------------------------------------------- create and read


def test_create_chat_answers_201_with_the_chat(api: httpx.Client, shared: dict[str, str]) -> None:
    response = api.post(
        "/chats", json={"title": "Trip to Kazan", "model": "BeykusSmall"}, headers=shared
    )
    assert response.status_code == 201, response.text
    chat = assert_chat(response.json())
    assert chat["title"] == "Trip to Kazan"
    assert chat["model"] == "BeykusSmall"
    assert parse_time(chat["updated_at"]) >= parse_time(chat["created_at"])


def test_create_chat_without_a_body_uses_defaults(
    api: httpx.Client, shared: dict[str, str]
) -> None:
    response = api.post("/chats", headers=shared)
    assert response.status_code == 201, response.text
    chat = assert_chat(response.json())
    assert chat["model"] == "BeykusChat"
    assert isinstance(chat["title"], str)


def test_create_chat_with_empty_object_uses_defaults(
    api: httpx.Client, shared: dict[str, str]
) -> None:
    chat = new_chat(api, shared)
    assert chat["model"] == "BeykusChat"


@pytest.mark.parametrize("model", ["BeykusSmall", "BeykusChat", "BeykusSmallR"])
def test_create_chat_with_each_model(api: httpx.Client, shared: dict[str, str], model: str) -> None:
    assert new_chat(api, shared, model=model)["model"] == model


def test_new_chat_without_model_follows_the_users_default_model(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    api.patch("/me/settings", json={"default_model": "BeykusSmallR"}, headers=auth)
    assert new_chat(api, auth)["model"] == "BeykusSmallR"
    assert new_chat(api, auth, model="BeykusSmall")["model"] == "BeykusSmall"


def test_get_chat_returns_the_same_chat(api: httpx.Client, shared: dict[str, str]) -> None:
    chat = new_chat(api, shared, title="Read me")
    response = api.get(f"/chats/{chat['id']}", headers=shared)
    assert response.status_code == 200
    assert response.json() == chat


def test_unknown_chat_is_404_with_detail(api: httpx.Client, shared: dict[str, str]) -> None:
    chat = new_chat(api, shared)
    api.delete(f"/chats/{chat['id']}", headers=shared)
    for method in ("GET", "PATCH", "DELETE"):
        response = api.request(method, f"/chats/{chat['id']}", json={"title": "x"}, headers=shared)
        assert response.status_code == 404, (method, response.text)
        assert_error_body(response)


def test_title_and_model_are_validated_on_create(api: httpx.Client, shared: dict[str, str]) -> None:
    for body in (
        {"title": ""},
        {"title": "x" * 201},
        {"model": "gpt-4o"},
        {"model": "beykuschat"},
        {"model": ""},
        {"title": 5},
        {"model": 5},
    ):
        assert_validation_error(api.post("/chats", json=body, headers=shared))


# --------------------------------------------------------------------------- rename and model


def test_rename_chat_changes_title_and_moves_updated_at(
    api: httpx.Client, shared: dict[str, str]
) -> None:
    chat = new_chat(api, shared, title="Old title")
    response = api.patch(f"/chats/{chat['id']}", json={"title": "New title"}, headers=shared)
    assert response.status_code == 200, response.text
    renamed = assert_chat(response.json())
    assert renamed["title"] == "New title"
    assert renamed["id"] == chat["id"]
    assert renamed["created_at"] == chat["created_at"]
    assert renamed["model"] == chat["model"]
    assert parse_time(renamed["updated_at"]) > parse_time(chat["updated_at"])
    assert api.get(f"/chats/{chat['id']}", headers=shared).json() == renamed


def test_change_chat_model_keeps_the_title(api: httpx.Client, shared: dict[str, str]) -> None:
    chat = new_chat(api, shared, title="Same")
    response = api.patch(f"/chats/{chat['id']}", json={"model": "BeykusSmallR"}, headers=shared)
    assert response.status_code == 200
    assert response.json()["model"] == "BeykusSmallR"
    assert response.json()["title"] == "Same"


def test_patch_with_both_fields_and_with_none(api: httpx.Client, shared: dict[str, str]) -> None:
    chat = new_chat(api, shared, title="A")
    both = api.patch(
        f"/chats/{chat['id']}", json={"title": "B", "model": "BeykusSmall"}, headers=shared
    ).json()
    assert (both["title"], both["model"]) == ("B", "BeykusSmall")
    unchanged = api.patch(f"/chats/{chat['id']}", json={}, headers=shared)
    assert unchanged.status_code == 200
    assert (unchanged.json()["title"], unchanged.json()["model"]) == ("B", "BeykusSmall")


@pytest.mark.parametrize("title", ["x", "t" * 200, "Ёжик в тумане 🦔", "<b>html</b> & stuff"])
def test_rename_accepts_titles_of_1_to_200_chars_verbatim(
    api: httpx.Client, shared: dict[str, str], title: str
) -> None:
    chat = new_chat(api, shared)
    response = api.patch(f"/chats/{chat['id']}", json={"title": title}, headers=shared)
    assert response.status_code == 200, response.text
    assert response.json()["title"] == title


def test_a_title_is_trimmed_before_its_length_is_checked(
    api: httpx.Client, shared: dict[str, str]
) -> None:
    """Spaces around a title (a paste) are dropped, then the 200 limit applies: the user
    sees their 200-character title, not a 422 for the spaces."""
    chat = new_chat(api, shared)
    padded = api.patch(f"/chats/{chat['id']}", json={"title": f"  {'t' * 200}\n"}, headers=shared)
    assert padded.status_code == 200, padded.text
    assert padded.json()["title"] == "t" * 200
    blank = api.patch(f"/chats/{chat['id']}", json={"title": "   "}, headers=shared)
    assert blank.status_code == 422


@pytest.mark.parametrize(
    "body",
    [{"title": ""}, {"title": "t" * 201}, {"model": "gpt-4o"}, {"model": None, "title": 7}],
)
def test_rename_rejects_invalid_title_or_model_and_changes_nothing(
    api: httpx.Client, shared: dict[str, str], body: dict
) -> None:
    chat = new_chat(api, shared, title="Stays")
    assert_validation_error(api.patch(f"/chats/{chat['id']}", json=body, headers=shared))
    assert api.get(f"/chats/{chat['id']}", headers=shared).json() == chat


# --------------------------------------------------------------------------- delete


def test_delete_chat_is_204_and_takes_its_messages(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("zebra-answer-in-deleted-chat"))
    chat = new_chat(api, auth)
    send(api, auth, chat["id"], "unique-question-quokka")
    assert listed(api, auth, q="quokka")["total"] == 1

    response = api.delete(f"/chats/{chat['id']}", headers=auth)
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"/chats/{chat['id']}", headers=auth).status_code == 404
    assert api.get(f"/chats/{chat['id']}/messages", headers=auth).status_code == 404
    assert chat["id"] not in ids(listed(api, auth))
    assert listed(api, auth, q="quokka")["total"] == 0
    assert listed(api, auth, q="zebra-answer")["total"] == 0
    assert api.delete(f"/chats/{chat['id']}", headers=auth).status_code == 404


# --------------------------------------------------------------------------- list


def test_list_is_newest_updated_first_with_total(api: httpx.Client, auth: dict[str, str]) -> None:
    created = [new_chat(api, auth, title=f"chat {i}") for i in range(5)]
    body = listed(api, auth)
    assert body["total"] == 5
    assert ids(body) == [chat["id"] for chat in reversed(created)]
    stamps = [parse_time(chat["updated_at"]) for chat in body["chats"]]
    assert stamps == sorted(stamps, reverse=True)


def test_new_user_has_no_chats(api: httpx.Client, auth: dict[str, str]) -> None:
    body = listed(api, auth)
    assert body["chats"] == []
    assert body["total"] == 0


def test_list_pages_with_limit_and_offset(api: httpx.Client, auth: dict[str, str]) -> None:
    created = [new_chat(api, auth, title=f"p{i}")["id"] for i in range(7)]
    newest_first = list(reversed(created))
    pages = [ids(listed(api, auth, limit=3, offset=offset)) for offset in (0, 3, 6)]
    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:7]]
    assert listed(api, auth, limit=3, offset=3)["total"] == 7
    beyond = listed(api, auth, limit=3, offset=100)
    assert beyond["chats"] == [] and beyond["total"] == 7


def test_list_default_limit_is_50(api: httpx.Client, auth: dict[str, str]) -> None:
    for i in range(52):
        new_chat(api, auth, title=f"many {i}")
    body = listed(api, auth)
    assert len(body["chats"]) == 50
    assert body["total"] == 52


@pytest.mark.parametrize("limit", [1, 200])
def test_list_accepts_limit_bounds(api: httpx.Client, shared: dict[str, str], limit: int) -> None:
    new_chat(api, shared)
    new_chat(api, shared)
    body = listed(api, shared, limit=limit)
    assert len(body["chats"]) == min(limit, body["total"])


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"limit": -1}, {"offset": -1}])
def test_list_rejects_limit_outside_1_to_200(
    api: httpx.Client, shared: dict[str, str], params: dict
) -> None:
    assert_validation_error(api.get("/chats", params=params, headers=shared))


def test_renaming_moves_a_chat_to_the_top(api: httpx.Client, auth: dict[str, str]) -> None:
    first = new_chat(api, auth, title="first")
    second = new_chat(api, auth, title="second")
    assert ids(listed(api, auth)) == [second["id"], first["id"]]
    api.patch(f"/chats/{first['id']}", json={"title": "first, renamed"}, headers=auth)
    assert ids(listed(api, auth)) == [first["id"], second["id"]]


def test_sending_a_message_moves_a_chat_to_the_top(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    first = new_chat(api, auth, title="first")
    second = new_chat(api, auth, title="second")
    send(api, auth, first["id"], "hello")
    body = listed(api, auth)
    assert ids(body) == [first["id"], second["id"]]
    assert parse_time(body["chats"][0]["updated_at"]) > parse_time(first["updated_at"])


def test_an_answer_finishing_moves_updated_at_forward(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Slow "), g.pause(1.5), g.text("answer."), g.finish()])
    talking = new_chat(api, auth, title="talking")
    with open_stream(
        api, auth, f"/chats/{talking['id']}/messages", {"content": "tell me"}
    ) as events:
        read_until(events, "start")
        during = api.get(f"/chats/{talking['id']}", headers=auth).json()
        # another chat is renamed while the answer is still being written
        other = new_chat(api, auth, title="other")
        api.patch(f"/chats/{other['id']}", json={"title": "other, renamed"}, headers=auth)
        assert ids(listed(api, auth))[0] == other["id"]
        done = read_until(events, "done")[-1]
    assert done["message"]["status"] == "complete"
    after = api.get(f"/chats/{talking['id']}", headers=auth).json()
    assert parse_time(after["updated_at"]) > parse_time(during["updated_at"])
    assert ids(listed(api, auth))[0] == talking["id"]


# --------------------------------------------------------------------------- titles


def test_chat_without_title_is_titled_from_its_first_message(
    api: httpx.Client, shared: dict[str, str], gemini: FakeGemini
) -> None:
    chat = new_chat(api, shared)
    send(api, shared, chat["id"], "How do tides work?")
    assert api.get(f"/chats/{chat['id']}", headers=shared).json()["title"] == "How do tides work?"
    send(api, shared, chat["id"], "And on Mars?")
    assert api.get(f"/chats/{chat['id']}", headers=shared).json()["title"] == "How do tides work?"


def test_long_first_message_gives_a_short_title_from_its_start(
    api: httpx.Client, shared: dict[str, str], gemini: FakeGemini
) -> None:
    chat = new_chat(api, shared)
    text = "Please explain in great detail " + "why the sky looks blue at noon " * 20
    send(api, shared, chat["id"], text)
    title = api.get(f"/chats/{chat['id']}", headers=shared).json()["title"]
    assert 0 < len(title) <= 200
    assert title.startswith("Please explain")
    assert text.startswith(title.rstrip("…. ").rstrip())


def test_chat_with_a_title_keeps_it_after_the_first_message(
    api: httpx.Client, shared: dict[str, str], gemini: FakeGemini
) -> None:
    chat = new_chat(api, shared, title="My own title")
    send(api, shared, chat["id"], "Something else entirely")
    assert api.get(f"/chats/{chat['id']}", headers=shared).json()["title"] == "My own title"


def test_chat_renamed_before_its_first_message_keeps_the_new_title(
    api: httpx.Client, shared: dict[str, str], gemini: FakeGemini
) -> None:
    chat = new_chat(api, shared)
    api.patch(f"/chats/{chat['id']}", json={"title": "Renamed early"}, headers=shared)
    send(api, shared, chat["id"], "first message")
    assert api.get(f"/chats/{chat['id']}", headers=shared).json()["title"] == "Renamed early"


# --------------------------------------------------------------------------- search


def test_search_matches_titles_as_case_insensitive_substring(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    hit = new_chat(api, auth, title="Weekend Hiking Plans")
    new_chat(api, auth, title="Groceries")
    for q in ("hiking", "HIKING", "end hik", "Weekend Hiking Plans"):
        body = listed(api, auth, q=q)
        assert ids(body) == [hit["id"]], q
        assert body["total"] == 1


def test_search_matches_user_and_assistant_message_text(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("The Answer mentions PLATYPUS twice: platypus."))
    chat = new_chat(api, auth, title="Untitled topic")
    new_chat(api, auth, title="unrelated")
    send(api, auth, chat["id"], "Tell me about the Echidna")
    for q in ("echidna", "ECHIDNA", "platypus", "Answer mentions"):
        assert ids(listed(api, auth, q=q)) == [chat["id"]], q
    assert listed(api, auth, q="wombat")["total"] == 0


@pytest.mark.parametrize(
    ("title", "queries"),
    [
        ("Привет, мир", ["привет", "ПРИВЕТ", "МИР"]),
        ("Ёлка и ёж", ["ёлка", "ЁЖ"]),
        ("Ελληνικά Αθήνα", ["αθήνα", "ΕΛΛΗΝΙΚΆ"]),
        ("Straße ÄÖÜ", ["äöü", "straße"]),
        ("Über café", ["ÜBER", "CAFÉ"]),
    ],
)
def test_search_is_case_insensitive_for_every_alphabet(
    api: httpx.Client, auth: dict[str, str], title: str, queries: list[str]
) -> None:
    hit = new_chat(api, auth, title=title)
    new_chat(api, auth, title="plain ascii")
    for q in queries:
        assert ids(listed(api, auth, q=q)) == [hit["id"]], q


def test_search_finds_cyrillic_message_text_in_any_case(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("Здравствуйте! Чем могу помочь?"))
    chat = new_chat(api, auth, title="greeting")
    send(api, auth, chat["id"], "Привет, как дела?")
    for q in ("привет", "ПРИВЕТ", "здравствуйте", "ЧЕМ МОГУ"):
        assert ids(listed(api, auth, q=q)) == [chat["id"]], q


def test_search_takes_percent_and_underscore_literally(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    percent = new_chat(api, auth, title="100% sure")
    underscore = new_chat(api, auth, title="snake_case names")
    plain = new_chat(api, auth, title="abc plain 100 sure snakeXcase")
    backslash = new_chat(api, auth, title=r"path C:\temp/a_b")
    assert ids(listed(api, auth, q="%")) == [percent["id"]]
    assert ids(listed(api, auth, q="0%")) == [percent["id"]]
    assert ids(listed(api, auth, q="_")) == [backslash["id"], underscore["id"]]
    assert ids(listed(api, auth, q="e_c")) == [underscore["id"]]
    assert ids(listed(api, auth, q="% sure")) == [percent["id"]]
    assert listed(api, auth, q="%sure")["total"] == 0  # "%" is no wildcard
    assert ids(listed(api, auth, q=r"C:\temp/")) == [backslash["id"]]
    assert ids(listed(api, auth, q="/a_b")) == [backslash["id"]]
    assert plain["id"] in ids(listed(api, auth, q="100"))


def test_search_with_quotes_and_sql_looking_text_is_safe(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    hit = new_chat(api, auth, title='it\'s "quoted"')
    new_chat(api, auth, title="other")
    assert ids(listed(api, auth, q="it's \"quo")) == [hit["id"]]
    assert listed(api, auth, q="' OR 1=1 --")["total"] == 0


def test_search_pages_and_counts_only_matches(api: httpx.Client, auth: dict[str, str]) -> None:
    matches = [new_chat(api, auth, title=f"needle {i}")["id"] for i in range(4)]
    for i in range(3):
        new_chat(api, auth, title=f"haystack {i}")
    body = listed(api, auth, q="needle", limit=2)
    assert body["total"] == 4
    assert ids(body) == matches[::-1][:2]
    assert ids(listed(api, auth, q="needle", limit=2, offset=2)) == matches[::-1][2:]


def test_empty_search_lists_everything(api: httpx.Client, auth: dict[str, str]) -> None:
    new_chat(api, auth, title="a")
    new_chat(api, auth, title="b")
    assert listed(api, auth, q="")["total"] == 2
