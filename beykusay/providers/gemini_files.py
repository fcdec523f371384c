"""Attachments as Gemini parts: inline data while the request stays small enough, the
Files API otherwise (uploaded once, reused until it expires), text files as text.

Every turn carries its own files, on that turn and every later one; the bytes and the
uploads come from the request's ``FileSource``, so this knows nothing of storage.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from google import genai
from google.genai import errors, types

from .attachments import Attachment, FileGone, FileSource
from .base import InlineData, ProviderError, Turn
from .gemini_contents import Piece, UploadedFile

log = logging.getLogger(__name__)

UPLOAD_LIFETIME = timedelta(hours=48)  # how long Gemini keeps an uploaded file
PROCESSING_TIMEOUT = 300.0
# Types Gemini reads under another name; GIF it does not read at all (sent as PNG).
GEMINI_MIME = {"audio/mpeg": "audio/mp3"}
BASE64_GROWTH = 4 / 3  # inline data travels as base64 inside the JSON request


def file_gone(exc: errors.APIError) -> bool:
    """Whether Gemini refused the request because an uploaded file is gone (expired)."""
    message = str(exc.message or "").lower()
    return (exc.code or 0) in (400, 403, 404) and "file" in message


def _as_png(data: bytes) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.convert("RGBA").save(out, "PNG")
    return out.getvalue()


def text_part(file: Attachment, data: bytes) -> str:
    """A text file as Gemini reads it: headed by its name."""
    text = data.decode("utf-8", errors="replace")
    return f"File {file.name}:\n\n{text}"


class GeminiFiles:
    """Makes the parts of a request's turns that carry files (gemini_contents puts them
    before the turns' words)."""

    def __init__(
        self, client: Callable[[], genai.Client], *, inline_bytes: int, poll: float = 0.5
    ) -> None:
        self._client = client  # the running loop's (gemini_http.LoopClients)
        self._inline_bytes = inline_bytes
        self._poll = poll

    async def parts(
        self, history: Sequence[Turn], source: FileSource
    ) -> tuple[list[list[Piece]], list[int]]:
        """Each turn's files as parts, turn by turn; the blobs sent by URI."""
        media = {f.ref: f for turn in history for f in turn.files if f.kind != "text"}
        text_size = sum(f.size for turn in history for f in turn.files if f.kind == "text")
        inline_size = text_size + sum(f.size for f in media.values()) * BASE64_GROWTH
        by_uri: set[int] = set()
        for file in sorted(media.values(), key=lambda f: f.size, reverse=True):
            if inline_size <= self._inline_bytes:
                break
            by_uri.add(file.ref)
            inline_size -= file.size * BASE64_GROWTH
        parts: list[list[Piece]] = []
        for turn in history:
            on_turn: list[Piece] = []
            for file in turn.files:
                part = await self._part(file, source, file.ref in by_uri)
                if part is not None:
                    on_turn.append(part)
            parts.append(on_turn)
        return parts, sorted(by_uri)

    async def _part(self, file: Attachment, source: FileSource, by_uri: bool) -> Piece | None:
        mime_type = GEMINI_MIME.get(file.mime_type, file.mime_type)
        if by_uri:
            uri = await source.uploaded(file.ref)
            if uri is None:
                uri = await self._upload(file, source, mime_type)
            return UploadedFile(uri=uri, mime_type=mime_type)
        try:
            data = await source.read(file.ref)
        except FileGone:  # deleted since the message was sent: the model no longer gets it
            log.info("file %s was deleted before it was sent", file.name)
            return None
        if file.kind == "text":
            return text_part(file, data)
        if file.mime_type == "image/gif":
            data, mime_type = await asyncio.to_thread(_as_png, data), "image/png"
        return InlineData(mime_type=mime_type, data=data)

    async def _upload(self, file: Attachment, source: FileSource, mime_type: str) -> str:
        data = await source.read(file.ref)
        if file.mime_type == "image/gif":
            data, mime_type = await asyncio.to_thread(_as_png, data), "image/png"
        uploaded = await self._client().aio.files.upload(
            file=io.BytesIO(data),
            config=types.UploadFileConfig(mime_type=mime_type, display_name=file.name[:200]),
        )
        del data
        uploaded = await self._until_active(uploaded, file.name)
        assert uploaded.uri is not None
        expires = uploaded.expiration_time or datetime.now(UTC) + UPLOAD_LIFETIME
        await source.remember_upload(
            file.ref, uri=uploaded.uri, mime_type=mime_type, expires_at=expires
        )
        return uploaded.uri

    async def _until_active(self, file: types.File, name: str) -> types.File:
        """Gemini processes an upload before it can be used: wait for ACTIVE."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PROCESSING_TIMEOUT
        delay = self._poll
        while file.state == types.FileState.PROCESSING:
            if loop.time() > deadline:
                raise ProviderError(
                    f"Gemini took too long to process the file {name}. Please try again.",
                    retryable=True,
                    code="timeout",
                )
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 5.0)
            assert file.name is not None
            file = await self._client().aio.files.get(name=file.name)
        if file.state == types.FileState.FAILED:
            raise ProviderError(f"Gemini could not read the file {name}.", code="bad_request")
        return file
