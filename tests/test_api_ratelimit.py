"""Login: 429 with Retry-After after too many failures per username and per client
address, case-insensitive names, and no user enumeration by message.

Retry-After against a clock the test moves is in tests/test_ratelimit.py and
tests/test_login.py, which also shows that an unknown name costs the same argon2id work
as a wrong password; `make bench` (tests/bench/login_timing.py) measures the times.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.apihelpers import INVALID_CREDENTIALS, assert_error_body, from_address, unique_address
from tests.conftest import PASSWORD, new_username
from tests.serverproc import ServerProcess

MAX_FAILURES = 3
WINDOW_SECONDS = 300


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server of our own that allows only three failed logins (no Gemini needed).

    Client addresses come from X-Forwarded-For, which the server is told to trust from
    127.0.0.1 (as behind a local reverse proxy); each test uses addresses of its own.
    """
    process = ServerProcess(
        tmp_path_factory.mktemp("ratelimit"),
        {
            "LOGIN_MAX_FAILURES": str(MAX_FAILURES),
            "LOGIN_WINDOW_SECONDS": str(WINDOW_SECONDS),
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
        },
    ).start()
    with httpx.Client(base_url=process.url + "/api", timeout=30) as client:
        yield client
    process.stop()


def _registered(api: httpx.Client, prefix: str = "rl") -> str:
    username = new_username(prefix)
    assert (
        api.post("/register", json={"username": username, "password": PASSWORD}).status_code == 201
    )
    return username


def _login(
    api: httpx.Client, username: str, password: str, address: str | None = None
) -> httpx.Response:
    return api.post(
        "/login", json={"username": username, "password": password}, headers=from_address(address)
    )


def _assert_too_many(response: httpx.Response) -> int:
    assert response.status_code == 429, (response.status_code, response.text)
    retry_after = response.headers.get("retry-after")
    assert retry_after is not None and retry_after.isdigit(), response.headers
    assert 0 < int(retry_after) <= WINDOW_SECONDS
    assert_error_body(response)
    return int(retry_after)


# --------------------------------------------------------------------------- per username


def test_too_many_failures_for_one_username_gives_429_with_retry_after(
    limited: httpx.Client,
) -> None:
    victim = _registered(limited)
    for _ in range(MAX_FAILURES):
        assert _login(limited, victim, "wrong password!").status_code == 401
    # from yet another address, and even with the right password: locked for now
    _assert_too_many(_login(limited, victim, PASSWORD))
    _assert_too_many(_login(limited, victim.upper(), PASSWORD))  # the name, in any case
    # other users are not affected
    bystander = _registered(limited)
    assert _login(limited, bystander, PASSWORD).status_code == 200


def test_failures_below_the_limit_still_allow_a_login(limited: httpx.Client) -> None:
    username = _registered(limited)
    for _ in range(MAX_FAILURES - 1):
        assert _login(limited, username, "wrong password!").status_code == 401
    assert _login(limited, username, PASSWORD).status_code == 200


def test_unknown_username_is_limited_like_a_real_one(limited: httpx.Client) -> None:
    real, ghost = _registered(limited), new_username("ghost")
    answers = {}
    for name in (real, ghost):
        for _ in range(MAX_FAILURES):
            assert _login(limited, name, "wrong password!").status_code == 401
        answers[name] = _login(limited, name, "wrong password!")
        _assert_too_many(answers[name])
    assert answers[real].json().keys() == answers[ghost].json().keys()


# --------------------------------------------------------------------------- per address


def test_too_many_failures_from_one_address_gives_429_with_retry_after(
    limited: httpx.Client,
) -> None:
    address = unique_address()
    for _ in range(MAX_FAILURES):
        response = _login(limited, new_username("nobody"), "wrong password!", address)
        assert response.status_code == 401
    innocent = _registered(limited)
    # a different user with the right password, from the same address: refused
    _assert_too_many(_login(limited, innocent, PASSWORD, address))
    # the same user from another address is fine
    assert _login(limited, innocent, PASSWORD, unique_address()).status_code == 200


def test_successful_logins_do_not_count_as_failures(limited: httpx.Client) -> None:
    username, address = _registered(limited), unique_address()
    for _ in range(MAX_FAILURES + 1):
        assert _login(limited, username, PASSWORD, address).status_code == 200


# --------------------------------------------------------------------------- no enumeration


def test_unknown_user_and_wrong_password_give_the_same_401(api: httpx.Client) -> None:
    username = _registered(api)
    unknown = _login(api, new_username("nosuch"), PASSWORD)
    wrong = _login(api, username, PASSWORD + "!")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == INVALID_CREDENTIALS
    assert unknown.headers.get("content-type") == wrong.headers.get("content-type")
    assert "www-authenticate" not in unknown.headers or (
        unknown.headers["www-authenticate"] == wrong.headers.get("www-authenticate")
    )


def test_login_is_case_insensitive(api: httpx.Client) -> None:
    username = new_username("MiXeD_Case")
    registered = api.post("/register", json={"username": username, "password": PASSWORD}).json()
    for spelled in (username, username.lower(), username.upper(), username.swapcase()):
        response = _login(api, spelled, PASSWORD)
        assert response.status_code == 200, spelled
        me = api.get("/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"})
        assert me.json()["id"] == registered["id"]
        assert me.json()["username"] == username  # shown as registered


def test_password_is_case_sensitive(api: httpx.Client) -> None:
    username = _registered(api)
    assert _login(api, username, PASSWORD.upper()).status_code == 401
