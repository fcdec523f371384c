"""Messages over real HTTP: paging, sending (SSE and stream=false), 409, re-attaching,
stopping, regenerating, and answers that outlive their connection (API.md "Messages")."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests import fakegemini as g
from tests.apihelpers import (
    assert_error_body,
    assert_message,
    messages,
    new_chat,
    open_stream,
    parse_time,
    read_until,
    send,
    settled,
    stream,
    wait_for,
)
from tests.fakegemini import FakeGemini
from tests.sse import joined

POOL_SIZE = 4  # users these tests take turns with (tests/conftest.py)


def chat_id(api: httpx.Client, auth: dict[str, str], **body: object) -> int:
    return new_chat(api, auth, **body)["id"]


def post_messages(chat: int) -> str:
    return f"/chats/{chat}/messages"


# --------------------------------------------------------------------------- SSE: shapes


def test_send_streams_start_deltas_and_done_as_sse(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("Paris is the capital of France.", chunk_chars=7))
    chat = chat_id(api, user)
    with api.stream(
        "POST", post_messages(chat), json={"content": "Capital of France?"}, headers=user
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = response.read().decode("utf-8")

    # one "data: <json>\n\n" per event (comment lines are keep-alives)
    blocks = [block for block in raw.split("\n\n") if block and not block.startswith(":")]
    events = []
    for block in blocks:
        assert block.startswith("data: "), block
        assert "\n" not in block, block
        events.append(json.loads(block[len("data: ") :]))
    assert raw.endswith("\n\n")

    start, *middle, done = events
    assert start["type"] == "start"
    user_message = assert_message(start["user_message"])
    assert user_message["role"] == "user"
    assert user_message["content"] == "Capital of France?"
    assert user_message["chat_id"] == chat
    assert type(start["assistant_message_id"]) is int
    assert all(event["type"] == "text" and isinstance(event["delta"], str) for event in middle)
    assert len(middle) >= 2  # really streamed in pieces
    assert done["type"] == "done"
    final = assert_message(done["message"])
    assert final["id"] == start["assistant_message_id"]
    assert final["chat_id"] == chat
    assert final["role"] == "assistant"
    assert final["status"] == "complete"
    assert final["error"] is None
    assert final["model"] == "BeykusChat"
    assert final["content"] == joined(events, "text") == "Paris is the capital of France."
    assert final["thinking"] is None
    assert final["thinking_seconds"] is None


def test_thinking_and_text_deltas_concatenate_to_the_saved_message(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(
        g.reply(
            "Answer with **markdown** and ünïcödé ✓.",
            thinking="First I consider the question. Then I answer it.",
            chunk_chars=4,
        )
    )
    chat = chat_id(api, user, model="BeykusSmallR")
    events = stream(api, user, post_messages(chat), {"content": "think please"})
    final = events[-1]["message"]
    assert final["status"] == "complete"
    assert final["thinking"] == joined(events, "thinking")
    assert final["thinking"] == "First I consider the question. Then I answer it."
    assert final["content"] == joined(events, "text") == "Answer with **markdown** and ünïcödé ✓."
    assert isinstance(final["thinking_seconds"], int | float) and final["thinking_seconds"] >= 0
    kinds = [event["type"] for event in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert set(kinds[1:-1]) == {"thinking", "text"}
    assert kinds.index("text") > kinds.index("thinking")


def test_think_tags_split_across_chunks_keep_the_concatenation_invariant(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(
        [
            g.text("<thi"),
            g.text("nk>weighing op"),
            g.text("tions</th"),
            g.text("ink>Final"),
            g.text(" answer."),
            g.finish(),
        ]
    )
    chat = chat_id(api, user)
    events = stream(api, user, post_messages(chat), {"content": "q"})
    final = events[-1]["message"]
    assert final["thinking"] == joined(events, "thinking") == "weighing options"
    assert final["content"] == joined(events, "text") == "Final answer."


def test_done_and_start_messages_equal_what_the_list_returns(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("Listed answer", thinking="brief thought"))
    chat = chat_id(api, user, model="BeykusSmallR")
    events = stream(api, user, post_messages(chat), {"content": "hello"})
    listed = messages(api, user, chat)
    assert listed == [events[0]["user_message"], events[-1]["message"]]


def test_content_is_stored_and_returned_exactly_as_generated(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    raw = (
        "  Leading spaces kept.\n\n<script>alert('x')</script> & <b>bold</b> "
        "[link](javascript:alert(1)) ![img](http://example.com/x.png)\n"
        "```python\nprint('hi')  \n```\ntrailing spaces   \n\ttab\r\nCRLF 😀 \u200b zero-width"
    )
    question = "  <i>user</i> text with trailing spaces  \n"
    gemini.enqueue(g.reply(raw, chunk_chars=9))
    chat = chat_id(api, user)
    events = stream(api, user, post_messages(chat), {"content": question})
    assert events[0]["user_message"]["content"] == question
    assert events[-1]["message"]["content"] == raw
    assert joined(events, "text") == raw
    user_message, answer = messages(api, user, chat)
    assert user_message["content"] == question
    assert answer["content"] == raw


def test_message_model_follows_the_request_then_the_chat(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user, model="BeykusSmall")
    first = send(api, user, chat, "default model")
    assert first["assistant_message"]["model"] == "BeykusSmall"
    second = send(api, user, chat, "override", model="BeykusSmallR")
    assert second["assistant_message"]["model"] == "BeykusSmallR"
    api.patch(f"/chats/{chat}", json={"model": "BeykusChat"}, headers=user)
    third = send(api, user, chat, "after changing the chat's model")
    assert third["assistant_message"]["model"] == "BeykusChat"


def test_sending_moves_chat_updated_at_forward(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = new_chat(api, user)
    exchange = send(api, user, chat["id"], "hi")
    after = api.get(f"/chats/{chat['id']}", headers=user).json()
    assert parse_time(after["updated_at"]) > parse_time(chat["updated_at"])
    assert parse_time(after["updated_at"]) >= parse_time(exchange["user_message"]["created_at"])


# --------------------------------------------------------------------------- stream=false


def test_stream_false_answers_201_with_both_messages(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("Blocking answer.", thinking="hmm"))
    chat = chat_id(api, user, model="BeykusSmallR")
    response = api.post(
        post_messages(chat), params={"stream": "false"}, json={"content": "wait"}, headers=user
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert {"user_message", "assistant_message"} <= set(body)
    user_message = assert_message(body["user_message"])
    answer = assert_message(body["assistant_message"])
    assert (user_message["role"], user_message["content"]) == ("user", "wait")
    assert answer["role"] == "assistant"
    assert answer["status"] == "complete"
    assert answer["content"] == "Blocking answer."
    assert answer["thinking"] == "hmm"
    assert messages(api, user, chat) == [user_message, answer]


def test_stream_false_answers_201_also_when_the_answer_failed(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Half an ans"), g.error_event(500)])
    chat = chat_id(api, user)
    body = send(api, user, chat, "fail please")
    answer = body["assistant_message"]
    assert answer["status"] == "error"
    assert answer["content"] == "Half an ans"
    assert isinstance(answer["error"], str) and answer["error"]


def test_stream_false_answers_201_with_stopped_status_when_stopped(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Before stop."), g.pause(10), g.text("never"), g.finish()])
    chat = chat_id(api, user)
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(
            api.post,
            post_messages(chat),
            params={"stream": "false"},
            json={"content": "long one"},
            headers=user,
        )
        wait_for(lambda: gemini.requests)
        wait_for(
            lambda: any(m["content"] == "Before stop." for m in messages(api, user, chat)),
            timeout=5,
        )
        stopped = api.post(f"/chats/{chat}/stop", headers=user)
        response = future.result(timeout=10)
    assert stopped.json() == {"stopped": True}
    assert response.status_code == 201, response.text
    answer = response.json()["assistant_message"]
    assert answer["status"] == "stopped"
    assert answer["content"] == "Before stop."


# --------------------------------------------------------------------------- 409


def test_second_send_while_answering_is_409_and_saves_nothing(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Busy "), g.pause(1.5), g.text("answering."), g.finish()])
    chat = chat_id(api, user)
    with open_stream(api, user, post_messages(chat), {"content": "first"}) as events:
        read_until(events, "start")
        for params in ({}, {"stream": "false"}):
            clash = api.post(
                post_messages(chat), params=params, json={"content": "second"}, headers=user
            )
            assert clash.status_code == 409, clash.text
            assert_error_body(clash)
        regenerate = api.post(f"/chats/{chat}/regenerate", json={}, headers=user)
        assert regenerate.status_code == 409
        done = read_until(events, "done")[-1]
    assert done["message"]["content"] == "Busy answering."
    listed = messages(api, user, chat)
    assert [m["content"] for m in listed] == ["first", "Busy answering."]
    assert len(gemini.requests) == 1


def test_concurrent_sends_to_one_chat_start_exactly_one_answer(
    server: str, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("The only "), g.pause(1.2), g.text("answer."), g.finish()])
    with httpx.Client(base_url=server + "/api", timeout=30) as api:
        chat = chat_id(api, user)

    def attempt(i: int) -> httpx.Response:
        with httpx.Client(base_url=server + "/api", timeout=30) as client:
            return client.post(
                post_messages(chat),
                params={"stream": "false"},
                json={"content": f"racer {i}"},
                headers=user,
            )

    with ThreadPoolExecutor(5) as pool:
        responses = list(pool.map(attempt, range(5)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 409, 409, 409, 409], [r.text[:100] for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert winner["assistant_message"]["content"] == "The only answer."
    with httpx.Client(base_url=server + "/api", timeout=30) as api:
        listed = messages(api, user, chat)
    assert [m["id"] for m in listed] == [
        winner["user_message"]["id"],
        winner["assistant_message"]["id"],
    ]
    assert len(gemini.requests) == 1


def test_other_chats_can_answer_at_the_same_time(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("slow"), g.pause(1.5), g.finish()], g.reply("quick"))
    slow, quick = chat_id(api, user), chat_id(api, user)
    with open_stream(api, user, post_messages(slow), {"content": "a"}) as events:
        read_until(events, "start")
        wait_for(lambda: gemini.requests)
        assert send(api, user, quick, "b")["assistant_message"]["content"] == "quick"
        assert read_until(events, "done")[-1]["message"]["content"] == "slow"


# --------------------------------------------------------------------------- paging


def _conversation(api: httpx.Client, auth: dict[str, str], turns: int) -> tuple[int, list[dict]]:
    chat = chat_id(api, auth)
    for i in range(turns):
        send(api, auth, chat, f"question {i}")
    return chat, messages(api, auth, chat, limit=200)


def test_messages_are_listed_oldest_first_with_has_more(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat, everything = _conversation(api, user, 5)
    assert len(everything) == 10
    assert [m["role"] for m in everything] == ["user", "assistant"] * 5
    assert [m["content"] for m in everything[::2]] == [f"question {i}" for i in range(5)]
    ids = [m["id"] for m in everything]
    assert ids == sorted(ids)
    for message in everything:
        assert_message(message)
        assert message["chat_id"] == chat
    body = api.get(f"/chats/{chat}/messages", headers=user).json()
    assert body["has_more"] is False and body["messages"] == everything


def test_messages_page_backwards_with_before(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat, everything = _conversation(api, user, 4)  # 8 messages
    ids = [m["id"] for m in everything]

    page = api.get(f"/chats/{chat}/messages", params={"limit": 3}, headers=user).json()
    assert [m["id"] for m in page["messages"]] == ids[5:8]
    assert page["has_more"] is True

    pages, before = [], None
    while True:
        params = {"limit": 3} | ({"before": before} if before else {})
        body = api.get(f"/chats/{chat}/messages", params=params, headers=user).json()
        pages.append([m["id"] for m in body["messages"]])
        if not body["has_more"]:
            break
        before = body["messages"][0]["id"]
    assert pages == [ids[5:8], ids[2:5], ids[0:2]]

    exact = api.get(f"/chats/{chat}/messages", params={"limit": 8}, headers=user).json()
    assert exact["has_more"] is False and len(exact["messages"]) == 8
    oldest = api.get(f"/chats/{chat}/messages", params={"before": ids[0]}, headers=user).json()
    assert oldest["messages"] == []
    assert oldest["has_more"] is False
    middle = api.get(
        f"/chats/{chat}/messages", params={"before": ids[4], "limit": 2}, headers=user
    ).json()
    assert [m["id"] for m in middle["messages"]] == ids[2:4]
    assert middle["has_more"] is True
    one = api.get(f"/chats/{chat}/messages", params={"limit": 1}, headers=user).json()
    assert [m["id"] for m in one["messages"]] == ids[7:8] and one["has_more"] is True


def test_before_an_id_from_another_chat_or_far_ahead_is_harmless(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat, everything = _conversation(api, user, 1)
    body = api.get(f"/chats/{chat}/messages", params={"before": 2_000_000_000}, headers=user).json()
    assert body["messages"] == everything and body["has_more"] is False


def test_new_chat_has_no_messages(api: httpx.Client, user: dict[str, str]) -> None:
    chat = chat_id(api, user)
    body = api.get(f"/chats/{chat}/messages", headers=user).json()
    assert body["messages"] == [] and body["has_more"] is False


# --------------------------------------------------------------------------- connection going away


def test_generation_goes_on_when_the_client_goes_away(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(
        [g.thought("pondering"), g.text("Hello "), g.pause(1.0), g.text("world."), g.finish()]
    )
    chat = chat_id(api, user, model="BeykusSmallR")
    with open_stream(api, user, post_messages(chat), {"content": "hi"}) as events:
        read_until(events, "text")
    # the client has gone; the server keeps generating and saves the whole answer
    listed = settled(api, user, chat)
    answer = listed[-1]
    assert answer["status"] == "complete"
    assert answer["content"] == "Hello world."
    assert answer["thinking"] == "pondering"
    assert gemini.requests[-1].wait() == "completed"


def test_generation_goes_on_when_a_stream_false_client_gives_up(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Patient "), g.pause(1.0), g.text("answer."), g.finish()])
    chat = chat_id(api, user)
    with pytest.raises(httpx.ReadTimeout):
        api.post(
            post_messages(chat),
            params={"stream": "false"},
            json={"content": "I will not wait"},
            headers=user,
            timeout=httpx.Timeout(10, read=0.3),
        )
    answer = settled(api, user, chat)[-1]
    assert (answer["status"], answer["content"]) == ("complete", "Patient answer.")


def test_answer_is_saved_while_it_grows(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Growing "), g.pause(1.5), g.text("done."), g.finish()])
    chat = chat_id(api, user)
    with open_stream(api, user, post_messages(chat), {"content": "grow"}) as events:
        read_until(events, "text")
        growing = wait_for(
            lambda: next(
                (m for m in messages(api, user, chat) if m["content"] == "Growing "), None
            ),
            timeout=3,
        )
        assert growing["status"] == "streaming"
        assert growing["role"] == "assistant"
        assert read_until(events, "done")[-1]["message"]["content"] == "Growing done."


# --------------------------------------------------------------------------- re-attach


def test_reattach_replays_what_was_generated_then_goes_live(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(
        [
            g.thought("Thinking "),
            g.thought("hard."),
            g.text("Hello "),
            g.text("there"),
            g.pause(1.5),
            g.text(", friend."),
            g.finish(),
        ]
    )
    chat = chat_id(api, user, model="BeykusSmallR")
    with open_stream(api, user, post_messages(chat), {"content": "hi"}) as events:
        first = read_until(events, "start")[0]
        read_until(events, "text")
        wait_for(lambda: gemini.requests)
    # the first client went away after the first text; a new one re-attaches
    with open_stream(api, user, f"/chats/{chat}/stream", method="GET") as events:
        replay = list(events)
    assert replay[0] == first
    final = replay[-1]
    assert final["type"] == "done"
    assert final["message"]["content"] == joined(replay, "text") == "Hello there, friend."
    assert final["message"]["thinking"] == joined(replay, "thinking") == "Thinking hard."
    text_events = [event["delta"] for event in replay if event["type"] == "text"]
    assert text_events[0].startswith("Hello ")  # the replay carries what came before
    assert text_events[-1].endswith(", friend.")  # ...and the live part followed
    assert settled(api, user, chat)[-1] == final["message"]


def test_two_watchers_see_the_same_answer(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Shared "), g.pause(1.2), g.text("answer."), g.finish()])
    chat = chat_id(api, user)
    with open_stream(api, user, post_messages(chat), {"content": "x"}) as original:
        read_until(original, "text")
        with open_stream(api, user, f"/chats/{chat}/stream", method="GET") as second:
            second_events = list(second)
        first_events = list(original)
    assert first_events[-1] == second_events[-1]
    assert joined(second_events, "text") == "Shared answer."
    assert second_events[-1]["message"]["content"] == "Shared answer."


def test_reattach_when_nothing_is_generated_is_204(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    empty = api.get(f"/chats/{chat}/stream", headers=user)
    assert empty.status_code == 204
    assert empty.content == b""
    send(api, user, chat, "done already")
    finished = api.get(f"/chats/{chat}/stream", headers=user)
    assert finished.status_code == 204
    assert finished.content == b""


# --------------------------------------------------------------------------- stop


def test_stop_keeps_what_arrived_and_marks_it_stopped(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(
        [
            g.thought("Some thought."),
            g.text("Partial "),
            g.text("answer"),
            g.pause(10),
            g.text(" never sent"),
            g.finish(),
        ]
    )
    chat = chat_id(api, user, model="BeykusSmallR")
    with open_stream(api, user, post_messages(chat), {"content": "long"}) as events:
        seen = read_until(events, "text")
        wait_for(lambda: any(m["content"] == "Partial answer" for m in messages(api, user, chat)))
        response = api.post(f"/chats/{chat}/stop", headers=user)
        assert response.status_code == 200
        assert response.json() == {"stopped": True}
        rest = list(events)
    every = seen + rest
    done = every[-1]
    assert done["type"] == "done"
    assert done["message"]["status"] == "stopped"
    assert done["message"]["content"] == joined(every, "text") == "Partial answer"
    assert done["message"]["thinking"] == joined(every, "thinking") == "Some thought."
    saved = messages(api, user, chat)[-1]
    assert saved["status"] == "stopped"
    assert saved["content"] == "Partial answer"
    assert saved == done["message"]
    assert gemini.requests[-1].wait() == "client_disconnected"  # Gemini is not left running
    assert api.get(f"/chats/{chat}/stream", headers=user).status_code == 204


def test_stop_when_nothing_is_generated_says_false(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    first = api.post(f"/chats/{chat}/stop", headers=user)
    assert first.status_code == 200 and first.json() == {"stopped": False}
    send(api, user, chat, "finished")
    assert api.post(f"/chats/{chat}/stop", headers=user).json() == {"stopped": False}
    assert messages(api, user, chat)[-1]["status"] == "complete"


def test_stopped_chat_takes_the_next_message(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("cut short"), g.pause(10), g.finish()], g.reply("next one"))
    chat = chat_id(api, user)
    with open_stream(api, user, post_messages(chat), {"content": "one"}) as events:
        read_until(events, "text")
        api.post(f"/chats/{chat}/stop", headers=user)
    assert send(api, user, chat, "two")["assistant_message"]["content"] == "next one"
    assert [m["status"] for m in messages(api, user, chat)] == [
        "complete",
        "stopped",
        "complete",
        "complete",
    ]


# --------------------------------------------------------------------------- regenerate


def test_regenerate_replaces_the_last_answer(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("First answer."), g.reply("Second, better answer.", chunk_chars=6))
    chat = chat_id(api, user)
    original = send(api, user, chat, "question")
    events = stream(api, user, f"/chats/{chat}/regenerate", {})
    assert events[0]["type"] == "start"
    assert events[0]["user_message"] == original["user_message"]
    assert events[0]["assistant_message_id"] != original["assistant_message"]["id"]
    final = events[-1]
    assert final["type"] == "done"
    assert final["message"]["content"] == joined(events, "text") == "Second, better answer."
    listed = messages(api, user, chat)
    assert listed == [original["user_message"], final["message"]]
    # Gemini saw only the question, not the answer being replaced
    contents = gemini.requests[-1].body["contents"]
    assert [c["role"] for c in contents] == ["user"]
    assert contents[0]["parts"][0]["text"] == "question"


def test_regenerate_with_stream_false_and_another_model(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("Plain."), g.reply("Reasoned.", thinking="Let me reason."))
    chat = chat_id(api, user, model="BeykusChat")
    original = send(api, user, chat, "question")
    response = api.post(
        f"/chats/{chat}/regenerate",
        params={"stream": "false"},
        json={"model": "BeykusSmallR"},
        headers=user,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user_message"] == original["user_message"]
    answer = assert_message(body["assistant_message"])
    assert answer["model"] == "BeykusSmallR"
    assert (answer["content"], answer["thinking"]) == ("Reasoned.", "Let me reason.")
    assert messages(api, user, chat) == [original["user_message"], answer]


def test_regenerate_without_a_body_uses_the_chat_model(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user, model="BeykusSmall")
    send(api, user, chat, "question")
    response = api.post(f"/chats/{chat}/regenerate", params={"stream": "false"}, headers=user)
    assert response.status_code == 201, response.text
    assert response.json()["assistant_message"]["model"] == "BeykusSmall"


def test_regenerate_replaces_a_failed_answer(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.blocked("OTHER")], g.reply("Recovered."))
    chat = chat_id(api, user)
    failed = send(api, user, chat, "question")["assistant_message"]
    assert failed["status"] == "error"
    response = api.post(f"/chats/{chat}/regenerate", params={"stream": "false"}, headers=user)
    answer = response.json()["assistant_message"]
    assert (answer["status"], answer["content"]) == ("complete", "Recovered.")
    assert [m["id"] for m in messages(api, user, chat)][-1] == answer["id"]
    assert failed["id"] not in [m["id"] for m in messages(api, user, chat)]


def test_regenerate_in_an_empty_chat_is_a_client_error(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = chat_id(api, user)
    response = api.post(f"/chats/{chat}/regenerate", json={}, headers=user)
    assert 400 <= response.status_code < 500, response.text
    assert_error_body(response)
    assert messages(api, user, chat) == []
    assert gemini.requests == []


# --------------------------------------------------------------------------- delete while answering


def test_deleting_a_chat_ends_a_waiting_stream_false_call_cleanly(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """A client waiting with stream=false while its chat is deleted gets its 201 at once:
    the answer was stopped (the delete stops the generation first) and keeps what arrived;
    the chat is gone afterwards."""
    gemini.enqueue([g.text("Doomed"), g.pause(10), g.finish()])
    chat = chat_id(api, user)
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(
            api.post,
            post_messages(chat),
            params={"stream": "false"},
            json={"content": "x"},
            headers=user,
        )
        wait_for(lambda: any(m["content"] == "Doomed" for m in messages(api, user, chat)))
        assert api.delete(f"/chats/{chat}", headers=user).status_code == 204
        response = future.result(timeout=10)
    # DELETE stops the answer and waits for it to end before the rows go: the waiting call
    # answers like any stopped answer ("201 ... also when the answer ended in stopped").
    assert response.status_code == 201, response.text
    question = assert_message(response.json()["user_message"])
    answer = assert_message(response.json()["assistant_message"])
    assert (question["role"], question["content"]) == ("user", "x")
    assert (answer["status"], answer["content"], answer["error"]) == ("stopped", "Doomed", None)
    assert gemini.requests[-1].wait() == "client_disconnected"
    assert api.get(f"/chats/{chat}", headers=user).status_code == 404


def test_deleting_a_chat_stops_its_generation(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """A client streaming an answer whose chat is deleted sees the stream end with "done",
    the answer stopped with what had arrived; Gemini is hung up on and the chat is gone."""
    gemini.enqueue([g.text("Doomed "), g.pause(10), g.text("answer"), g.finish()])
    chat = chat_id(api, user)
    ended = threading.Event()
    with open_stream(api, user, post_messages(chat), {"content": "x"}, timeout=10) as events:
        read_until(events, "text")
        deleted = api.delete(f"/chats/{chat}", headers=user)
        assert deleted.status_code == 204
        rest = list(events)  # the stream ends instead of hanging
        ended.set()
    assert ended.is_set()
    # the stop that DELETE makes is a stop like any other: "done" with status "stopped"
    assert rest and rest[-1]["type"] == "done", rest[-1:]
    final = rest[-1]["message"]
    assert (final["status"], final["content"]) == ("stopped", "Doomed ")
    assert gemini.requests[-1].wait() == "client_disconnected"
    assert api.get(f"/chats/{chat}", headers=user).status_code == 404
    assert api.get(f"/chats/{chat}/stream", headers=user).status_code == 404
    assert api.post(f"/chats/{chat}/stop", headers=user).status_code == 404
