"""Attachments: files, their bytes once per user and sha256, which message carries which,
and the Gemini Files API uploads of those bytes; answers count attachments left out.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "file_blobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        # Last: SQLite writes a zero-filled last column without building it in memory.
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.UniqueConstraint("user_id", "sha256", name="uq_file_blobs_user_sha"),
    )
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "blob_id",
            sa.Integer(),
            sa.ForeignKey("file_blobs.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_files_user_id", "files", ["user_id", "id"])
    op.create_table(
        "message_files",
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "file_id", sa.Integer(), sa.ForeignKey("files.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index("ix_message_files_file", "message_files", ["file_id"])
    op.create_table(
        "gemini_uploads",
        sa.Column(
            "blob_id",
            sa.Integer(),
            sa.ForeignKey("file_blobs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("uri", sa.String(500), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    # Plain ADD COLUMN: a batch copy of `messages` on SQLite would cascade its drop.
    op.add_column(
        "messages",
        sa.Column("attachments_omitted", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("messages", "attachments_omitted")
    op.drop_table("gemini_uploads")
    op.drop_index("ix_message_files_file", table_name="message_files")
    op.drop_table("message_files")
    op.drop_index("ix_files_user_id", table_name="files")
    op.drop_table("files")
    op.drop_table("file_blobs")
