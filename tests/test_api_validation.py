"""Bad input over real HTTP: 422 for invalid bodies and parameters, nothing saved, and
never a 500 (API.md "General rules", content 1-32000 chars, unknown model ids)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests import fakegemini as g
from tests.apihelpers import assert_validation_error, messages, new_chat
from tests.conftest import PASSWORD, new_username, register
from tests.fakegemini import FakeGemini

JSON = {"Content-Type": "application/json"}
MAX_CONTENT = 32000
MAX_BODY_BYTES = 256 * 1024  # the server's default MAX_BODY_BYTES


@pytest.fixture(scope="module")
def owner(server: str) -> dict[str, str]:
    """A user for requests that must be refused (nothing of theirs may change)."""
    with httpx.Client(base_url=server + "/api", timeout=30) as client:
        return register(client)


def snapshot(api: httpx.Client, auth: dict[str, str], chat_id: int) -> tuple[dict, list, dict]:
    chat = api.get(f"/chats/{chat_id}", headers=auth).json()
    listing = api.get("/chats", headers=auth).json()
    return chat, messages(api, auth, chat_id), listing


def body_endpoints(chat_id: int) -> list[tuple[str, str]]:
    """Every endpoint that reads a JSON body."""
    return [
        ("POST", "/register"),
        ("POST", "/login"),
        ("PATCH", "/me/settings"),
        ("POST", "/me/password"),
        ("POST", "/chats"),
        ("PATCH", f"/chats/{chat_id}"),
        ("POST", f"/chats/{chat_id}/messages"),
        ("POST", f"/chats/{chat_id}/messages?stream=false"),
        ("POST", f"/chats/{chat_id}/regenerate"),
        ("POST", f"/chats/{chat_id}/branch"),
    ]


def _not_500(response: httpx.Response, label: Any) -> str | None:
    """None when the answer is a proper client error (or success); else a description."""
    if response.status_code >= 500:
        return f"{label}: {response.status_code} {response.text[:120]!r}"
    if response.status_code >= 400:
        try:
            assert "detail" in response.json()
        except Exception:
            return f"{label}: {response.status_code} without a JSON detail: {response.text[:80]!r}"
    return None


# --------------------------------------------------------------------------- content size


def test_content_over_32000_chars_is_422_and_nothing_is_saved(
    api: httpx.Client, owner: dict[str, str], gemini: FakeGemini
) -> None:
    """A message one character too long (in any alphabet) is a 422 validation error, and
    the chat is left exactly as it was; Gemini is never asked."""
    chat = new_chat(api, owner)
    before = snapshot(api, owner, chat["id"])
    for content in ("x" * (MAX_CONTENT + 1), "😀" * (MAX_CONTENT + 1), "x" * 100_000):
        # sent as UTF-8 JSON: every body is under the server's 256 KiB body limit, so the
        # answer is the content rule's 422 (a larger body is 413: see the oversized test)
        body = json.dumps({"content": content}, ensure_ascii=False).encode()
        assert len(body) < MAX_BODY_BYTES
        for params in ({}, {"stream": "false"}):
            response = api.post(
                f"/chats/{chat['id']}/messages",
                params=params,
                content=body,
                headers={**owner, **JSON},
            )
            assert_validation_error(response)
            # what the client reads: the rule in characters (not "items after validation")
            assert response.json()["detail"][0]["msg"] == (
                f"String should have at most {MAX_CONTENT} characters"
            )
    assert snapshot(api, owner, chat["id"]) == before
    assert gemini.requests == []


def test_content_of_exactly_32000_chars_is_accepted_verbatim(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    chat = new_chat(api, auth)
    content = ("ab😀 \n" * (MAX_CONTENT // 5 + 1))[:MAX_CONTENT]
    assert len(content) == MAX_CONTENT
    response = api.post(
        f"/chats/{chat['id']}/messages",
        params={"stream": "false"},
        json={"content": content},
        headers=auth,
    )
    assert response.status_code == 201, response.text[:300]
    assert response.json()["user_message"]["content"] == content
    assert messages(api, auth, chat["id"])[0]["content"] == content


@pytest.mark.parametrize(
    "body",
    [
        {"content": ""},
        {},
        {"content": None},
        {"content": 42},
        {"content": ["hello"]},
        {"content": {"text": "hello"}},
        {"content": True},
        {"content": "nul \x00 inside"},
        {"content": "ok", "model": "gpt-4o"},
        {"content": "ok", "model": 3},
    ],
)
def test_invalid_message_body_is_422_and_nothing_is_saved(
    api: httpx.Client, owner: dict[str, str], gemini: FakeGemini, body: dict
) -> None:
    chat = new_chat(api, owner)
    before = snapshot(api, owner, chat["id"])
    assert_validation_error(api.post(f"/chats/{chat['id']}/messages", json=body, headers=owner))
    assert snapshot(api, owner, chat["id"]) == before
    assert gemini.requests == []


# --------------------------------------------------------------------------- malformed bodies


@pytest.mark.parametrize(
    "raw",
    [b'{"content": ', b"{'content': 'single quotes'}", b"not json", b'{"a":1}}', b"[1, 2"],
)
def test_malformed_json_is_422_everywhere(
    api: httpx.Client, owner: dict[str, str], raw: bytes
) -> None:
    chat = new_chat(api, owner, title="untouched")
    wrong = []
    for method, path in body_endpoints(chat["id"]):
        response = api.request(method, path, content=raw, headers={**owner, **JSON})
        if response.status_code != 422 or "detail" not in response.json():
            wrong.append((method, path, response.status_code, response.text[:120]))
    assert not wrong, wrong
    assert snapshot(api, owner, chat["id"])[0]["title"] == "untouched"
    assert messages(api, owner, chat["id"]) == []


@pytest.mark.parametrize(
    "raw",
    [b"[]", b'"a string"', b"null", b"42", b"true", b'[{"content": "hi"}]'],
)
def test_json_that_is_not_an_object_is_422(
    api: httpx.Client, owner: dict[str, str], raw: bytes
) -> None:
    chat = new_chat(api, owner)
    wrong = []
    for method, path in body_endpoints(chat["id"]):
        if raw == b"null" and path.endswith(("/chats", "/regenerate")):
            continue  # the body is optional there: null means "no body"
        response = api.request(method, path, content=raw, headers={**owner, **JSON})
        if response.status_code != 422:
            wrong.append((method, path, response.status_code, response.text[:120]))
    assert not wrong, wrong
    assert messages(api, owner, chat["id"]) == []


def test_unparseable_bodies_never_answer_500(api: httpx.Client, owner: dict[str, str]) -> None:
    chat = new_chat(api, owner)
    bodies = {
        "deeply nested": b"[" * 100_000 + b"]" * 100_000,
        "deep object": b'{"content":' + b"[" * 5000 + b"]" * 5000 + b"}",
        "invalid utf-8": b'{"content": "\xff\xfe bad"}',
        "huge number": b'{"content": 1' + b"0" * 5000 + b"}",
        "empty": b"",
        "bom": b'\xef\xbb\xbf{"content": "bom"}',
        "form": b"content=hello",
        "utf-16": '{"content": "x"}'.encode("utf-16"),
    }
    failures = []
    for label, raw in bodies.items():
        for method, path in body_endpoints(chat["id"]):
            response = api.request(method, path, content=raw, headers={**owner, **JSON})
            failures.append(_not_500(response, (label, method, path)))
    assert not [f for f in failures if f], [f for f in failures if f]


def test_non_json_content_type_is_a_client_error(api: httpx.Client, owner: dict[str, str]) -> None:
    chat = new_chat(api, owner)
    failures = []
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        for method, path in body_endpoints(chat["id"]):
            response = api.request(
                method,
                path,
                content=b'{"content": "hi", "title": "t"}',
                headers={**owner, "Content-Type": content_type},
            )
            problem = _not_500(response, (content_type, method, path))
            if problem or response.status_code < 400:
                failures.append(problem or (content_type, method, path, response.status_code))
    assert not failures, failures
    assert messages(api, owner, chat["id"]) == []


def test_wrongly_typed_fields_never_answer_500(api: httpx.Client, owner: dict[str, str]) -> None:
    chat = new_chat(api, owner)
    odd_values: list[Any] = [None, 0, -1, 1.5, True, [], {}, ["x"], {"a": 1}, "", "x" * 5000]
    fields = {
        "/register": ("username", "password"),
        "/login": ("username", "password"),
        "/me/settings": ("theme", "default_model", "custom_instructions"),
        "/me/password": ("current_password", "new_password"),
        "/chats": ("title", "model"),
        f"/chats/{chat['id']}": ("title", "model"),
        f"/chats/{chat['id']}/branch": ("message_id",),
    }
    failures = []
    for method, path in body_endpoints(chat["id"]):
        for field in fields.get(path, ()):
            for value in odd_values:
                response = api.request(method, path, json={field: value}, headers=owner)
                failures.append(_not_500(response, (method, path, field, value)))
    for path in (f"/chats/{chat['id']}/messages", f"/chats/{chat['id']}/regenerate"):
        for value in odd_values:
            body = {"content": value, "model": value} if value != "" else {"content": value}
            response = api.post(path, json=body, headers=owner)
            failures.append(_not_500(response, (path, value)))
    for value in odd_values:  # a valid question after an odd parent
        body = {"content": "hi", "parent_id": value}
        response = api.post(f"/chats/{chat['id']}/messages", json=body, headers=owner)
        failures.append(_not_500(response, ("parent_id", value)))
    assert not [f for f in failures if f], [f for f in failures if f]


def test_nan_and_infinity_in_json_are_422_not_500(api: httpx.Client, owner: dict[str, str]) -> None:
    """Python's json accepts NaN/Infinity; the 422 body must still be producible."""
    chat = new_chat(api, owner)
    failures = []
    for literal in (b"NaN", b"Infinity", b"-Infinity"):
        for method, path in body_endpoints(chat["id"]):
            raw = b'{"username": %s, "password": %s, "content": %s, "title": %s, "theme": %s}' % (
                (literal,) * 5
            )
            response = api.request(method, path, content=raw, headers={**owner, **JSON})
            # regenerate has no such fields: they are ignored, and there is nothing to redo
            expected = 409 if path.endswith("/regenerate") else 422
            if response.status_code != expected:
                failures.append((literal, method, path, response.status_code))
    assert not failures, failures


