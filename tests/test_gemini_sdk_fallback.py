"""A google-genai without the private functions the light chunk reader uses: the
provider says so at start and reads Gemini's streams through the SDK's public
generate_content_stream, so users still get the same answers (thinking, signature,
usage, sources and citations, blocks), only at more CPU per chunk."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from google import genai

from beykusay.grounding import Grounding
from beykusay.providers import gemini_stream
from beykusay.providers.base import GenerationRequest, Turn
from beykusay.providers.gemini import GeminiProvider
from beykusay.providers.gemini_stream import missing_internals
from tests import fakegemini as g
from tests.fakegemini import FakeGemini
from tests.fakegrounding import grounded
from tests.test_gemini_provider import MODEL, make_provider, run

INTERNAL = "_GenerateContentParameters_to_mldev"
ASK = GenerationRequest(MODEL, "Be kind.", (Turn("user", "Istanbul?"),), thinking=True)
SEARCH = GenerationRequest(MODEL, "", (Turn("user", "Istanbul?"),), web_search=True)
ANSWER = "Стамбул 🌉 — 伊斯坦布尔. Istanbul lies on two continents. It was Constantinople."
PAGES = [("wikipedia.org", "https://en.wikipedia.org/wiki/Istanbul")]


def scripts() -> Iterator[tuple[GenerationRequest, list[g.Step]]]:
    yield (
        ASK,
        [
            *g.reply("Hello there, friend.", thinking="Let me think.", chunk_chars=6),
            g.signature(b"\xfa\xfb\xfcsig"),
            g.usage(5, 9, 3),
        ],
    )
    yield SEARCH, grounded(ANSWER, sources=PAGES, cites=[("It was Constantinople.", [0])])
    yield ASK, [g.blocked("PROHIBITED_CONTENT")]


async def events_of(provider: GeminiProvider, gemini: FakeGemini) -> list[object]:
    seen: list[object] = []
    for request, steps in scripts():
        gemini.enqueue(steps)
        events, error = await run(provider, request)
        seen.append((events, error and (error.code, str(error))))
    await provider.aclose()
    return seen


@pytest.mark.asyncio
async def test_without_the_sdk_internals_answers_come_through_the_public_call(
    gemini: FakeGemini, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The same scripts give the very same events either way; the fallback is logged
    once, at construction, naming what is missing."""
    light = await events_of(make_provider(gemini.base_url), gemini)
    # As a google-genai that renamed it would be (the SDK's own code keeps its copy).
    monkeypatch.setattr(gemini_stream, "sdk_models", SimpleNamespace())
    with caplog.at_level(logging.WARNING, logger="beykusay.providers.gemini"):
        fallback_provider = make_provider(gemini.base_url)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and INTERNAL in warned[0] and "generate_content_stream" in warned[0]
    fallback = await events_of(fallback_provider, gemini)
    assert fallback == light
    answered, error = light[0]
    assert error is None and len(answered) > 5  # the scripts really answered
    searched, _ = light[1]
    assert any(isinstance(e, Grounding) and e.citations for e in searched)
    assert light[2][1][0] == "blocked"
    assert len(gemini.requests) == 6


def test_the_installed_sdk_has_every_internal(fake_gemini: FakeGemini) -> None:
    """With the pinned google-genai nothing is missing (so the light reader is used)."""
    provider = make_provider(fake_gemini.base_url)
    assert provider._light
    assert missing_internals(genai.Client(api_key="test-key")) == []
