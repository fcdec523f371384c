"""Models, health, interactive docs, and the offline demo provider (API.md "Models",
"Health", "General rules")."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.apihelpers import MODEL_IDS, assert_message, new_chat, send, stream
from tests.conftest import register
from tests.fakegemini import FakeGemini
from tests.serverproc import ServerProcess
from tests.sse import joined

CONTRACT_ROUTES = {
    "/api/register": {"post"},
    "/api/login": {"post"},
    "/api/me": {"get"},
    "/api/me/settings": {"patch"},
    "/api/models": {"get"},
    "/api/chats": {"get", "post"},
    "/api/chats/{chat_id}": {"get", "patch", "delete"},
    "/api/chats/{chat_id}/messages": {"get", "post"},
    "/api/chats/{chat_id}/stream": {"get"},
    "/api/chats/{chat_id}/stop": {"post"},
    "/api/chats/{chat_id}/regenerate": {"post"},
    "/api/chats/{chat_id}/branch": {"post"},
    "/api/health": {"get"},
}


def models_of(api: httpx.Client, headers: dict[str, str] | None = None) -> dict:
    response = api.get("/models", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


# --------------------------------------------------------------------------- models


def test_models_lists_the_three_ids_with_default_beykuschat(api: httpx.Client) -> None:
    body = models_of(api)
    assert body["default"] == "BeykusChat"
    ids = [model["id"] for model in body["models"]]
    assert set(MODEL_IDS) <= set(ids)
    assert len(ids) == len(set(ids))
    for model in body["models"]:
        assert isinstance(model["label"], str) and model["label"].strip()
        assert isinstance(model["description"], str) and model["description"].strip()
        assert type(model["thinking"]) is bool
    assert body["default"] in ids


def test_only_the_reasoning_model_shows_its_thoughts(api: httpx.Client) -> None:
    thinking = {model["id"]: model["thinking"] for model in models_of(api)["models"]}
    assert thinking["BeykusSmallR"] is True
    assert thinking["BeykusSmall"] is False
    assert thinking["BeykusChat"] is False


def test_models_need_no_token_and_ignore_a_bad_one(api: httpx.Client) -> None:
    assert models_of(api) == models_of(api, {"Authorization": "Bearer not-a-token"})


def test_thinking_flag_matches_what_gemini_is_asked_for(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    for model in models_of(api)["models"]:
        chat = new_chat(api, auth, model=model["id"])
        send(api, auth, chat["id"], "hello")
        config = gemini.requests[-1].body.get("generationConfig") or {}
        thinking = config.get("thinkingConfig") or {}
        asked = thinking.get("includeThoughts", thinking.get("include_thoughts")) is True
        assert asked is model["thinking"], model["id"]


# --------------------------------------------------------------------------- health and docs


def test_health_needs_no_token_and_reports_ok(api: httpx.Client) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["provider"] == "gemini"


def test_interactive_docs_are_served_at_docs(server: str) -> None:
    response = httpx.get(server + "/docs", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger" in response.text.lower() or "redoc" in response.text.lower()


def test_openapi_schema_describes_every_contract_route(server: str) -> None:
    response = httpx.get(server + "/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    missing = {
        path: methods - set(paths.get(path, {}))
        for path, methods in CONTRACT_ROUTES.items()
        if methods - set(paths.get(path, {}))
    }
    assert not missing, missing


def test_json_endpoints_answer_json_in_utf8(api: httpx.Client, auth: dict[str, str]) -> None:
    chat = new_chat(api, auth, title="Заголовок ✓")
    answers = {
        "chat": api.get(f"/chats/{chat['id']}", headers=auth),
        "chats": api.get("/chats", headers=auth),
        "me": api.get("/me", headers=auth),
        "messages": api.get(f"/chats/{chat['id']}/messages", headers=auth),
        "stop": api.post(f"/chats/{chat['id']}/stop", headers=auth),
        "models": api.get("/models"),
        "health": api.get("/health"),
        "401": api.get("/me"),
        "404": api.get("/chats/2147483647", headers=auth),
        "422": api.post("/chats", json={"model": "nope"}, headers=auth),
    }
    for name, response in answers.items():
        content_type = response.headers.get("content-type", "")
        assert content_type.startswith("application/json"), (name, content_type)
        assert "charset" not in content_type or "utf-8" in content_type.lower(), name
        response.json()
    assert "Заголовок ✓" in answers["chat"].content.decode("utf-8")


# --------------------------------------------------------------------------- demo provider


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server with no GOOGLE_API_KEY (ServerProcess drops GOOGLE_* from the environment).

    It also allows many quick sends, for the paging test below.
    """
    process = ServerProcess(
        tmp_path_factory.mktemp("demo"),
        {"DEMO_DELAY": "0", "SEND_MAX_PER_WINDOW": "1000", "SAVE_INTERVAL": "0.2"},
    ).start()
    with httpx.Client(base_url=process.url + "/api", timeout=30) as client:
        yield client
    process.stop()


def test_demo_server_says_demo_in_health_and_models(demo: httpx.Client) -> None:
    health = demo.get("/health").json()
    assert health == {**health, "status": "ok", "database": "ok", "provider": "demo"}
    body = models_of(demo)
    assert set(MODEL_IDS) <= {model["id"] for model in body["models"]}
    for model in body["models"]:
        assert model.get("provider") == "demo" or "demo" in model["label"].lower(), model
    assert body["default"] == "BeykusChat"


def test_demo_streams_a_canned_answer_with_thinking_for_beykussmallr(demo: httpx.Client) -> None:
    auth = register(demo)
    chat = new_chat(demo, auth, model="BeykusSmallR")
    events = stream(demo, auth, f"/chats/{chat['id']}/messages", {"content": "What is 2+2?"})
    assert events[0]["type"] == "start"
    final = events[-1]
    assert final["type"] == "done"
    message = assert_message(final["message"])
    assert message["status"] == "complete"
    assert message["model"] == "BeykusSmallR"
    assert message["thinking"] and message["thinking"] == joined(events, "thinking")
    assert message["content"].strip() and message["content"] == joined(events, "text")
    assert "demo" in message["content"].lower()
    assert "<think>" not in message["content"]
    assert sum(event["type"] == "text" for event in events) > 1  # it really streams
    listed = demo.get(f"/chats/{chat['id']}/messages", headers=auth).json()["messages"]
    assert listed[-1] == message


def test_demo_answer_for_a_model_without_thinking_has_none(demo: httpx.Client) -> None:
    auth = register(demo)
    chat = new_chat(demo, auth, model="BeykusChat")
    answer = send(demo, auth, chat["id"], "Hello there")["assistant_message"]
    assert answer["status"] == "complete"
    assert answer["thinking"] is None
    assert "demo" in answer["content"].lower()


def test_message_list_default_page_is_the_newest_100(demo: httpx.Client) -> None:
    """Needs 51 quick turns, so it runs on the demo server (no send limit in the way)."""
    auth = register(demo)
    chat = new_chat(demo, auth)["id"]
    for i in range(51):
        send(demo, auth, chat, f"question {i}")
    everything = demo.get(f"/chats/{chat}/messages", params={"limit": 200}, headers=auth).json()[
        "messages"
    ]
    assert len(everything) == 102
    body = demo.get(f"/chats/{chat}/messages", headers=auth).json()
    assert len(body["messages"]) == 100
    assert body["messages"] == everything[2:]
    assert body["has_more"] is True
