"""Accounts over real HTTP: register, log in, who am I, settings (API.md "Accounts")."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.apihelpers import (
    INVALID_CREDENTIALS,
    MODEL_IDS,
    assert_error_body,
    assert_validation_error,
    from_address,
    jwt_parts,
    make_user,
    parse_time,
)
from tests.conftest import PASSWORD, new_username, register


def _register(api: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    return api.post("/register", json={"username": username, "password": password})


def _register_short_name(api: httpx.Client, length: int) -> tuple[str, httpx.Response]:
    """Register a name of exactly ``length`` characters (retrying on the rare clash)."""
    for _ in range(50):
        name = ("u" + uuid.uuid4().hex)[:length]
        response = _register(api, name)
        if response.status_code != 409:
            return name, response
    raise AssertionError("no free short username found")


@pytest.fixture(scope="module")
def shared_user(server: str) -> dict[str, str]:
    """One user for tests that must leave it unchanged (a fresh one costs two argon2 runs)."""
    with httpx.Client(base_url=server + "/api", timeout=30) as client:
        return register(client)


# --------------------------------------------------------------------------- register


def test_register_answers_201_with_id_username_and_created_at(api: httpx.Client) -> None:
    username = new_username("Reg.User-")
    response = _register(api, username)
    assert response.status_code == 201, response.text
    body = response.json()
    assert {"id", "username", "created_at"} <= set(body)
    assert type(body["id"]) is int
    assert body["username"] == username
    parse_time(body["created_at"])
    assert not {"password", "password_hash", "token_version"} & set(body)


def test_register_taken_name_is_409_also_in_another_case(api: httpx.Client) -> None:
    username = new_username("Taken")
    assert _register(api, username).status_code == 201
    for again in (username, username.lower(), username.upper()):
        response = _register(api, again, "another password")
        assert response.status_code == 409, (again, response.text)
        assert_error_body(response)
    # the original owner keeps the account: the second password was not stored
    login = api.post("/login", json={"username": username, "password": "another password"})
    assert login.status_code == 401


def test_concurrent_registrations_of_one_name_give_one_201_and_409s(server: str) -> None:
    username = new_username("Race")
    spellings = [username, username.lower(), username.upper(), username, username.swapcase()]

    def attempt(name: str) -> int:
        with httpx.Client(base_url=server + "/api", timeout=30) as client:
            return _register(client, name).status_code

    with ThreadPoolExecutor(len(spellings)) as pool:
        statuses = sorted(pool.map(attempt, spellings))
    assert statuses == [201] + [409] * (len(spellings) - 1), statuses


@pytest.mark.parametrize("length", [3, 32])
def test_register_accepts_username_length_bounds(api: httpx.Client, length: int) -> None:
    name, response = _register_short_name(api, length)
    assert response.status_code == 201, (name, response.text)
    assert response.json()["username"] == name


def test_register_accepts_every_allowed_username_character(api: httpx.Client) -> None:
    name = f"Az09_.-{uuid.uuid4().hex[:8]}"
    assert _register(api, name).status_code == 201


@pytest.mark.parametrize(
    "username",
    [
        "ab",
        "x" * 33,
        "",
        "with space",
        "bad!name",
        "имя_юзера",
        "emoji😀x",
        "tab\tname",
        "semi;colon",
        "slash/name",
        "at@name",
        " padded ",
        "trailing_newline\n",
        "\nleading_newline",
        "ｆｕｌｌｗｉｄｔｈ",
        "١٢٣٤",
    ],
)
def test_register_rejects_invalid_username_with_422(api: httpx.Client, username: str) -> None:
    assert_validation_error(_register(api, username))


@pytest.mark.parametrize("password", ["", "short12", "x" * 129])
def test_register_rejects_password_outside_8_to_128_chars(api: httpx.Client, password: str) -> None:
    username = new_username()
    assert_validation_error(_register(api, username, password))
    # nothing was created: the name is still free
    assert _register(api, username).status_code == 201


@pytest.mark.parametrize("password", ["12345678", "p" * 128, "пароль пароль", "😀" * 8])
def test_register_accepts_password_length_bounds_and_unicode(
    api: httpx.Client, password: str
) -> None:
    username = new_username()
    assert _register(api, username, password).status_code == 201
    login = api.post("/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "someone_ok"},
        {"password": PASSWORD},
        {"username": 123456, "password": PASSWORD},
        {"username": "someone_ok", "password": 12345678},
        {"username": None, "password": PASSWORD},
        {"username": ["a", "b", "c"], "password": PASSWORD},
    ],
)
def test_register_rejects_missing_or_wrongly_typed_fields(api: httpx.Client, body: dict) -> None:
    assert_validation_error(api.post("/register", json=body))


# --------------------------------------------------------------------------- login


def test_login_returns_bearer_token_with_expiry_in_seconds(api: httpx.Client) -> None:
    username = new_username()
    assert _register(api, username).status_code == 201
    response = api.post("/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert body["token_type"] == "bearer"
    assert type(body["expires_in"]) is int and body["expires_in"] > 0
    _, claims, _ = jwt_parts(body["access_token"])
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    me = api.get("/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == username


def test_login_with_wrong_password_is_401_with_the_fixed_message(api: httpx.Client) -> None:
    username = new_username()
    assert _register(api, username).status_code == 201
    response = api.post(
        "/login",
        json={"username": username, "password": PASSWORD + "x"},
        headers=from_address(),
    )
    assert response.status_code == 401
    assert response.json() == INVALID_CREDENTIALS


# --------------------------------------------------------------------------- me and settings


def test_me_returns_identity_and_default_settings(api: httpx.Client) -> None:
    """A new account's /me shows who it is and the defaults: auto theme, BeykusChat, no
    custom instructions, and never a password or its hash."""
    username, auth = make_user(api)
    response = api.get("/me", headers=auth)
    assert response.status_code == 200
    me = response.json()
    assert {"id", "username", "created_at", "settings"} <= set(me)
    assert type(me["id"]) is int
    assert me["username"] == username
    parse_time(me["created_at"])
    settings = me["settings"]
    assert {"theme", "default_model", "custom_instructions"} <= set(settings)
    assert settings["theme"] == "auto"  # a new account follows the system's theme
    assert settings["default_model"] == "BeykusChat"
    assert settings["custom_instructions"] == ""
    assert not {"password", "password_hash"} & set(me)


def test_me_id_matches_the_registered_account(api: httpx.Client) -> None:
    username = new_username()
    registered = _register(api, username).json()
    token = api.post("/login", json={"username": username, "password": PASSWORD}).json()
    me = api.get("/me", headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert me["id"] == registered["id"]
    assert me["created_at"] == registered["created_at"]


SETTING_UPDATES = [
    {"theme": "dark"},
    {"theme": "light"},
    {"theme": "auto"},
    {"default_model": "BeykusSmallR"},
    {"default_model": "BeykusSmall"},
    {"custom_instructions": "Always answer in haiku.\nSecond line: ünïcödé ✓"},
    {"theme": "dark", "default_model": "BeykusSmall", "custom_instructions": "Be brief."},
    {"custom_instructions": ""},
]


def test_patch_settings_changes_only_the_given_subset(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    for update in SETTING_UPDATES:
        before = api.get("/me", headers=auth).json()["settings"]
        response = api.patch("/me/settings", json=update, headers=auth)
        assert response.status_code == 200, (update, response.text)
        expected = {**before, **update}
        assert {k: response.json()[k] for k in expected} == expected, update
        after = api.get("/me", headers=auth).json()["settings"]
        assert {k: after[k] for k in expected} == expected, update


def test_patch_settings_with_empty_body_changes_nothing(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    api.patch("/me/settings", json={"theme": "dark"}, headers=auth)
    before = api.get("/me", headers=auth).json()["settings"]
    response = api.patch("/me/settings", json={}, headers=auth)
    assert response.status_code == 200
    assert response.json() == before
    assert api.get("/me", headers=auth).json()["settings"] == before


@pytest.mark.parametrize(
    "update",
    [
        {"theme": "blue"},
        {"theme": "DARK"},
        {"theme": 1},
        {"default_model": "gpt-4o"},
        {"default_model": "beykuschat"},
        {"default_model": ""},
        {"custom_instructions": 42},
        {"custom_instructions": ["a"]},
    ],
)
def test_patch_settings_rejects_invalid_values_and_keeps_old_ones(
    api: httpx.Client, shared_user: dict[str, str], update: dict
) -> None:
    auth = shared_user
    before = api.get("/me", headers=auth).json()["settings"]
    assert_validation_error(api.patch("/me/settings", json=update, headers=auth))
    assert api.get("/me", headers=auth).json()["settings"] == before


def test_settings_belong_to_one_user(api: httpx.Client) -> None:
    _, alice = make_user(api)
    _, bob = make_user(api)
    api.patch(
        "/me/settings",
        json={"theme": "dark", "default_model": "BeykusSmall", "custom_instructions": "A only"},
        headers=alice,
    )
    bob_settings = api.get("/me", headers=bob).json()["settings"]
    assert bob_settings["custom_instructions"] == ""
    assert bob_settings["default_model"] == "BeykusChat"


def test_every_model_id_is_a_valid_default_model(api: httpx.Client, auth: dict[str, str]) -> None:
    for model in MODEL_IDS:
        response = api.patch("/me/settings", json={"default_model": model}, headers=auth)
        assert response.status_code == 200
        assert response.json()["default_model"] == model
