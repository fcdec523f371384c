"""Helpers for the /v1 tests: real OpenAI clients pointed at the server, raw SSE lines."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai

from tests.conftest import PASSWORD, new_username

# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


def token_for(server: str, username: str | None = None) -> str:
    """Register a fresh user and log in; the access token."""
    username = username or new_username("v1")
    with httpx.Client(base_url=server + "/api", timeout=30) as api:
        created = api.post("/register", json={"username": username, "password": PASSWORD})
        assert created.status_code == 201, created.text
        login = api.post("/login", json={"username": username, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return login.json()["access_token"]


def client(server: str, token: str) -> openai.OpenAI:
    """The official client as a user would set it up; no retries, so each call is one try."""
    return openai.OpenAI(base_url=server + "/v1", api_key=token, max_retries=0, timeout=30)


def async_client(server: str, token: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server + "/v1", api_key=token, max_retries=0, timeout=30)


def user_says(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def sse_data(response: httpx.Response) -> Iterator[str]:
    """Each event's raw ``data:`` text, exactly as sent."""
    for line in response.iter_lines():
        if line.startswith("data: "):
            yield line[len("data: ") :]
        else:
            assert line == "" or line.startswith(":"), line


def raw_stream(server: str, token: str, body: dict[str, Any]) -> list[str]:
    """POST a streamed completion with plain httpx; every event's data text."""
    with (
        httpx.Client(timeout=30) as http,
        http.stream(
            "POST",
            server + "/v1/chat/completions",
            json={"stream": True, **body},
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(sse_data(response))


def chunks_of(data: list[str]) -> list[dict[str, Any]]:
    """The JSON events before ``[DONE]``, which must be the last."""
    assert data and data[-1] == "[DONE]", data[-3:]
    return [json.loads(item) for item in data[:-1]]


def assert_openai_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """OpenAI's error shape: {"error": {"message", "type", "param", "code"}}."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"].strip()
    assert isinstance(error["type"], str) and error["type"]
    return error
