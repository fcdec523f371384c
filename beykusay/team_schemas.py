"""What the API accepts and returns for roles, sign-up, usage and API keys."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from beykusay.schemas import NoNul, Password, Username

Role = Literal["admin", "user"]
AccountStatus = Literal["active", "pending", "disabled"]
SignupPolicy = Literal["open", "approval", "closed"]
TokenLimit = Annotated[int, Field(ge=0, le=10**15)]


class AdminUserOut(BaseModel):
    id: int
    username: str
    role: Role
    status: AccountStatus
    created_at: datetime
    last_seen_at: datetime | None
    chats: int
    messages: int
    month_tokens: int
    monthly_token_limit: int | None


class AdminUserList(BaseModel):
    users: list[AdminUserOut]
    total: int


class AdminUserCreate(BaseModel):
    username: Username
    password: Password
    role: Role = "user"


class AdminUserUpdate(BaseModel):
    role: Role | None = None
    status: AccountStatus | None = None
    password: Password | None = None
    # null: the server's default (USER_MONTHLY_TOKENS) applies again
    monthly_token_limit: TokenLimit | None = None


class AdminSettings(BaseModel):
    signup: SignupPolicy


class UsageDayOut(BaseModel):
    date: date
    messages: int
    prompt_tokens: int
    output_tokens: int
    thinking_tokens: int


class UsageOut(BaseModel):
    days: list[UsageDayOut]
    month_tokens: int
    monthly_token_limit: int | None


def _stripped_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


KeyName = Annotated[str, StringConstraints(max_length=100), NoNul, AfterValidator(_stripped_name)]


class KeyCreate(BaseModel):
    name: KeyName


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class NewKeyOut(KeyOut):
    key: str  # shown only in this answer


class KeyList(BaseModel):
    keys: list[KeyOut]
