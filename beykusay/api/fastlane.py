"""REST requests take a fast lane past NiceGUI's page middlewares.

NiceGUI wraps every request in its session, storage-tracking, cache-control and
redirect middlewares, three of them BaseHTTPMiddleware, which copies each chunk of
a streamed body through extra tasks and memory streams. The API needs none of
that, so `/api`, `/v1`, `/docs` and `/openapi.json` go straight to their own FastAPI app;
everything else goes to NiceGUI as before.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

API_PATHS = ("/docs", "/docs/oauth2-redirect", "/openapi.json")


def is_api_path(path: str) -> bool:
    return path.startswith(("/api/", "/v1/")) or path in ("/api", "/v1") or path in API_PATHS


class FastLane:
    def __init__(self, pages: ASGIApp, api: ASGIApp) -> None:
        self.pages = pages
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_api_path(scope["path"]):
            await self.api(scope, receive, send)
        else:
            await self.pages(scope, receive, send)


def route_api_past_pages(app: FastAPI, api: FastAPI) -> None:
    """Put the fast lane outside the page app's middleware stack, whenever it is built."""
    build_pages_stack = app.build_middleware_stack

    def build() -> ASGIApp:
        return FastLane(build_pages_stack(), api)

    app.build_middleware_stack = build  # type: ignore[method-assign]