def test_lone_surrogates_in_json_are_422_not_500(api: httpx.Client, owner: dict[str, str]) -> None:
    r"""A JSON string may spell an unpaired surrogate (\ud800) that is no valid Unicode;
    storing, hashing or echoing it must not crash the server."""
    chat = new_chat(api, owner)
    failures = []
    for method, path in body_endpoints(chat["id"]):
        field_sets = [
            b'{"username": "surr_%s", "password": "pass\\ud800word"}' % new_username().encode(),
            b'{"username": "x\\udfff", "password": "whatever password"}',
            b'{"content": "hello \\ud800", "title": "t\\ud800", "theme": "\\ud800",'
            b' "custom_instructions": "\\udc00", "current_password": "\\ud800",'
            b' "new_password": "new\\ud800password"}',
        ]
        for index, raw in enumerate(field_sets):
            response = api.request(method, path, content=raw, headers={**owner, **JSON})
            # Fields an endpoint does not take are ignored; where it takes them, 422.
            relevant = (index == 2 or path in ("/register", "/login")) and not path.endswith(
                "/regenerate"
            )
            if response.status_code >= 500 or (relevant and response.status_code != 422):
                failures.append((method, path, raw[:40], response.status_code))
    assert not failures, failures
    assert messages(api, owner, chat["id"]) == []


