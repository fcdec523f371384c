"""Accounts: register, log in, who am I, my settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from beykusay.api.deps import CurrentUser, SessionDep, StateDep, TokenUser
from beykusay.api.docs import AUTH, BODY, error
from beykusay.clients import client_address
from beykusay.schemas import (
    Credentials,
    LoginForm,
    MeOut,
    PasswordChange,
    SettingsUpdate,
    TokenOut,
    UserOut,
    UserSettings,
)
from beykusay.services import accounts

router = APIRouter(tags=["accounts"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses={**BODY, 409: error("The username is taken")},
)
def register(body: Credentials, session: SessionDep) -> UserOut:
    user = accounts.register_user(session=session, username=body.username, password=body.password)
    return UserOut.model_validate(user, from_attributes=True)


@router.post(
    "/login",
    response_model=TokenOut,
    responses={
        **BODY,
        401: error("Invalid username or password"),
        429: error("Too many failed logins (`Retry-After`)"),
        503: error("Rate limiting is unavailable right now"),
    },
)
def login(
    body: LoginForm,
    session: SessionDep,
    state: StateDep,
    client: Annotated[str, Depends(client_address)],
) -> TokenOut:
    user = accounts.authenticate(
        session=session,
        guard=state.login_guard,
        username=body.username,
        password=body.password,
        client=client,
    )
    token = accounts.issue_token(user=user, settings=state.settings)
    return TokenOut(access_token=token.token, expires_in=token.expires_in)


@router.get("/me", response_model=MeOut, responses=AUTH)
def me(user: CurrentUser) -> MeOut:
    return MeOut(
        id=user.id or 0,
        username=user.username,
        created_at=user.created_at,
        settings=accounts.user_settings(user),
        role=user.role,  # type: ignore[arg-type]
    )


@router.patch("/me/settings", response_model=UserSettings, responses={**AUTH, **BODY})
def update_settings(body: SettingsUpdate, user: CurrentUser, session: SessionDep) -> UserSettings:
    return accounts.update_settings(session=session, user=user, update=body)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**AUTH, **BODY, 400: error("The current password is wrong")},
)
def change_password(body: PasswordChange, user: TokenUser, session: SessionDep) -> None:
    """Change the password; tokens issued before stop working. Not with an API key (403)."""
    accounts.change_password(
        session=session, user=user, current=body.current_password, new=body.new_password
    )
