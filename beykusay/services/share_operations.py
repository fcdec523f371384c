"""Sharing, export and import as whole operations for the pages, each in its own session.

Like ``services.operations``: the pages call these through a worker thread; each opens
a session, calls the same services the REST API uses, and hands back plain values.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from beykusay.config import get_settings
from beykusay.db import new_session
from beykusay.services import accounts, chats, export, importer, sharing
from beykusay.services.errors import NotFound
from beykusay.services.importer import ImportResult, Progress
from beykusay.services.sharing import ShareLink


def _key() -> str:
    return get_settings().share_link_key()


def current_link(user_id: int, chat_id: int) -> ShareLink | None:
    with new_session() as session:
        chat = chats.get_chat(session=session, user_id=user_id, chat_id=chat_id)
        try:
            return sharing.get_link(session=session, chat=chat, key=_key())
        except NotFound:
            return None


def share(user_id: int, chat_id: int) -> ShareLink:
    """Share the chat now, or refresh its snapshot under the same link."""
    with new_session() as session:
        chat = chats.get_chat(session=session, user_id=user_id, chat_id=chat_id)
        return sharing.share_chat(session=session, chat=chat, key=_key())


def stop(user_id: int, chat_id: int) -> None:
    with new_session() as session:
        chat = chats.get_chat(session=session, user_id=user_id, chat_id=chat_id)
        sharing.stop_sharing(session=session, chat=chat)


def read_shared(token: str) -> dict[str, Any]:
    with new_session() as session:
        return sharing.read_shared(session=session, token=token)


def copy_shared(user_id: int, token: str) -> int:
    """The id of the signed-in visitor's new copy of the shared chat."""
    with new_session() as session:
        user = accounts.get_user(session=session, user_id=user_id)
        return sharing.copy_shared(session=session, token=token, user=user).id or 0


def export_chat(user_id: int, chat_id: int, fmt: str) -> tuple[str, bytes]:
    """A download's file name and bytes: ``fmt`` is "markdown" or "json"."""
    with new_session() as session:
        chat = chats.get_chat(session=session, user_id=user_id, chat_id=chat_id)
        if fmt == "markdown":
            return export.file_name(chat, "md"), export.export_markdown(
                session=session, chat=chat
            ).encode()
        return export.file_name(chat, "json"), export.export_json(
            session=session, chat=chat
        ).encode()


def export_all_to(user_id: int, path: Path) -> None:
    """Every chat of the user as one JSON file at ``path``, written piece by piece."""
    with path.open("wb") as out:
        for piece in export.export_all_json(user_id):
            out.write(piece)


def import_chats(user_id: int, source: IO[bytes], progress: Progress | None = None) -> ImportResult:
    with new_session() as session:
        user = accounts.get_user(session=session, user_id=user_id)
        return importer.import_file(
            session=session,
            user=user,
            source=source,
            max_bytes=get_settings().max_import_bytes,
            progress=progress,
        )
