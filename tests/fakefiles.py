"""The Gemini Files API for the fake Gemini server, as the real one speaks it.

Resumable upload (``POST /upload/{version}/files`` with ``X-Goog-Upload-Command:
start``, then the bytes in chunks to the returned ``X-Goog-Upload-URL`` with ``upload``
and finally ``upload, finalize`` at the right ``X-Goog-Upload-Offset``), ``files/{id}``
resources that are ``PROCESSING`` for a few reads and then ``ACTIVE``, expiry (48 hours,
or at once with ``expire()``), deletion; and the checks ``generateContent`` makes on the
parts that carry files: inline data with a MIME type Gemini accepts and valid base64,
``fileData`` pointing at a file that exists, is ACTIVE and has not expired.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

# What Gemini reads as inline data or from a file (images, documents, audio, video, text).
ACCEPTED_MIME = {
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/heic",
    "image/heif",
    "application/pdf",
    "audio/wav",
    "audio/mp3",
    "audio/aiff",
    "audio/aac",
    "audio/ogg",
    "audio/flac",
    "video/mp4",
    "text/plain",
}
LIFETIME = timedelta(hours=48)


def _gone(file_id: str) -> tuple[int, str]:
    return 403, f"You do not have permission to access the File {file_id} or it may not exist."


def _field(part: dict[str, Any], camel: str, snake: str) -> str:
    return str(part.get(camel, part.get(snake, "")))


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakeFile:
    id: str
    display_name: str
    mime_type: str
    data: bytes
    created: datetime
    expires: datetime
    polls_left: int  # reads while PROCESSING

    def state(self) -> str:
        return "PROCESSING" if self.polls_left > 0 else "ACTIVE"

    def resource(self, base_url: str, version: str) -> dict[str, Any]:
        return {
            "name": f"files/{self.id}",
            "displayName": self.display_name,
            "mimeType": self.mime_type,
            "sizeBytes": str(len(self.data)),
            "createTime": _time(self.created),
            "updateTime": _time(self.created),
            "expirationTime": _time(self.expires),
            "sha256Hash": base64.b64encode(hashlib.sha256(self.data).hexdigest().encode()).decode(),
            "uri": f"{base_url}/{version}/files/{self.id}",
            "state": self.state(),
            "source": "UPLOADED",
        }


@dataclass
class _Session:
    size: int
    mime_type: str
    display_name: str
    received: bytearray = field(default_factory=bytearray)


class FakeFiles:
    """The Files API state of one fake server; thread-safe for the test's side."""

    def __init__(self, base_url: str, error_response: Any) -> None:
        self.base_url = base_url
        self._error = error_response
        self._lock = threading.Lock()
        self._files: dict[str, FakeFile] = {}
        self._sessions: dict[str, _Session] = {}
        self.processing_polls = 1  # GETs a new upload answers PROCESSING to
        self.uploads = 0  # finished uploads since the last reset
        self.chunks = 0  # upload requests carrying bytes

    # -- for tests

    def reset(self) -> None:
        with self._lock:
            self._files.clear()
            self._sessions.clear()
            self.uploads = self.chunks = 0
            self.processing_polls = 1

    def files(self) -> list[FakeFile]:
        with self._lock:
            return list(self._files.values())

    def expire(self) -> None:
        """Every file expires now, as if 48 hours had passed."""
        with self._lock:
            for file in self._files.values():
                file.expires = datetime.now(UTC) - timedelta(seconds=1)

    # -- wiring

    def install(self, app: web.Application) -> None:
        app.router.add_post("/upload/{version}/files", self._upload)
        app.router.add_get("/{version}/files/{file_id}", self._get)
        app.router.add_delete("/{version}/files/{file_id}", self._delete)

    def _live(self, file_id: str) -> FakeFile | None:
        file = self._files.get(file_id)
        if file is None or file.expires <= datetime.now(UTC):
            return None
        return file

    # -- handlers

    async def _upload(self, request: web.Request) -> web.Response:
        if not (request.headers.get("x-goog-api-key") or request.query.get("key")) and (
            "upload_id" not in request.query
        ):
            return self._error(403, "Method doesn't allow unregistered callers.")
        command = request.headers.get("X-Goog-Upload-Command", "")
        if "upload_id" not in request.query:
            return await self._start(request, command)
        return await self._chunk(request, command)

    async def _start(self, request: web.Request, command: str) -> web.Response:
        if request.headers.get("X-Goog-Upload-Protocol") != "resumable" or command != "start":
            return self._error(400, "Upload must start with a resumable start command.")
        try:
            body = await request.json()
            meta = body.get("file", {}) if isinstance(body, dict) else {}
            size = int(request.headers["X-Goog-Upload-Header-Content-Length"])
        except (ValueError, KeyError):
            return self._error(400, "Invalid upload start request.")
        mime_type = request.headers.get("X-Goog-Upload-Header-Content-Type") or meta.get(
            "mimeType", ""
        )
        upload_id = uuid.uuid4().hex
        with self._lock:
            self._sessions[upload_id] = _Session(size, mime_type, meta.get("displayName", ""))
        version = request.match_info["version"]
        query = f"upload_id={upload_id}&upload_protocol=resumable"
        url = f"{self.base_url}/upload/{version}/files?{query}"
        return web.Response(
            headers={
                "X-Goog-Upload-Status": "active",
                "X-Goog-Upload-URL": url,
                "X-Goog-Upload-Control-URL": url,
                "X-Goog-Upload-Chunk-Granularity": "262144",
            }
        )

    async def _chunk(self, request: web.Request, command: str) -> web.Response:
        upload_id = request.query["upload_id"]
        data = await request.read()
        with self._lock:
            session = self._sessions.get(upload_id)
            if session is None:
                return self._error(404, "Upload session not found.")
            commands = {c.strip() for c in command.split(",")}
            offset = int(request.headers.get("X-Goog-Upload-Offset", "-1"))
            if "upload" not in commands or offset != len(session.received):
                return self._error(400, f"Wrong offset {offset}: have {len(session.received)}.")
            session.received += data
            self.chunks += 1
            if "finalize" not in commands:
                return web.Response(headers={"X-Goog-Upload-Status": "active"})
            del self._sessions[upload_id]
            if len(session.received) != session.size:
                return self._error(400, "Uploaded size does not match the declared size.")
            now = datetime.now(UTC)
            file = FakeFile(
                id=uuid.uuid4().hex[:12],
                display_name=session.display_name,
                mime_type=session.mime_type,
                data=bytes(session.received),
                created=now,
                expires=now + LIFETIME,
                polls_left=self.processing_polls,
            )
            self._files[file.id] = file
            self.uploads += 1
            resource = file.resource(self.base_url, request.match_info["version"])
        return web.json_response({"file": resource}, headers={"X-Goog-Upload-Status": "final"})

    async def _get(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        with self._lock:
            file = self._live(file_id)
            if file is None:
                return self._error(*_gone(file_id))
            resource = file.resource(self.base_url, request.match_info["version"])
            file.polls_left = max(0, file.polls_left - 1)
        return web.json_response(resource)

    async def _delete(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        with self._lock:
            if self._files.pop(file_id, None) is None:
                return self._error(*_gone(file_id))
        return web.json_response({})

    # -- generateContent

    def check_parts(self, body: Any) -> tuple[int, str] | None:
        """Why Gemini would refuse the files in these contents (None: it would not)."""
        for content in body.get("contents", []) if isinstance(body, dict) else []:
            for part in content.get("parts", []) if isinstance(content, dict) else []:
                if "text" in part and part["text"] == "" and len(part) == 1:
                    return 400, "Unable to submit request because it has an empty text parameter."
                # Protocol-buffer JSON: Gemini takes camelCase and snake_case names alike.
                inline = part.get("inlineData", part.get("inline_data"))
                if inline is not None:
                    mime = _field(inline, "mimeType", "mime_type")
                    if mime not in ACCEPTED_MIME:
                        return 400, f"Unsupported MIME type: {mime}"
                    try:
                        # standard or URL-safe base64 (the SDK sends the latter)
                        data = str(inline.get("data", "")).replace("-", "+").replace("_", "/")
                        base64.b64decode(data, validate=True)
                    except (binascii.Error, ValueError):
                        return (
                            400,
                            "Invalid value at 'contents.parts.inline_data.data' (TYPE_BYTES)",
                        )
                ref = part.get("fileData", part.get("file_data"))
                if ref is not None:
                    uri = _field(ref, "fileUri", "file_uri")
                    file_id = uri.rsplit("/files/", 1)[-1]
                    with self._lock:
                        file = self._live(file_id)
                    if file is None:
                        return _gone(file_id)
                    if file.state() != "ACTIVE":
                        return 400, f"The File {file_id} is not in an ACTIVE state."
                    if (mime := _field(ref, "mimeType", "mime_type")) not in ACCEPTED_MIME:
                        return 400, f"Unsupported MIME type: {mime}"
        return None
