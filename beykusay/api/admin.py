"""Admin endpoints: users and the sign-up policy. Every route needs an admin (403)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from beykusay.api.deps import AdminUser, SessionDep, StateDep
from beykusay.api.docs import AUTH, BODY, error
from beykusay.models import MAX_ID
from beykusay.services import admin
from beykusay.team_schemas import (
    AdminSettings,
    AdminUserCreate,
    AdminUserList,
    AdminUserOut,
    AdminUserUpdate,
)

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    responses={**AUTH, 403: error("Signed in, but not an admin")},
)
UserPath = Annotated[int, Path(ge=1, le=MAX_ID)]
LAST_ADMIN = {409: error("The last active admin cannot be demoted, disabled or deleted")}
NO_USER = {404: error("No such user")}


def _out(row: admin.UserRow) -> AdminUserOut:
    return AdminUserOut.model_validate(row.as_json())


@router.get("/users", response_model=AdminUserList)
def list_users(
    actor: AdminUser,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> AdminUserList:
    rows, total = admin.list_users(
        session=session, actor_id=actor.id or 0, query=q, limit=limit, offset=offset
    )
    return AdminUserList(users=[_out(row) for row in rows], total=total)


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=AdminUserOut,
    responses={**BODY, 409: error("The username is taken")},
)
def create_user(body: AdminUserCreate, actor: AdminUser, session: SessionDep) -> AdminUserOut:
    user = admin.create_user(
        session=session,
        actor_id=actor.id or 0,
        username=body.username,
        password=body.password,
        role=body.role,
    )
    return _out(admin.user_row(session=session, actor_id=actor.id or 0, user_id=user.id or 0))


@router.patch(
    "/users/{user_id}", response_model=AdminUserOut, responses={**BODY, **NO_USER, **LAST_ADMIN}
)
def update_user(
    user_id: UserPath, body: AdminUserUpdate, actor: AdminUser, session: SessionDep
) -> AdminUserOut:
    """Change role, status, password or limit. Disabling ends the user's tokens, keys and
    pages at once; a new password ends their older tokens."""
    changes = body.model_dump(exclude_unset=True)
    for field in ("role", "status", "password"):
        if changes.get(field, "") is None:
            del changes[field]  # null means "leave it"; only the limit can be cleared
    admin.update_user(session=session, actor_id=actor.id or 0, user_id=user_id, **changes)
    return _out(admin.user_row(session=session, actor_id=actor.id or 0, user_id=user_id))


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NO_USER, **LAST_ADMIN},
)
async def delete_user(
    user_id: UserPath, actor: AdminUser, session: SessionDep, state: StateDep
) -> Response:
    """The user with all their chats, messages, files and keys; their answers stop."""
    actor_id = actor.id or 0
    chat_ids = await asyncio.to_thread(
        admin.chat_ids_of, session=session, actor_id=actor_id, user_id=user_id
    )
    for chat_id in chat_ids:
        await state.generation.stop(chat_id)
    await asyncio.to_thread(admin.delete_user, session=session, actor_id=actor_id, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/settings", response_model=AdminSettings)
def get_settings(actor: AdminUser, session: SessionDep) -> AdminSettings:
    return AdminSettings(signup=admin.get_signup_policy(session=session, actor_id=actor.id or 0))


@router.patch("/settings", response_model=AdminSettings, responses=BODY)
def update_settings(body: AdminSettings, actor: AdminUser, session: SessionDep) -> AdminSettings:
    policy = admin.set_signup_policy(session=session, actor_id=actor.id or 0, policy=body.signup)
    return AdminSettings(signup=policy)
