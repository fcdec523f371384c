"""Bearer tokens over real HTTP: every protected endpoint refuses bad tokens with
401 + ``WWW-Authenticate: Bearer``; changing the password retires older tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from beykusay.config import Settings
from tests.apihelpers import (
    assert_error_body,
    b64url,
    bearer,
    jwt_parts,
    make_user,
    new_chat,
)
from tests.conftest import PASSWORD, register

# Every endpoint that needs a token ({chat} is filled with a real chat id).
PROTECTED: list[tuple[str, str, dict | None]] = [
    ("GET", "/me", None),
    ("PATCH", "/me/settings", {"theme": "dark"}),
    ("POST", "/me/password", {"current_password": PASSWORD, "new_password": "new password 1"}),
    ("GET", "/chats", None),
    ("POST", "/chats", {"title": "t"}),
    ("GET", "/chats/{chat}", None),
    ("PATCH", "/chats/{chat}", {"title": "renamed"}),
    ("DELETE", "/chats/{chat}", None),
    ("GET", "/chats/{chat}/messages", None),
    ("POST", "/chats/{chat}/messages", {"content": "hello"}),
    ("GET", "/chats/{chat}/stream", None),
    ("POST", "/chats/{chat}/stop", None),
    ("POST", "/chats/{chat}/regenerate", {}),
]


def sign(claims: dict, key: str, header: dict | None = None) -> str:
    """An HS256 JWT made by hand (so the test does not trust the library it checks)."""
    head = b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    mac = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(mac)}"


@pytest.fixture(scope="module")
def owner(server: str) -> dict[str, str]:
    """A user whose chat the bad-token requests aim at (a fresh user costs two argon2 runs)."""
    with httpx.Client(base_url=server + "/api", timeout=30) as client:
        return register(client)


@pytest.fixture(scope="module")
def signing_key(
    server: str, owner: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The session server's token key: it runs without a SECRET_KEY, keeps a random one in
    its data folder and derives the token key from it; find the one that verifies a token
    it issued."""
    token = owner["Authorization"].split(" ", 1)[1]
    head, _, signature = token.rpartition(".")
    for path in Path(tmp_path_factory.getbasetemp()).rglob("secret_key"):
        key = Settings(secret_key=path.read_text().strip()).token_signing_key()
        mac = b64url(hmac.new(key.encode(), head.encode(), hashlib.sha256).digest())
        if hmac.compare_digest(mac, signature):
            return key
    raise AssertionError("could not find the session server's signing key")


def _claims_of(auth: dict[str, str]) -> dict:
    return jwt_parts(auth["Authorization"].split(" ", 1)[1])[1]


def _assert_all_unauthorized(api: httpx.Client, chat_id: int, headers: dict[str, str]) -> None:
    failures = []
    for method, path, body in PROTECTED:
        url = path.format(chat=chat_id)
        response = api.request(method, url, json=body, headers=headers)
        challenge = response.headers.get("www-authenticate", "")
        if response.status_code != 401 or not challenge.lower().startswith("bearer"):
            failures.append((method, url, response.status_code, challenge, response.text[:200]))
            continue
        assert_error_body(response)
    assert not failures, failures


