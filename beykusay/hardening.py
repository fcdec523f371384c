"""HTTP hardening as one pure ASGI middleware: security headers and request body limits.

A request body is held to the limit of its path in ``limits`` (file uploads, imports:
their file's limit plus room for the multipart framing; each of those routes also checks
the file itself), and to ``max_body_bytes`` on every other path, whatever its type. A
path in ``limits`` may name ``{segments}`` (NiceGUI's upload routes carry ids).

Pure ASGI (not BaseHTTPMiddleware) so streamed answers pass through untouched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# NiceGUI builds its Vue components at run time and injects inline scripts, so scripts
# need 'unsafe-inline' and 'unsafe-eval'. Everything else is as tight as it goes:
# images only from this server (model output can't make the browser fetch a remote
# image and leak chat text in its URL), no plugins, no framing, no foreign forms.
APP_CSP = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; "
    "font-src 'self' data:; "
    "connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs page loads Swagger UI from its CDN.
DOCS_CSP = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class BodyTooLarge(Exception):
    pass


class Hardening:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int = 256 * 1024,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        limits = limits or {}
        self.limits = {path: n for path, n in limits.items() if "{" not in path}
        self.templates = [(_template(path), n) for path, n in limits.items() if "{" in path]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path.startswith(("/docs", "/redoc")) else APP_CSP
        headers = [*BASE_HEADERS, (b"content-security-policy", csp.encode())]
        if scope.get("scheme") == "https":
            headers.append((b"strict-transport-security", b"max-age=31536000"))

        limit = self.limit(path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(send, headers, path, limit)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                existing = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in headers if name not in existing]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await self._too_large(send, headers, path, limit)

    def limit(self, path: str) -> int:
        """The body limit of ``path``: its own, or ``max_body_bytes``."""
        if (exact := self.limits.get(path)) is not None:
            return exact
        for pattern, limit in self.templates:
            if pattern.fullmatch(path):
                return limit
        return self.max_body_bytes

    async def _too_large(
        self, send: Send, headers: list[tuple[bytes, bytes]], path: str, limit: int
    ) -> None:
        message = f"Request body too large (limit {limit} bytes)"
        shape: dict[str, Any] = {"detail": message}
        if path.startswith("/v1/"):  # OpenAI's error shape, which its clients read
            error = {"message": message, "type": "invalid_request_error", "param": None}
            shape = {"error": {**error, "code": "request_too_large"}}
        body = json.dumps(shape).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _template(path: str) -> re.Pattern[str]:
    """``/a/{id}/b`` as a pattern: each ``{...}`` one non-empty path segment."""
    pieces = re.split(r"\{[^/{}]*\}", path)
    return re.compile("[^/]+".join(re.escape(piece) for piece in pieces))


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
