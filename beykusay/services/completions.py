"""Answers that belong to a connection (the /v1 API): limits, and the answer's pieces.

Unlike a chat's answer, nothing is saved and nobody else watches: the caller reads the
pieces and, by going away, cancels the provider request. The user's limits still apply:
the monthly tokens, the send rate shared with the chat, and the cap on answers generating
at once, which counts the user's chat answers (from the database) and these calls (in
this process). Each call counts in the user's usage as one answer with its tokens.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from beykusay.db import in_session
from beykusay.models import STREAMING, Chat, Message, User
from beykusay.providers.base import (
    AnswerText,
    Finish,
    GenerationRequest,
    Provider,
    ProviderError,
    Thought,
    Usage,
)
from beykusay.ratelimit import Limiter, check_send_rate
from beykusay.services import usage as usage_days
from beykusay.services.errors import TooManyAttempts
from beykusay.think import Channel, ThinkSplitter

BLOCKED = "BLOCKED"  # the finish of an answer whose prompt Gemini refused


@dataclass(frozen=True, slots=True)
class Piece:
    """A piece of the answer: its thoughts ("thinking") or its text."""

    channel: Channel
    text: str


@dataclass(frozen=True, slots=True)
class Ending:
    """How the answer ended: Gemini's finish reason (or BLOCKED), and the last usage."""

    reason: str
    usage: Usage


@dataclass
class Tally:
    """What an answer has used so far (Gemini's last cumulative usage)."""

    usage: Usage = field(default_factory=Usage)


def admit(session: Session, user: User) -> int:
    """Refuse a user past the monthly limit (429); else their chat answers running."""
    assert user.id is not None
    usage_days.ensure_within_limit(session, user)
    return chat_answers_running(session, user.id)


def record_call(session: Session, user_id: int, tally: Tally) -> None:
    """Count one connection answer and its tokens in the user's usage of today."""
    usage_days.record_usage(
        session=session,
        user_id=user_id,
        prompt_tokens=tally.usage.prompt_tokens,
        output_tokens=tally.usage.output_tokens,
        thinking_tokens=tally.usage.thinking_tokens,
    )
    session.commit()


def chat_answers_running(session: Session, user_id: int) -> int:
    """How many of the user's chat answers are being generated (on any instance)."""
    return session.exec(
        select(func.count())
        .select_from(Message)
        .join(Chat, col(Chat.id) == Message.chat_id)
        .where(Chat.user_id == user_id, Message.status == STREAMING)
    ).one()


class ConnectionAnswers:
    """Admits a user's connection answers within their limits, and counts them."""

    def __init__(self, *, send_limiter: Limiter | None, max_per_user: int) -> None:
        self.send_limiter = send_limiter
        self.max_per_user = max_per_user
        self._running: dict[int, int] = {}

    def running(self, user_id: int) -> int:
        return self._running.get(user_id, 0)

    async def check_send_rate(self, user_id: int) -> None:
        """Count a send against the rate the chat uses too, or refuse it (429)."""
        await check_send_rate(self.send_limiter, user_id)

    async def chat_answers(self, user_id: int) -> int:
        return await asyncio.to_thread(in_session, lambda s: chat_answers_running(s, user_id))

    @contextmanager
    def slot(self, user_id: int, chat_answers: int) -> Iterator[None]:
        """Hold one of the user's answer slots while the block runs, or refuse (429)."""
        running = self.running(user_id) + chat_answers
        if running >= self.max_per_user:
            raise TooManyAttempts(
                5,
                f"You already have {running} answers being generated. "
                "Wait for one to finish, or stop one.",
            )
        self._running[user_id] = self.running(user_id) + 1
        try:
            yield
        finally:
            left = self._running[user_id] - 1
            if left:
                self._running[user_id] = left
            else:
                del self._running[user_id]


async def answer_pieces(
    provider: Provider, request: GenerationRequest, tally: Tally
) -> AsyncGenerator[Piece | Ending, None]:
    """The answer's pieces, split like the chat's (the same ThinkSplitter), then its Ending.

    Native thought parts are thinking; ``<think>`` text is split out of the answer. A
    prompt Gemini blocks ends with BLOCKED instead of an error; any other provider
    failure raises ProviderError. ``tally`` follows the usage as it grows.
    """
    splitter = ThinkSplitter()
    reason: str | None = None
    try:
        async for event in provider.stream(request):
            if isinstance(event, AnswerText):
                for channel, text in splitter.feed(event.text):
                    yield Piece(channel, text)
            elif isinstance(event, Thought):
                if event.text:
                    yield Piece("thinking", event.text)
            elif isinstance(event, Usage):
                tally.usage = event
            elif isinstance(event, Finish):
                reason = event.reason
    except ProviderError as exc:
        if exc.code != "blocked":
            for channel, text in splitter.finish(complete=False):
                yield Piece(channel, text)
            raise
        reason = BLOCKED
    for channel, text in splitter.finish(complete=True):
        yield Piece(channel, text)
    yield Ending(reason or "STOP", tally.usage)
