"""Two app instances sharing one database and Redis, as behind a sticky load balancer."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests import fakegemini as g
from tests.conftest import gemini_env, register
from tests.databases import BACKENDS, fresh_database
from tests.fakegemini import FakeGemini
from tests.serverproc import ServerProcess
from tests.sse import collect, iter_events

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")


def slow_reply(words: int, interval: float = 0.1) -> list[Any]:
    steps: list[Any] = []
    for index in range(words):
        steps += [g.text(f"w{index} "), g.pause(interval)]
    return [*steps, g.finish("STOP")]


@pytest.fixture(params=BACKENDS[-1:])  # the shared database: PostgreSQL when available
def pair(
    request: pytest.FixtureRequest, tmp_path: Path, fake_gemini: FakeGemini
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    fake_gemini.reset()
    with fresh_database(request.param, tmp_path) as url:
        env = {
            **gemini_env(fake_gemini),
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}:",
            "SECRET_KEY": "shared-secret-" + "x" * 32,
            "HEARTBEAT_INTERVAL": "0.5",
            "HEARTBEAT_TIMEOUT": "2",
        }
        a = ServerProcess(tmp_path / "a", env).start()
        b = ServerProcess(tmp_path / "b", env).start()
        try:
            yield a, b
        finally:
            a.kill()
            b.stop()
    fake_gemini.reset()


def client(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.url + "/api", timeout=30)


def start_in_background(
    api: httpx.Client, path: str, headers: dict[str, str], body: dict[str, Any] | None = None
) -> tuple[threading.Thread, list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []

    def read() -> None:
        try:
            with api.stream("POST", path, json=body or {}, headers=headers) as response:
                events.extend(iter_events(response))
        except httpx.HTTPError:
            events.append({"type": "connection-lost"})

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, events


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_token_from_a_works_on_b_and_b_follows_and_stops_an_answer_running_on_a(
    pair: tuple[ServerProcess, ServerProcess], fake_gemini: FakeGemini
) -> None:
    a, b = pair
    api_a, api_b = client(a), client(b)
    auth = register(api_a)
    assert api_b.get("/me", headers=auth).status_code == 200
    chat = api_a.post("/chats", json={}, headers=auth).json()["id"]

    fake_gemini.enqueue(slow_reply(200))
    thread, events_a = start_in_background(
        api_a, f"/chats/{chat}/messages", auth, {"content": "go"}
    )
    wait_for(lambda: len(events_a) > 5)
    # A second answer in the same chat is refused on B too.
    refused = api_b.post(f"/chats/{chat}/messages", json={"content": "again"}, headers=auth)
    assert refused.status_code == 409

    following: list[dict[str, Any]] = []

    def follow() -> None:
        with api_b.stream("GET", f"/chats/{chat}/stream", headers=auth) as response:
            assert response.status_code == 200
            following.extend(iter_events(response))

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    wait_for(lambda: len([e for e in following if e["type"] == "text"]) >= 3)
    assert following[0]["type"] == "start"

    stopped = api_b.post(f"/chats/{chat}/stop", headers=auth)
    assert stopped.json() == {"stopped": True}
    thread.join(10)
    follower.join(10)
    final_a, final_b = events_a[-1], following[-1]
    assert final_a["type"] == final_b["type"] == "done"
    assert final_a["message"]["status"] == "stopped"
    text_a = "".join(e["delta"] for e in events_a if e["type"] == "text")
    text_b = "".join(e["delta"] for e in following if e["type"] == "text")
    assert text_a == text_b == final_b["message"]["content"]
    assert api_b.get(f"/chats/{chat}/stream", headers=auth).status_code == 204


def test_killing_a_mid_answer_lets_b_mark_it_interrupted(
    pair: tuple[ServerProcess, ServerProcess], fake_gemini: FakeGemini
) -> None:
    """When instance A dies mid-answer, a reader on B first sees the answer as A last saved
    it, then, once A's heartbeat has lapsed, ``interrupted`` with that text kept; B then
    answers in the chat as usual."""
    a, b = pair
    api_a, api_b = client(a), client(b)
    auth = register(api_a)
    chat = api_a.post("/chats", json={}, headers=auth).json()["id"]
    fake_gemini.enqueue(slow_reply(400))
    _thread, _events = start_in_background(
        api_a, f"/chats/{chat}/messages", auth, {"content": "go"}
    )

    def answer() -> dict[str, Any]:
        return api_b.get(f"/chats/{chat}/messages", headers=auth).json()["messages"][-1]

    def saved_so_far() -> str:
        found = api_b.get(f"/chats/{chat}/messages", headers=auth).json()["messages"]
        return found[-1]["content"] if len(found) == 2 else ""

    # wait for A to have saved part of the answer (B reads it from the shared database)
    wait_for(lambda: saved_so_far().startswith("w0 w1 w2"))
    saved = answer()
    assert saved["status"] == "streaming"
    a.kill()

    wait_for(lambda: answer()["status"] == "interrupted", timeout=15)
    assert answer()["content"].startswith(saved["content"])  # nothing saved was lost
    # B serves new answers in that chat at once.
    fake_gemini.enqueue(g.reply("fresh"))
    with api_b.stream(
        "POST", f"/chats/{chat}/messages", json={"content": "again"}, headers=auth
    ) as response:
        assert collect(response)[-1]["message"]["content"] == "fresh"


def test_versions_work_across_instances(
    pair: tuple[ServerProcess, ServerProcess], fake_gemini: FakeGemini
) -> None:
    """A new version generated on A is followed and stopped from B; B's switch is refused
    while it runs and taken after; A's next question follows B's switch."""
    a, b = pair
    api_a, api_b = client(a), client(b)
    auth = register(api_a)
    chat = api_a.post("/chats", json={}, headers=auth).json()["id"]
    fake_gemini.enqueue(g.reply("First version."))
    first = api_a.post(
        f"/chats/{chat}/messages", params={"stream": "false"}, json={"content": "Q"}, headers=auth
    ).json()["assistant_message"]

    fake_gemini.enqueue(slow_reply(200))
    thread, events_a = start_in_background(api_a, f"/chats/{chat}/regenerate", auth)
    wait_for(lambda: len(events_a) > 5)
    switch = api_b.post(f"/chats/{chat}/branch", json={"message_id": first["id"]}, headers=auth)
    assert switch.status_code == 409, switch.text
    with api_b.stream("GET", f"/chats/{chat}/stream", headers=auth) as response:
        following = iter_events(response)
        assert next(following) == events_a[0]
        assert api_b.post(f"/chats/{chat}/stop", headers=auth).json() == {"stopped": True}
        final = list(following)[-1]["message"]
    thread.join(10)
    assert final["status"] == "stopped"
    assert final["sibling_ids"] == [first["id"], final["id"]]

    switched = api_b.post(f"/chats/{chat}/branch", json={"message_id": first["id"]}, headers=auth)
    assert switched.status_code == 200, switched.text
    assert [m["id"] for m in switched.json()["messages"]][-1] == first["id"]
    fake_gemini.enqueue(g.reply("Next."))
    sent = api_a.post(
        f"/chats/{chat}/messages", params={"stream": "false"}, json={"content": "Q2"}, headers=auth
    ).json()
    assert sent["user_message"]["parent_id"] == first["id"]
    history = fake_gemini.requests[-1].body["contents"]
    assert [part["text"] for c in history for part in c["parts"]] == ["Q", "First version.", "Q2"]


def test_a_file_uploaded_on_a_is_sent_to_gemini_by_b(
    pair: tuple[ServerProcess, ServerProcess], fake_gemini: FakeGemini
) -> None:
    """Files live in the shared database: a photo uploaded through A downloads from B,
    and a question asked on B with it attached reaches Gemini with the photo."""
    from tests.filesamples import png

    a, b = pair
    api_a, api_b = client(a), client(b)
    auth = register(api_a)
    data = png()
    uploaded = api_a.post("/files", files={"file": ("photo.png", data, "image/png")}, headers=auth)
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    assert api_b.get(f"/files/{file_id}/content", headers=auth).content == data
    chat = api_a.post("/chats", json={}, headers=auth).json()["id"]
    fake_gemini.enqueue(g.reply("A green picture."))
    answer = api_b.post(
        f"/chats/{chat}/messages",
        params={"stream": "false"},
        json={"content": "What is it?", "attachments": [file_id]},
        headers=auth,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["assistant_message"]["content"] == "A green picture."
    (request,) = [r for r in fake_gemini.requests if r.method == "streamGenerateContent"]
    inline = request.body["contents"][0]["parts"][0]
    blob = inline.get("inlineData") or inline["inline_data"]
    assert base64.urlsafe_b64decode(blob["data"]) == data
