"""Imports over real HTTP: ChatGPT's data export (conversations.json or its .zip) and
BeykuSay's own JSON become chats with their branches, titles and times; anything
malformed imports nothing and says where; big files meet their own limit."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from typing import Any

import httpx
import pytest

from tests import chatgpt_export as cg
from tests.apihelpers import UserPool, assert_error_body, messages

POOL_SIZE = 4  # users these tests take turns with (tests/conftest.py)


def upload(
    api: httpx.Client, auth: dict[str, str], data: bytes, name: str = "conversations.json"
) -> httpx.Response:
    return api.post("/import", files={"file": (name, data)}, headers=auth)


def imported(api: httpx.Client, auth: dict[str, str], data: bytes, name: str = "x.json") -> dict:
    response = upload(api, auth, data, name)
    assert response.status_code == 201, response.text
    return response.json()


def chat_count(api: httpx.Client, auth: dict[str, str]) -> int:
    return api.get("/chats", headers=auth).json()["total"]


def by_title(api: httpx.Client, auth: dict[str, str], ids: list[int]) -> dict[str, dict]:
    return {c["title"]: c for c in (api.get(f"/chats/{i}", headers=auth).json() for i in ids)}


def all_versions(api: httpx.Client, auth: dict[str, str], chat: int) -> list[dict[str, Any]]:
    """Every message of the chat, through its JSON export."""
    response = api.get(f"/chats/{chat}/export", params={"format": "json"}, headers=auth)
    return response.json()["chats"][0]["messages"]


@pytest.mark.parametrize("packaging", ["json", "zip"])
def test_a_chatgpt_export_arrives_with_branches_titles_and_times(
    api: httpx.Client, user: dict[str, str], packaging: str
) -> None:
    """conversations.json, or the .zip as ChatGPT mails it, imports both real
    conversations and skips the empty one with a reason."""
    data = cg.as_json(cg.sample()) if packaging == "json" else cg.as_zip(cg.sample())
    body = imported(api, user, data, f"export.{packaging}")
    assert body["imported"] == 2 and len(body["chats"]) == 2
    assert body["skipped"] == [{"title": "Nothing here", "reason": "no messages to import"}]
    chats = by_title(api, user, body["chats"])
    assert set(chats) == {"Рецепт борща 🍲", "Weather in Kazan ☀️"}
    borscht = chats["Рецепт борща 🍲"]
    assert borscht["created_at"].startswith("2024-05-29T16:26:40")
    assert borscht["updated_at"].startswith("2024-05-29T16:36:40")


def test_chatgpt_branches_become_versions_and_current_node_the_path(
    api: httpx.Client, user: dict[str, str]
) -> None:
    """The regenerated answer is a second version (the current one, as in ChatGPT);
    the photo becomes a note; thoughts, the code call and its output become one
    answer with the thoughts as thinking; the hidden system text is gone."""
    body = imported(api, user, cg.as_json([cg.borscht()]))
    (chat,) = body["chats"]
    path = messages(api, user, chat)
    assert [(m["role"], m["content"]) for m in path] == [
        ("user", "Как сварить борщ? 🍲"),
        ("assistant", "Начните с бульона."),
        ("user", "[image not imported]\nЧто на фото?"),
        ("assistant", "На фото свёкла. ✅"),
    ]
    assert path[3]["thinking"] == "Смотрю на фото\nНа снимке тёмно-красный корнеплод."
    assert len(path[1]["sibling_ids"]) == 2
    assert path[0]["created_at"].startswith("2024-05-29T16:26:41")
    everything = all_versions(api, user, chat)
    contents = " ".join(m["content"] for m in everything)
    for dropped in ("analyze(image)", "beet: 0.97", "Я повар"):
        assert dropped not in contents
    assert len(everything) == 5
    switched = api.post(
        f"/chats/{chat}/branch", json={"message_id": path[1]["sibling_ids"][0]}, headers=user
    )
    assert switched.status_code == 200
    assert [m["content"] for m in switched.json()["messages"]][-1] == "Сначала свёкла."


def test_an_older_current_node_and_browsing_are_respected(
    api: httpx.Client, user: dict[str, str]
) -> None:
    """An edited question keeps both versions, the path follows current_node (the
    older one), and the browsing call and its quote are dropped."""
    (chat,) = imported(api, user, cg.as_json([cg.weather()]))["chats"]
    path = messages(api, user, chat)
    assert [m["content"] for m in path] == ["Weather in Kazan?", "Sunny, 19 °C ☀️"]
    assert len(path[0]["sibling_ids"]) == 2
    assert "search(" not in json.dumps(all_versions(api, user, chat))


def test_our_own_export_imports_again_one_chat_or_all(api: httpx.Client, pool: UserPool) -> None:
    """A JSON export from one BeykuSay account imports into another with the same
    branches and path; "Export all" imports as a whole too."""
    source, target = pool.next(), pool.next()
    first = imported(api, source, cg.as_json([cg.borscht()]))["chats"][0]
    one = api.get(f"/chats/{first}/export", params={"format": "json"}, headers=source).content
    (copy_id,) = imported(api, target, one)["chats"]
    original = [(m["role"], m["content"], m["thinking"]) for m in messages(api, source, first)]
    assert [(m["role"], m["content"], m["thinking"]) for m in messages(api, target, copy_id)] == (
        original
    )
    assert len(all_versions(api, target, copy_id)) == len(all_versions(api, source, first))
    everything = api.get("/me/export", headers=source).content
    again = imported(api, target, everything)
    assert again["imported"] == chat_count(api, source)


def malformed_cases() -> list[tuple[str, bytes, str]]:
    bad_role = cg.sample()
    bad_role[1]["mapping"]["q1"]["message"]["author"]["role"] = 7
    bad_parent = cg.sample()
    bad_parent[0]["mapping"]["u2"]["parent"] = "nowhere"
    no_mapping = cg.sample()
    del no_mapping[1]["mapping"]
    truncated = cg.as_json(cg.sample())[:-40]
    ours = {"format": "beykusay", "version": 1}
    bad_time = {**ours, "chats": [{"title": "T", "created_at": "x", "messages": []}]}
    weather, borscht = 'Conversation 2 "Weather in Kazan ☀️": ', 'Conversation 1 "Рецепт борща 🍲": '
    return [
        ("role", cg.as_json(bad_role), weather + 'mapping["q1"].message.author.role'),
        ("parent", cg.as_json(bad_parent), borscht + 'mapping["u2"].parent'),
        ("mapping", cg.as_json(no_mapping), weather + "mapping must be"),
        ("truncated", truncated, "not valid JSON"),
        ("neither", json.dumps({"hello": "world"}).encode(), "neither a BeykuSay export"),
        ("text", "просто текст".encode(), "neither a BeykuSay export"),
        ("zip", _zip({"notes.txt": b"hi"}), "no conversations.json"),
        ("version", json.dumps({**ours, "version": 99, "chats": []}).encode(), '"version" 99'),
        ("our field", json.dumps(bad_time).encode(), 'Chat 1 "T": field "created_at"'),
    ]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("case", malformed_cases(), ids=lambda case: case[0])
def test_a_malformed_file_imports_nothing_and_says_where(
    api: httpx.Client, user: dict[str, str], case: tuple[str, bytes, str]
) -> None:
    """The user learns which conversation and which field is wrong; not one chat of
    the file appears, even those before the broken one."""
    _, data, expected = case
    before = chat_count(api, user)
    response = upload(api, user, data)
    assert response.status_code == 422, response.text
    assert expected in assert_error_body(response)
    assert chat_count(api, user) == before


def test_import_needs_a_file_and_a_login(api: httpx.Client, user: dict[str, str]) -> None:
    """No file part is a validation error; without a token, 401."""
    assert api.post("/import", headers=user).status_code == 422
    assert upload(api, {}, cg.as_json(cg.sample())).status_code == 401


def test_an_empty_list_imports_nothing_without_error(
    api: httpx.Client, user: dict[str, str]
) -> None:
    """An export with no conversations is fine: zero imported, nothing skipped."""
    assert imported(api, user, b"[]") == {"imported": 0, "chats": [], "skipped": []}


def test_text_that_no_database_holds_is_mended(api: httpx.Client, user: dict[str, str]) -> None:
    """A NUL or a lone surrogate in an old export becomes U+FFFD instead of failing."""
    conversation = copy.deepcopy(cg.weather())
    conversation["mapping"]["q1"]["message"]["content"]["parts"] = ["a\u0000b \ud83d c"]
    data = json.dumps([conversation]).encode()  # ASCII JSON with \u escapes
    (chat,) = imported(api, user, data)["chats"]
    content = messages(api, user, chat)[0]["content"]
    # the parser itself may already have replaced the lone surrogate (with "?")
    assert content.startswith("a\ufffdb ") and content.endswith(" c") and len(content) == 7
