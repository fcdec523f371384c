"""A server killed with SIGKILL mid-answer loses nothing it had saved.

Twenty answers stream at once from a slow fake Gemini; the server dies with SIGKILL
(no shutdown hooks, no final save) and starts again on the same SQLite file. The
database must be sound, every earlier message intact, and each of the twenty answers
``interrupted`` keeping at least what the database held for it just before the kill
(read straight from the file while the server ran): nothing saved is lost, and what was
saved is what the model streamed. No clock is involved.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from beykusay.config import Settings
from tests.conftest import gemini_env, register
from tests.fakegemini import FakeGemini, Step, pause, reply, text, thought
from tests.serverproc import ServerProcess
from tests.sse import iter_events

USERS = 10
CHATS_PER_USER = 2  # under the limit of 3 answers running at once per user
ANSWERS = USERS * CHATS_PER_USER
CHUNK_SECONDS = 0.1
THOUGHT_CHUNKS = 3
TEXT_CHUNKS = 400  # 40 s of answer: far longer than the test lets it run
SAVE_INTERVAL = Settings.model_fields["save_interval"].default  # the real setting
SAVED_PIECES = 10  # the answers must have been saved this far before the kill


def thought_piece(script: int, k: int) -> str:
    return f"[t{script}.{k}] "


def text_piece(script: int, k: int) -> str:
    return f"[{script}.{k}] "


def slow_script(script: int) -> list[Step]:
    """Some thoughts, then a long answer, one small chunk every CHUNK_SECONDS."""
    steps: list[Step] = []
    for k in range(THOUGHT_CHUNKS):
        steps += [thought(thought_piece(script, k)), pause(CHUNK_SECONDS)]
    for k in range(TEXT_CHUNKS):
        steps += [text(text_piece(script, k)), pause(CHUNK_SECONDS)]
    return steps  # never finishes: the kill comes first


def full_thinking(script: int) -> str:
    return "".join(thought_piece(script, k) for k in range(THOUGHT_CHUNKS))


def full_text(script: int) -> str:
    return "".join(text_piece(script, k) for k in range(TEXT_CHUNKS))


@dataclass
class Watcher:
    """One client streaming one answer, noting what arrived."""

    url: str
    auth: dict[str, str]
    chat_id: int
    content: str
    start: dict[str, Any] | None = None
    thinking: str = ""
    text: str = ""
    ended: str | None = None  # the final event type, if one came (it must not)
    refused: str | None = None  # the answer to a send that did not stream
    thread: threading.Thread | None = None

    def run(self) -> None:
        try:
            with (
                httpx.Client(base_url=self.url + "/api", timeout=60) as client,
                client.stream(
                    "POST",
                    f"/chats/{self.chat_id}/messages",
                    json={"content": self.content},
                    headers=self.auth,
                ) as response,
            ):
                if response.status_code != 200:
                    self.refused = f"{response.status_code} {response.read()[:300]!r}"
                    return
                for event in iter_events(response):
                    if event["type"] == "start":
                        self.start = event
                    elif event["type"] == "thinking":
                        self.thinking += event["delta"]
                    elif event["type"] == "text":
                        self.text += event["delta"]
                    else:
                        self.ended = event["type"]
        except httpx.HTTPError:
            pass  # the server died under us: expected

    def begin(self) -> None:
        self.thread = threading.Thread(target=self.run, name=f"watch-{self.chat_id}", daemon=True)
        self.thread.start()

    def state(self) -> str:
        return (
            f"chat {self.chat_id}: start={self.start is not None}, {len(self.thinking)} + "
            f"{len(self.text)} chars, ended={self.ended}, "
            f"refused={self.refused}"
        )

    def script(self) -> int:
        found = re.match(r"\[t(\d+)\.0\] ", self.thinking)
        assert found, f"chat {self.chat_id}: unexpected thoughts {self.thinking[:80]!r}"
        return int(found.group(1))


def wait_until(check: Any, timeout: float, what: Any) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what()}"
        time.sleep(0.05)


def saved_answers(database: Path, ids: list[int]) -> dict[int, tuple[str, str]]:
    """(thinking, content) of these answers as the database file holds them right now."""
    marks = ",".join("?" * len(ids))
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        rows = db.execute(
            f"SELECT id, thinking, content FROM messages WHERE id IN ({marks})", ids
        ).fetchall()
    return {row[0]: (row[1] or "", row[2] or "") for row in rows}


def all_messages(api: httpx.Client, auth: dict[str, str], chat_id: int) -> list[dict[str, Any]]:
    response = api.get(f"/chats/{chat_id}/messages", params={"limit": 500}, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def earlier_chats(url: str) -> tuple[dict[str, str], dict[int, list[dict[str, Any]]]]:
    """A new user with CHATS_PER_USER chats of two finished exchanges each."""
    history = {}
    with httpx.Client(base_url=url + "/api", timeout=30) as api:
        auth = register(api)
        for _ in range(CHATS_PER_USER):
            chat = api.post("/chats", json={"model": "BeykusSmallR"}, headers=auth)
            assert chat.status_code == 201, chat.text
            chat_id = chat.json()["id"]
            for turn in range(2):
                sent = api.post(
                    f"/chats/{chat_id}/messages",
                    params={"stream": "false"},
                    json={"content": f"Earlier question {turn} ✓ in chat {chat_id}"},
                    headers=auth,
                )
                assert sent.status_code == 201, sent.text
                assert sent.json()["assistant_message"]["status"] == "complete"
            history[chat_id] = all_messages(api, auth, chat_id)
            assert len(history[chat_id]) == 4
    return auth, history


def test_sigkill_during_twenty_answers_keeps_what_was_saved(
    gemini: FakeGemini, tmp_path: Path
) -> None:
    data_dir = tmp_path / "server"
    env = {**gemini_env(gemini), "SAVE_INTERVAL": str(SAVE_INTERVAL)}
    server = ServerProcess(data_dir, env).start()
    database = data_dir / "beykusay.db"
    restarted: ServerProcess | None = None
    try:
        # -- earlier, finished conversations: every chat holds two exchanges
        gemini.default = reply(
            "An earlier answer, with **markdown** and ünïcödé ✓.",
            thinking="Some earlier thoughts.",
            chunk_chars=7,
        )
        with ThreadPoolExecutor(USERS) as pool:
            users = list(pool.map(lambda _: earlier_chats(server.url), range(USERS)))
        chats = [(auth, chat_id) for auth, history in users for chat_id in history]
        earlier = {chat_id: found for _, history in users for chat_id, found in history.items()}
        assert len(chats) == ANSWERS

        # -- twenty slow answers at once
        gemini.enqueue(*(slow_script(n) for n in range(ANSWERS)))
        watchers = [
            Watcher(server.url, auth, chat_id, f"Tell me a long story, chat {chat_id}")
            for auth, chat_id in chats
        ]
        for watcher in watchers:
            watcher.begin()
        # let every answer stream, and be saved, for a good while: wait until the database
        # file holds SAVED_PIECES pieces of text for every answer, then kill at once
        wait_until(
            lambda: all(w.start is not None for w in watchers),
            30,
            lambda: "every answer to start:\n" + "\n".join(w.state() for w in watchers),
        )
        answer_ids = [w.start["assistant_message_id"] for w in watchers if w.start]
        before_kill: dict[int, tuple[str, str]] = {}

        def saved_far_enough() -> bool:
            before_kill.update(saved_answers(database, answer_ids))
            return all(before_kill[i][1].count("] ") >= SAVED_PIECES for i in answer_ids)

        wait_until(
            saved_far_enough,
            60,
            lambda: (
                f"every answer saved {SAVED_PIECES} pieces far: "
                + ", ".join(str(text.count("] ")) for _, text in before_kill.values())
            ),
        )
        server.kill()
        for watcher in watchers:
            assert watcher.thread is not None
            watcher.thread.join(10)
            assert not watcher.thread.is_alive()
            assert watcher.start is not None, f"chat {watcher.chat_id}: no start event"
            assert watcher.ended is None, f"chat {watcher.chat_id} ended before the kill"

        gemini.reset()
        restarted = ServerProcess(data_dir, env).start()

        # -- the database file is sound
        with sqlite3.connect(database) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []

        # -- earlier messages intact; each answer interrupted with what had streamed
        checked_text = 0
        with httpx.Client(base_url=restarted.url + "/api", timeout=30) as api:
            for watcher in watchers:
                found = all_messages(api, watcher.auth, watcher.chat_id)
                before = earlier[watcher.chat_id]
                assert found[: len(before)] == before, f"chat {watcher.chat_id} lost history"
                assert len(found) == len(before) + 2, found[len(before) :]
                question, answer = found[len(before) :]
                assert watcher.start is not None
                assert question == watcher.start["user_message"]
                assert question["content"] == watcher.content
                assert answer["id"] == watcher.start["assistant_message_id"]
                assert answer["role"] == "assistant"
                assert answer["status"] == "interrupted", answer

                script = watcher.script()
                saved_text = answer["content"]
                saved_thinking = answer["thinking"] or ""
                # what was saved is what the model streamed, nothing else
                assert full_text(script).startswith(saved_text), (watcher.chat_id, saved_text)
                assert full_thinking(script).startswith(saved_thinking), watcher.chat_id
                # ... and keeps everything the file held just before the kill
                thinking_then, text_then = before_kill[answer["id"]]
                assert saved_thinking.startswith(thinking_then), (watcher.chat_id, saved_thinking)
                assert saved_text.startswith(text_then), (
                    f"chat {watcher.chat_id}: {len(saved_text)} chars after the restart, but "
                    f"{len(text_then)} had been saved before the kill"
                )
                assert saved_thinking == full_thinking(script)  # thoughts came first, in full
                checked_text += len(text_then)

            assert checked_text > 0
            # the restarted server answers again in a chat whose answer was cut short
            auth, chat_id = chats[0]
            again = api.post(
                f"/chats/{chat_id}/messages",
                params={"stream": "false"},
                json={"content": "Are you back?"},
                headers=auth,
            )
            assert again.status_code == 201, again.text
            assert again.json()["assistant_message"]["status"] == "complete"
    finally:
        server.kill()
        if restarted is not None:
            restarted.stop()
