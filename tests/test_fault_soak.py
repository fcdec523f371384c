"""A hundred answers through a seeded random mix of Gemini faults.

The server must stay healthy; every answer must end ``complete`` or ``error`` with a
message a user understands (never a stack trace or an SDK class name); none may stay
``streaming``. Transient faults before any text (429, 5xx, error events, cut
connections, stalls) are retried with backoff, at most GEMINI_MAX_RETRIES times.
Everything is checked by counts and contents, never by how long the soak took.
"""

from __future__ import annotations

import random
import re
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.conftest import gemini_env, register
from tests.fakegemini import (
    FakeGemini,
    RecordedRequest,
    Step,
    blocked,
    cut,
    error_event,
    finish,
    http_error,
    reply,
    stall,
    text,
)
from tests.serverproc import ServerProcess
from tests.sse import iter_events

SEED = 20_240_611
ANSWERS = 100
CONCURRENCY = 10  # one user per worker: under the limit of 3 running answers per user
MAX_RETRIES = 2
ATTEMPTS = 1 + MAX_RETRIES
STALL_TIMEOUT = 1.0
# The first backoff (GEMINI_RETRY_DELAY) doubles with each retry, plus up to 25 % jitter.
FIRST_BACKOFF = 0.2

TAG = re.compile(r"\[soak (\d+)\]")
# What a user must never see in an error message.
LEAKS = (
    "Traceback",
    "Exception",
    "Error(",
    "ClientError",
    "ServerError",
    "APIError",
    "ClientPayloadError",
    "aiohttp",
    "httpx",
    "google.genai",
    "genai",
    "RESOURCE_EXHAUSTED",
    "UNAVAILABLE",
    'File "',
    "{",
)


class RoutedGemini(FakeGemini):
    """The fake Gemini, with scripts chosen by a tag in the last user message.

    Answers run concurrently and retries take extra scripts, so the shared FIFO queue
    cannot say which answer gets which script; here each answer owns its own queue.
    Requests are stamped with their arrival time so the test can see the backoff.
    """

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[int, deque[list[Step]]] = defaultdict(deque)
        self.by_tag: dict[int, list[RecordedRequest]] = defaultdict(list)

    def route(self, tag: int, *scripts: list[Step]) -> None:
        with self._lock:
            self.routes[tag].extend(scripts)

    async def _answer(self, request: web.Request, rec: RecordedRequest) -> web.StreamResponse:
        tag = _tag(rec.body)
        if tag is not None:
            with self._lock:
                self.by_tag[tag].append(rec)
                if self.routes[tag]:
                    # No await between this and the base class taking the queue's head,
                    # so no other request on this event loop can take it first.
                    self._queue.appendleft(self.routes[tag].popleft())
        return await super()._answer(request, rec)


def _tag(body: Any) -> int | None:
    try:
        last = body["contents"][-1]["parts"][-1]["text"]
    except (KeyError, IndexError, TypeError):
        return None
    found = TAG.search(last)
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Fault:
    """One kind of provider behaviour and what the answer must end as."""

    name: str
    scripts: tuple[tuple[Step, ...], ...]  # one per request, in order
    status: str  # complete or error
    requests: tuple[int, int]  # (fewest, most) requests the server may make
    content: str  # the answer's content at the end
    words: tuple[str, ...] = ()  # the error message contains one of these (case-insensitive)


ANSWER = "A fine answer with **markdown** and ünïcödé ✓."
PARTIAL = "Half an ans"


def _s(*steps: Step) -> tuple[Step, ...]:
    return tuple(steps)


OK = _s(*reply(ANSWER, chunk_chars=9))
RETRIED = ("again", "try", "moment")

