"""Web search: a chat's default, and each answer's sources and search entry point.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): on SQLite, re-creating `chats` would drop the
    # old table, and that drop cascades to every message.
    op.add_column(
        "chats",
        sa.Column("web_search", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("messages", sa.Column("grounding", sa.Text(), nullable=True))
    op.add_column("messages", sa.Column("search_entry_point", sa.Text(), nullable=True))


def downgrade() -> None:
    # Sources go; the answers' text stays as it was. Plain DROP COLUMN, for the same
    # reason as above (SQLite 3.35 and later).
    op.drop_column("messages", "search_entry_point")
    op.drop_column("messages", "grounding")
    op.drop_column("chats", "web_search")
