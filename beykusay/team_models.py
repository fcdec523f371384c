"""Entities of a server for a team: API keys, usage per user per UTC day, app settings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from beykusay.db import UTCDateTime, utcnow


class ApiKey(SQLModel, table=True):
    """A user's API key; only its sha256 is kept (the key is shown once)."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)  # the key's first characters, to tell keys apart
    key_hash: str = Field(max_length=64, unique=True)  # sha256 hex of the whole key
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UsageDay(SQLModel, table=True):
    """Answers and tokens of one user on one UTC day, added to as answers finish."""

    __tablename__ = "usage_days"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    day: date = Field(sa_column=Column(Date, primary_key=True))
    messages: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0


class AppSetting(SQLModel, table=True):
    """A setting an admin changes at run time (the environment gives its default)."""

    __tablename__ = "app_settings"

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=255)