# --------------------------------------------------------------------------- NUL characters


def test_nul_characters_are_refused_and_nothing_is_saved(
    api: httpx.Client, owner: dict[str, str]
) -> None:
    chat = new_chat(api, owner, title="clean")
    settings = api.get("/me", headers=owner).json()["settings"]
    assert_validation_error(
        api.post("/register", json={"username": "nul\x00name", "password": PASSWORD})
    )
    assert_validation_error(
        api.post("/register", json={"username": new_username(), "password": "pass\x00word1"})
    )
    assert_validation_error(api.post("/chats", json={"title": "a\x00b"}, headers=owner))
    assert_validation_error(
        api.patch(f"/chats/{chat['id']}", json={"title": "a\x00b"}, headers=owner)
    )
    assert_validation_error(
        api.patch("/me/settings", json={"custom_instructions": "x\x00y"}, headers=owner)
    )
    assert_validation_error(
        api.post(f"/chats/{chat['id']}/messages", json={"content": "\x00"}, headers=owner)
    )
    assert api.get(f"/chats/{chat['id']}", headers=owner).json()["title"] == "clean"
    assert api.get("/me", headers=owner).json()["settings"] == settings
    assert messages(api, owner, chat["id"]) == []


def test_odd_search_strings_never_answer_500(api: httpx.Client, owner: dict[str, str]) -> None:
    failures = []
    for q in ("\x00", "%00", "'", '"', "\\", "%", "_", "%%%%", "😀", "a" * 200, "\u202e", "\t\n"):
        response = api.get("/chats", params={"q": q}, headers=owner)
        if response.status_code != 200:
            failures.append((q, response.status_code))
    for raw_query in ("q=%ED%A0%80", "q=%FF%FE", "q=%C0%80"):
        response = api.get(f"/chats?{raw_query}", headers=owner)
        failures.append(_not_500(response, raw_query))
    too_long = api.get("/chats", params={"q": "a" * 8000}, headers=owner)
    failures.append(_not_500(too_long, "8000-char q"))
    assert not [f for f in failures if f], [f for f in failures if f]


