"""Tables of attachments: files, their bytes (once per user and sha256), message links,
and Gemini Files API uploads of those bytes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from beykusay.db import UTCDateTime, utcnow


class FileBlob(SQLModel, table=True):
    """The bytes of one file content of one user (two uploads of the same bytes share it)."""

    __tablename__ = "file_blobs"
    __table_args__ = (UniqueConstraint("user_id", "sha256", name="uq_file_blobs_user_sha"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    sha256: str = Field(max_length=64)
    size: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Empty when the bytes live elsewhere (another FileStore); the database store keeps
    # them. The last column (see DatabaseFileStore._put_sqlite).
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class StoredFile(SQLModel, table=True):
    """A file as the user uploaded it: its name and type; its bytes are a blob."""

    __tablename__ = "files"
    __table_args__ = (Index("ix_files_user_id", "user_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    # None once deleted: the entry stays for the messages that had it.
    blob_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("file_blobs.id", ondelete="SET NULL"), nullable=True),
    )
    name: str = Field(max_length=255)
    mime_type: str = Field(max_length=100)
    kind: str = Field(max_length=8)
    size: int
    sha256: str = Field(max_length=64)
    deleted: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MessageFile(SQLModel, table=True):
    """Which message version carries which files, in order."""

    __tablename__ = "message_files"
    __table_args__ = (Index("ix_message_files_file", "file_id"),)

    message_id: int = Field(
        sa_column=Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    )
    file_id: int = Field(
        sa_column=Column(Integer, ForeignKey("files.id", ondelete="CASCADE"), primary_key=True)
    )
    position: int = 0


class GeminiUpload(SQLModel, table=True):
    """A blob uploaded to the Gemini Files API: its URI, reused until it expires."""

    __tablename__ = "gemini_uploads"

    blob_id: int = Field(
        sa_column=Column(Integer, ForeignKey("file_blobs.id", ondelete="CASCADE"), primary_key=True)
    )
    uri: str = Field(max_length=500)
    mime_type: str = Field(max_length=100)
    expires_at: datetime = Field(sa_type=UTCDateTime)
