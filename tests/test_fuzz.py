"""Schemathesis fuzzes the REST API from the server's own /openapi.json.

No input may get a 5xx, and every response must match the published schema: status
code, content type, headers and body. The fuzzing user is logged in, so protected
operations are explored past 401, and half the cases that name a chat are pointed
at one of the user's own chats, so chats and messages are explored past 404.

Bounded and repeatable: a fixed seed, MAX_EXAMPLES valid and MAX_EXAMPLES invalid
inputs per operation, no shrinking. Each operation is driven through schemathesis's
Python API (``APIOperation.as_strategy`` under Hypothesis) rather than its pytest
plugin, whose fixture-based loader touches ``Node._nodeid``, gone in pytest 9.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import gemini_env, register
from tests.fakegemini import FakeGemini, reply
from tests.serverproc import ServerProcess

MAX_EXAMPLES = 30  # per operation and per mode (valid, invalid)
SEED = 4242
OWN_CHATS = 8
DISPOSABLE_CHATS = 20
REQUEST_TIMEOUT = 30.0
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# The endpoints API.md promises (plus the password change the UI offers).
PROMISED = {
    ("POST", "/api/register"),
    ("POST", "/api/login"),
    ("GET", "/api/me"),
    ("PATCH", "/api/me/settings"),
    ("GET", "/api/models"),
    ("GET", "/api/chats"),
    ("POST", "/api/chats"),
    ("GET", "/api/chats/{chat_id}"),
    ("PATCH", "/api/chats/{chat_id}"),
    ("DELETE", "/api/chats/{chat_id}"),
    ("GET", "/api/chats/{chat_id}/messages"),
    ("POST", "/api/chats/{chat_id}/messages"),
    ("GET", "/api/chats/{chat_id}/stream"),
    ("POST", "/api/chats/{chat_id}/stop"),
    ("POST", "/api/chats/{chat_id}/regenerate"),
    ("GET", "/api/health"),
}


@pytest.fixture(scope="module")
def fuzz_gemini() -> Iterator[FakeGemini]:
    with FakeGemini(default=reply("A short answer from the fake.", chunk_chars=8)) as fake:
        yield fake


@pytest.fixture(scope="module")
def fuzz_server(fuzz_gemini: FakeGemini, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    # the per-user send limit would turn most message cases into 429 after the first 30
    env = {**gemini_env(fuzz_gemini), "SEND_MAX_PER_WINDOW": "100000"}
    process = ServerProcess(data_dir, env).start()
    yield process.url
    process.stop()
    log = process.log()
    assert "Traceback" not in log, log[-8000:]


@pytest.fixture(scope="module")
def fuzz_user(fuzz_server: str) -> dict[str, Any]:
    """A logged-in user with chats that hold an exchange, and chats to delete."""
    with httpx.Client(base_url=fuzz_server + "/api", timeout=REQUEST_TIMEOUT) as api:
        auth = register(api)
        chats = []
        for n in range(OWN_CHATS):
            chat = api.post("/chats", json={"title": f"fuzz chat {n}"}, headers=auth)
            assert chat.status_code == 201, chat.text
            sent = api.post(
                f"/chats/{chat.json()['id']}/messages",
                params={"stream": "false"},
                json={"content": f"hello {n}"},
                headers=auth,
            )
            assert sent.status_code == 201, sent.text
            chats.append(chat.json()["id"])
        disposable = []
        for n in range(DISPOSABLE_CHATS):
            chat = api.post("/chats", json={"title": f"to delete {n}"}, headers=auth)
            assert chat.status_code == 201, chat.text
            disposable.append(chat.json()["id"])
    return {"auth": auth, "chats": chats, "disposable": disposable}


@pytest.fixture(scope="module")
def api_schema(fuzz_server: str) -> Any:
    published = httpx.get(fuzz_server + "/openapi.json")
    assert published.status_code == 200, (
        "API.md promises the schema at /openapi.json; the server answers "
        f"{published.status_code} ({published.headers.get('content-type')})"
    )
    config = schemathesis.Config.from_dict({"seed": SEED, "request-timeout": REQUEST_TIMEOUT})
    schema = schemathesis.openapi.from_url(fuzz_server + "/openapi.json", config=config)
    return schema.include(path_regex=r"^/api/")


def _operations(schema: Any) -> list[Any]:
    found = []
    for result in schema.get_all_operations():
        found.append(result.ok())  # an unusable operation definition fails here, loudly
    return found


def test_schema_describes_every_promised_endpoint(api_schema: Any) -> None:
    published = {(op.method.upper(), op.path) for op in _operations(api_schema)}
    assert published >= PROMISED, sorted(PROMISED - published)


def _steer(case: Case, user: dict[str, Any]) -> None:
    """Point half the cases that name a chat at one of the user's own chats.

    Random ids are almost never the user's, so otherwise every chat and message
    operation would only be seen answering 404. DELETE takes its chats from a
    disposable pile, and never touches the kept ones the other operations use.
    """
    chat_id = (case.path_parameters or {}).get("chat_id")
    if type(chat_id) is not int:
        return
    if case.method.upper() == "DELETE":
        if chat_id in user["chats"] or (chat_id >= 1 and chat_id % 2 == 0 and user["disposable"]):
            spare = user["disposable"].pop() if user["disposable"] else 2_000_000_000
            case.path_parameters["chat_id"] = spare
    elif chat_id >= 1 and chat_id % 2 == 0:
        case.path_parameters["chat_id"] = user["chats"][chat_id // 2 % len(user["chats"])]


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:200]


class Findings:
    """Distinct failures: one example per (operation, status code, kind of failure)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, int | None, str], str] = {}
        self.cases = 0
        self.per_run: dict[tuple[str, str], int] = {}  # (operation, mode) -> cases sent
        self.statuses: dict[str, set[int]] = {}

    def add(self, label: str, status: int | None, kind: str, example: str) -> None:
        self.seen.setdefault((label, status, kind), example)

    def report(self) -> str:
        lines = []
        for (label, status, kind), example in sorted(self.seen.items(), key=str):
            lines.append(f"{label} -> {status}: {kind}\n    {example}")
        return "\n".join(lines)


