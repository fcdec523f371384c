"""Web search over real HTTP (API.md "Web search (grounding)"): the chat's flag and the
per-answer one, the Google Search tool in the request, sources, citations and queries on
every message, and the ``sources`` event while an answer streams and on re-attach."""

from __future__ import annotations

import httpx

from tests import fakegemini as g
from tests.apihelpers import (
    assert_validation_error,
    messages,
    new_chat,
    open_stream,
    read_until,
    send,
    settled,
    stream,
    wait_for,
)
from tests.fakegemini import FakeGemini
from tests.fakegrounding import grounded, redirect, support

PAGES = [
    ("wikipedia.org", "https://en.wikipedia.org/wiki/Ankara"),
    ("britannica.com", "https://www.britannica.com/place/Ankara"),
    ("wikipedia.org", "https://en.wikipedia.org/wiki/Ankara"),  # the same page again
]
ANSWER = "Столица — Анкара 🇹🇷, 首都. Ankara is the capital of Türkiye. It has 5.8 million people."
CITES = [("Ankara is the capital of Türkiye.", [2, 1]), ("It has 5.8 million people.", [1])]
GROUNDED = {"sources", "citations", "search_queries"}


def spans(message: dict) -> list[tuple[str, list[int]]]:
    text = message["content"]
    return [(text[c["start"] : c["end"]], c["sources"]) for c in message["citations"]]


def test_a_chat_has_web_search_off_unless_asked(api: httpx.Client, user: dict[str, str]) -> None:
    """A new chat searches nothing; it can be created searching, and switched either way."""
    plain = new_chat(api, user)
    assert plain["web_search"] is False
    searching = new_chat(api, user, web_search=True)
    assert searching["web_search"] is True
    assert api.get(f"/chats/{searching['id']}", headers=user).json()["web_search"] is True
    off = api.patch(f"/chats/{searching['id']}", json={"web_search": False}, headers=user)
    assert off.status_code == 200 and off.json()["web_search"] is False
    renamed = api.patch(f"/chats/{plain['id']}", json={"title": "Named"}, headers=user).json()
    assert renamed["web_search"] is False  # other changes leave it as it was
    listed = api.get("/chats", headers=user).json()["chats"]
    assert {c["id"]: c["web_search"] for c in listed}[searching["id"]] is False


def test_web_search_that_is_not_a_boolean_is_422(api: httpx.Client, user: dict[str, str]) -> None:
    """A client that sends nonsense for the flag gets a validation error; nothing changes."""
    chat = new_chat(api, user)
    for call in (
        lambda: api.post("/chats", json={"web_search": "maybe"}, headers=user),
        lambda: api.patch(f"/chats/{chat['id']}", json={"web_search": [1]}, headers=user),
        lambda: api.post(
            f"/chats/{chat['id']}/messages",
            json={"content": "x", "web_search": {"on": 1}},
            headers=user,
        ),
    ):
        assert_validation_error(call())
    assert messages(api, user, chat["id"]) == []


