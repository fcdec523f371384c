"""Errors in OpenAI's shape, and a route class that gives every /v1 failure that shape.

OpenAI's clients read ``{"error": {"message", "type", "param", "code"}}``; FastAPI's
own answers (``{"detail": …}`` for a bad token, a validation error, a service error)
are turned into it here, so that no /v1 route ever answers in the other shape.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException  # FastAPI's own is a subclass

from beykusay.hardening import BodyTooLarge
from beykusay.providers.base import ProviderError
from beykusay.services.errors import ServiceError, TooManyAttempts
from beykusay.services.usage import LimitReached

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}


class OpenAIError(Exception):
    """A /v1 failure: HTTP status, message, and OpenAI's ``param`` and ``code``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        kind = _TYPES.get(self.status, "server_error" if self.status >= 500 else "api_error")
        error = {"message": self.message, "type": kind, "param": self.param}
        return {"error": {**error, "code": self.code}}

    def response(self) -> JSONResponse:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else None
        if self.status == 401:
            headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def invalid(message: str, param: str | None = None, code: str | None = None) -> OpenAIError:
    return OpenAIError(400, message, param=param, code=code)


# Gemini's failures as HTTP statuses: the client's own mistakes are 4xx; what only the
# server's operator can fix (its Gemini key, its model list) and Gemini's outages are 5xx.
_PROVIDER_STATUS = {
    "rate_limited": 429,
    "bad_request": 400,
    "overloaded": 503,
    "timeout": 504,
}


def from_provider(exc: ProviderError) -> OpenAIError:
    status = _PROVIDER_STATUS.get(exc.code, 502)
    return OpenAIError(status, exc.message, code=exc.code, retry_after=5 if status == 429 else None)


def _param(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or None


def from_exception(exc: Exception) -> OpenAIError | None:
    """The OpenAI-shaped form of an error FastAPI or a service raised, else None."""
    if isinstance(exc, OpenAIError):
        return exc
    if isinstance(exc, RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {}
        if first.get("type") == "json_invalid":
            return invalid("The request body is not valid JSON.")
        param = _param(tuple(first.get("loc", ())))
        message = str(first.get("msg", "Invalid request"))
        return invalid(f"{param}: {message}" if param else message, param)
    if isinstance(exc, HTTPException):
        code = "invalid_api_key" if exc.status_code == 401 else None
        return OpenAIError(exc.status_code, str(exc.detail), code=code)
    if isinstance(exc, TooManyAttempts):
        return OpenAIError(
            429, exc.message, code="rate_limit_exceeded", retry_after=exc.retry_after
        )
    if isinstance(exc, LimitReached):  # OpenAI's word for a used-up quota
        return OpenAIError(429, exc.message, code="insufficient_quota", retry_after=exc.retry_after)
    if isinstance(exc, ServiceError):
        return OpenAIError(exc.status_code, exc.message)
    return None


class OpenAIRoute(APIRoute):
    """An APIRoute whose errors (auth, validation, services) come in OpenAI's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as exc:
                if isinstance(exc.__cause__, BodyTooLarge):  # a body sent without a length
                    raise exc.__cause__ from None  # for Hardening's 413
                error = from_exception(exc)
                if error is None:
                    raise
                return error.response()

        return handler
