"""LiteLLM, a client nobody here wrote, talks to /v1 as to any OpenAI-compatible server:
``completion(model="openai/BeykusChat", api_base=…)``, sync and async, whole and streamed."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download at import
import litellm

from tests.fakegemini import FakeGemini, finish, reply, text, usage
from tests.v1clients import token_for, user_says

# LiteLLM's own pydantic models warn about their TypedDicts when first built.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture
def target(server: str) -> dict[str, Any]:
    return {"api_base": server + "/v1", "api_key": token_for(server), "num_retries": 0}


def test_litellm_completion_gets_content_reasoning_and_usage(
    target: dict[str, Any], gemini: FakeGemini
) -> None:
    """A whole answer through litellm.completion: content, reasoning, finish and usage."""
    gemini.enqueue([*reply("LiteLLM hears us.", thinking="Pondering."), usage(6, 4, 2)])
    answer = litellm.completion(model="openai/BeykusSmallR", messages=user_says("hello"), **target)
    choice = answer.choices[0]
    assert choice.message.content == "LiteLLM hears us."
    assert choice.message.reasoning_content == "Pondering."
    assert choice.finish_reason == "stop"
    assert answer.usage.prompt_tokens == 6
    assert answer.usage.completion_tokens == 6
    assert answer.usage.total_tokens == 12


def test_litellm_streams_sync_and_async(target: dict[str, Any], gemini: FakeGemini) -> None:
    """Streamed through litellm, sync and async: the pieces make the answer, and the last
    chunk says why it ended (here: the length limit)."""
    script = [text("Stream"), text("ed by "), text("LiteLLM"), finish("MAX_TOKENS")]
    gemini.enqueue(script, script, [text("Async "), text("too."), finish("STOP")])
    body = {"model": "openai/BeykusChat", "messages": user_says("q"), "stream": True, **target}
    chunks = list(litellm.completion(**body))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Streamed by LiteLLM"
    assert [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason] == ["length"]

    whole = litellm.completion(**{**body, "stream": False})
    assert whole.choices[0].finish_reason == "length"

    async def ask() -> list[Any]:
        stream = await litellm.acompletion(**body)
        return [chunk async for chunk in stream]

    achunks = asyncio.run(ask())
    assert "".join(c.choices[0].delta.content or "" for c in achunks) == "Async too."