def _fuzz(operation: Any, mode: GenerationMode, user: dict[str, Any], findings: Findings) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    seen_statuses = findings.statuses.setdefault(label, set())
    run_key = (label, mode.value)
    findings.per_run.setdefault(run_key, 0)

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.seed(SEED)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case) -> None:
        _steer(case, user)
        findings.cases += 1
        findings.per_run[run_key] += 1
        try:
            response = case.call(headers=user["auth"], timeout=REQUEST_TIMEOUT)
        except requests.RequestException as exc:
            findings.add(label, None, f"request failed: {type(exc).__name__}", repr(exc)[:200])
            return
        status = response.status_code
        seen_statuses.add(status)
        example = f"{case.as_curl_command(headers=user['auth'])[:300]} => {response.text[:200]!r}"
        if status >= 500:
            findings.add(label, status, "server error", example)
        try:
            case.validate_response(response, checks=CHECKS, headers=user["auth"])
        except FailureGroup as group:
            for failure in group.exceptions:
                findings.add(label, status, _kind(failure), f"{_detail(failure)}\n    {example}")
        except Failure as failure:
            findings.add(label, status, _kind(failure), f"{_detail(failure)}\n    {example}")

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # nothing in this operation can be made invalid (no parameters, no body)


def _kind(failure: Failure) -> str:
    return failure.title


def _detail(failure: Failure) -> str:
    return re.sub(r"\s+", " ", failure.message or "")[:240]


def test_fuzzing_finds_no_server_errors_and_no_schema_violations(
    api_schema: Any, fuzz_user: dict[str, Any]
) -> None:
    """Hundreds of generated requests, valid and invalid, to every endpoint: none gets a
    5xx or an answer the published schema does not describe. The run is bounded by
    counts, not by a clock: at most MAX_EXAMPLES cases per operation and mode, and the
    chats the fuzzer is steered to really answer."""
    findings = Findings()
    operations = _operations(api_schema)
    started = time.monotonic()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, fuzz_user, findings)
    took = time.monotonic() - started  # printed for people; nothing depends on it
    print(f"\nfuzzed {findings.cases} cases in {took:.1f} s")
    for label, statuses in sorted(findings.statuses.items()):
        print(f"  {label}: {sorted(statuses)}")
    for (label, mode), count in sorted(findings.per_run.items()):
        print(f"  {label} [{mode}]: {count} cases")
    assert not findings.seen, "\n" + findings.report()
    assert findings.cases >= 100
    assert findings.cases == sum(findings.per_run.values())
    over = {key: n for key, n in findings.per_run.items() if n > MAX_EXAMPLES}
    assert not over, over
    untried = [key for key, n in findings.per_run.items() if key[1] == "positive" and n == 0]
    assert not untried, untried
    # steering works: operations on a chat are seen past 404, on the user's own chats
    for label in ("GET /api/chats/{chat_id}", "GET /api/chats/{chat_id}/messages"):
        assert 200 in findings.statuses[label], (label, findings.statuses[label])
