"""Who is asking: the client's address as the server sees it.

Behind a trusted proxy uvicorn has already replaced it with the forwarded one
(``FORWARDED_ALLOW_IPS``); the login limits count attempts per this address.
"""

from __future__ import annotations

from starlette.requests import Request


def client_address(request: Request) -> str:
    """The address to count attempts against (usable as a FastAPI dependency)."""
    return request.client.host if request.client is not None else "unknown"
