"""Share links: a chat's current path frozen as a snapshot, readable by anyone with the token.

The token is derived from a random 256-bit nonce with a server key (HMAC-SHA256), so
the owner can be shown the same link again while the database keeps only the nonce and
the token's hash: a copy of the database alone opens no share. Re-sharing keeps the
nonce (the same link) and replaces the snapshot; stopping deletes the row, so the link
dies with the transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from beykusay.db import utcnow
from beykusay.models import Chat, Message, Share, User
from beykusay.services import tree
from beykusay.services.chat_builder import ImportedChat, ImportedMessage, add_chat
from beykusay.services.errors import NotFound
from beykusay.services.files import attachments_json

NONCE_BYTES = 32
SHARE_GONE = "This shared chat does not exist or is no longer shared"


@dataclass(frozen=True, slots=True)
class ShareLink:
    token: str
    created_at: datetime
    shared_at: datetime


def token_for(nonce: str, key: str) -> str:
    digest = hmac.new(key.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def path_messages(*, session: Session, chat_id: int) -> list[Message]:
    """The chat's whole current path, oldest first."""
    path = tree.path_up(tree.leaf_of(chat_id))
    rows = session.exec(
        select(Message).join(path, col(Message.id) == path.c.id).order_by(path.c.depth.desc())
    ).all()
    return list(rows)


def snapshot_of(*, session: Session, chat: Chat) -> dict[str, Any]:
    """What a share shows: no ids, no user names, no file contents."""
    assert chat.id is not None
    messages = path_messages(session=session, chat_id=chat.id)
    files = attachments_json(session=session, message_ids=[m.id or 0 for m in messages])
    return {
        "title": chat.title,
        "model": chat.model,
        "messages": [
            {
                "role": m.role,
                "content": m.content,
                "thinking": m.thinking,
                "created_at": m.created_at.isoformat(),
                "attachments": [
                    {"name": f["name"], "kind": f["kind"]} for f in files.get(m.id or 0, [])
                ],
            }
            for m in messages
        ],
    }


def _share_of(session: Session, chat_id: int) -> Share | None:
    return session.exec(select(Share).where(Share.chat_id == chat_id)).first()


def share_chat(*, session: Session, chat: Chat, key: str) -> ShareLink:
    """Share the chat's current path now; an existing link keeps its token."""
    assert chat.id is not None
    snapshot = json.dumps(snapshot_of(session=session, chat=chat), ensure_ascii=False)
    share = _share_of(session, chat.id)
    if share is None:
        nonce = secrets.token_urlsafe(NONCE_BYTES)
        share = Share(chat_id=chat.id, nonce=nonce, token_hash=_hash(token_for(nonce, key)))
    share.snapshot = snapshot
    share.shared_at = utcnow()
    session.add(share)
    session.commit()
    session.refresh(share)
    return ShareLink(token_for(share.nonce, key), share.created_at, share.shared_at)


def get_link(*, session: Session, chat: Chat, key: str) -> ShareLink:
    share = _share_of(session, chat.id or 0)
    if share is None:
        raise NotFound("This chat is not shared")
    return ShareLink(token_for(share.nonce, key), share.created_at, share.shared_at)


def stop_sharing(*, session: Session, chat: Chat) -> None:
    share = _share_of(session, chat.id or 0)
    if share is None:
        raise NotFound("This chat is not shared")
    session.delete(share)
    session.commit()


def read_shared(*, session: Session, token: str) -> dict[str, Any]:
    """The snapshot behind a token, with its time; a dead or unknown token is NotFound."""
    if not token or len(token) > 200:
        raise NotFound(SHARE_GONE)
    found = session.exec(
        select(Share)
        .join(Chat, col(Chat.id) == Share.chat_id)
        .where(Share.token_hash == _hash(token))
    ).first()
    if found is None:
        raise NotFound(SHARE_GONE)
    return {**json.loads(found.snapshot), "shared_at": found.shared_at.isoformat()}


def copy_shared(*, session: Session, token: str, user: User) -> Chat:
    """A signed-in visitor's own copy of a shared chat: one path, in their chats."""
    shared = read_shared(session=session, token=token)
    messages = [
        ImportedMessage(
            key=index,
            parent=index - 1 if index else None,
            role=m["role"],
            content=m["content"],
            thinking=m["thinking"],
            created_at=datetime.fromisoformat(m["created_at"]),
        )
        for index, m in enumerate(shared["messages"])
    ]
    now = utcnow()
    chat = add_chat(
        session=session,
        user=user,
        chat=ImportedChat(
            title=shared["title"],
            model=shared["model"],
            created_at=now,
            updated_at=now,
            messages=messages,
            leaf=len(messages) - 1 if messages else None,
        ),
    )
    session.commit()
    session.refresh(chat)
    return chat
