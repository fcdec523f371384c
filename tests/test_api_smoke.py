"""A first end-to-end story over HTTP with the real SDK talking to the fake Gemini."""

from __future__ import annotations

import httpx

from tests import fakegemini as g
from tests.fakegemini import FakeGemini
from tests.sse import collect, joined


def test_stream_an_answer_with_thoughts(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("Two plus two is **4**.", thinking="Simple arithmetic.", chunk_chars=5))
    chat = api.post("/chats", json={"model": "BeykusSmallR"}, headers=auth).json()
    with api.stream(
        "POST", f"/chats/{chat['id']}/messages", json={"content": "2+2?"}, headers=auth
    ) as response:
        events = collect(response)
    assert events[0]["type"] == "start"
    assert events[-1]["type"] == "done"
    final = events[-1]["message"]
    assert final["status"] == "complete"
    assert final["content"] == joined(events, "text") == "Two plus two is **4**."
    assert final["thinking"] == joined(events, "thinking") == "Simple arithmetic."
    listed = api.get(f"/chats/{chat['id']}/messages", headers=auth).json()["messages"]
    assert [m["role"] for m in listed] == ["user", "assistant"]
    assert listed[1]["content"] == final["content"]
