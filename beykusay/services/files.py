"""A user's files: upload (typed from the bytes, within the quota), list, read, delete,
attach to a message version, and what a message's files are."""

from __future__ import annotations

import hashlib
import mimetypes
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, delete, func, select, update

from beykusay.files.models import FileBlob, MessageFile, StoredFile
from beykusay.files.sniff import ACCEPTED, Refused, sniff
from beykusay.files.store import FileStore, get_store
from beykusay.models import Message
from beykusay.providers.attachments import Attachment
from beykusay.services.errors import InvalidReference, NotFound, ServiceError

FILE_FIELDS = ("id", "name", "mime_type", "kind", "size", "sha256", "created_at")


class FileRefused(ServiceError):
    """An upload this server does not take: 415 (type), 413 (size, quota) or 422 (empty).

    ``reason`` and ``values`` say the same as ``message`` for pages that show it in the
    reader's language (beykusay.i18n_files); the API answers ``message`` as it is.
    """

    def __init__(
        self,
        message: str,
        status: int = 415,
        *,
        reason: str,
        values: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status
        self.reason = reason
        self.values = values or {}


def file_json(file: StoredFile) -> dict[str, Any]:
    shown: dict[str, Any] = {name: getattr(file, name) for name in FILE_FIELDS}
    shown["created_at"] = file.created_at.isoformat()
    if file.deleted:
        shown["deleted"] = True
    return shown


def clean_name(name: str | None) -> str:
    """A file name fit to show and to store: its last path part, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in "\x00")
    base = base.encode("utf-8", "ignore").decode("utf-8").strip()
    return base[:255] or "file"


def _contradicts(name: str, claimed: str | None, kind: str, mime_type: str) -> bool:
    """Whether the name's extension or the client's type claims another kind of file."""
    for said in (claimed, mimetypes.guess_type(name)[0]):
        if not said:
            continue
        said = said.split(";")[0].strip().lower()
        said_kind = said.split("/")[0]
        if said == "application/pdf" and kind != "pdf":
            return True
        if said_kind in ("image", "audio") and said_kind != kind:
            return True
        if said in ("image/svg+xml", "text/html", "application/xhtml+xml"):
            return True
    return False


def save_upload(
    *,
    session: Session,
    user_id: int,
    name: str | None,
    claimed_type: str | None,
    data: bytes | bytearray,
    quota: int,
    store: FileStore | None = None,
) -> StoredFile:
    """Keep an uploaded file; raises FileRefused and then writes nothing."""
    store = store or get_store()
    if not data:
        raise FileRefused("The file is empty.", status=422, reason="empty")
    try:
        found = sniff(data)
    except Refused as exc:
        raise FileRefused(exc.message, exc.status, reason=exc.reason, values=exc.values) from None
    shown_name = clean_name(name)
    if _contradicts(shown_name, claimed_type, found.kind, found.mime_type):
        raise FileRefused(
            f"The file's contents ({found.mime_type}) do not match its name or declared "
            f"type. Accepted: {ACCEPTED}.",
            reason="mismatch",
            values={"mime_type": found.mime_type},
        )
    sha256 = hashlib.sha256(data).hexdigest()
    known = session.exec(
        select(FileBlob.id).where(FileBlob.user_id == user_id, FileBlob.sha256 == sha256)
    ).first()
    if known is None and store.used_bytes(session, user_id=user_id) + len(data) > quota:
        raise FileRefused(
            f"Your storage is full: this file would take you past your {quota:,} bytes. "
            "Delete some files and try again.",
            status=413,
            reason="quota",
            values={"quota": quota},
        )
    blob_id = store.put(session, user_id=user_id, sha256=sha256, data=data)
    file = StoredFile(
        user_id=user_id,
        blob_id=blob_id,
        name=shown_name,
        mime_type=found.mime_type,
        kind=found.kind,
        size=len(data),
        sha256=sha256,
    )
    session.add(file)
    session.commit()
    session.refresh(file)
    return file


def list_files(
    *, session: Session, user_id: int, limit: int, offset: int
) -> tuple[list[StoredFile], int]:
    mine = (StoredFile.user_id == user_id, col(StoredFile.deleted).is_(False))
    rows = session.exec(
        select(StoredFile)
        .where(*mine)
        .order_by(col(StoredFile.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.exec(select(func.count()).select_from(StoredFile).where(*mine)).one()
    return list(rows), int(total)


def get_file(*, session: Session, user_id: int, file_id: int) -> StoredFile:
    file = session.get(StoredFile, file_id)
    if file is None or file.user_id != user_id or file.deleted:
        raise NotFound("File not found")
    return file


def read_content(
    *, session: Session, user_id: int, file_id: int, store: FileStore | None = None
) -> tuple[StoredFile, bytes]:
    file = get_file(session=session, user_id=user_id, file_id=file_id)
    assert file.blob_id is not None
    return file, (store or get_store()).read(session, blob_id=file.blob_id)


def _release(session: Session, files: Sequence[StoredFile], store: FileStore) -> None:
    """Mark files deleted; drop each blob no live file of its user still points at."""
    blobs = {f.blob_id for f in files if f.blob_id is not None}
    ids = [f.id for f in files]
    session.exec(
        update(StoredFile).where(col(StoredFile.id).in_(ids)).values(deleted=True, blob_id=None)
    )
    for blob_id in blobs:
        still = session.exec(select(StoredFile.id).where(StoredFile.blob_id == blob_id)).first()
        if still is None:
            store.delete(session, blob_id=blob_id)


def delete_file(
    *, session: Session, user_id: int, file_id: int, store: FileStore | None = None
) -> None:
    file = get_file(session=session, user_id=user_id, file_id=file_id)
    _release(session, [file], store or get_store())
    session.commit()


def checked_attachments(
    *, session: Session, user_id: int, file_ids: Sequence[int], limit: int
) -> list[StoredFile]:
    """The user's live files with these ids, in order; InvalidReference (422) otherwise."""
    if len(file_ids) > limit:
        raise InvalidReference(f"At most {limit} files can be attached to one message")
    if len(set(file_ids)) != len(file_ids):
        raise InvalidReference("A file is attached twice")
    if not file_ids:
        return []
    found = {
        f.id: f
        for f in session.exec(select(StoredFile).where(col(StoredFile.id).in_(file_ids))).all()
    }
    for file_id in file_ids:
        file = found.get(file_id)
        if file is None or file.user_id != user_id or file.deleted:
            raise InvalidReference(
                f"File {file_id} cannot be attached: it does not exist or was deleted"
            )
    return [found[i] for i in file_ids]


def attach(*, session: Session, message_id: int, files: Sequence[StoredFile]) -> None:
    for position, file in enumerate(files):
        assert file.id is not None
        session.add(MessageFile(message_id=message_id, file_id=file.id, position=position))


def has_files(message_id: Any) -> Any:
    """A column: whether the message carries files."""
    return select(MessageFile.file_id).where(MessageFile.message_id == message_id).exists()


def files_of(*, session: Session, message_ids: Sequence[int]) -> dict[int, list[StoredFile]]:
    """Each message's files in order (deleted ones too), in one query."""
    found: dict[int, list[StoredFile]] = defaultdict(list)
    if not message_ids:
        return found
    rows = session.exec(
        select(MessageFile.message_id, StoredFile)
        .join(StoredFile, col(StoredFile.id) == MessageFile.file_id)
        .where(col(MessageFile.message_id).in_(sorted(set(message_ids))))
        .order_by(col(MessageFile.message_id), col(MessageFile.position))
    ).all()
    for message_id, file in rows:
        found[message_id].append(file)
    return found


def as_attachment(file: StoredFile) -> Attachment:
    """A live file as the provider receives it."""
    assert file.blob_id is not None
    return Attachment(
        ref=file.blob_id, name=file.name, mime_type=file.mime_type, kind=file.kind, size=file.size
    )


def attachments_json(*, session: Session, message_ids: Sequence[int]) -> dict[int, list[dict]]:
    """Which files each message carries, in order: what exports and share links list.

    Each entry holds the file's metadata (``file_json``: at least ``name`` and ``kind``),
    never its bytes; messages without files are absent.
    """
    return {
        message_id: [file_json(f) for f in files]
        for message_id, files in files_of(session=session, message_ids=message_ids).items()
    }


def forget_chat(*, session: Session, chat_id: int, store: FileStore | None = None) -> None:
    """Before a chat goes: delete its files that no other chat of the user uses."""
    in_chat = select(Message.id).where(Message.chat_id == chat_id)
    links = session.exec(
        select(StoredFile)
        .join(MessageFile, col(MessageFile.file_id) == StoredFile.id)
        .where(col(MessageFile.message_id).in_(in_chat))
    ).all()
    candidates = {f.id: f for f in links if not f.deleted}
    if candidates:
        elsewhere = set(
            session.exec(
                select(MessageFile.file_id)
                .join(Message, col(Message.id) == MessageFile.message_id)
                .where(col(MessageFile.file_id).in_(candidates), Message.chat_id != chat_id)
            ).all()
        )
        going = [f for i, f in candidates.items() if i not in elsewhere]
        if going:
            _release(session, going, store or get_store())
    session.exec(delete(MessageFile).where(col(MessageFile.message_id).in_(in_chat)))
