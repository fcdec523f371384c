"""Messages: page through them, send one and stream the answer, re-attach, stop, regenerate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse

from beykusay.api.deps import CurrentUser, OwnedChat, SessionDep, StateDep
from beykusay.api.docs import BODY, CHAT, EVENT_STREAM, Responses, error
from beykusay.api.sse import event_stream
from beykusay.generation.live import LiveAnswer
from beykusay.models import MAX_ID
from beykusay.schemas import Exchange, MessageCreate, MessageList, MessageOut, Regenerate, Stopped
from beykusay.services import messages
from beykusay.state import AppState

router = APIRouter(prefix="/chats/{chat_id}", tags=["messages"], responses=CHAT)

STREAM_RESPONSES: Responses = {
    **BODY,
    200: EVENT_STREAM,
    201: {"description": "With `stream=false`: both messages", "model": Exchange},
    409: error("An answer is already being generated in this chat"),
    429: error("Sending too fast, or too many answers generating (`Retry-After`)"),
    503: error("The server is shutting down, or rate limiting is unavailable"),
}
StreamFlag = Annotated[bool, Query(description="false: wait and answer 201 with both messages")]


@router.get("/messages", response_model=MessageList)
def list_messages(
    chat: OwnedChat,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> MessageList:
    found, has_more = messages.list_messages(
        session=session, chat_id=chat.id or 0, limit=limit, before=before
    )
    return MessageList(
        messages=[MessageOut.model_validate(m, from_attributes=True) for m in found],
        has_more=has_more,
    )


async def _answer(state: AppState, live: LiveAnswer, stream: bool) -> Response:
    if stream:
        subscription = state.generation.subscribe_to(live)
        return event_stream(subscription)
    final = await state.generation.wait(live)
    body = {"user_message": live.start["user_message"], "assistant_message": final["message"]}
    return JSONResponse(body, status_code=status.HTTP_201_CREATED)


@router.post("/messages", responses=STREAM_RESPONSES, response_class=Response)
async def send_message(
    chat: OwnedChat,
    body: MessageCreate,
    user: CurrentUser,
    state: StateDep,
    stream: StreamFlag = True,
) -> Response:
    live = await state.generation.send(
        user=user, chat_id=chat.id or 0, content=body.content, model=body.model or chat.model
    )
    return await _answer(state, live, stream)


@router.post("/regenerate", responses=STREAM_RESPONSES, response_class=Response)
async def regenerate(
    chat: OwnedChat,
    user: CurrentUser,
    state: StateDep,
    body: Regenerate | None = None,
    stream: StreamFlag = True,
) -> Response:
    model = (body.model if body else None) or chat.model
    live = await state.generation.regenerate(user=user, chat_id=chat.id or 0, model=model)
    return await _answer(state, live, stream)


@router.get(
    "/stream",
    response_class=Response,
    responses={
        200: EVENT_STREAM,
        204: {"description": "Nothing is being generated in this chat"},
    },
)
async def reattach(chat: OwnedChat, state: StateDep) -> Response:
    subscription = await state.generation.attach(chat.id or 0)
    if subscription is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return event_stream(subscription)


@router.post("/stop", response_model=Stopped)
async def stop(chat: OwnedChat, state: StateDep) -> Stopped:
    return Stopped(stopped=await state.generation.stop(chat.id or 0))
