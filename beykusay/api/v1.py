"""The OpenAI-compatible API under /v1: models, and chat completions (whole or streamed).

A completion belongs to its connection: nothing is saved, and a client that goes away
cancels the Gemini request. Errors come in OpenAI's shape (``OpenAIRoute``); a provider
failure before the first piece of the answer is an HTTP error, after it an error event
ends the stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import ExitStack
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.types import Receive, Scope, Send

from beykusay.api.deps import CurrentUser, StateDep
from beykusay.catalog import MODELS
from beykusay.db import in_session
from beykusay.openai_compat.chunks import Completion, error_event
from beykusay.openai_compat.connection import ClientGone, unless_disconnected
from beykusay.openai_compat.errors import OpenAIError, OpenAIRoute, from_provider
from beykusay.openai_compat.messages import build_request
from beykusay.openai_compat.schemas import (
    ChatCompletion,
    ChatCompletionRequest,
    ModelCard,
    ModelList,
    OpenAIErrorOut,
)
from beykusay.providers.base import GenerationRequest, ProviderError
from beykusay.services.completions import (
    Ending,
    Piece,
    Tally,
    admit,
    answer_pieces,
    record_call,
)

log = logging.getLogger(__name__)

MODELS_CREATED = 1_735_689_600  # 2025-01-01: our aliases have no release dates of their own


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "model": OpenAIErrorOut}


router = APIRouter(
    prefix="/v1",
    tags=["OpenAI-compatible"],
    route_class=OpenAIRoute,
    responses={401: _error("Missing or invalid API key or access token")},
)

COMPLETION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A `chat.completion`, or with `stream: true` Server-Sent Events of "
        "`chat.completion.chunk` objects ending with `data: [DONE]`",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    400: _error("Invalid request: bad body, `n` other than 1, an image that is not a data URL"),
    404: _error("Unknown model (`model_not_found`)"),
    413: _error("The body is larger than MAX_BODY_BYTES"),
    429: _error("Sending too fast, too many answers at once, or Gemini's rate limit"),
    502: _error("Gemini failed (its key, its model list, the connection)"),
    503: _error("Gemini is overloaded, or the server is restarting"),
    504: _error("Gemini stopped responding"),
}


@router.get("/models", response_model=ModelList)
def list_models(_user: CurrentUser) -> ModelList:
    """The BeykuSay model ids, for clients that list models before they ask."""
    return ModelList(data=[ModelCard(id=model, created=MODELS_CREATED) for model in MODELS])


async def _whole(pieces: AsyncIterator[Piece | Ending], completion: Completion) -> Ending:
    async for item in pieces:
        if isinstance(item, Ending):
            return item
        completion.add(item)
    raise AssertionError("answer_pieces ends with an Ending")


async def _chunks(
    completion: Completion, first: Piece | Ending, pieces: AsyncIterator[Piece | Ending]
) -> AsyncIterator[bytes]:
    yield completion.role_chunk()
    item = first
    try:
        while isinstance(item, Piece):
            yield completion.piece_chunk(item)
            item = await anext(pieces)
        yield completion.end_chunks(item)
    except ProviderError as exc:
        yield error_event(from_provider(exc))


class Ended:
    """Whatever ends a call (done, failed, or its client gone): its usage is recorded
    and the user's answer slot freed, once."""

    def __init__(self, user_id: int, tally: Tally, slot: ExitStack) -> None:
        self.user_id = user_id
        self.tally = tally
        self.slot = slot

    async def __call__(self) -> None:
        with self.slot:
            try:
                await asyncio.to_thread(
                    in_session, lambda s: record_call(s, self.user_id, self.tally)
                )
            except Exception:  # the answer was given; a lost count must not fail it
                log.exception("could not record the usage of a /v1 call")


class CompletionStream(StreamingResponse):
    """The chunks of one answer; however the response ends (done, or the client gone, even
    before the first chunk), the provider stream is closed and the call ended."""

    def __init__(
        self,
        chunks: AsyncIterator[bytes],
        pieces: AsyncGenerator[Piece | Ending, None],
        ended: Ended,
    ) -> None:
        super().__init__(
            chunks,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self._pieces = pieces
        self._ended = ended

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                await self._pieces.aclose()  # cancels the Gemini request if still running
            finally:
                await self._ended()


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    response_class=Response,
    responses=COMPLETION_RESPONSES,
)
async def chat_completions(
    body: ChatCompletionRequest, user: CurrentUser, state: StateDep, request: Request
) -> Response:
    """OpenAI's Chat Completions: the app's prompt files, then the client's messages."""
    assert user.id is not None
    settings = state.settings
    answers = state.completions

    def prepare() -> tuple[GenerationRequest, int]:
        generation = build_request(
            body, prompts_dir=settings.prompts_dir, gemini_models=settings.model_ids()
        )
        return generation, in_session(lambda s: admit(s, user))

    generation, chat_answers = await asyncio.to_thread(prepare)
    slot = ExitStack()
    slot.enter_context(answers.slot(user.id, chat_answers))  # a refusal counts no send
    try:
        await answers.check_send_rate(user.id)
    except BaseException:
        slot.close()
        raise
    tally = Tally()
    ended = Ended(user.id, tally, slot)
    usage_chunk = bool(body.stream_options and body.stream_options.include_usage)
    completion = Completion(body.model, include_usage=usage_chunk)
    pieces = answer_pieces(state.provider, generation, tally)
    streaming = False
    try:
        if not body.stream:
            ending = await unless_disconnected(request, _whole(pieces, completion))
            return JSONResponse(completion.whole(ending))
        first = await unless_disconnected(request, anext(pieces))
        streaming = True
    except ProviderError as exc:
        raise from_provider(exc) from None
    except ClientGone:
        return Response(status_code=499)  # nobody reads it: the client has gone
    finally:
        if not streaming:
            await ended()
    return CompletionStream(_chunks(completion, first, pieces), pieces, ended)


@router.api_route(
    "/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
def unknown_route(rest: str) -> Response:
    """Other OpenAI endpoints (embeddings, files, …): a 404 its clients can read."""
    raise OpenAIError(
        404,
        f"Unknown endpoint /v1/{rest}: BeykuSay offers /v1/models and /v1/chat/completions.",
        code="unknown_url",
    )
