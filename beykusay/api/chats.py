"""Chats: list and search, create, read, rename, delete."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from beykusay.api.deps import CurrentUser, OwnedChat, SessionDep, StateDep
from beykusay.api.docs import AUTH, BODY, CHAT
from beykusay.schemas import ChatCreate, ChatList, ChatOut, ChatUpdate
from beykusay.services import chats

router = APIRouter(prefix="/chats", tags=["chats"], responses=AUTH)


def chat_out(chat: object) -> ChatOut:
    return ChatOut.model_validate(chat, from_attributes=True)


@router.get("", response_model=ChatList)
def list_chats(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> ChatList:
    assert user.id is not None
    found, total = chats.list_chats(
        session=session, user_id=user.id, limit=limit, offset=offset, query=q
    )
    return ChatList(chats=[chat_out(chat) for chat in found], total=total)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ChatOut, responses=BODY)
def create_chat(user: CurrentUser, session: SessionDep, body: ChatCreate | None = None) -> ChatOut:
    body = body or ChatCreate()
    return chat_out(
        chats.create_chat(
            session=session,
            user=user,
            title=body.title,
            model=body.model,
            web_search=body.web_search,
        )
    )


@router.get("/{chat_id}", response_model=ChatOut, responses=CHAT)
def get_chat(chat: OwnedChat) -> ChatOut:
    return chat_out(chat)


@router.patch("/{chat_id}", response_model=ChatOut, responses={**CHAT, **BODY})
def update_chat(chat: OwnedChat, body: ChatUpdate, session: SessionDep) -> ChatOut:
    return chat_out(
        chats.update_chat(
            session=session,
            chat=chat,
            title=body.title,
            model=body.model,
            web_search=body.web_search,
        )
    )


@router.delete("/{chat_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHAT)
async def delete_chat(chat: OwnedChat, session: SessionDep, state: StateDep) -> Response:
    await state.generation.stop(chat.id or 0)
    await asyncio.to_thread(chats.delete_chat, session=session, chat=chat)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
