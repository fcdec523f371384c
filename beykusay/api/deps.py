"""Dependencies of the API routes: database session, state, the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from sqlmodel import Session

from beykusay.db import get_session, new_session
from beykusay.models import MAX_ID, Chat, User
from beykusay.security import InvalidToken, decode_access_token
from beykusay.services.chats import get_chat
from beykusay.state import AppState, get_state

# Closed when the route function returns, not after the response.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
StateDep = Annotated[AppState, Depends(get_state)]

_UNAUTHORIZED = HTTPException(
    status.HTTP_401_UNAUTHORIZED,
    "Not authenticated: send a valid token as 'Authorization: Bearer <token>'",
    headers={"WWW-Authenticate": "Bearer"},
)


# The user and the chat are read in sessions of their own, closed at once: a route
# that awaits a long answer must not sit on a pooled connection meanwhile.


def current_user(request: Request, state: StateDep) -> User:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _UNAUTHORIZED
    try:
        claims = decode_access_token(token.strip(), key=state.signing_key)
    except InvalidToken:
        raise _UNAUTHORIZED from None
    with new_session() as session:
        user = session.get(User, claims.user_id)
    if user is None or user.token_version != claims.token_version:
        raise _UNAUTHORIZED
    return user


CurrentUser = Annotated[User, Depends(current_user)]

ChatId = Annotated[int, Path(ge=1, le=MAX_ID)]


def owned_chat(chat_id: ChatId, user: CurrentUser) -> Chat:
    assert user.id is not None
    with new_session() as session:
        return get_chat(session=session, user_id=user.id, chat_id=chat_id)


OwnedChat = Annotated[Chat, Depends(owned_chat)]
