"""Who is sending, and to which of their chats: many requests' users and chats at once.

The routes that start answers come in bursts; their bearer tokens are checked on the
event loop, and the users and chats they name are read here for a whole batch with two
statements (``batches.Batcher``), instead of two lookups and a thread hop per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from beykusay.db import utcnow
from beykusay.models import Chat, User
from beykusay.services import signup


@dataclass(frozen=True, slots=True)
class Ask:
    """A request's signed claims and the chat of its path (None: not a valid id)."""

    user_id: int
    token_version: int
    chat_id: int | None


@dataclass(frozen=True, slots=True)
class Found:
    """The active user the claims still name (None: signed out, disabled, pending or
    gone) and their chat (None: missing, or somebody else's)."""

    user: User | None
    chat: Chat | None


def find_senders(session: Session, asks: Sequence[Ask]) -> list[Found]:
    """Each ask's user and chat; the users found are noted as seen (once a minute)."""
    user_ids = {ask.user_id for ask in asks}
    chat_ids = {ask.chat_id for ask in asks if ask.chat_id is not None}
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids)))}
    chats = (
        {c.id: c for c in session.exec(select(Chat).where(col(Chat.id).in_(chat_ids)))}
        if chat_ids
        else {}
    )
    found = []
    for ask in asks:
        user = users.get(ask.user_id)
        if not signup.still_signed_in(user, ask.token_version):
            found.append(Found(None, None))
            continue
        chat = chats.get(ask.chat_id) if ask.chat_id is not None else None
        found.append(Found(user, chat if chat is not None and chat.user_id == user.id else None))
    now = utcnow()
    stale = {f.user.id: f.user for f in found if f.user and signup.seen_long_ago(f.user, now)}
    if stale:  # a write only when somebody is due (on SQLite it takes the write lock)
        signup.note_seen_many(session, {user_id for user_id in stale if user_id is not None})
        for user in stale.values():
            user.last_seen_at = now
    return found
