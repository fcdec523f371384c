"""The whole REST API under /api, and how service errors become HTTP answers."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from beykusay import __version__
from beykusay.api import accounts, admin, chats, files, messages, meta, sharing, team, v1
from beykusay.hardening import Hardening
from beykusay.services.errors import ServiceError

api_router = APIRouter(prefix="/api")
for module in (accounts, chats, files, messages, meta, sharing, team, admin):
    api_router.include_router(module.router)


async def service_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    retry_after = getattr(exc, "retry_after", None)  # TooManyAttempts, usage.LimitReached
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's usual 422 body, minus the echoed input (it may not even be valid JSON)."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"type": e.get("type"), "loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


def build_api(*, max_body_bytes: int, body_limits: Mapping[str, int] | None = None) -> FastAPI:
    """The REST API as an app of its own, with its docs at /docs and /openapi.json."""
    api = FastAPI(
        title="BeykuSay API",
        version=__version__,
        description="Accounts, chats and streamed answers for scripts. See API.md.",
        redoc_url=None,
    )
    api.include_router(api_router)
    api.include_router(v1.router)
    api.add_exception_handler(ServiceError, service_error_handler)
    api.add_exception_handler(RequestValidationError, validation_error_handler)
    # Uploads and imports have limits of their own (see beykusay.server.body_limits).
    api.add_middleware(Hardening, max_body_bytes=max_body_bytes, limits=body_limits)
    return api
