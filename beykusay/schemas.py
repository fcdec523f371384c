"""What the API accepts and returns; table objects (with hashes) never leave the server."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from beykusay.catalog import ModelId
from beykusay.grounding import message_fields
from beykusay.models import MAX_ID


def storable(text: str) -> bool:
    """Whether a database can hold this text: no NUL, no lone UTF-16 surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _no_nul(value: str) -> str:
    if not storable(value):
        raise ValueError("must be Unicode text without NUL characters or lone surrogates")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


# After a field's str constraints (so their messages are pydantic's clear ones, and
# stripping comes before the length check): text a database can hold.
NoNul = AfterValidator(_no_nul)
Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{3,32}$"), NoNul]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128), NoNul]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    NoNul,
    AfterValidator(_not_blank),
]
MAX_MESSAGE_CHARS = 32000
MessageText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_MESSAGE_CHARS),
    NoNul,
    AfterValidator(_not_blank),
]
Theme = Literal["light", "dark", "auto"]
MessageId = Annotated[int, Field(ge=1, le=MAX_ID)]
Status = Literal["complete", "streaming", "stopped", "error", "interrupted"]


class Credentials(BaseModel):
    username: Username
    password: Password


class LoginForm(BaseModel):
    # Login accepts anything a user may type; a wrong shape is just a failed login.
    username: Annotated[str, StringConstraints(max_length=200), NoNul]
    password: Annotated[str, StringConstraints(max_length=1024), NoNul]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserSettings(BaseModel):
    theme: Theme
    default_model: ModelId
    custom_instructions: str
    language: Literal["", "en", "ru"] = ""


class SettingsUpdate(BaseModel):
    theme: Theme | None = None
    default_model: ModelId | None = None
    custom_instructions: Annotated[str, StringConstraints(max_length=8000), NoNul] | None = None
    language: Literal["", "en", "ru"] | None = None


class UserOut(BaseModel):
    id: int
    username: str
    created_at: datetime


class MeOut(UserOut):
    settings: UserSettings
    role: Literal["admin", "user"] = "user"


class PasswordChange(BaseModel):
    current_password: Annotated[str, StringConstraints(max_length=1024), NoNul]
    new_password: Password


class ModelOut(BaseModel):
    id: ModelId
    label: str
    description: str
    thinking: bool
    provider: str


class ModelsOut(BaseModel):
    models: list[ModelOut]
    default: ModelId


class ChatOut(BaseModel):
    id: int
    title: str
    model: ModelId
    created_at: datetime
    updated_at: datetime
    web_search: bool = False


class ChatList(BaseModel):
    chats: list[ChatOut]
    total: int


class ChatCreate(BaseModel):
    title: Title | None = None
    model: ModelId | None = None
    web_search: bool = False


class ChatUpdate(BaseModel):
    title: Title | None = None
    model: ModelId | None = None
    web_search: bool | None = None


class SourceOut(BaseModel):
    index: int
    title: str
    url: str


class CitationOut(BaseModel):
    start: int
    end: int
    sources: list[int]


class FileOut(BaseModel):
    id: int
    name: str
    mime_type: str
    kind: Literal["image", "pdf", "audio", "text"]
    size: int
    sha256: str
    created_at: datetime
    deleted: bool = False  # the file was deleted; the message keeps its entry


class FileList(BaseModel):
    files: list[FileOut]
    total: int


class MessageOut(BaseModel):
    id: int
    chat_id: int
    role: Literal["user", "assistant"]
    content: str
    thinking: str | None
    thinking_seconds: float | None
    model: str | None
    status: Status
    error: str | None
    created_at: datetime
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    thinking_tokens: int | None = None
    history_omitted: int = 0
    parent_id: int | None = None  # the message it follows; None for a first message
    sibling_ids: list[int]  # the versions of this turn (same parent), itself included
    error_code: str | None = None  # a stable name for ``error``'s kind (e.g. "rate_limited")
    sources: list[SourceOut] = []  # web search (beykusay.grounding): numbered from 1
    citations: list[CitationOut] = []  # spans of ``content`` in code points, end exclusive
    search_queries: list[str] = []
    search_entry_point: str | None = None  # Gemini's rendered search suggestions (HTML)
    attachments: list[FileOut] = []
    attachments_omitted: int = 0  # earlier turns whose files were left out to fit the budget


_GROUNDING_FIELDS = ("sources", "citations", "search_queries", "search_entry_point")
_ROW_FIELDS = tuple(
    name
    for name in MessageOut.model_fields
    if name not in ("sibling_ids", "attachments", *_GROUNDING_FIELDS)
)


def message_json(
    message: object, *, sibling_ids: list[int], attachments: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A message (a table row) and its versions as the API shows them, ready for JSON."""
    fields = {name: getattr(message, name) for name in _ROW_FIELDS}
    fields.update(
        message_fields(
            getattr(message, "grounding", None), getattr(message, "search_entry_point", None)
        )
    )
    fields["attachments"] = attachments or []
    return MessageOut.model_validate({**fields, "sibling_ids": sibling_ids}).model_dump(mode="json")


class MessageList(BaseModel):
    messages: list[MessageOut]
    has_more: bool


class MessageCreate(BaseModel):
    # May be empty when files are attached (checked below).
    content: Annotated[str, StringConstraints(max_length=MAX_MESSAGE_CHARS), NoNul]
    model: ModelId | None = None
    attachments: Annotated[list[MessageId], Field(max_length=100)] = []
    # Absent: follow the current leaf. An answer on the current path, or null for the
    # top: the message becomes a new version of the question that followed it.
    parent_id: MessageId | None = None
    web_search: bool | None = None  # for this answer; absent or null: the chat's setting

    @model_validator(mode="after")
    def _text_or_files(self) -> MessageCreate:
        if not self.content.strip() and not self.attachments:
            raise ValueError("content must not be blank unless a file is attached")
        return self


class BranchTo(BaseModel):
    message_id: MessageId


class Regenerate(BaseModel):
    model: ModelId | None = None
    web_search: bool | None = None  # for this answer; absent or null: the chat's setting


class Exchange(BaseModel):
    user_message: MessageOut
    assistant_message: MessageOut


class Stopped(BaseModel):
    stopped: bool


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "error"]
    provider: str