BAD_HEADERS: dict[str, Callable[[str], dict[str, str]]] = {
    "missing": lambda token: {},
    "empty_bearer": lambda token: {"Authorization": "Bearer"},
    "basic_scheme": lambda token: {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="},
    "no_scheme": lambda token: {"Authorization": token},
    "garbage": lambda token: {"Authorization": "Bearer not-a-jwt"},
    "three_garbage_parts": lambda token: {"Authorization": "Bearer aaa.bbb.ccc"},
    "truncated": lambda token: {"Authorization": f"Bearer {token[:-10]}"},
    "signature_flipped": lambda token: bearer(
        token[:-20] + ("A" if token[-20] != "A" else "B") + token[-19:]
    ),
    "signature_dropped": lambda token: bearer(token.rsplit(".", 1)[0] + "."),
    "token_twice": lambda token: {"Authorization": f"Bearer {token} {token}"},
}


@pytest.mark.parametrize("kind", list(BAD_HEADERS))
def test_bad_authorization_header_is_401_with_bearer_challenge_everywhere(
    api: httpx.Client, owner: dict[str, str], kind: str
) -> None:
    chat = new_chat(api, owner, title="target")
    token = owner["Authorization"].split(" ", 1)[1]
    _assert_all_unauthorized(api, chat["id"], BAD_HEADERS[kind](token))
    # nothing was changed by the refused requests
    assert api.get(f"/chats/{chat['id']}", headers=owner).json()["title"] == "target"
    assert api.get(f"/chats/{chat['id']}/messages", headers=owner).json()["messages"] == []


def test_tampered_payload_with_original_signature_is_401(
    api: httpx.Client, owner: dict[str, str]
) -> None:
    _, other = make_user(api)
    victim_id = api.get("/me", headers=other).json()["id"]
    token = owner["Authorization"].split(" ", 1)[1]
    head, _, signature = token.split(".")
    claims = {**_claims_of(owner), "sub": str(victim_id)}
    forged = f"{head}.{b64url(json.dumps(claims).encode())}.{signature}"
    chat = new_chat(api, other, title="victim's")
    _assert_all_unauthorized(api, chat["id"], bearer(forged))
    assert api.get(f"/chats/{chat['id']}", headers=other).status_code == 200


def test_token_signed_with_another_key_is_401(api: httpx.Client, owner: dict[str, str]) -> None:
    chat = new_chat(api, owner)
    forged = sign(_claims_of(owner), "some other secret key that is long enough!!")
    _assert_all_unauthorized(api, chat["id"], bearer(forged))


def test_alg_none_token_is_401(api: httpx.Client, owner: dict[str, str]) -> None:
    chat = new_chat(api, owner)
    claims = _claims_of(owner)
    for alg in ("none", "None", "NONE"):
        head = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
        body = b64url(json.dumps(claims).encode())
        _assert_all_unauthorized(api, chat["id"], bearer(f"{head}.{body}."))


def test_well_signed_token_is_accepted_so_the_forgery_tests_mean_something(
    api: httpx.Client, owner: dict[str, str], signing_key: str
) -> None:
    token = sign(_claims_of(owner), signing_key)
    response = api.get("/me", headers=bearer(token))
    assert response.status_code == 200, response.text


def test_expired_token_is_401(api: httpx.Client, owner: dict[str, str], signing_key: str) -> None:
    chat = new_chat(api, owner)
    now = int(time.time())
    claims = {**_claims_of(owner), "iat": now - 7200, "exp": now - 3600}
    _assert_all_unauthorized(api, chat["id"], bearer(sign(claims, signing_key)))


def test_token_just_expired_is_401(
    api: httpx.Client, owner: dict[str, str], signing_key: str
) -> None:
    now = int(time.time())
    claims = {**_claims_of(owner), "iat": now - 120, "exp": now - 60}
    response = api.get("/me", headers=bearer(sign(claims, signing_key)))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].lower().startswith("bearer")


@pytest.mark.parametrize(
    "change",
    [
        {"exp": None},  # no expiry at all
        {"sub": None},  # nobody
        {"sub": "2147483000"},  # a user that does not exist
        {"sub": "not-a-number"},
        {"ver": 99},  # an older/newer token generation
    ],
)
def test_well_signed_token_with_bad_claims_is_401(
    api: httpx.Client, owner: dict[str, str], signing_key: str, change: dict
) -> None:
    claims = _claims_of(owner)
    for key, value in change.items():
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    response = api.get("/me", headers=bearer(sign(claims, signing_key)))
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].lower().startswith("bearer")


def test_public_endpoints_need_no_token(api: httpx.Client) -> None:
    assert api.get("/models").status_code == 200
    assert api.get("/health").status_code == 200
    # register and login answer on their own merits, not with 401 for a missing token
    assert api.post("/register", json={}).status_code == 422
    assert api.post("/login", json={}).status_code == 422


# --------------------------------------------------------------------------- password change


def test_password_change_invalidates_tokens_issued_before(api: httpx.Client) -> None:
    username, auth = make_user(api)
    second_login = api.post("/login", json={"username": username, "password": PASSWORD})
    other_session = bearer(second_login.json()["access_token"])
    chat = new_chat(api, auth, title="kept")

    new_password = "a brand new password"
    response = api.post(
        "/me/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=auth,
    )
    assert response.status_code == 204, response.text

    for old in (auth, other_session):
        refused = api.get("/me", headers=old)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].lower().startswith("bearer")
        assert api.get(f"/chats/{chat['id']}", headers=old).status_code == 401

    assert api.post("/login", json={"username": username, "password": PASSWORD}).status_code == 401
    login = api.post("/login", json={"username": username, "password": new_password})
    assert login.status_code == 200
    fresh = bearer(login.json()["access_token"])
    assert api.get("/me", headers=fresh).json()["username"] == username
    assert api.get(f"/chats/{chat['id']}", headers=fresh).json()["title"] == "kept"


def test_password_change_with_wrong_current_password_changes_nothing(api: httpx.Client) -> None:
    """A wrong current password is told apart from a bad token: 400 with the documented
    message; the user stays logged in and the old password still works."""
    username, auth = make_user(api)
    response = api.post(
        "/me/password",
        json={"current_password": "not my password", "new_password": "whatever password"},
        headers=auth,
    )
    assert response.status_code == 400, response.text  # the route documents 400, not 401/403
    assert assert_error_body(response) == "The current password is wrong"
    assert "www-authenticate" not in response.headers  # the token itself was fine
    assert api.get("/me", headers=auth).status_code == 200
    assert api.post("/login", json={"username": username, "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize("new_password", ["short", "x" * 129])
def test_password_change_to_invalid_password_is_422_and_changes_nothing(
    api: httpx.Client, new_password: str
) -> None:
    username, auth = make_user(api)
    response = api.post(
        "/me/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=auth,
    )
    assert response.status_code == 422
    assert api.get("/me", headers=auth).status_code == 200
    assert api.post("/login", json={"username": username, "password": PASSWORD}).status_code == 200
