"""POST/GET/DELETE /api/files: types from the bytes, limits, quota, serving, ownership."""

from __future__ import annotations

import hashlib
import socket
from urllib.parse import unquote

import httpx
import pytest

from tests import filesamples as fs
from tests.apihelpers import assert_error_body, make_user, parse_time
from tests.filehelpers import MAX_UPLOAD, QUOTA, upload, uploaded

pytest_plugins = ["tests.filefixtures"]

FILE_KEYS = {"id", "name", "mime_type", "kind", "size", "sha256", "created_at"}


@pytest.fixture
def auth(fapi: httpx.Client) -> dict[str, str]:
    return make_user(fapi)[1]


@pytest.mark.parametrize(
    ("data", "name", "mime", "kind"),
    [
        (fs.png(), "photo.png", "image/png", "image"),
        (fs.image("JPEG"), "photo.jpg", "image/jpeg", "image"),
        (fs.image("WEBP"), "photo.webp", "image/webp", "image"),
        (fs.image("GIF"), "anim.gif", "image/gif", "image"),
        (fs.pdf(), "paper.pdf", "application/pdf", "pdf"),
        (fs.wav(), "voice.wav", "audio/wav", "audio"),
        (fs.MP3, "song.mp3", "audio/mpeg", "audio"),
        (fs.FLAC, "song.flac", "audio/flac", "audio"),
        (fs.OGG, "voice.opus", "audio/ogg", "audio"),
        ("# Заметки\n\nпривет".encode(), "notes.md", "text/plain", "text"),
        (b'{"a": 1}', "data.json", "text/plain", "text"),
        (b"def f():\n    return 1\n", "script.py", "text/plain", "text"),
    ],
)
def test_accepted_kinds_are_typed_from_their_bytes(
    fapi: httpx.Client, auth: dict[str, str], data: bytes, name: str, mime: str, kind: str
) -> None:
    """A user uploads a photo, a PDF, audio or a text file and sees it listed with its
    name, type, size and checksum, whatever the browser claimed its type was."""
    file = uploaded(fapi, auth, data, name)
    assert set(file) >= FILE_KEYS
    assert (file["name"], file["mime_type"], file["kind"]) == (name, mime, kind)
    assert file["size"] == len(data) and file["sha256"] == hashlib.sha256(data).hexdigest()
    parse_time(file["created_at"])
    assert fapi.get(f"/files/{file['id']}", headers=auth).json() == file


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (fs.SVG, "logo.svg", "image/svg+xml"),
        (fs.HTML, "page.html", "text/html"),
        (fs.HTML, "notes.txt", "text/plain"),  # markup under an innocent name
        (fs.ZIP, "archive.zip", "application/zip"),
        (fs.ELF, "program", "application/octet-stream"),
        (fs.LATIN1, "latin1.txt", "text/plain"),
        (b"plain words", "photo.png", "image/png"),  # bytes contradict the claimed type
        (fs.png()[:40], "broken.png", "image/png"),  # a PNG that does not decode
    ],
)
def test_refused_types_get_415_naming_what_is_accepted(
    fapi: httpx.Client, auth: dict[str, str], data: bytes, name: str, content_type: str
) -> None:
    """SVG, HTML, archives, programs, non-UTF-8 text and files whose bytes contradict
    their type are refused with a message listing what is accepted; nothing is kept."""
    response = upload(fapi, auth, data, name, content_type)
    assert response.status_code == 415, response.text
    detail = assert_error_body(response)
    assert "PNG" in detail and "PDF" in detail and "UTF-8 text" in detail
    assert fapi.get("/files", headers=auth).json() == {"files": [], "total": 0}


def test_a_decompression_bomb_is_refused_quickly(fapi: httpx.Client, auth: dict[str, str]) -> None:
    """A tiny PNG that would decode to 100 million pixels gets a clear 413 about pixels."""
    response = upload(fapi, auth, fs.bomb_png(), "bomb.png", "image/png")
    assert response.status_code == 413, response.text
    assert "pixels" in assert_error_body(response)


def test_empty_file_and_missing_part_are_422(fapi: httpx.Client, auth: dict[str, str]) -> None:
    """An empty file, a form without a `file` part, or no form at all: 422 with a reason."""
    assert upload(fapi, auth, b"", "empty.txt").status_code == 422
    other = fapi.post("/files", files={"other": ("a.txt", b"hi")}, headers=auth)
    assert other.status_code == 422 and "file" in assert_error_body(other)
    json_body = fapi.post("/files", json={"file": "hi"}, headers=auth)
    assert json_body.status_code == 422


def test_an_oversized_upload_is_413_and_leaves_nothing(
    fapi: httpx.Client, auth: dict[str, str]
) -> None:
    """A file one byte over MAX_UPLOAD_BYTES is refused with 413 saying the limit, and
    the user's files and quota are as before."""
    response = upload(fapi, auth, b"a" * (MAX_UPLOAD + 1), "big.txt", "text/plain")
    assert response.status_code == 413, response.text
    assert "too large" in assert_error_body(response)
    assert fapi.get("/files", headers=auth).json()["total"] == 0
    exact = uploaded(fapi, auth, b"b" * MAX_UPLOAD, "exact.txt")
    assert exact["size"] == MAX_UPLOAD


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    fapi: httpx.Client, auth: dict[str, str]
) -> None:
    """A declared body much larger than MAX_UPLOAD_BYTES is refused at once with 413."""
    url = httpx.URL(str(fapi.base_url))
    request = (
        f"POST /api/files HTTP/1.1\r\nHost: {url.host}\r\n"
        f"Authorization: {auth['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {MAX_UPLOAD * 10}\r\n\r\n"
    )
    with socket.create_connection((url.host, url.port), timeout=30) as sock:
        sock.sendall(request.encode())  # and not one byte of the body
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer


