"""My usage and my API keys. Keys are managed only with an access token (403 for keys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from beykusay.api.deps import CurrentUser, SessionDep, TokenUser
from beykusay.api.docs import AUTH, BODY, error
from beykusay.models import MAX_ID
from beykusay.services import keys, usage
from beykusay.team_schemas import KeyCreate, KeyList, KeyOut, NewKeyOut, UsageDayOut, UsageOut

router = APIRouter(prefix="/me", tags=["usage and keys"], responses=AUTH)
WITH_TOKEN = {403: error("Called with an API key: keys cannot manage keys")}


@router.get("/usage", response_model=UsageOut)
def my_usage(
    user: CurrentUser, session: SessionDep, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> UsageOut:
    """The last ``days`` UTC days with use (oldest first), this month's tokens, the limit."""
    report = usage.usage_report(session=session, user=user, days=days)
    return UsageOut(
        days=[
            UsageDayOut(
                date=row.day,
                messages=row.messages,
                prompt_tokens=row.prompt_tokens,
                output_tokens=row.output_tokens,
                thinking_tokens=row.thinking_tokens,
            )
            for row in report.days
        ],
        month_tokens=report.month_tokens,
        monthly_token_limit=report.monthly_token_limit,
    )


@router.post(
    "/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=NewKeyOut,
    responses={**BODY, **WITH_TOKEN},
)
def create_key(body: KeyCreate, user: TokenUser, session: SessionDep) -> NewKeyOut:
    """A new key, shown only in this answer (the server keeps its hash)."""
    row, key = keys.create_key(session=session, user=user, name=body.name)
    return NewKeyOut(key=key, **KeyOut.model_validate(row, from_attributes=True).model_dump())


@router.get("/keys", response_model=KeyList, responses=WITH_TOKEN)
def list_keys(user: TokenUser, session: SessionDep) -> KeyList:
    rows = keys.list_keys(session=session, user_id=user.id or 0)
    return KeyList(keys=[KeyOut.model_validate(row, from_attributes=True) for row in rows])


@router.delete(
    "/keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**WITH_TOKEN, 404: error("No such key")},
)
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: TokenUser, session: SessionDep
) -> Response:
    """The key stops working at once."""
    keys.revoke_key(session=session, user_id=user.id or 0, key_id=key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
