"""What web search's bookkeeping costs an answer: nothing without grounding, and no
re-reading of the whole answer per chunk with it (counted, never timed; the figures
are in tests/bench/grounding_collect.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from beykusay import grounding as grounding_module
from beykusay.grounding import Grounding, GroundingCollector
from beykusay.providers import gemini as gemini_module
from beykusay.providers.base import AnswerText, GenerationRequest, Turn
from beykusay.providers.gemini import GeminiProvider
from tests.fakegemini import FakeGemini, reply
from tests.fakegrounding import grounded, redirect
from tests.test_gemini_provider import MODEL, make_provider, run

PAGES = [("wikipedia.org", "https://en.wikipedia.org/wiki/Istanbul")]
ANSWER = "Стамбул 🌉 — 伊斯坦布尔. Istanbul lies on two continents. It was Constantinople."


@pytest.fixture(scope="module")
def provider(fake_gemini: FakeGemini) -> GeminiProvider:
    return make_provider(fake_gemini.base_url)


@pytest.fixture(autouse=True)
async def _close_sessions(provider: GeminiProvider) -> AsyncIterator[None]:
    yield
    await provider.aclose()


def asking(web_search: bool) -> GenerationRequest:
    return GenerationRequest(MODEL, "", (Turn("user", "Istanbul?"),), web_search=web_search)


class _Counted(GroundingCollector):
    made = 0

    def __init__(self) -> None:
        super().__init__()
        type(self).made += 1


@pytest.mark.asyncio
async def test_an_answer_without_web_search_makes_no_grounding_collector(
    gemini: FakeGemini, provider: GeminiProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain answer (web search off, no metadata) streams its text without any
    grounding bookkeeping; with web search on, one collector reads the answer."""
    monkeypatch.setattr(_Counted, "made", 0)
    monkeypatch.setattr(gemini_module, "GroundingCollector", _Counted)
    gemini.enqueue(reply("Hello there, a plain answer.", chunk_chars=5))
    events, err = await run(provider, asking(False))
    assert err is None and "".join(e.text for e in events if isinstance(e, AnswerText))
    assert _Counted.made == 0
    assert not [e for e in events if isinstance(e, Grounding)]
    gemini.enqueue(reply("a"))
    await run(provider, asking(True))
    assert _Counted.made == 1


@pytest.mark.asyncio
async def test_metadata_without_web_search_still_cites_the_text_before_it(
    gemini: FakeGemini, provider: GeminiProvider
) -> None:
    """Should Gemini ground an answer it was not asked to search for, the collector made
    when the metadata first arrives has read the text that came before: the user still
    sees the sentence cited, on the right characters."""
    gemini.enqueue(
        grounded(ANSWER, sources=PAGES, cites=[("It was Constantinople.", [0])], chunk_chars=5)
    )
    events, err = await run(provider, asking(False))
    assert err is None
    text = "".join(e.text for e in events if isinstance(e, AnswerText))
    last = [e for e in events if isinstance(e, Grounding)][-1]
    assert [s.url for s in last.sources] == [redirect(PAGES[0][1])]
    assert [(text[c.start : c.end], c.sources) for c in last.citations] == [
        ("It was Constantinople.", (1,))
    ]


class _Text(str):
    """A chunk's text that counts how often it is encoded to UTF-8."""

    encoded = 0

    def encode(self, *args: object, **kwargs: object) -> bytes:  # type: ignore[override]
        type(self).encoded += 1
        return super().encode(*args, **kwargs)  # type: ignore[arg-type]


def test_many_chunks_are_not_encoded_to_place_a_citation(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long answer in 2,000 chunks with its supports arriving at the end: adding a chunk
    is an append, and the citations land exactly without every chunk being turned into
    bytes (before: each chunk encoded as it came and the whole answer copied per support)."""
    monkeypatch.setattr(_Text, "encoded", 0)
    chunks = [_Text(f"Sentence {i:04}. ") for i in range(2000)]
    collector = GroundingCollector()
    for chunk in chunks:
        collector.add_part(chunk)
    answer = "".join(chunks)
    spans = ["Sentence 0000.", "Sentence 1234.", "Sentence 1999."]
    supports = []
    for span in spans:
        start = answer.index(span)  # ASCII: bytes are characters
        supports.append(
            {
                "segment": {"startIndex": start, "endIndex": start + len(span), "text": span},
                "groundingChunkIndices": [0],
            }
        )
    assert collector.add_metadata(
        {
            "groundingChunks": [{"web": {"uri": "https://example.org/", "title": "ex"}}],
            "groundingSupports": supports,
        }
    )
    cited = [answer[c.start : c.end] for c in collector.result().citations]
    assert cited == spans
    assert _Text.encoded == 0


def test_a_non_ascii_chunk_is_encoded_only_where_an_offset_falls() -> None:
    """Offsets that fall in Cyrillic, emoji and CJK chunks among many others still name
    the very same characters (the piece they fall in is the only one decoded)."""
    chunks = ["Стамбул 🌉 ", "— 伊斯坦布尔. ", "x" * 50, "Istanbul", " lies on two", " continents."]
    collector = GroundingCollector()
    for chunk in chunks:
        collector.add_part(chunk)
    answer = "".join(chunks)
    data = answer.encode()
    for span in ["🌉", "伊斯坦布尔", "Istanbul lies on two continents.", "Стамбул 🌉 — 伊"]:
        start = data.index(span.encode())
        collector.add_metadata(
            {
                "groundingChunks": [{"web": {"uri": "https://example.org/"}}],
                "groundingSupports": [
                    {
                        "segment": {"startIndex": start, "endIndex": start + len(span.encode())},
                        "groundingChunkIndices": [0],
                    }
                ],
            }
        )
    cited = sorted(answer[c.start : c.end] for c in collector.result().citations)
    assert cited == sorted(
        ["🌉", "伊斯坦布尔", "Istanbul lies on two continents.", "Стамбул 🌉 — 伊"]
    )
    inside = data.index("🌉".encode()) + 1
    assert grounding_module.char_span(data, inside, inside + 2) is None
