"""Dependencies of the API routes: database session, state, the current user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from beykusay.db import get_session, new_session
from beykusay.models import MAX_ID, Chat, User
from beykusay.security import InvalidToken, decode_access_token
from beykusay.services import keys, signup
from beykusay.services.chats import get_chat
from beykusay.services.errors import NotFound
from beykusay.services.senders import Ask
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
    return user if signup.still_signed_in(user, claims.token_version) else None


def current_user(request: Request, state: StateDep) -> User:
    """The active user behind the bearer: an access token (JWT) or an API key (``bk_…``).

    Which it was is left in ``request.state.auth_via`` ("token" or "key"), for routes
    that keys may not use (``TokenUser``). Disabled and pending users get 401.
    """
    with new_session() as session:
        return _authenticate(session, request, state)


def _bearer(request: Request) -> tuple[str, str]:
    """The request's bearer and what it is ("key" or "token"); 401 without one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _UNAUTHORIZED
    return token, "key" if keys.looks_like_key(token) else "token"


def _authenticate(session: Session, request: Request, state: AppState) -> User:
    token, via = _bearer(request)
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


@dataclass(frozen=True, slots=True)
class Sender:
    """The current user and their chat of the path, found together (``SendingUser``)."""

    user: User
    chat: Chat


_CHAT_ID = TypeAdapter(ChatId)


def _path_chat_id(request: Request) -> int | None:
    """The path's ``chat_id``; None where the route's own validation will refuse it."""
    try:
        return _CHAT_ID.validate_python(request.path_params.get("chat_id"))
    except ValidationError:
        return None  # the route's chat_id parameter answers 422 with the details


async def sender(request: Request, state: StateDep) -> Sender | None:
    """``CurrentUser`` and ``OwnedChat`` together, for the routes that start answers.

    They come in bursts: the token is checked here, on the loop, and its user and chat
    are read with those of the other requests that arrive meanwhile (``senders``), one
    thread hop and two statements for all. Answers exactly as the two would: 401 first,
    then a path ``chat_id`` the route's own validation refuses (422; None is returned
    for it, the route is not called), then 404.
    """
    token, via = _bearer(request)
    if via == "key":
        return await run_in_threadpool(_sender_by_key, request, state)
    try:
        claims = decode_access_token(token, key=state.signing_key)
    except InvalidToken:
        raise _UNAUTHORIZED from None
    chat_id = _path_chat_id(request)
    found = await state.senders.run(Ask(claims.user_id, claims.token_version, chat_id))
    if found.user is None:
        raise _UNAUTHORIZED
    request.state.auth_via = via
    if chat_id is None:
        return None
    if found.chat is None:
        raise NotFound("Chat not found")
    return Sender(found.user, found.chat)


def _sender_by_key(request: Request, state: AppState) -> Sender | None:
    """``sender`` for an API key: the user and the chat in one session."""
    with new_session() as session:
        user = _authenticate(session, request, state)
        assert user.id is not None
        chat_id = _path_chat_id(request)
        if chat_id is None:
            return None
        return Sender(user, get_chat(session=session, user_id=user.id, chat_id=chat_id))


SendingUser = Annotated[Sender | None, Depends(sender)]
