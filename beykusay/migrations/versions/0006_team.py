"""A server for a team: roles and statuses of users, API keys, usage per day, settings.

Every existing user stays active; the oldest one becomes the admin, so an upgraded
server has one, as a new server's first account is one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_USER_IS_ADMIN = """
UPDATE users SET role = 'admin' WHERE id = (SELECT MIN(id) FROM users)
"""


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): on SQLite, re-creating `users` would drop the
    # old table, and that drop cascades to every chat.
    op.add_column("users", sa.Column("role", sa.String(8), nullable=False, server_default="user"))
    op.add_column(
        "users", sa.Column("status", sa.String(16), nullable=False, server_default="active")
    )
    op.add_column("users", sa.Column("monthly_token_limit", sa.Integer(), nullable=True))
    op.add_column("users", sa.Column("last_seen_at", sa.DateTime(), nullable=True))
    op.execute(FIRST_USER_IS_ADMIN)
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_api_keys_user_id", "api_keys", ["user_id"])
    op.create_table(
        "usage_days",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("thinking_tokens", sa.Integer(), nullable=False),
    )
    op.create_table(
        "app_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("app_settings")
    op.drop_table("usage_days")
    op.drop_index("ix_api_keys_user_id", table_name="api_keys")
    op.drop_table("api_keys")
    for column in ("last_seen_at", "monthly_token_limit", "status", "role"):
        op.drop_column("users", column)
