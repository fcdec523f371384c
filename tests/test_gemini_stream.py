"""Gemini's chunks read without the SDK's response models: the same fields, cheaper."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from google.genai import models as sdk_models
from google.genai import types

from beykusay.providers.base import AnswerText, GenerationRequest, ProviderError, Turn
from beykusay.providers.gemini import GeminiProvider
from beykusay.providers.gemini_stream import MalformedChunk, parse_chunk

RAW = bytes(range(250, 256)) * 5 + b"\x00signature"  # base64 with '+' and '/' (or - and _)

CHUNKS: list[dict[str, Any]] = [
    {},
    {"candidates": []},
    {"candidates": [{"content": {"parts": [{"text": "Hello"}], "role": "model"}}]},
    {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"text": "hmm", "thought": True},
                        {"text": "", "thoughtSignature": base64.b64encode(RAW).decode()},
                        {"text": "Answer", "thoughtSignature": base64.urlsafe_b64encode(RAW)
                         .decode().rstrip("=")},
                    ],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
            },
            {"content": {"parts": [{"text": "second candidate"}]}},
        ],
        "usageMetadata": {
            "promptTokenCount": 12,
            "candidatesTokenCount": 30,
            "thoughtsTokenCount": 7,
            "totalTokenCount": 49,
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "abc",
    },
    {"candidates": [{"finishReason": "MAX_TOKENS"}], "usageMetadata": {"promptTokenCount": 3}},
    {"candidates": [{"content": {"role": "model"}, "finishReason": "SAFETY"}]},
    {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}},
    {"promptFeedback": {"safetyRatings": []}, "candidates": [{"content": {"parts": []}}]},
]  # fmt: skip


def sdk_response(data: dict[str, Any]) -> types.GenerateContentResponse:
    """The chunk as google-genai itself turns it into a response (what the app read before)."""
    parameters = types._GenerateContentParameters(model="gemini-2.5-flash", contents="Hi")
    converted = sdk_models._GenerateContentResponse_from_mldev(data, None, parameters)
    return types.GenerateContentResponse._from_response(response=converted, kwargs={})


def name(value: object) -> object:
    return getattr(value, "value", value)


@pytest.mark.parametrize("data", CHUNKS)
def test_every_field_the_app_reads_is_what_the_sdk_reads(data: dict[str, Any]) -> None:
    """Answers, thoughts, signatures, finish reasons, token counts and blocked prompts come
    out as they did when every chunk went through the SDK's response model."""
    ours, sdk = parse_chunk(data), sdk_response(data)
    if sdk.prompt_feedback is None:
        assert ours.prompt_feedback is None
    else:
        assert ours.prompt_feedback is not None
        assert ours.prompt_feedback.block_reason == name(sdk.prompt_feedback.block_reason)
    assert (ours.candidates is None) == (sdk.candidates is None)
    for mine, theirs in zip(ours.candidates or [], sdk.candidates or [], strict=True):
        assert mine.finish_reason == name(theirs.finish_reason)
        assert (mine.content is None) == (theirs.content is None)
        if mine.content is not None and theirs.content is not None:
            assert [(p.text, p.thought, p.thought_signature) for p in mine.content.parts or []] == [
                (p.text, p.thought, p.thought_signature) for p in theirs.content.parts or []
            ]
    if sdk.usage_metadata is None:
        assert ours.usage_metadata is None
    else:
        meta = sdk.usage_metadata
        assert ours.usage_metadata is not None
        assert (
            ours.usage_metadata.prompt_token_count,
            ours.usage_metadata.candidates_token_count,
            ours.usage_metadata.thoughts_token_count,
            ours.usage_metadata.total_token_count,
        ) == (
            meta.prompt_token_count,
            meta.candidates_token_count,
            meta.thoughts_token_count,
            meta.total_token_count,
        )


MALFORMED: list[Any] = [
    [],
    {"candidates": {"content": {}}},
    {"candidates": ["text"]},
    {"candidates": [{"content": {"parts": [{"text": 5}]}}]},
    {"candidates": [{"content": {"parts": "Hello"}}]},
    {"candidates": [{"content": {"parts": [{"text": "x", "thought": "yes"}]}}]},
    {"candidates": [{"content": {"parts": [{"thoughtSignature": "not base64 !"}]}}]},
    {"candidates": [{"finishReason": 1}]},
    {"usageMetadata": {"totalTokenCount": "12"}},
    {"usageMetadata": {"totalTokenCount": True}},
    {"promptFeedback": {"blockReason": ["SAFETY"]}},
]


@pytest.mark.parametrize("data", MALFORMED)
def test_a_chunk_of_another_shape_is_refused(data: Any) -> None:
    """A chunk whose fields have other types than Gemini's is refused, never half read."""
    with pytest.raises(MalformedChunk):
        parse_chunk(data)


@pytest.fixture
async def odd_gemini() -> AsyncIterator[str]:
    """A Gemini look-alike whose stream sends one text, then a chunk of the wrong shape."""

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(
            b'data: {"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}\r\n\r\n'
        )
        await response.write(
            b'data: {"candidates": [{"content": {"parts": [{"text": 5}]}}]}\r\n\r\n'
        )
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/{path:.*}", stream)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_a_malformed_chunk_ends_the_answer_with_a_clear_error(odd_gemini: str) -> None:
    """The user keeps the text that arrived and reads "Something went wrong while talking
    to Gemini" (not retried: text had arrived), as when the SDK's model refused it."""
    provider = GeminiProvider("test-key", base_url=odd_gemini, max_retries=0)
    events = []
    try:
        with pytest.raises(ProviderError) as caught:
            request = GenerationRequest("gemini-2.5-flash", "", (Turn("user", "Hi"),))
            async for event in provider.stream(request):
                events.append(event)
    finally:
        await provider.aclose()
    assert events == [AnswerText("Hi")], caught.value.message
    assert caught.value.code == "unknown"
    assert "Something went wrong" in caught.value.message
