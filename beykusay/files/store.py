"""Where the bytes of files live: behind ``FileStore``, in the database by default.

The services only ever call this interface, so an object store can be added later
without touching them. Every call takes the caller's session, so that a blob and the
file row pointing at it are written (or refused) in one transaction.
"""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session, col, delete, func, select

from beykusay.db import utcnow
from beykusay.files.models import FileBlob

SQLITE_PIECE = 1 << 20  # bytes written into a SQLite blob at a time


class FileStore(Protocol):
    def put(self, session: Session, *, user_id: int, sha256: str, data: bytes | bytearray) -> int:
        """Keep ``data`` for the user (once per sha256); the blob's id."""
        ...

    def read(self, session: Session, *, blob_id: int) -> bytes: ...

    def delete(self, session: Session, *, blob_id: int) -> None: ...

    def used_bytes(self, session: Session, *, user_id: int) -> int:
        """The bytes the user's blobs take (each content counted once)."""
        ...


class DatabaseFileStore:
    """The bytes in the ``file_blobs`` table: shared by every instance, in every backup."""

    def put(self, session: Session, *, user_id: int, sha256: str, data: bytes | bytearray) -> int:
        found = session.exec(
            select(FileBlob.id).where(FileBlob.user_id == user_id, FileBlob.sha256 == sha256)
        ).first()
        if found is not None:
            return found
        if session.connection().dialect.name == "sqlite":
            return self._put_sqlite(session, user_id, sha256, data)
        # memoryview: the driver binds the buffer as it is, no copy of a large upload
        blob = FileBlob(user_id=user_id, sha256=sha256, size=len(data), content=memoryview(data))  # type: ignore[arg-type]
        session.add(blob)
        session.flush()
        assert blob.id is not None
        session.expunge(blob)  # do not keep the bytes in the session
        return blob.id

    @staticmethod
    def _put_sqlite(session: Session, user_id: int, sha256: str, data: bytes | bytearray) -> int:
        """Insert a zero-filled blob and write the bytes into it piece by piece: SQLite
        would otherwise copy a bound value twice (the binding, then the record)."""
        table = FileBlob.__table__  # type: ignore[attr-defined]
        # No RETURNING: with it SQLite builds the whole zero-filled row in memory.
        inserted = session.execute(
            table.insert().values(
                user_id=user_id,
                sha256=sha256,
                size=len(data),
                content=func.zeroblob(len(data)),
                created_at=utcnow(),
            )
        )
        blob_id = inserted.lastrowid  # type: ignore[attr-defined]
        raw = session.connection().connection.dbapi_connection
        view = memoryview(data)
        with raw.blobopen("file_blobs", "content", blob_id) as blob:  # type: ignore[union-attr]
            for start in range(0, len(view), SQLITE_PIECE):
                blob.write(view[start : start + SQLITE_PIECE])
        return int(blob_id)

    def read(self, session: Session, *, blob_id: int) -> bytes:
        content = session.exec(select(FileBlob.content).where(FileBlob.id == blob_id)).one()
        return bytes(content or b"")

    def delete(self, session: Session, *, blob_id: int) -> None:
        session.exec(delete(FileBlob).where(col(FileBlob.id) == blob_id))

    def used_bytes(self, session: Session, *, user_id: int) -> int:
        total = session.exec(
            select(func.coalesce(func.sum(col(FileBlob.size)), 0)).where(
                FileBlob.user_id == user_id
            )
        ).one()
        return int(total)


_store: FileStore = DatabaseFileStore()


def get_store() -> FileStore:
    return _store
