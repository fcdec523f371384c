"""Messages: page through the current path, send one and stream the answer, re-attach,
stop, regenerate, and switch the path to another version (branch)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse
from sqlmodel import Session

from beykusay.api.deps import ChatId, OwnedChat, SendingUser, SessionDep, StateDep
from beykusay.api.docs import BODY, CHAT, EVENT_STREAM, Responses, error, invalid
from beykusay.api.sse import event_stream
from beykusay.db import in_session
from beykusay.generation.live import LiveAnswer
from beykusay.models import MAX_ID
from beykusay.schemas import BranchTo, Exchange, MessageCreate, MessageList, Regenerate, Stopped
from beykusay.services import messages, tree
from beykusay.services.messages import LEAF, Parent
from beykusay.state import AppState

router = APIRouter(prefix="/chats/{chat_id}", tags=["messages"], responses=CHAT)

STREAM_RESPONSES: Responses = {
    **BODY,
    200: EVENT_STREAM,
    201: {"description": "With `stream=false`: both messages", "model": Exchange},
    409: error("An answer is already being generated in this chat"),
    422: invalid(
        "Invalid body, a `parent_id` that is not an answer on the current path, or an "
        "attachment that is unknown, deleted or another user's"
    ),
    429: error("Sending too fast, or too many answers generating (`Retry-After`)"),
    503: error("The server is shutting down, or rate limiting is unavailable"),
}
StreamFlag = Annotated[bool, Query(description="false: wait and answer 201 with both messages")]
PageSize = Annotated[int, Query(ge=1, le=500)]


def page_of(page: tree.PathPage) -> MessageList:
    return MessageList.model_validate({"messages": page.as_json(), "has_more": page.has_more})


@router.get("/messages", response_model=MessageList)
def list_messages(
    chat: OwnedChat,
    session: SessionDep,
    limit: PageSize = 100,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> MessageList:
    """The newest ``limit`` messages of the chat's current path (older than ``before``)."""
    return page_of(
        tree.current_page(session=session, chat_id=chat.id or 0, limit=limit, before=before)
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
    sender: SendingUser,
    chat_id: ChatId,
    body: MessageCreate,
    state: StateDep,
    stream: StreamFlag = True,
) -> Response:
    assert sender is not None  # None only with an invalid chat_id, refused before
    user, chat = sender.user, sender.chat
    # An absent parent_id follows the current leaf; an explicit null starts at the top.
    parent: Parent = body.parent_id if "parent_id" in body.model_fields_set else LEAF
    live = await state.generation.send(
        user=user,
        chat_id=chat.id or 0,
        content=body.content,
        model=body.model or chat.model,
        parent_id=parent,
        web_search=chat.web_search if body.web_search is None else body.web_search,
        attachments=body.attachments,
    )
    return await _answer(state, live, stream)


@router.post("/regenerate", responses=STREAM_RESPONSES, response_class=Response)
async def regenerate(
    sender: SendingUser,
    chat_id: ChatId,
    state: StateDep,
    body: Regenerate | None = None,
    stream: StreamFlag = True,
) -> Response:
    assert sender is not None  # None only with an invalid chat_id, refused before
    user, chat = sender.user, sender.chat
    model = (body.model if body else None) or chat.model
    asked = body.web_search if body else None
    live = await state.generation.regenerate(
        user=user,
        chat_id=chat.id or 0,
        model=model,
        web_search=chat.web_search if asked is None else asked,
    )
    return await _answer(state, live, stream)


@router.post(
    "/branch",
    response_model=MessageList,
    responses={
        **BODY,
        404: error("No such chat, or no such message in it"),
        409: error("An answer is being generated in this chat"),
    },
)
async def branch(
    chat: OwnedChat, body: BranchTo, state: StateDep, limit: PageSize = 100
) -> MessageList:
    """Make the current path go through ``message_id``, down to the newest leaf below it;
    answers like ``GET …/messages`` on the new path."""
    chat_id = chat.id or 0

    def switch() -> tree.PathPage:
        def work(session: Session) -> tree.PathPage:
            messages.switch_branch(session=session, chat_id=chat_id, message_id=body.message_id)
            return tree.current_page(session=session, chat_id=chat_id, limit=limit)

        return in_session(work)

    return page_of(await state.generation.switch_path(chat_id, switch))


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
