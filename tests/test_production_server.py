"""A real server started as in production, seen from outside: what its cookie, its keys,
its login limit and its websocket fallback look like to a browser or an attacker."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterator

import httpx
import itsdangerous
import pytest

from beykusay.config import Settings
from tests.apihelpers import b64url
from tests.conftest import PASSWORD, new_username
from tests.serverproc import ServerProcess

SECRET = "production-server-test-" + "s" * 32
MAX_FAILURES = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Production mode with a SECRET_KEY and nothing else: every other setting at its default."""
    env = {"BEYKUSAY_ENV": "production", "SECRET_KEY": SECRET}
    env["LOGIN_MAX_FAILURES"] = str(MAX_FAILURES)
    with pytest.MonkeyPatch.context() as patch:  # the defaults, not whatever this shell has
        for name in ("FORWARDED_ALLOW_IPS", "SESSION_COOKIE_SECURE"):
            patch.delitem(os.environ, name, raising=False)
        process = ServerProcess(tmp_path_factory.mktemp("production"), env).start()
    yield process.url
    process.stop()


def hs256(claims: dict, key: str) -> str:
    """An HS256 JWT made by hand (the test does not trust the library the server uses)."""
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    mac = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(mac)}"


def session_cookie(server: str) -> tuple[str, str]:
    """The Set-Cookie header of a first visit to the login page, and the cookie's value."""
    response = httpx.get(server + "/login")
    assert response.status_code == 200
    header = next(v for v in response.headers.get_list("set-cookie") if v.startswith("session="))
    return header, header.split(";", 1)[0].removeprefix("session=")


def test_the_session_cookie_is_secure_in_production(server: str) -> None:
    """Over plain HTTP (a proxy misconfigured, a downgrade) the browser never sends it."""
    header, _ = session_cookie(server)
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert {"secure", "httponly", "samesite"} <= attributes, header


def test_the_session_cookie_is_signed_with_a_key_derived_from_secret_key(server: str) -> None:
    _, value = session_cookie(server)
    with pytest.raises(itsdangerous.BadSignature):
        itsdangerous.TimestampSigner(SECRET).unsign(value)
    derived = Settings(environment="production", secret_key=SECRET).storage_secret()
    itsdangerous.TimestampSigner(derived).unsign(value)  # raises if the server used another


def test_tokens_signed_with_the_raw_secret_key_are_refused(server: str) -> None:
    """Whoever holds the cookie key (or SECRET_KEY itself, as typed) cannot mint API tokens."""
    api = httpx.Client(base_url=server + "/api")
    user = api.post("/register", json={"username": new_username("keys"), "password": PASSWORD})
    assert user.status_code == 201, user.text
    now = int(time.time())
    claims = {"sub": str(user.json()["id"]), "ver": 0, "iat": now, "exp": now + 600}
    raw = api.get("/me", headers={"Authorization": f"Bearer {hs256(claims, SECRET)}"})
    assert raw.status_code == 401
    session_key = Settings(environment="production", secret_key=SECRET).storage_secret()
    crossed = api.get("/me", headers={"Authorization": f"Bearer {hs256(claims, session_key)}"})
    assert crossed.status_code == 401
    token_key = Settings(environment="production", secret_key=SECRET).token_signing_key()
    good = api.get("/me", headers={"Authorization": f"Bearer {hs256(claims, token_key)}"})
    assert good.status_code == 200, good.text  # so the refusals above mean something


def test_a_rotating_x_forwarded_for_does_not_reset_the_per_address_login_limit(
    server: str,
) -> None:
    """By default no proxy is trusted: a client naming a new address in each request is
    still one client, and a password-guessing run from it is stopped after three tries."""
    api = httpx.Client(base_url=server + "/api")

    def fail_once(n: int) -> httpx.Response:
        forged = {"X-Forwarded-For": f"203.0.113.{n}"}
        body = {"username": new_username("guess"), "password": "wrong password!"}
        return api.post("/login", json=body, headers=forged)

    for n in range(MAX_FAILURES):
        assert fail_once(n).status_code == 401
    assert fail_once(MAX_FAILURES).status_code == 429


def test_the_websocket_polling_fallback_is_open_to_visitors(server: str) -> None:
    """Where websockets are blocked the login page talks over long polling; a visitor who
    is not logged in must get the socket.io handshake, not a redirect to /login."""
    response = httpx.get(
        server + "/_nicegui_ws/socket.io/", params={"EIO": "4", "transport": "polling"}
    )
    assert response.status_code == 200, (response.status_code, response.headers)
    assert response.text.startswith("0{"), response.text[:200]
    assert "sid" in json.loads(response.text[1:])
