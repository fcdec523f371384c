"""Security headers, body limits, cookies, and secrets that never leave the server."""

from __future__ import annotations

import httpx

from tests import fakegemini as g
from tests.conftest import PASSWORD, gemini_env
from tests.fakegemini import FakeGemini
from tests.serverproc import ServerProcess
from tests.sse import collect

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


def test_every_response_carries_the_security_headers(server: str) -> None:
    for path in ("/", "/login", "/api/health", "/api/models", "/api/me", "/openapi.json"):
        response = httpx.get(server + path)
        for name, value in EXPECTED.items():
            assert response.headers.get(name) == value, (path, name)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "img-src 'self' data: blob:;" in csp  # no remote images, ever


def test_a_body_over_the_limit_is_refused_before_it_is_read(server: str) -> None:
    body = b'{"username": "' + b"a" * 300_000 + b'", "password": "x"}'
    response = httpx.post(
        server + "/api/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_the_session_cookie_is_httponly_and_samesite_lax(server: str) -> None:
    response = httpx.get(server + "/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_the_gemini_key_passwords_and_tokens_appear_in_no_response_or_log(
    server_process: ServerProcess, fake_gemini: FakeGemini
) -> None:
    key = gemini_env(fake_gemini)["GOOGLE_API_KEY"]
    fake_gemini.reset()
    fake_gemini.enqueue([g.http_error(400, "API key not valid. Please pass a valid API key.")])
    fake_gemini.enqueue(g.reply("fine"))
    seen: list[str] = []
    with httpx.Client(base_url=server_process.url) as client:
        username = "secretive"
        client.post("/api/register", json={"username": username, "password": PASSWORD})
        client.post("/api/login", json={"username": username, "password": "wrong password!"})
        login = client.post("/api/login", json={"username": username, "password": PASSWORD})
        token = login.json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        chat = client.post("/api/chats", json={}, headers=auth).json()["id"]
        for content in ("first", "second"):
            with client.stream(
                "POST", f"/api/chats/{chat}/messages", json={"content": content}, headers=auth
            ) as response:
                seen.append(str(collect(response)))
        for path in (
            "/api/me",
            f"/api/chats/{chat}/messages",
            "/api/health",
            "/api/models",
            "/openapi.json",
            "/",
            "/login",
        ):
            seen.append(client.get(path, headers=auth).text)
    fake_gemini.reset()
    assert "rejected" in seen[0]  # the bad-key answer says so, in words
    log = server_process.log()
    for secret in (key, PASSWORD, "wrong password!", token):
        assert secret not in log
        for text in seen:
            assert secret not in text
