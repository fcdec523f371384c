"""GeminiProvider with web search against the fake Gemini (real google-genai SDK between):
the Google Search tool goes out, grounding metadata comes back as sources and citations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from beykusay.grounding import Grounding
from beykusay.providers.base import AnswerText, GenerationRequest, Turn
from beykusay.providers.gemini import GeminiProvider
from tests.fakegemini import FakeGemini, reply
from tests.fakegrounding import grounded, redirect
from tests.test_gemini_provider import MODEL, make_provider, run

PAGES = [
    ("wikipedia.org", "https://en.wikipedia.org/wiki/Istanbul"),
    ("britannica.com", "https://www.britannica.com/place/Istanbul"),
]
ANSWER = "Стамбул 🌉 — 伊斯坦布尔. Istanbul lies on two continents. It was Constantinople."


@pytest.fixture(scope="module")
def provider(fake_gemini: FakeGemini) -> GeminiProvider:
    return make_provider(fake_gemini.base_url)


@pytest.fixture(autouse=True)
async def _close_sessions(provider: GeminiProvider) -> AsyncIterator[None]:
    yield
    await provider.aclose()


def searching(web_search: bool = True) -> GenerationRequest:
    return GenerationRequest(MODEL, "Be kind.", (Turn("user", "Istanbul?"),), web_search=web_search)


@pytest.mark.asyncio
async def test_web_search_sends_the_google_search_tool(
    gemini: FakeGemini, provider: GeminiProvider
) -> None:
    """With web search on, Gemini is asked with its Google Search tool; with it off, not."""
    gemini.enqueue(reply("a"), reply("b"))
    await run(provider, searching(True))
    await run(provider, searching(False))
    on, off = gemini.requests
    assert on.body["tools"] == [{"googleSearch": {}}]
    assert "tools" not in off.body


@pytest.mark.asyncio
async def test_grounding_metadata_becomes_sources_and_code_point_citations(
    gemini: FakeGemini, provider: GeminiProvider
) -> None:
    """Cyrillic, an emoji and Chinese before the cited sentences, the answer in many
    chunks of two parts each, the metadata in the last chunk: each citation covers
    exactly its sentence, sources numbered from 1 in Gemini's order."""
    cites = [("Istanbul lies on two continents.", [1, 0]), ("It was Constantinople.", [0])]
    gemini.enqueue(
        grounded(
            ANSWER,
            sources=PAGES,
            cites=cites,
            queries=["istanbul continents"],
            chunk_chars=7,
            parts_per_chunk=2,
        )
    )
    events, err = await run(provider, searching())
    assert err is None
    text = "".join(e.text for e in events if isinstance(e, AnswerText))
    assert text == ANSWER
    grounding = [e for e in events if isinstance(e, Grounding)][-1]
    assert [(s.index, s.title, s.url) for s in grounding.sources] == [
        (1, "wikipedia.org", redirect(PAGES[0][1])),
        (2, "britannica.com", redirect(PAGES[1][1])),
    ]
    assert [(text[c.start : c.end], c.sources) for c in grounding.citations] == [
        ("Istanbul lies on two continents.", (2, 1)),
        ("It was Constantinople.", (1,)),
    ]
    assert grounding.search_queries == ("istanbul continents",)
    assert grounding.search_entry_point and 'class="chip"' in grounding.search_entry_point


@pytest.mark.asyncio
async def test_queries_early_then_supports_later_are_two_updates(
    gemini: FakeGemini, provider: GeminiProvider
) -> None:
    """Queries and the entry point in the first chunk, supports with the last: the
    provider reports the grounding twice, the second time with the citations."""
    gemini.enqueue(
        grounded(ANSWER, sources=PAGES, cites=[("It was Constantinople.", [1])], early_queries=True)
    )
    events, _ = await run(provider, searching())
    first, last = [e for e in events if isinstance(e, Grounding)]
    assert first.search_queries == ("fake query",) and first.citations == ()
    assert [c.sources for c in last.citations] == [(2,)]