# --------------------------------------------------------------------------- unknown models


def test_unknown_model_id_is_422_everywhere_and_changes_nothing(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    chat = new_chat(api, auth, title="model test", model="BeykusChat")
    send_ok = api.post(
        f"/chats/{chat['id']}/messages",
        params={"stream": "false"},
        json={"content": "first"},
        headers=auth,
    )
    assert send_ok.status_code == 201
    before = snapshot(api, auth, chat["id"])
    settings_before = api.get("/me", headers=auth).json()["settings"]
    requests_before = len(gemini.requests)
    for bad in ("gpt-4o", "beykuschat", "BEYKUSCHAT", "BeykusChat ", "", "gemini-2.5-flash"):
        attempts = [
            api.post("/chats", json={"model": bad}, headers=auth),
            api.patch(f"/chats/{chat['id']}", json={"model": bad}, headers=auth),
            api.post(
                f"/chats/{chat['id']}/messages", json={"content": "hi", "model": bad}, headers=auth
            ),
            api.post(
                f"/chats/{chat['id']}/messages",
                params={"stream": "false"},
                json={"content": "hi", "model": bad},
                headers=auth,
            ),
            api.post(f"/chats/{chat['id']}/regenerate", json={"model": bad}, headers=auth),
            api.patch("/me/settings", json={"default_model": bad}, headers=auth),
        ]
        for response in attempts:
            assert_validation_error(response)
    assert snapshot(api, auth, chat["id"])[:2] == before[:2]
    assert api.get("/chats", headers=auth).json()["total"] == 1
    assert api.get("/me", headers=auth).json()["settings"] == settings_before
    assert len(gemini.requests) == requests_before


# --------------------------------------------------------------------------- ids and paging


def test_limit_and_paging_parameters_are_validated(
    api: httpx.Client, owner: dict[str, str]
) -> None:
    chat = new_chat(api, owner)
    for params in (
        {"limit": 0},
        {"limit": 201},
        {"limit": -5},
        {"limit": "abc"},
        {"limit": 1.5},
        {"limit": 10**30},
        {"offset": -1},
        {"offset": "x"},
        {"offset": 10**30},
    ):
        assert_validation_error(api.get("/chats", params=params, headers=owner))
    for params in (
        {"limit": 0},
        {"limit": -1},
        {"limit": "ten"},
        {"before": 0},
        {"before": -3},
        {"before": "x"},
        {"limit": 10**30},
        {"before": 10**30},
    ):
        assert_validation_error(
            api.get(f"/chats/{chat['id']}/messages", params=params, headers=owner)
        )
    assert_validation_error(
        api.post(
            f"/chats/{chat['id']}/messages",
            params={"stream": "maybe"},
            json={"content": "x"},
            headers=owner,
        )
    )
    assert messages(api, owner, chat["id"]) == []
    assert (
        api.get(f"/chats/{chat['id']}/messages", params={"limit": 1}, headers=owner).status_code
        == 200
    )


CHAT_PATHS = [
    ("GET", "/chats/{id}"),
    ("PATCH", "/chats/{id}"),
    ("DELETE", "/chats/{id}"),
    ("GET", "/chats/{id}/messages"),
    ("POST", "/chats/{id}/messages"),
    ("GET", "/chats/{id}/stream"),
    ("POST", "/chats/{id}/stop"),
    ("POST", "/chats/{id}/regenerate"),
    ("POST", "/chats/{id}/branch"),
]


def test_odd_chat_ids_are_422_and_missing_ones_404_never_500(
    api: httpx.Client, owner: dict[str, str]
) -> None:
    """An id that is not a positive 32-bit integer (0, -1, 2**31, "abc", "1.5", Arabic
    digits...) is a 422 on every chat endpoint; a well-formed id that does not exist, 404."""
    odd_ids = [
        "0",
        "-1",
        str(2**31),
        str(2**63),
        str(2**64 + 1),
        "1" + "0" * 40,
        "abc",
        "1.5",
        "1e3",
        "0x10",
        "%20",
        "١٢",
        "null",
    ]
    wrong = []
    for chat_id in odd_ids:
        for method, template in CHAT_PATHS:
            response = api.request(
                method, template.format(id=chat_id), json={"content": "x"}, headers=owner
            )
            # not a 32-bit id at all: a validation error, never a lookup
            if response.status_code != 422 or "detail" not in response.json():
                wrong.append((method, template, chat_id, response.status_code))
    for method, template in CHAT_PATHS:  # ids that could exist but do not: plainly 404
        for chat_id in ("2147483647", "2147483000"):
            response = api.request(
                method, template.format(id=chat_id), json={"content": "x"}, headers=owner
            )
            if response.status_code != 404:
                wrong.append((method, template, chat_id, response.status_code))
    assert not wrong, wrong


def test_oversized_request_body_is_413_and_changes_nothing(
    api: httpx.Client, owner: dict[str, str]
) -> None:
    """A 2 MB body to any endpoint that reads one is refused with 413 and a detail naming
    the limit, before anything reads it; the chat keeps its title."""
    chat = new_chat(api, owner, title="big")
    huge = "y" * 2_000_000
    too_large = {"detail": f"Request body too large (limit {MAX_BODY_BYTES} bytes)"}
    failures = []
    for method, path in body_endpoints(chat["id"]):
        response = api.request(
            method, path, json={"content": huge, "title": huge, "username": huge}, headers=owner
        )
        if response.status_code != 413:  # over the body limit: refused before validation
            failures.append((method, path, response.status_code))
        elif response.json() != too_large:
            failures.append((method, path, response.text[:120]))
    assert not failures, failures
    assert api.get(f"/chats/{chat['id']}", headers=owner).json()["title"] == "big"


def test_regenerate_body_is_validated_and_optional(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("one"), g.reply("two"))
    chat = new_chat(api, auth)
    api.post(
        f"/chats/{chat['id']}/messages",
        params={"stream": "false"},
        json={"content": "q"},
        headers=auth,
    )
    for body in ({"model": 5}, {"model": "nope"}, [], "x"):
        assert_validation_error(
            api.post(f"/chats/{chat['id']}/regenerate", json=body, headers=auth)
        )
    ok = api.post(f"/chats/{chat['id']}/regenerate", params={"stream": "false"}, headers=auth)
    assert ok.status_code == 201, ok.text
    assert ok.json()["assistant_message"]["content"] == "two"
