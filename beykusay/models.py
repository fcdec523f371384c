"""Database entities: users (with their settings), chats and their trees of messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import class_mapper
from sqlmodel import Field, SQLModel

from beykusay.db import UTCDateTime, utcnow

MAX_ID = 2_147_483_647  # ids are 32-bit integers on every database we support
STREAMING = "streaming"  # the status of an answer still being generated


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=32)
    username_key: str = Field(max_length=32, unique=True)  # lower-cased, for uniqueness
    password_hash: str = Field(max_length=255)
    token_version: int = 0  # bumped on password change: older tokens stop working
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    theme: str = Field(default="auto", max_length=8)
    default_model: str = Field(default="BeykusChat", max_length=32)
    custom_instructions: str = Field(default="", sa_type=Text)
    language: str = Field(default="", max_length=8)  # "" follows the browser
    role: str = Field(default="user", max_length=8)  # "admin" | "user"
    status: str = Field(default="active", max_length=16)  # "active" | "pending" | "disabled"
    monthly_token_limit: int | None = None  # None: USER_MONTHLY_TOKENS applies
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Chat(SQLModel, table=True):
    __tablename__ = "chats"
    __table_args__ = (Index("ix_chats_user_updated", "user_id", "updated_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    title: str = Field(max_length=200)
    auto_title: bool = True  # still waiting to be titled from its first message
    model: str = Field(max_length=32)
    web_search: bool = False  # answers search the web unless a message says otherwise
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The end of the chat's current path through its message tree (None: no messages).
    # No ON DELETE action: a chat's messages go only with the chat (same statement, or
    # after the leaf is cleared; see chats.delete_chat). use_alter: the tables refer to
    # each other.
    current_leaf_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("messages.id", use_alter=True), nullable=True),
    )


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_chat_id_id", "chat_id", "id"),
        Index("ix_messages_status", "status"),
        # children of a message (siblings, the walk down, cascades); roots of a chat
        Index("ix_messages_parent_chat", "parent_id", "chat_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(
        sa_column=Column(Integer, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False)
    )
    # The message this one follows (None: a first message); versions share a parent.
    # No ON DELETE action: a message goes only with its whole chat, in one statement.
    parent_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("messages.id"), nullable=True)
    )
    role: str = Field(max_length=16)
    content: str = Field(default="", sa_type=Text)
    thinking: str | None = Field(default=None, sa_type=Text)
    thinking_seconds: float | None = None
    model: str | None = Field(default=None, max_length=32)
    status: str = Field(default="complete", max_length=16)
    error: str | None = Field(default=None, sa_type=Text)
    error_code: str | None = Field(default=None, max_length=32)  # the error's kind, for i18n
    finish_reason: str | None = Field(default=None, max_length=32)
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    thinking_tokens: int | None = None
    history_omitted: int = 0  # older messages left out of the request to fit the budget
    attachments_omitted: int = 0  # older messages' files left out to fit the budget
    signature: str | None = Field(default=None, sa_type=Text)  # Gemini thought signature
    # Web search: sources, citations and queries as JSON (beykusay.grounding.stored), and
    # Gemini's rendered search entry point (HTML shown in a sandboxed frame).
    grounding: str | None = Field(default=None, sa_type=Text)
    search_entry_point: str | None = Field(default=None, sa_type=Text)
    instance_id: str | None = Field(default=None, max_length=64)  # who is generating it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Instance(SQLModel, table=True):
    """A running server process; answers it generates die with its heartbeat."""

    __tablename__ = "instances"

    id: str = Field(primary_key=True, max_length=64)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Share(SQLModel, table=True):
    """A chat's public link: a snapshot of its current path, readable by its token."""

    __tablename__ = "shares"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    nonce: str = Field(max_length=64)  # the token is derived from it with the server's key
    token_hash: str = Field(max_length=64, unique=True)  # sha256 of the token, for look-ups
    snapshot: str = Field(sa_type=Text)  # the shared path as JSON
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    shared_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # last snapshot


Row = TypeVar("Row", bound=SQLModel)


class RowMaker(Generic[Row]):
    """Transient rows of ``model`` made as its ``__init__`` makes them, thirty times cheaper.

    SQLModel's ``__init__`` sets every field through the ORM's instrumentation, one at a
    time (~150 µs for a message); a start under a burst made two. Here the instance is
    made by the mapper, and its fields' defaults (factories called) and ``values`` are
    written at once: the same transient object, as the ORM leaves it before a flush.
    Table models are not validated by their ``__init__`` either.
    """

    def __init__(self, model: type[Row]) -> None:
        self._manager = class_mapper(model).class_manager
        columns = set(model.__table__.columns.keys())  # type: ignore[attr-defined]
        fields = {name: info for name, info in model.model_fields.items() if name in columns}
        self._defaults = {  # a required field left out stays unset, as with __init__
            name: info.default
            for name, info in fields.items()
            if info.default_factory is None and not info.is_required()
        }
        self._factories = [
            (name, info.default_factory)
            for name, info in fields.items()
            if info.default_factory is not None
        ]

    def __call__(self, **values: Any) -> Row:
        row: Row = self._manager.new_instance()
        state = row.__dict__
        state.update(self._defaults)
        for name, factory in self._factories:
            if name not in values:
                state[name] = factory()  # type: ignore[call-arg]
        state.update(values)
        return row


from beykusay.files import models as _files  # noqa: E402, F401  (registers their tables)
from beykusay.team_models import ApiKey, AppSetting, UsageDay  # noqa: E402, F401  (their tables)
