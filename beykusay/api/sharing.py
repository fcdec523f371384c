"""Share links, exports and imports (API.md, "Sharing, export, import")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from beykusay.api.chats import chat_out
from beykusay.api.deps import CurrentUser, OwnedChat, SessionDep, StateDep
from beykusay.api.docs import AUTH, CHAT, error, invalid
from beykusay.schemas import ChatOut
from beykusay.services import export, importer, sharing
from beykusay.services.sharing import ShareLink

router = APIRouter(tags=["sharing"])
IMPORT_PATH = "/api/import"  # the import route's full path (its body limit is by path)
IMPORT_SLACK = 64 * 1024  # room for the multipart framing around the imported file

Token = Annotated[str, Path(min_length=1, max_length=200)]
GONE = {404: error("No such share, or it was stopped")}


class ShareOut(BaseModel):
    token: str
    url: str
    created_at: datetime
    shared_at: datetime  # when the snapshot was last taken


class SharedAttachment(BaseModel):
    name: str
    kind: str


class SharedMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: str
    thinking: str | None
    created_at: datetime
    attachments: list[SharedAttachment]


class SharedChat(BaseModel):
    title: str
    model: str
    shared_at: datetime
    messages: list[SharedMessage]


class Skipped(BaseModel):
    title: str
    reason: str


class ImportOut(BaseModel):
    imported: int
    chats: list[int]
    skipped: list[Skipped]


def share_url(request: Request, token: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/share/{token}"


def share_out(request: Request, link: ShareLink) -> ShareOut:
    return ShareOut(
        token=link.token,
        url=share_url(request, link.token),
        created_at=link.created_at,
        shared_at=link.shared_at,
    )


@router.post(
    "/chats/{chat_id}/share",
    status_code=status.HTTP_201_CREATED,
    response_model=ShareOut,
    responses=CHAT,
)
def share_chat(request: Request, chat: OwnedChat, session: SessionDep, state: StateDep) -> ShareOut:
    key = state.settings.share_link_key()
    return share_out(request, sharing.share_chat(session=session, chat=chat, key=key))


@router.get("/chats/{chat_id}/share", response_model=ShareOut, responses=CHAT)
def get_share(request: Request, chat: OwnedChat, session: SessionDep, state: StateDep) -> ShareOut:
    key = state.settings.share_link_key()
    return share_out(request, sharing.get_link(session=session, chat=chat, key=key))


@router.delete("/chats/{chat_id}/share", status_code=status.HTTP_204_NO_CONTENT, responses=CHAT)
def stop_sharing(chat: OwnedChat, session: SessionDep) -> Response:
    sharing.stop_sharing(session=session, chat=chat)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/shared/{token}", response_model=SharedChat, responses=GONE)
def read_shared(token: Token, session: SessionDep, response: Response) -> SharedChat:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return SharedChat.model_validate(sharing.read_shared(session=session, token=token))


@router.post(
    "/shared/{token}/copy",
    status_code=status.HTTP_201_CREATED,
    response_model=ChatOut,
    responses={**AUTH, **GONE},
)
def copy_shared(token: Token, user: CurrentUser, session: SessionDep) -> ChatOut:
    """Continue a shared chat: a copy of it in the caller's own chats."""
    return chat_out(sharing.copy_shared(session=session, token=token, user=user))


def attachment(name: str) -> str:
    """Content-Disposition for a download (RFC 6266, with a plain fallback name)."""
    plain = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


@router.get(
    "/chats/{chat_id}/export",
    responses={**CHAT, 200: {"content": {"text/markdown": {}, "application/json": {}}}},
)
def export_chat(
    chat: OwnedChat,
    session: SessionDep,
    format: Annotated[Literal["markdown", "json"], Query()] = "markdown",
) -> Response:
    if format == "markdown":
        body = export.export_markdown(session=session, chat=chat)
        media, extension = "text/markdown; charset=utf-8", "md"
    else:
        body = export.export_json(session=session, chat=chat)
        media, extension = "application/json", "json"
    headers = {"Content-Disposition": attachment(export.file_name(chat, extension))}
    return Response(body.encode(), media_type=media, headers=headers)


@router.get("/me/export", responses={**AUTH, 200: {"content": {"application/json": {}}}})
def export_all(user: CurrentUser) -> StreamingResponse:
    assert user.id is not None
    headers = {"Content-Disposition": attachment("beykusay-chats.json")}
    return StreamingResponse(
        export.export_all_json(user.id), media_type="application/json", headers=headers
    )


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportOut,
    responses={
        **AUTH,
        400: error("The body is not readable multipart/form-data"),
        413: error("The file is larger than MAX_IMPORT_BYTES"),
        422: invalid("No file, neither format, or malformed (what and where): nothing imported"),
    },
)
def import_chats(
    file: Annotated[UploadFile, File()], user: CurrentUser, session: SessionDep, state: StateDep
) -> ImportOut:
    limit = state.settings.max_import_bytes
    if file.size is not None and file.size > limit:
        raise importer.ImportTooLarge(f"The file is larger than the import limit ({limit} bytes)")
    result = importer.import_file(session=session, user=user, source=file.file, max_bytes=limit)
    return ImportOut(
        imported=result.imported,
        chats=result.chats,
        skipped=[Skipped(**s) for s in result.skipped],
    )
