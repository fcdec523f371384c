"""Dependencies of the API routes: database session, state, the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from sqlmodel import Session

from beykusay.db import get_session, new_session
from beykusay.models import MAX_ID, Chat, User
from beykusay.security import InvalidToken, decode_access_token
from beykusay.services import keys, signup
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


def _user_for_token(session: Session, token: str, signing_key: str) -> User | None:
    try:
        claims = decode_access_token(token, key=signing_key)
    except InvalidToken:
        return None
    user = session.get(User, claims.user_id)
    return user if user is not None and user.token_version == claims.token_version else None


def current_user(request: Request, state: StateDep) -> User:
    """The active user behind the bearer: an access token (JWT) or an API key (``bk_…``).

    Which it was is left in ``request.state.auth_via`` ("token" or "key"), for routes
    that keys may not use (``TokenUser``). Disabled and pending users get 401.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _UNAUTHORIZED
    via = "key" if keys.looks_like_key(token) else "token"
    with new_session() as session:
        if via == "key":
            user = keys.user_for_key(session=session, key=token)
        else:
            user = _user_for_token(session, token, state.signing_key)
        if user is None or user.status != signup.ACTIVE:
            raise _UNAUTHORIZED
        signup.note_seen(session, user)
    request.state.auth_via = via
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def token_user(request: Request, user: CurrentUser) -> User:
    """The current user, signed in with a password's token: API keys are refused (403)."""
    if getattr(request.state, "auth_via", None) != "token":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "API keys cannot manage API keys or change the password: use an access token",
        )
    return user


TokenUser = Annotated[User, Depends(token_user)]


def admin_user(user: CurrentUser) -> User:
    """The current user if an admin (checked on every request); others get 403."""
    if user.role != signup.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only admins can do this")
    return user


AdminUser = Annotated[User, Depends(admin_user)]

ChatId = Annotated[int, Path(ge=1, le=MAX_ID)]


def owned_chat(chat_id: ChatId, user: CurrentUser) -> Chat:
    assert user.id is not None
    with new_session() as session:
        return get_chat(session=session, user_id=user.id, chat_id=chat_id)


OwnedChat = Annotated[Chat, Depends(owned_chat)]
