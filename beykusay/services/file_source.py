"""The files service as the provider's ``FileSource``: bytes from the FileStore, and
the Gemini Files API uploads of those bytes (URI and expiry) in the database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy.exc import NoResultFound
from sqlmodel import Session, col, delete

from beykusay.db import in_session, utcnow
from beykusay.files.models import GeminiUpload
from beykusay.files.store import get_store
from beykusay.providers.attachments import FileGone

# An upload this close to its expiry is not reused: the answer may take a while.
EXPIRY_MARGIN = timedelta(minutes=10)


class StoredFiles:
    async def read(self, ref: int) -> bytes:
        def work(session: Session) -> bytes:
            try:
                return get_store().read(session, blob_id=ref)
            except NoResultFound:
                raise FileGone(ref) from None

        return await asyncio.to_thread(in_session, work)

    async def uploaded(self, ref: int) -> str | None:
        def work(session: Session) -> str | None:
            upload = session.get(GeminiUpload, ref)
            if upload is None or upload.expires_at - EXPIRY_MARGIN <= utcnow():
                return None
            return upload.uri

        return await asyncio.to_thread(in_session, work)

    async def remember_upload(
        self, ref: int, *, uri: str, mime_type: str, expires_at: datetime
    ) -> None:
        def work(session: Session) -> None:
            session.merge(
                GeminiUpload(blob_id=ref, uri=uri, mime_type=mime_type, expires_at=expires_at)
            )
            session.commit()

        try:
            await asyncio.to_thread(in_session, work)
        except Exception:  # the blob was deleted meanwhile (foreign key): nothing to keep
            return

    async def forget_upload(self, ref: int) -> None:
        def work(session: Session) -> None:
            session.exec(delete(GeminiUpload).where(col(GeminiUpload.blob_id) == ref))
            session.commit()

        await asyncio.to_thread(in_session, work)
