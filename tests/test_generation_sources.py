"""Sources of an answer inside the server: moved onto the stored content, saved while it
grows, replayed to late watchers, the demo provider's labelled examples, and carried by
the relay to a viewer on another instance."""

from __future__ import annotations

import asyncio
import json

import pytest

from beykusay.events import is_final
from beykusay.grounding import Citation, Grounding, Source
from beykusay.providers.base import AnswerText, Finish
from beykusay.providers.demo import DemoProvider
from beykusay.state import AppState
from tests import test_generation, test_relay
from tests.scripted import ScriptedProvider, Wait
from tests.test_generation import stored
from tests.test_instances import redis_available
from tests.test_relay import Pair, collect

world = test_generation.world  # the fixtures: one app and a chat; two instances
pair = test_relay.pair

World = tuple[AppState, ScriptedProvider, object, int]
SOURCE = Source(1, "example.com", "https://example.com/")


async def test_citations_follow_the_content_when_a_think_block_is_taken_out(
    world: World,
) -> None:
    """The model wrote its thoughts in <think> tags before a cited answer: the citation
    still covers the cited words of the answer shown."""
    state, provider, user, chat = world
    raw = "<think>Let me look.</think>Sun is hot."
    cited = Grounding((SOURCE,), (Citation(raw.index("hot"), len(raw) - 1, (1,)),), ("sun",))
    provider.enqueue([AnswerText(raw[:12]), AnswerText(raw[12:]), cited, Finish("STOP")])
    live = await state.generation.send(
        user=user, chat_id=chat, content="sun?", model="BeykusChat", web_search=True
    )
    message = (await state.generation.wait(live))["message"]
    assert message["content"] == "Sun is hot."
    assert message["citations"] == [{"start": 7, "end": 10, "sources": [1]}]
    assert message["thinking"] == "Let me look."


async def test_a_growing_answer_saves_its_sources_and_late_watchers_get_them(
    world: World,
) -> None:
    """Sources that came mid-answer are in the database before the answer ends, and a
    tab that opens then is shown them with the text."""
    state, provider, user, chat = world
    gate = Wait()
    grounding = Grounding((SOURCE,), (Citation(0, 5, (1,)),), ("q",), "<div>chips</div>")
    provider.enqueue([AnswerText("Hello world"), grounding, gate, Finish("STOP")])
    live = await state.generation.send(
        user=user, chat_id=chat, content="hi", model="BeykusChat", web_search=True
    )
    await gate.reached.wait()
    await state.generation.save_progress()
    row = stored(live.message_id)
    assert row.status == "streaming"
    assert json.loads(row.grounding or "{}")["citations"] == [
        {"start": 0, "end": 5, "sources": [1]}
    ]
    assert row.search_entry_point == "<div>chips</div>"
    late = state.generation.subscribe(chat)
    assert late is not None
    replay = [late.queue.get_nowait() for _ in range(late.queue.qsize())]
    assert [e["type"] for e in replay] == ["start", "text", "sources"]
    assert replay[2]["search_entry_point"] == "<div>chips</div>"
    gate.gate.set()
    final = await state.generation.wait(live)
    assert final["message"]["sources"] == [
        {"index": 1, "title": "example.com", "url": "https://example.com/"}
    ]


async def test_without_web_search_grounding_is_ignored(world: World) -> None:
    """An answer asked without web search never shows sources, whatever the model says."""
    state, provider, user, chat = world
    provider.enqueue([AnswerText("Hi"), Grounding((SOURCE,)), Finish("STOP")])
    live = await state.generation.send(user=user, chat_id=chat, content="x", model="BeykusChat")
    message = (await state.generation.wait(live))["message"]
    assert message["sources"] == [] and live.start["web_search"] is False


async def test_the_demo_answers_with_two_labelled_example_sources(world: World) -> None:
    """Offline, with web search on, the demo shows what a grounded answer looks like with
    two sources that say they are made up; both cited sentences carry markers."""
    state, _, user, chat = world
    state.generation.provider = DemoProvider(delay=0, chunk_chars=50)
    for model in ("BeykusChat", "BeykusSmallR"):  # with thoughts before the answer too
        live = await state.generation.send(
            user=user, chat_id=chat, content="x", model=model, web_search=True
        )
        message = (await state.generation.wait(live))["message"]
        titles = [s["title"] for s in message["sources"]]
        assert len(titles) == 2 and all("demo, not a real search result" in t for t in titles)
        text = message["content"]
        assert [text[c["start"] : c["end"]] for c in message["citations"]] == [
            "The first example source supports this sentence.",
            "The second example source supports this one, and so does the first.",
        ]
        assert message["search_queries"] and message["search_entry_point"]
    live = await state.generation.send(user=user, chat_id=chat, content="y", model="BeykusChat")
    assert (await state.generation.wait(live))["message"]["sources"] == []


@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")
async def test_the_relay_carries_sources_to_another_instance(pair: Pair) -> None:
    """A viewer on instance B, attaching mid-answer, gets the sources A saw so far (from
    the database), the later ones live, and the final message with them."""
    chat = pair.chat()
    middle = Wait()
    early = Grounding((), (), ("early query",))
    full = Grounding((SOURCE,), (Citation(0, 3, (1,)),), ("early query",))
    pair.provider.enqueue([AnswerText("One two"), early, middle, full, Finish("STOP")])
    live = await pair.a.generation.send(
        user=pair.user, chat_id=chat, content="go", model="BeykusChat", web_search=True
    )
    await middle.reached.wait()
    await pair.a.generation.save_progress()
    await pair.a.generation.relay.flush()
    follower = await pair.b.generation.attach(chat)
    assert follower is not None
    following = asyncio.create_task(collect(follower))
    middle.gate.set()
    final = await pair.a.generation.wait(live)
    events = await following
    updates = [e for e in events if e["type"] == "sources"]
    assert updates[0]["search_queries"] == ["early query"] and updates[0]["citations"] == []
    assert updates[-1]["citations"] == [{"start": 0, "end": 3, "sources": [1]}]
    assert [e["type"] for e in events].index("sources") < len(events) - 1
    assert is_final(events[-1]) and events[-1] == final
    assert final["message"]["sources"][0]["url"] == "https://example.com/"
