"""An answer's pieces as OpenAI's ``chat.completion`` object or its stream of chunks."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from beykusay.openai_compat.errors import OpenAIError
from beykusay.outcomes import SAFETY_REASONS
from beykusay.providers.base import Usage
from beykusay.services.completions import BLOCKED, Ending, Piece

DONE = b"data: [DONE]\n\n"
_DELTA_KEYS = {"text": "content", "thinking": "reasoning_content"}


def finish_reason(reason: str) -> str:
    """Gemini's finish reason in OpenAI's words (stop, length or content_filter)."""
    if reason == "MAX_TOKENS":
        return "length"
    if reason in SAFETY_REASONS or reason == BLOCKED:
        return "content_filter"
    return "stop"


def usage_json(usage: Usage) -> dict[str, Any]:
    """OpenAI's usage: completion tokens include the thinking (reasoning) tokens."""
    completion = usage.output_tokens + usage.thinking_tokens
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": usage.prompt_tokens + completion,
        "completion_tokens_details": {"reasoning_tokens": usage.thinking_tokens},
    }


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def error_event(error: OpenAIError) -> bytes:
    return _event(error.body())


class Completion:
    """One completion's identity, and its pieces gathered or turned into chunks."""

    def __init__(self, model: str, *, include_usage: bool = False) -> None:
        self.id = "chatcmpl-" + uuid.uuid4().hex
        self.created = int(time.time())
        self.model = model
        self.include_usage = include_usage
        self.text: list[str] = []
        self.thinking: list[str] = []

    # -- stream

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        payload: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }
        if self.include_usage:
            payload["usage"] = None
        payload.update(extra)
        return _event(payload)

    def _choice(self, delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    def role_chunk(self) -> bytes:
        return self._chunk(self._choice({"role": "assistant", "content": ""}))

    def piece_chunk(self, piece: Piece) -> bytes:
        return self._chunk(self._choice({_DELTA_KEYS[piece.channel]: piece.text}))

    def end_chunks(self, ending: Ending) -> bytes:
        """The chunk with the finish reason, the usage chunk if asked for, and [DONE]."""
        out = self._chunk(self._choice({}, finish_reason(ending.reason)))
        if self.include_usage:
            out += self._chunk([], usage=usage_json(ending.usage))
        return out + DONE

    # -- whole

    def add(self, piece: Piece) -> None:
        (self.text if piece.channel == "text" else self.thinking).append(piece.text)

    def whole(self, ending: Ending) -> dict[str, Any]:
        thinking = "".join(self.thinking)
        message = {
            "role": "assistant",
            "content": "".join(self.text),
            "reasoning_content": thinking or None,
        }
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": finish_reason(ending.reason),
                }
            ],
            "usage": usage_json(ending.usage),
        }
