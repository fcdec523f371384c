"""Messages form a tree: each has a parent, each chat a current leaf.

Every existing chat becomes one path with nothing changed: a message's parent is the
previous message of its chat (by id), and the chat's current leaf is its last message.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Correlated subqueries over ix_messages_chat_id_id: portable, one index probe a row.
LINK_TO_PREVIOUS = """
UPDATE messages SET parent_id = (
    SELECT MAX(previous.id) FROM messages AS previous
    WHERE previous.chat_id = messages.chat_id AND previous.id < messages.id
)
"""
LEAF_IS_LAST = """
UPDATE chats SET current_leaf_id = (
    SELECT MAX(messages.id) FROM messages WHERE messages.chat_id = chats.id
)
"""


def upgrade() -> None:
    # Plain ADD COLUMN ... REFERENCES (no batch copy): on SQLite, re-creating `chats`
    # would drop the old table, and that drop cascades to every message. No ON DELETE
    # actions: SQLite would not report them back for inline references, and messages
    # only ever go with their whole chat in one statement (see chats.delete_chat).
    op.add_column(
        "messages",
        sa.Column(
            "parent_id",
            sa.Integer(),
            sa.ForeignKey("messages.id"),
            nullable=True,
        ),
        inline_references=True,
    )
    op.add_column(
        "chats",
        sa.Column(
            "current_leaf_id",
            sa.Integer(),
            sa.ForeignKey("messages.id"),
            nullable=True,
        ),
        inline_references=True,
    )
    op.create_index("ix_messages_parent_chat", "messages", ["parent_id", "chat_id"])
    op.execute(LINK_TO_PREVIOUS)
    op.execute(LEAF_IS_LAST)


def downgrade() -> None:
    # Every version stays; the older schema shows a chat's messages in id order.
    op.drop_index("ix_messages_parent_chat", table_name="messages")
    op.drop_column("chats", "current_leaf_id")
    op.drop_column("messages", "parent_id")
