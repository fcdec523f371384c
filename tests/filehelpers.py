"""Upload helpers and the small file limits of the file tests' server."""

from __future__ import annotations

from typing import Any

import httpx

MAX_UPLOAD = 300_000
QUOTA = 700_000
INLINE = 150_000


def upload(
    api: httpx.Client,
    auth: dict[str, str],
    data: bytes,
    name: str = "file.bin",
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    return api.post("/files", files={"file": (name, data, content_type)}, headers=auth)


def uploaded(api: httpx.Client, auth: dict[str, str], data: bytes, name: str, **kw: Any) -> dict:
    response = upload(api, auth, data, name, **kw)
    assert response.status_code == 201, response.text
    return response.json()
