"""The task body of one answer: stream from the provider into a live answer.

It splits out thoughts, times them, and returns the values the answer is saved
with at the end (content, status, usage, …). It never raises: a provider failure,
a bug or a cancellation each become a final status.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from beykusay.generation.live import LiveAnswer
from beykusay.generation.sources import AnswerSources
from beykusay.grounding import Grounding
from beykusay.outcomes import outcome
from beykusay.providers.base import (
    AnswerText,
    Finish,
    GenerationRequest,
    Provider,
    ProviderError,
    Signature,
    Thought,
    Usage,
)
from beykusay.think import ThinkSplitter

log = logging.getLogger(__name__)


class ThoughtClock:
    """How long the model thought: from its first thought to its first answer text."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.ended: float | None = None

    def saw(self, channel: str) -> None:
        now = time.monotonic()
        if channel == "thinking" and self.started is None:
            self.started = now
        if channel == "text" and self.started is not None and self.ended is None:
            self.ended = now

    def seconds(self) -> float | None:
        if self.started is None:
            return None
        return round((self.ended or time.monotonic()) - self.started, 2)


async def stream_answer(
    live: LiveAnswer, provider: Provider, request: GenerationRequest
) -> dict[str, Any]:
    """Generate the answer into ``live``; the values to save it with at the end."""
    splitter = ThinkSplitter()
    clock = ThoughtClock()
    values: dict[str, Any] = {}
    finish_reason: str | None = None
    code: str | None = None  # stable name of the error, translated when shown
    sources = AnswerSources(live) if request.web_search else None

    def add(channel: str, delta: str) -> None:
        clock.saw(channel)
        live.add(channel, delta)

    try:
        async for event in provider.stream(request):
            if isinstance(event, AnswerText):
                if sources is not None:
                    sources.text(event.text)
                for channel, delta in splitter.feed(event.text):
                    add(channel, delta)
            elif isinstance(event, Grounding):
                if sources is not None:
                    sources.update(event)
            elif isinstance(event, Thought):
                if event.text:
                    add("thinking", event.text)
            elif isinstance(event, Usage):
                values.update(
                    prompt_tokens=event.prompt_tokens,
                    output_tokens=event.output_tokens,
                    thinking_tokens=event.thinking_tokens,
                )
            elif isinstance(event, Signature):
                values["signature"] = event.value
            elif isinstance(event, Finish):
                finish_reason = event.reason
        for channel, delta in splitter.finish(complete=True):
            add(channel, delta)
        status, error, code = outcome(finish_reason, live.text)
    except ProviderError as exc:
        status, error, code = "error", exc.message, exc.code
    except asyncio.CancelledError:
        status, error = live.end_status, None
    except Exception:
        log.exception("answer %s failed", live.message_id)
        status, error = "error", "Something went wrong while generating the answer."
        code = "internal"
    if status != "complete":
        for channel, delta in splitter.finish(complete=False):
            add(channel, delta)
    if (seconds := clock.seconds()) is not None:
        values["thinking_seconds"] = seconds
    if sources is not None:  # before the final event, with the content as it ends
        values.update(sources.values())
    values.update(
        content=live.text,
        thinking=live.thinking or None,
        status=status,
        error=error,
        error_code=code,
        finish_reason=finish_reason,
    )
    return values
