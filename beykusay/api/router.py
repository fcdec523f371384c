"""The whole REST API under /api, and how service errors become HTTP answers."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from beykusay.api import accounts, chats, messages, meta
from beykusay.services.errors import ServiceError, TooManyAttempts

api_router = APIRouter(prefix="/api")
for module in (accounts, chats, messages, meta):
    api_router.include_router(module.router)


async def service_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's usual 422 body, minus the echoed input (it may not even be valid JSON)."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"type": e.get("type"), "loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


def install_api(app: FastAPI) -> None:
    app.include_router(api_router)
    app.add_exception_handler(ServiceError, service_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