FAULTS: tuple[Fault, ...] = (
    Fault("ok", (OK,), "complete", (1, 1), ANSWER),
    Fault("429 then ok", (_s(http_error(429, retry_delay="1s")), OK), "complete", (2, 2), ANSWER),
    Fault("503 then ok", (_s(http_error(503)), OK), "complete", (2, 2), ANSWER),
    Fault(
        "429 twice then ok",
        (_s(http_error(429)), _s(http_error(429)), OK),
        "complete",
        (3, 3),
        ANSWER,
    ),
    Fault(
        "429 always",
        (_s(http_error(429)),) * ATTEMPTS,
        "error",
        (ATTEMPTS, ATTEMPTS),
        "",
        ("rate", "limit"),
    ),
    Fault(
        "503 always",
        (_s(http_error(503)),) * ATTEMPTS,
        "error",
        (ATTEMPTS, ATTEMPTS),
        "",
        ("unavailable",),
    ),
    Fault(
        "500 always",
        (_s(http_error(500)),) * ATTEMPTS,
        "error",
        (1, ATTEMPTS),
        "",
        ("unavailable", "went wrong"),
    ),
    Fault("error event then ok", (_s(error_event(503)), OK), "complete", (2, 2), ANSWER),
    Fault(
        "error mid-stream",
        (_s(text(PARTIAL), error_event(500)),),
        "error",
        (1, 1),
        PARTIAL,
        RETRIED,
    ),
    Fault("cut then ok", (_s(cut()), OK), "complete", (2, 2), ANSWER),
    Fault(
        "cut mid-stream",
        (_s(text(PARTIAL), cut()),),
        "error",
        (1, 1),
        PARTIAL,
        ("connection", "lost"),
    ),
    Fault("stall then ok", (_s(stall(STALL_TIMEOUT * 3)), OK), "complete", (2, 2), ANSWER),
    Fault(
        "stall mid-stream",
        (_s(text(PARTIAL), stall(STALL_TIMEOUT * 3), finish()),),
        "error",
        (1, 1),
        PARTIAL,
        ("responding", "stopped"),
    ),
    Fault(
        "truncated stream",
        (_s(*reply(ANSWER, chunk_chars=9, finish_reason=None)),),
        "error",
        (1, 1),
        ANSWER,
        ("cut off", "truncated", "unfinished"),
    ),
    Fault("empty stream then ok", ((), OK), "complete", (2, 2), ANSWER),
    Fault("prompt blocked", (_s(blocked("SAFETY")),), "error", (1, 1), "", ("blocked",)),
    Fault(
        "safety stop",
        (_s(text(PARTIAL), finish("SAFETY")),),
        "error",
        (1, 1),
        PARTIAL,
        ("safety",),
    ),
)


def plan() -> list[Fault]:
    """A deterministic mix: every fault at least once, the rest drawn at random."""
    rng = random.Random(SEED)
    mix = list(FAULTS) + rng.choices(FAULTS, k=ANSWERS - len(FAULTS))
    rng.shuffle(mix)
    return mix


@dataclass
class Result:
    index: int
    fault: Fault
    chat_id: int
    events: list[dict[str, Any]]


@pytest.fixture(scope="module")
def routed() -> Iterator[RoutedGemini]:
    with RoutedGemini() as fake:
        yield fake


