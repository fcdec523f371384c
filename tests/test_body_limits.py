"""One body limit per path: uploads and imports have their own, every other path has
MAX_BODY_BYTES whatever the body's content type (before, any multipart body anywhere
was let through up to the import limit)."""

from __future__ import annotations

import httpx

from beykusay.api.files import UPLOAD_PATH, UPLOAD_SLACK
from beykusay.api.router import build_api
from beykusay.api.sharing import IMPORT_PATH, IMPORT_SLACK
from beykusay.config import Settings
from beykusay.hardening import Hardening
from beykusay.server import NICEGUI_UPLOAD, body_limits

BOUNDARY = "b0undary"


def multipart(size: int) -> tuple[bytes, dict[str, str]]:
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    body += b"a" * size + f"\r\n--{BOUNDARY}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def test_a_large_multipart_body_to_a_json_route_is_refused_unread(server: str) -> None:
    """300 kB of multipart sent to routes that take JSON (an API route, a page, /v1) get
    413 "too large" at once, as a JSON body of that size does; /v1 in OpenAI's shape."""
    body, headers = multipart(300_000)
    chats = httpx.post(server + "/api/chats", content=body, headers=headers)
    assert chats.status_code == 413 and "too large" in chats.json()["detail"]
    page = httpx.post(server + "/login", content=body, headers=headers)
    assert page.status_code == 413
    v1 = httpx.post(server + "/v1/chat/completions", content=body, headers=headers)
    assert v1.status_code == 413
    assert v1.json()["error"]["code"] == "request_too_large"


def test_uploads_and_imports_are_the_only_paths_with_larger_limits() -> None:
    """The map names the API's upload and import routes and the composer's upload route,
    each with its file limit plus the multipart framing; the API routes exist."""
    settings = Settings(max_upload_bytes=5_000_000, max_import_bytes=9_000_000)
    limits = body_limits(settings, "/attachments")
    assert limits == {
        UPLOAD_PATH: 5_000_000 + UPLOAD_SLACK,
        "/attachments": 5_000_000 + UPLOAD_SLACK,
        IMPORT_PATH: 9_000_000 + IMPORT_SLACK,
        NICEGUI_UPLOAD: 9_000_000 + IMPORT_SLACK,
    }
    paths = build_api(max_body_bytes=1024).openapi()["paths"]
    assert "post" in paths[UPLOAD_PATH] and "post" in paths[IMPORT_PATH]


def test_the_settings_import_upload_takes_the_import_limit(server: str) -> None:
    """Settings → Import chats uploads through NiceGUI's own route, whose path carries the
    page's ids: a 300 kB import there is not refused as too large (the route itself
    answers, here 404 for a page that does not exist)."""
    body, headers = multipart(300_000)
    url = server + "/_nicegui/client/0f1e2d3c/upload/42"
    assert httpx.post(url, content=body, headers=headers).status_code != 413


def test_a_template_names_whole_segments_only() -> None:
    """{...} in a limit's path stands for one non-empty segment, nothing more."""
    hardening = Hardening(lambda *_: None, max_body_bytes=10, limits={NICEGUI_UPLOAD: 99})  # type: ignore[arg-type, return-value]
    assert hardening.limit("/_nicegui/client/abc/upload/7") == 99
    assert hardening.limit("/_nicegui/client/abc/upload/7/x") == 10
    assert hardening.limit("/_nicegui/client//upload/7") == 10
    assert hardening.limit("/_nicegui/client/a/b/upload/7") == 10