def test_json_bodies_keep_their_own_smaller_limit(fapi: httpx.Client, auth: dict[str, str]) -> None:
    """MAX_BODY_BYTES (256 KiB) still applies to JSON: a 290 KB chat title body is 413,
    while a 290 KB file upload is accepted."""
    big = fapi.post("/chats", json={"title": "x" * 290_000}, headers=auth)
    assert big.status_code == 413
    assert uploaded(fapi, auth, b"y" * 290_000, "fine.txt")["size"] == 290_000


def test_the_quota_counts_each_content_once_and_says_when_full(
    fapi: httpx.Client, auth: dict[str, str]
) -> None:
    """USER_STORAGE_BYTES: the same bytes uploaded twice count once; the upload that
    would pass the quota is 413 saying storage is full; deleting frees room."""
    first = uploaded(fapi, auth, b"1" * 290_000, "one.txt")
    again = uploaded(fapi, auth, b"1" * 290_000, "one-again.txt")
    assert again["id"] != first["id"] and again["sha256"] == first["sha256"]
    uploaded(fapi, auth, b"2" * 290_000, "two.txt")
    full = upload(fapi, auth, b"3" * (QUOTA - 2 * 290_000 + 1), "three.txt")
    assert full.status_code == 413 and "storage is full" in assert_error_body(full)
    assert fapi.get("/files", headers=auth).json()["total"] == 3
    assert fapi.delete(f"/files/{first['id']}", headers=auth).status_code == 204
    # the bytes are still used by one-again.txt: still full
    assert upload(fapi, auth, b"3" * 200_000, "three.txt").status_code == 413
    assert fapi.delete(f"/files/{again['id']}", headers=auth).status_code == 204
    assert uploaded(fapi, auth, b"3" * 200_000, "three.txt")["size"] == 200_000


def test_list_is_newest_first_and_pages(fapi: httpx.Client, auth: dict[str, str]) -> None:
    """GET /api/files lists the user's files newest first, with limit, offset and total."""
    ids = [uploaded(fapi, auth, f"note {i}".encode(), f"n{i}.txt")["id"] for i in range(3)]
    page = fapi.get("/files", params={"limit": 2}, headers=auth).json()
    assert page["total"] == 3 and [f["id"] for f in page["files"]] == ids[::-1][:2]
    rest = fapi.get("/files", params={"limit": 2, "offset": 2}, headers=auth).json()
    assert [f["id"] for f in rest["files"]] == [ids[0]]
    assert fapi.get("/files", params={"limit": 0}, headers=auth).status_code == 422


def test_content_of_an_image_is_inline_with_the_contract_headers(
    fapi: httpx.Client, auth: dict[str, str]
) -> None:
    """The browser shows an uploaded image inline, as its own type, never sniffed, cached
    privately, and sandboxed so nothing in it could run on this site."""
    data = fs.png()
    file = uploaded(fapi, auth, data, "photo.png")
    response = fapi.get(f"/files/{file['id']}/content", headers=auth)
    assert response.status_code == 200 and response.content == data
    h = response.headers
    assert h["content-type"] == "image/png"
    assert h["content-length"] == str(len(data))
    assert h["x-content-type-options"] == "nosniff"
    assert h["cache-control"].startswith("private")
    assert h["content-disposition"] == "inline"
    assert h["content-security-policy"].startswith("sandbox")


def test_content_of_other_files_downloads_under_its_name(
    fapi: httpx.Client, auth: dict[str, str]
) -> None:
    """A PDF or text file downloads (attachment) under its own name, also a non-ASCII
    one (RFC 6266 filename*), with nosniff and the sandbox policy."""
    text = "Заметка <script>alert(1)</script>".encode()
    file = uploaded(fapi, auth, text, 'отчёт "2026".txt')
    response = fapi.get(f"/files/{file['id']}/content", headers=auth)
    assert response.content == text
    h = response.headers
    assert h["content-type"].startswith("text/plain")
    disposition = h["content-disposition"]
    assert disposition.startswith("attachment;")
    star = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(star) == 'отчёт "2026".txt'
    assert h["x-content-type-options"] == "nosniff"
    assert h["content-security-policy"].startswith("sandbox")
    assert h["cache-control"].startswith("private")
    pdf = uploaded(fapi, auth, fs.pdf(), "paper.pdf")
    got = fapi.get(f"/files/{pdf['id']}/content", headers=auth)
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")


def test_another_users_file_is_404_and_deleted_files_are_gone(
    fapi: httpx.Client, auth: dict[str, str]
) -> None:
    """Another user can neither see, download nor delete my file (404, as if it did not
    exist); after I delete it, it is 404 for me too and leaves my list."""
    file = uploaded(fapi, auth, b"secret", "secret.txt")
    other = make_user(fapi)[1]
    for method, path in (
        ("GET", f"/files/{file['id']}"),
        ("GET", f"/files/{file['id']}/content"),
        ("DELETE", f"/files/{file['id']}"),
    ):
        assert fapi.request(method, path, headers=other).status_code == 404
    assert fapi.get("/files", headers=other).json()["total"] == 0
    assert fapi.delete(f"/files/{file['id']}", headers=auth).status_code == 204
    assert fapi.get(f"/files/{file['id']}", headers=auth).status_code == 404
    assert fapi.get(f"/files/{file['id']}/content", headers=auth).status_code == 404
    assert fapi.delete(f"/files/{file['id']}", headers=auth).status_code == 404
    assert fapi.get("/files", headers=auth).json()["total"] == 0
    assert fapi.get("/files").status_code == 401
    assert upload(fapi, {}, b"hi", "a.txt").status_code == 401