@pytest.fixture(scope="module")
def soak_server(routed: RoutedGemini, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {
        **gemini_env(routed),
        "GEMINI_STALL_TIMEOUT": str(STALL_TIMEOUT),
        "GEMINI_MAX_RETRIES": str(MAX_RETRIES),
        "GEMINI_RETRY_DELAY": str(FIRST_BACKOFF),
        "SEND_MAX_PER_WINDOW": "1000",  # the per-user send limit is not what this tests
    }
    process = ServerProcess(tmp_path_factory.mktemp("soak"), env).start()
    yield process.url
    process.stop()
    log = process.log()
    assert "Traceback" not in log, log[-5000:]


def _run(url: str, auth: dict[str, str], index: int, fault: Fault) -> Result:
    with httpx.Client(base_url=url + "/api", timeout=60) as api:
        chat = api.post("/chats", json={}, headers=auth)
        assert chat.status_code == 201, chat.text
        chat_id = chat.json()["id"]
        with api.stream(
            "POST",
            f"/chats/{chat_id}/messages",
            json={"content": f"[soak {index}] {fault.name}"},
            headers=auth,
        ) as response:
            assert response.status_code == 200, response.read()
            events = list(iter_events(response))
        return Result(index, fault, chat_id, events)


def _clear(message: str) -> None:
    assert message and message.strip() and len(message) < 400, message
    for leak in LEAKS:
        assert leak not in message, f"error message leaks {leak!r}: {message!r}"


def test_hundred_answers_through_random_faults(routed: RoutedGemini, soak_server: str) -> None:
    mix = plan()
    for index, fault in enumerate(mix):
        routed.route(index, *(list(script) for script in fault.scripts))
    # a fallback script for requests beyond a fault's own scripts: an answer that
    # must never show up (a retry too many would otherwise play the default reply)
    routed.default = reply("NOT SCRIPTED")

    with httpx.Client(base_url=soak_server + "/api", timeout=30) as api:
        users = [register(api) for _ in range(CONCURRENCY)]

    results: list[Result] = []
    lock = threading.Lock()

    def worker(slot: int) -> None:
        for index in range(slot, ANSWERS, CONCURRENCY):
            result = _run(soak_server, users[slot], index, mix[index])
            with lock:
                results.append(result)

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for future in [pool.submit(worker, slot) for slot in range(CONCURRENCY)]:
            future.result()
    assert len(results) == ANSWERS

    with httpx.Client(base_url=soak_server + "/api", timeout=30) as api:
        health = api.get("/health")
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "ok"
        assert health.json()["provider"] == "gemini"

        failures: list[str] = []
        for result in sorted(results, key=lambda r: r.index):
            label = f"#{result.index} {result.fault.name}"
            try:
                _check(api, users[result.index % CONCURRENCY], routed, result)
            except AssertionError as exc:
                failures.append(f"{label}: {exc}")
        assert not failures, "\n".join(failures[:20])

        # nothing anywhere is left streaming
        for auth in users:
            chats = api.get("/chats", params={"limit": 200}, headers=auth).json()["chats"]
            for chat in chats:
                found = api.get(f"/chats/{chat['id']}/messages", headers=auth).json()
                assert all(m["status"] in ("complete", "error") for m in found["messages"])
    routed.default = reply("Hello from the fake Gemini.")


def _check(api: httpx.Client, auth: dict[str, str], routed: RoutedGemini, result: Result) -> None:
    fault, events = result.fault, result.events
    assert events and events[0]["type"] == "start", events[:1]
    last = events[-1]
    assert last["type"] == ("done" if fault.status == "complete" else "error"), last
    message = last["message"]
    assert message["status"] == fault.status, message
    assert message["content"] == fault.content, message["content"]
    streamed = "".join(e["delta"] for e in events if e["type"] == "text")
    assert streamed == message["content"], (streamed, message["content"])
    if fault.status == "complete":
        assert message["error"] is None, message["error"]
    else:
        error = message["error"] or ""
        _clear(error)
        assert any(word in error.lower() for word in fault.words), error
    # what the API stores is what the stream said
    stored = api.get(f"/chats/{result.chat_id}/messages", headers=auth).json()["messages"]
    assert [m["role"] for m in stored] == ["user", "assistant"], stored
    assert {k: stored[1][k] for k in ("status", "content", "error")} == {
        k: message[k] for k in ("status", "content", "error")
    }
    # retries: bounded, and only where the fault allows them
    made = len(routed.by_tag[result.index])
    fewest, most = fault.requests
    assert fewest <= made <= most, f"{made} requests to Gemini, expected {fault.requests}"
    assert made <= ATTEMPTS


def test_retries_back_off_and_are_bounded(routed: RoutedGemini, soak_server: str) -> None:
    """A 429 then success: complete after 2 requests; three 503s: error after 1 + retries.

    How long each retry waits is checked without a clock in tests/test_gemini_provider.py
    (test_retries_wait_the_base_delay_doubled_each_time_plus_jitter)."""
    with httpx.Client(base_url=soak_server + "/api", timeout=60) as api:
        auth = register(api)
        routed.route(1001, [http_error(429)], list(OK))
        routed.route(1002, *([http_error(503)] for _ in range(ATTEMPTS + 2)))
        routed.default = reply("NOT SCRIPTED")
        try:
            outcomes = {}
            for tag in (1001, 1002):
                chat = api.post("/chats", json={}, headers=auth).json()
                sent = api.post(
                    f"/chats/{chat['id']}/messages",
                    params={"stream": "false"},
                    json={"content": f"[soak {tag}] retry me"},
                    headers=auth,
                )
                assert sent.status_code == 201, sent.text
                outcomes[tag] = sent.json()["assistant_message"]
        finally:
            routed.default = reply("Hello from the fake Gemini.")

    assert outcomes[1001]["status"] == "complete"
    assert outcomes[1001]["content"] == ANSWER
    assert len(routed.by_tag[1001]) == 2

    assert outcomes[1002]["status"] == "error"
    _clear(outcomes[1002]["error"])
    assert "unavailable" in outcomes[1002]["error"].lower()
    assert len(routed.by_tag[1002]) == ATTEMPTS  # exactly 1 + GEMINI_MAX_RETRIES
    assert len(routed.routes[1002]) == 2  # the spare scripts were never asked for
