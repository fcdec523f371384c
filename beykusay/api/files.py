"""Files: upload (streamed, typed from the bytes), list, read, download, delete."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response, status

from beykusay.api.deps import CurrentUser, StateDep
from beykusay.api.docs import AUTH, error, invalid
from beykusay.config import Settings
from beykusay.db import in_session
from beykusay.files.models import StoredFile
from beykusay.files.sniff import ACCEPTED
from beykusay.files.upload import read_upload, too_large_refusal
from beykusay.models import MAX_ID
from beykusay.schemas import FileList, FileOut
from beykusay.services import files

router = APIRouter(prefix="/files", tags=["files"], responses=AUTH)
FileId = Annotated[int, Path(ge=1, le=MAX_ID)]
NOT_FOUND = {404: error("No such file (or it belongs to another user)")}
# Headers a download carries whatever it holds: nothing served from an upload runs here.
CONTENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=3600",
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self' data:",
}


def file_out(file: object) -> FileOut:
    return FileOut.model_validate(file, from_attributes=True)


def content_disposition(kind: str, name: str) -> str:
    """``inline`` for images, else a download under the file's name (RFC 6266/5987)."""
    if kind == "image":
        return "inline"
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=FileOut,
    responses={
        413: error("The file is over MAX_UPLOAD_BYTES, or over the user's storage quota"),
        415: error(f"Not a file type that is accepted: {ACCEPTED}"),
        422: invalid("An empty file, or no part named `file`"),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def upload_file(request: Request, user: CurrentUser, state: StateDep) -> FileOut:
    """Upload one file as the multipart part ``file``; its type is decided from its bytes."""
    assert user.id is not None
    return file_out(await receive_file(request, user.id, state.settings))


async def receive_file(request: Request, user_id: int, settings: Settings) -> StoredFile:
    """Read the request's ``file`` part as it streams in and keep it (for the API and the
    page's own upload route); FileRefused when it cannot be taken."""
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + UPLOAD_SLACK:
        raise too_large_refusal(limit)
    upload = await read_upload(
        request.headers.get("content-type", ""),
        request.stream(),
        limit=limit,
        expected=int(declared) if declared.isdigit() else None,
    )
    return await asyncio.to_thread(
        in_session,
        lambda session: files.save_upload(
            session=session,
            user_id=user_id,
            name=upload.name,
            claimed_type=upload.content_type,
            data=upload.data,
            quota=settings.user_storage_bytes,
        ),
    )


def content_response(file: StoredFile, data: bytes) -> Response:
    """A file's bytes with the headers that keep them inert in this origin."""
    headers = {**CONTENT_HEADERS, "Content-Disposition": content_disposition(file.kind, file.name)}
    return Response(content=data, media_type=file.mime_type, headers=headers)


UPLOAD_SLACK = 64 * 1024  # room for the multipart framing around the file itself
UPLOAD_PATH = "/api/files"  # the upload route's full path (its body limit is by path)


@router.get("", response_model=FileList)
def list_files(
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> FileList:
    """The user's files, newest first."""
    assert user.id is not None
    user_id = user.id
    found, total = in_session(
        lambda s: files.list_files(session=s, user_id=user_id, limit=limit, offset=offset)
    )
    return FileList(files=[file_out(f) for f in found], total=total)


@router.get("/{file_id}", response_model=FileOut, responses=NOT_FOUND)
def get_file(file_id: FileId, user: CurrentUser) -> FileOut:
    assert user.id is not None
    user_id = user.id
    return file_out(
        in_session(lambda s: files.get_file(session=s, user_id=user_id, file_id=file_id))
    )


@router.get(
    "/{file_id}/content",
    response_class=Response,
    responses={**NOT_FOUND, 200: {"description": "The file's bytes, as its own type"}},
)
async def file_content(file_id: FileId, user: CurrentUser) -> Response:
    """The bytes: images inline, everything else as a download with its name."""
    assert user.id is not None
    user_id = user.id
    file, data = await asyncio.to_thread(
        in_session, lambda s: files.read_content(session=s, user_id=user_id, file_id=file_id)
    )
    return content_response(file, data)


@router.delete("/{file_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_file(file_id: FileId, user: CurrentUser) -> Response:
    """Delete the file; messages that had it keep its entry, marked ``deleted``."""
    assert user.id is not None
    user_id = user.id
    in_session(lambda s: files.delete_file(session=s, user_id=user_id, file_id=file_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
