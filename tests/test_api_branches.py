"""Branches over real HTTP (API.md, Version 2, "Branches"): every version is kept, the
current path is what lists and what the model sees, and any earlier question can be
edited and any version brought back."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests import fakegemini as g
from tests.apihelpers import (
    assert_error_body,
    assert_message,
    messages,
    new_chat,
    open_stream,
    read_until,
    send,
    settled,
    stream,
)
from tests.fakegemini import FakeGemini
from tests.sse import joined

POOL_SIZE = 4  # users these tests take turns with (tests/conftest.py)


def chat_id(api: httpx.Client, auth: dict[str, str], **body: object) -> int:
    return new_chat(api, auth, **body)["id"]


def regenerate(api: httpx.Client, auth: dict[str, str], chat: int) -> dict[str, Any]:
    response = api.post(f"/chats/{chat}/regenerate", params={"stream": "false"}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


def branch(api: httpx.Client, auth: dict[str, str], chat: int, message_id: int, **params: Any):
    return api.post(
        f"/chats/{chat}/branch", json={"message_id": message_id}, params=params, headers=auth
    )


def path(api: httpx.Client, auth: dict[str, str], chat: int) -> list[str]:
    """The contents along the current path, oldest first."""
    return [m["content"] for m in messages(api, auth, chat)]


def contents_sent(gemini: FakeGemini) -> list[tuple[str, str]]:
    """What the last request to Gemini carried: (role, text) per turn."""
    return [
        (content["role"], "".join(part.get("text", "") for part in content["parts"]))
        for content in gemini.requests[-1].body["contents"]
    ]


def ask(api: httpx.Client, auth: dict[str, str], chat: int, *pairs: tuple[str, str], gemini):
    """Send questions in turn, each answered by the fake with the given text."""
    sent = []
    for question, answer in pairs:
        gemini.enqueue(g.reply(answer))
        sent.append(send(api, auth, chat, question))
    return sent


# --------------------------------------------------------------------------- shape


def test_every_message_has_its_parent_and_its_versions(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    first, second = ask(api, user, chat, ("Q1", "A1"), ("Q2", "A2"), gemini=gemini)
    listed = messages(api, user, chat)
    for message in listed:
        assert_message(message)
        assert type(message["sibling_ids"]) is list
    assert [(m["content"], m["parent_id"]) for m in listed] == [
        ("Q1", None),
        ("A1", listed[0]["id"]),
        ("Q2", listed[1]["id"]),
        ("A2", listed[2]["id"]),
    ]
    assert all(m["sibling_ids"] == [m["id"]] for m in listed)
    # the events and the stream=false answer carry the same fields
    assert second["user_message"] == listed[2]
    assert second["assistant_message"] == listed[3]
    events = stream(api, user, f"/chats/{chat}/messages", {"content": "Q3"})
    assert events[0]["user_message"]["parent_id"] == listed[3]["id"]
    assert events[0]["user_message"]["sibling_ids"] == [events[0]["user_message"]["id"]]
    done = events[-1]["message"]
    assert (done["parent_id"], done["sibling_ids"]) == (
        events[0]["user_message"]["id"],
        [done["id"]],
    )
    assert first["user_message"]["parent_id"] is None


# --------------------------------------------------------------------------- regenerate


def test_regenerate_adds_a_version_of_the_last_answer_and_makes_it_current(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    (turn,) = ask(api, user, chat, ("Question", "First answer."), gemini=gemini)
    old = turn["assistant_message"]
    gemini.enqueue(g.reply("Second answer."))
    events = stream(api, user, f"/chats/{chat}/regenerate", {})
    assert events[0]["user_message"] == turn["user_message"]
    new = events[-1]["message"]
    assert (new["parent_id"], new["sibling_ids"]) == (old["parent_id"], [old["id"], new["id"]])
    assert messages(api, user, chat) == [turn["user_message"], new]
    gemini.enqueue(g.reply("Third answer."))
    third = regenerate(api, user, chat)["assistant_message"]
    assert third["sibling_ids"] == [old["id"], new["id"], third["id"]]
    # the first answer is still there, one branch call away
    page = branch(api, user, chat, old["id"])
    assert page.status_code == 200, page.text
    assert [m["content"] for m in page.json()["messages"]] == ["Question", "First answer."]
    assert page.json()["messages"][-1]["sibling_ids"] == third["sibling_ids"]


def test_stop_then_regenerate_keeps_the_stopped_version_and_never_sends_it(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    gemini.enqueue([g.text("Half of "), g.pause(10), g.text("it"), g.finish()])
    with open_stream(api, user, f"/chats/{chat}/messages", {"content": "Tell me"}) as events:
        read_until(events, "text")
        assert api.post(f"/chats/{chat}/stop", headers=user).json() == {"stopped": True}
        stopped = list(events)[-1]["message"]
    assert (stopped["status"], stopped["content"]) == ("stopped", "Half of ")
    gemini.enqueue(g.reply("A whole answer."))
    answer = regenerate(api, user, chat)["assistant_message"]
    assert answer["status"] == "complete"
    assert answer["sibling_ids"] == [stopped["id"], answer["id"]]
    assert contents_sent(gemini) == [("user", "Tell me")]
    assert path(api, user, chat) == ["Tell me", "A whole answer."]
    listed = branch(api, user, chat, stopped["id"]).json()["messages"]
    assert [(m["content"], m["status"]) for m in listed] == [
        ("Tell me", "complete"),
        ("Half of ", "stopped"),
    ]


def test_reattach_and_stop_work_on_a_new_version(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    (turn,) = ask(api, user, chat, ("Q", "Old."), gemini=gemini)
    gemini.enqueue([g.text("New "), g.pause(10), g.text("never"), g.finish()])
    with open_stream(api, user, f"/chats/{chat}/regenerate", {}) as original:
        start = read_until(original, "text")[0]
        with open_stream(api, user, f"/chats/{chat}/stream", method="GET") as again:
            replay = read_until(again, "text")
            assert replay[0] == start
            assert api.post(f"/chats/{chat}/stop", headers=user).json() == {"stopped": True}
            rest = list(again)
    final = rest[-1]["message"]
    assert final["status"] == "stopped" and joined(replay + rest, "text") == "New "
    assert final["sibling_ids"] == [turn["assistant_message"]["id"], final["id"]]
    assert settled(api, user, chat)[-1] == final


# --------------------------------------------------------------------------- edit any question


def test_a_chat_edited_at_three_levels_keeps_every_version(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    turns = ask(api, user, chat, ("Q1", "A1"), ("Q2", "A2"), ("Q3", "A3"), gemini=gemini)
    (q1, a1), (q2, a2), (q3, a3) = [(t["user_message"], t["assistant_message"]) for t in turns]

    gemini.enqueue(g.reply("A3 edited"))
    edited3 = send(api, user, chat, "Q3 edited", parent_id=a2["id"])
    assert edited3["user_message"]["parent_id"] == a2["id"]
    assert edited3["user_message"]["sibling_ids"] == [q3["id"], edited3["user_message"]["id"]]
    assert path(api, user, chat) == ["Q1", "A1", "Q2", "A2", "Q3 edited", "A3 edited"]

    gemini.enqueue(g.reply("A2 edited"))
    edited2 = send(api, user, chat, "Q2 edited", parent_id=a1["id"])
    assert path(api, user, chat) == ["Q1", "A1", "Q2 edited", "A2 edited"]
    assert contents_sent(gemini) == [("user", "Q1"), ("model", "A1"), ("user", "Q2 edited")]

    gemini.enqueue(g.reply("A1 edited"))
    edited1 = send(api, user, chat, "Q1 edited", parent_id=None)
    assert edited1["user_message"]["parent_id"] is None
    assert edited1["user_message"]["sibling_ids"] == [q1["id"], edited1["user_message"]["id"]]
    assert path(api, user, chat) == ["Q1 edited", "A1 edited"]
    assert contents_sent(gemini) == [("user", "Q1 edited")]

    # back to the first question: down to the newest leaf below it (the edit of Q2)
    page = branch(api, user, chat, q1["id"]).json()
    assert [m["content"] for m in page["messages"]] == ["Q1", "A1", "Q2 edited", "A2 edited"]
    assert page == {"messages": messages(api, user, chat), "has_more": False}
    listed = page["messages"]
    assert listed[0]["sibling_ids"] == [q1["id"], edited1["user_message"]["id"]]
    assert listed[2]["sibling_ids"] == [q2["id"], edited2["user_message"]["id"]]
    # and to the original second question: its newest leaf is the edit of Q3
    page = branch(api, user, chat, q2["id"]).json()
    assert [m["content"] for m in page["messages"]] == [
        "Q1",
        "A1",
        "Q2",
        "A2",
        "Q3 edited",
        "A3 edited",
    ]
    assert page["messages"][4]["sibling_ids"] == [q3["id"], edited3["user_message"]["id"]]
    page = branch(api, user, chat, a3["id"]).json()
    assert [m["id"] for m in page["messages"]] == [
        q1["id"],
        a1["id"],
        q2["id"],
        a2["id"],
        q3["id"],
        a3["id"],
    ]
    # a message without parent_id follows the current leaf, wherever it is now
    gemini.enqueue(g.reply("A4"))
    follow = send(api, user, chat, "Q4")
    assert follow["user_message"]["parent_id"] == a3["id"]
    assert contents_sent(gemini) == [
        ("user", "Q1"),
        ("model", "A1"),
        ("user", "Q2"),
        ("model", "A2"),
        ("user", "Q3"),
        ("model", "A3"),
        ("user", "Q4"),
    ]


def test_only_the_current_paths_thought_signatures_go_back_to_gemini(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    gemini.enqueue(g.reply("Kept.", signature=b"sig-kept"), g.reply("Left.", signature=b"sig-left"))
    first = send(api, user, chat, "one")["assistant_message"]
    send(api, user, chat, "two")
    gemini.enqueue(g.reply("Edited."))
    send(api, user, chat, "two, edited", parent_id=first["id"])
    sent = gemini.requests[-1].body["contents"]
    signatures = [part.get("thoughtSignature") for c in sent for part in c["parts"]]
    assert [s for s in signatures if s] == [g._sig(b"sig-kept")]
    assert [c["parts"][0].get("text") for c in sent] == ["one", "Kept.", "two, edited"]


def test_a_bad_parent_is_422_and_nothing_is_saved(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    (turn,) = ask(api, user, chat, ("Q", "A"), gemini=gemini)
    gemini.enqueue(g.reply("A, again"))
    off_path = turn["assistant_message"]["id"]
    regenerate(api, user, chat)  # the first answer is now off the current path
    other = chat_id(api, user)
    (elsewhere,) = ask(api, user, other, ("Other Q", "Other A"), gemini=gemini)
    before = messages(api, user, chat)
    requests = len(gemini.requests)
    bad = {
        "an answer of another chat": elsewhere["assistant_message"]["id"],
        "a user message": turn["user_message"]["id"],
        "an answer off the current path": off_path,
        "no message at all": 2_000_000_000,
    }
    for reason, parent in bad.items():
        response = api.post(
            f"/chats/{chat}/messages",
            params={"stream": "false"},
            json={"content": "edited", "parent_id": parent},
            headers=user,
        )
        assert response.status_code == 422, (reason, response.text)
        assert_error_body(response)
    for parent in (0, -1, 2**31, "x", 1.5):
        response = api.post(
            f"/chats/{chat}/messages", json={"content": "edited", "parent_id": parent}, headers=user
        )
        assert response.status_code == 422, (parent, response.text)
    assert messages(api, user, chat) == before
    assert len(gemini.requests) == requests


# --------------------------------------------------------------------------- branch


def test_branch_answers_like_the_message_list_and_pages_the_new_path(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    turns = ask(api, user, chat, *[(f"Q{n}", f"A{n}") for n in range(4)], gemini=gemini)
    gemini.enqueue(g.reply("A3, again"))
    regenerate(api, user, chat)
    older = turns[3]["assistant_message"]["id"]
    page = branch(api, user, chat, older, limit=3)
    assert page.status_code == 200, page.text
    body = page.json()
    assert set(body) == {"messages", "has_more"}
    assert [m["content"] for m in body["messages"]] == ["A2", "Q3", "A3"]
    assert body["has_more"] is True
    assert body == api.get(f"/chats/{chat}/messages?limit=3", headers=user).json()
    rest = messages(api, user, chat, before=body["messages"][0]["id"], limit=100)
    assert [m["content"] for m in rest] == ["Q0", "A0", "Q1", "A1", "Q2"]
    # the default page is 100, like GET …/messages
    assert len(branch(api, user, chat, older).json()["messages"]) == 8


def test_branch_to_a_missing_message_or_one_of_another_chat_is_404(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    (turn,) = ask(api, user, chat, ("Q", "A"), gemini=gemini)
    other = chat_id(api, user)
    (elsewhere,) = ask(api, user, other, ("Other", "Other A"), gemini=gemini)
    before = messages(api, user, chat)
    for message_id in (elsewhere["assistant_message"]["id"], 2_000_000_000):
        response = branch(api, user, chat, message_id)
        assert response.status_code == 404, response.text
        assert_error_body(response)
    for body in ({}, {"message_id": 0}, {"message_id": 2**31}, {"message_id": "x"}):
        response = api.post(f"/chats/{chat}/branch", json=body, headers=user)
        assert response.status_code == 422, (body, response.text)
    assert messages(api, user, chat) == before
    assert branch(api, user, chat, turn["user_message"]["id"]).status_code == 200


def test_branch_while_an_answer_is_generated_is_409_and_changes_nothing(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    (turn,) = ask(api, user, chat, ("Q", "A"), gemini=gemini)
    gemini.enqueue([g.text("Slow "), g.pause(10), g.text("answer"), g.finish()])
    with open_stream(api, user, f"/chats/{chat}/regenerate", {}) as events:
        read_until(events, "text")
        response = branch(api, user, chat, turn["assistant_message"]["id"])
        assert response.status_code == 409, response.text
        assert_error_body(response)
        api.post(f"/chats/{chat}/stop", headers=user)
        final = list(events)[-1]["message"]
    assert messages(api, user, chat)[-1]["id"] == final["id"]  # still the new version
    assert branch(api, user, chat, turn["assistant_message"]["id"]).status_code == 200


def test_a_branch_switch_racing_a_send_never_hides_the_answer(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """Whichever comes first, the question is answered and the answer is on the current
    path: a switch first moves the path and the question follows it; a switch after the
    answer started is 409."""
    chat = chat_id(api, user)
    (turn,) = ask(api, user, chat, ("Q", "A"), gemini=gemini)
    gemini.enqueue(g.reply("A, again"))
    regenerate(api, user, chat)
    for round_ in range(4):
        gemini.enqueue([g.text("Racing"), g.pause(1), g.finish()])
        target = turn["assistant_message"]["id"]
        leaf = messages(api, user, chat)[-1]["id"]
        with ThreadPoolExecutor(2) as race:
            if round_ % 2:  # each goes first in turn
                switching = race.submit(branch, api, user, chat, target)
            sending = race.submit(
                api.post,
                f"/chats/{chat}/messages",
                params={"stream": "false"},
                json={"content": f"race {round_}"},
                headers=user,
            )
            if not round_ % 2:
                switching = race.submit(branch, api, user, chat, target)
            sent, switched = sending.result(), switching.result()
        assert sent.status_code == 201, sent.text
        assert switched.status_code in (200, 409), switched.text
        listed = messages(api, user, chat)
        assert listed[-1] == sent.json()["assistant_message"]
        assert listed[-2] == sent.json()["user_message"]
        if switched.status_code == 200:  # it came first: the question follows the switch
            assert target in [m["id"] for m in listed]
        else:  # it came second: refused, and the question followed the old leaf
            assert sent.json()["user_message"]["parent_id"] == leaf


def test_search_finds_text_on_any_branch_and_delete_takes_every_branch(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user, title="Branchy")
    ask(api, user, chat, ("Where is the zeppelin?", "In the hangar."), gemini=gemini)
    gemini.enqueue(g.reply("Somewhere else."))
    regenerate(api, user, chat)
    first = messages(api, user, chat)[0]
    gemini.enqueue(g.reply("Fine."))
    send(api, user, chat, "Never mind the zeppelin", parent_id=None)
    assert "hangar" not in str(messages(api, user, chat))
    for needle in ("hangar", "ZEPPELIN?", "somewhere"):
        found = api.get("/chats", params={"q": needle}, headers=user).json()
        assert [c["id"] for c in found["chats"]] == [chat], needle
    assert api.delete(f"/chats/{chat}", headers=user).status_code == 204
    assert api.get(f"/chats/{chat}/messages", headers=user).status_code == 404
    assert branch(api, user, chat, first["id"]).status_code == 404
    assert api.get("/chats", params={"q": "hangar"}, headers=user).json()["total"] == 0