def test_the_chat_flag_and_the_answer_flag_decide_the_search_tool(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """The chat's setting is the default; a message or a regeneration may say otherwise
    for its one answer, and the chat keeps its setting."""
    chat = new_chat(api, user, web_search=True)["id"]
    send(api, user, chat, "default")
    send(api, user, chat, "not this one", web_search=False)
    api.patch(f"/chats/{chat}", json={"web_search": False}, headers=user)
    send(api, user, chat, "off now")
    send(api, user, chat, "but this one", web_search=True)
    response = api.post(
        f"/chats/{chat}/regenerate",
        params={"stream": "false"},
        json={"web_search": True},
        headers=user,
    )
    assert response.status_code == 201, response.text
    api.post(f"/chats/{chat}/regenerate", params={"stream": "false"}, headers=user)
    tools = [request.body.get("tools") for request in gemini.requests]
    search = [{"googleSearch": {}}]
    assert tools == [search, None, None, search, search, None]
    assert api.get(f"/chats/{chat}", headers=user).json()["web_search"] is False


def test_a_grounded_answer_has_numbered_sources_and_exact_citations(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """Sources numbered from 1 in Gemini's order, one per page; each citation covers the
    sentence Gemini meant although Cyrillic, an emoji and Chinese come before it."""
    gemini.enqueue(
        grounded(ANSWER, sources=PAGES, cites=CITES, queries=["ankara capital"], chunk_chars=9)
    )
    chat = new_chat(api, user)["id"]
    answer = send(api, user, chat, "Capital?", web_search=True)["assistant_message"]
    assert answer["content"] == ANSWER
    assert answer["sources"] == [
        {"index": 1, "title": "wikipedia.org", "url": redirect(PAGES[0][1])},
        {"index": 2, "title": "britannica.com", "url": redirect(PAGES[1][1])},
    ]
    assert spans(answer) == [
        ("Ankara is the capital of Türkiye.", [1, 2]),
        ("It has 5.8 million people.", [2]),
    ]
    assert answer["search_queries"] == ["ankara capital"]
    assert 'class="chip"' in answer["search_entry_point"]
    assert messages(api, user, chat)[-1] == answer  # stored as shown


def test_text_in_several_parts_and_bad_spans(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """An answer in chunks of three parts is cited as one text; a span that cuts a
    character, runs past the answer or names other text is dropped, not guessed."""
    bad = [
        support(1, 9, [0], None),  # starts inside "С"
        support(0, 10_000, [0], None),  # past the end
        support(0, 6, [1], "Nope"),  # not the text there
    ]
    gemini.enqueue(
        grounded(ANSWER, sources=PAGES, cites=CITES[1:], supports=bad, parts_per_chunk=3)
    )
    chat = new_chat(api, user)["id"]
    answer = send(api, user, chat, "Capital?", web_search=True)["assistant_message"]
    assert spans(answer) == [("It has 5.8 million people.", [2])]


def test_messages_without_web_search_have_empty_lists(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """Questions, and answers given without search, show empty lists (never missing)."""
    gemini.enqueue(g.reply("Plain."))
    chat = new_chat(api, user)["id"]
    both = send(api, user, chat, "hi")
    for message in (both["user_message"], both["assistant_message"], *messages(api, user, chat)):
        assert {k: message[k] for k in GROUNDED} == {key: [] for key in GROUNDED}


def test_the_sources_event_comes_whenever_they_change_before_done(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """Queries arrive first, citations with the end: two ``sources`` events, both before
    ``done``, the last one equal to what the final message carries."""
    gemini.enqueue(grounded(ANSWER, sources=PAGES, cites=CITES, early_queries=True))
    chat = new_chat(api, user, web_search=True)["id"]
    events = stream(api, user, f"/chats/{chat}/messages", {"content": "Capital?"})
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    updates = [e for e in events if e["type"] == "sources"]
    assert len(updates) == 2
    assert updates[0]["search_queries"] == ["fake query"] and updates[0]["citations"] == []
    final = events[-1]["message"]
    assert {k: updates[-1][k] for k in GROUNDED} == {k: final[k] for k in GROUNDED}
    assert spans(final) == [
        ("Ankara is the capital of Türkiye.", [1, 2]),
        ("It has 5.8 million people.", [2]),
    ]


def test_reattaching_replays_the_sources(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """A client that comes back while a grounded answer is still being written (the fake
    pauses under the stall timeout) gets the
    sources seen so far with the text, then the rest live."""
    steps = grounded(ANSWER, sources=PAGES, cites=CITES, early_queries=True, chunk_chars=40)
    gemini.enqueue([steps[0], g.pause(1.5), *steps[1:]])
    chat = new_chat(api, user)["id"]
    body = {"content": "Capital?", "web_search": True}
    with open_stream(api, user, f"/chats/{chat}/messages", body) as events:
        read_until(events, "sources")
        wait_for(lambda: gemini.requests)
    with open_stream(api, user, f"/chats/{chat}/stream", method="GET") as events:
        replay = list(events)
    kinds = [e["type"] for e in replay]
    assert kinds[:3] == ["start", "text", "sources"]  # what was generated so far
    assert replay[2]["search_queries"] == ["fake query"]
    assert replay[-1]["type"] == "done"
    assert (
        replay[-1]["message"]["sources"]
        == [e for e in replay if e["type"] == "sources"][-1]["sources"]
    )
    assert settled(api, user, chat)[-1]["citations"] == replay[-1]["message"]["citations"]
