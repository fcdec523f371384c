"""Small helpers shared by the REST API contract tests (tests/test_api_*.py)."""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.conftest import PASSWORD, new_username
from tests.serverproc import ServerProcess
from tests.sse import collect, iter_events

T = TypeVar("T")

MODEL_IDS = ("BeykusSmall", "BeykusChat", "BeykusSmallR")
STATUSES = {"complete", "streaming", "stopped", "error", "interrupted"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")
CHAT_KEYS = {"id", "title", "model", "created_at", "updated_at"}
MESSAGE_KEYS = {
    "id",
    "chat_id",
    "role",
    "content",
    "thinking",
    "thinking_seconds",
    "model",
    "status",
    "error",
    "created_at",
}
INVALID_CREDENTIALS = {"detail": "Invalid username or password"}

_addresses = itertools.count(1)


# --------------------------------------------------------------------------- shapes


def parse_time(value: str) -> datetime:
    """An API timestamp: ISO 8601, UTC, with a Z or +00:00 suffix."""
    assert isinstance(value, str) and ISO_UTC.match(value), f"not ISO 8601 UTC: {value!r}"
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    return parsed.astimezone(UTC)


def assert_error_body(response: httpx.Response) -> str:
    """Errors are {"detail": "<human readable message>"}; returns the message."""
    body = response.json()
    assert set(body) == {"detail"}, body
    assert isinstance(body["detail"], str) and body["detail"].strip(), body
    return body["detail"]


def assert_validation_error(response: httpx.Response) -> None:
    assert response.status_code == 422, (response.status_code, response.text[:500])
    assert "detail" in response.json()


def assert_chat(chat: dict[str, Any]) -> dict[str, Any]:
    assert set(chat) >= CHAT_KEYS, chat
    assert type(chat["id"]) is int
    assert isinstance(chat["title"], str)
    assert chat["model"] in MODEL_IDS
    parse_time(chat["created_at"])
    parse_time(chat["updated_at"])
    return chat


def assert_message(message: dict[str, Any]) -> dict[str, Any]:
    assert set(message) >= MESSAGE_KEYS, message
    assert type(message["id"]) is int and type(message["chat_id"]) is int
    assert message["role"] in ("user", "assistant")
    assert isinstance(message["content"], str)
    assert message["thinking"] is None or isinstance(message["thinking"], str)
    seconds = message["thinking_seconds"]
    assert seconds is None or (isinstance(seconds, int | float) and not isinstance(seconds, bool))
    assert message["model"] is None or isinstance(message["model"], str)
    assert message["status"] in STATUSES
    assert message["error"] is None or isinstance(message["error"], str)
    parse_time(message["created_at"])
    return message


# --------------------------------------------------------------------------- accounts


def unique_address() -> str:
    """A fresh client address (sent as X-Forwarded-For) so failed logins in one test
    never count against the shared per-address limit of another."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def from_address(address: str | None = None) -> dict[str, str]:
    return {"X-Forwarded-For": address or unique_address()}


def make_user(api: httpx.Client, username: str | None = None) -> tuple[str, dict[str, str]]:
    """Register and log in; returns (username, Authorization header)."""
    username = username or new_username()
    response = api.post("/register", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    token = api.post("/login", json={"username": username, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return username, {"Authorization": f"Bearer {token.json()['access_token']}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )


# --------------------------------------------------------------------------- chats and messages


def new_chat(api: httpx.Client, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = api.post("/chats", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return assert_chat(response.json())


def send(
    api: httpx.Client, auth: dict[str, str], chat_id: int, content: str, **body: Any
) -> dict[str, Any]:
    """Send with ?stream=false; returns {"user_message", "assistant_message"}."""
    response = api.post(
        f"/chats/{chat_id}/messages",
        params={"stream": "false"},
        json={"content": content, **body},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    return response.json()


def stream(
    api: httpx.Client,
    auth: dict[str, str],
    path: str,
    body: dict[str, Any] | None = None,
    method: str = "POST",
) -> list[dict[str, Any]]:
    """Make a streaming call and collect all its events."""
    with api.stream(method, path, json=body, headers=auth) as response:
        return collect(response)


@contextmanager
def open_stream(
    api: httpx.Client,
    auth: dict[str, str],
    path: str,
    body: dict[str, Any] | None = None,
    method: str = "POST",
    timeout: float = 15,
) -> Iterator[Iterator[dict[str, Any]]]:
    """A streaming call whose events the test reads one at a time (closing goes away)."""
    with api.stream(method, path, json=body, headers=auth, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield iter_events(response)


def read_until(events: Iterator[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """Read events up to and including the first of type ``kind``."""
    seen = []
    for event in events:
        seen.append(event)
        if event["type"] == kind:
            return seen
    raise AssertionError(f"stream ended before a {kind!r} event: {seen}")


def messages(api: httpx.Client, auth: dict[str, str], chat_id: int, **params: Any) -> list[dict]:
    response = api.get(f"/chats/{chat_id}/messages", params=params, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def wait_for(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s (last: {result!r})")
        time.sleep(interval)


def settled(api: httpx.Client, auth: dict[str, str], chat_id: int, timeout: float = 10) -> list:
    """The chat's messages once no answer in it is streaming any more."""

    def check() -> list | None:
        found = messages(api, auth, chat_id)
        return found if found and all(m["status"] != "streaming" for m in found) else None

    return wait_for(check, timeout)


def start_server(data_dir: Path, env: dict[str, str]) -> ServerProcess:
    return ServerProcess(data_dir, env).start()


class UserPool:
    """A few users handed out in turn, for tests that only act in chats they create.

    A fresh user costs two argon2 runs; rotating a handful keeps each one far below the
    per-user send rate and running-answer limits while the module runs.
    """

    def __init__(self, base_url: str, size: int) -> None:
        self.base_url = base_url
        self.size = size
        self.users: list[dict[str, str]] = []
        self.turn = 0

    def next(self) -> dict[str, str]:
        if len(self.users) < self.size:
            with httpx.Client(base_url=self.base_url, timeout=30) as client:
                self.users.append(make_user(client)[1])
            return self.users[-1]
        self.turn += 1
        return self.users[self.turn % self.size]
