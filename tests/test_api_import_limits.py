"""The import's own size limit (MAX_IMPORT_BYTES) against a server with small limits:
an import may be far larger than MAX_BODY_BYTES, which still holds for JSON bodies."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import httpx
import pytest

from tests import chatgpt_export as cg
from tests.apihelpers import assert_error_body, make_user, start_server

BODY_LIMIT = 2048
IMPORT_LIMIT = 16 * 1024


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    env = {"MAX_BODY_BYTES": str(BODY_LIMIT), "MAX_IMPORT_BYTES": str(IMPORT_LIMIT)}
    process = start_server(tmp_path_factory.mktemp("limits"), env)
    with httpx.Client(base_url=process.url + "/api", timeout=30) as client:
        yield client
    process.stop()


def padded(size: int) -> bytes:
    """A real export of one conversation, padded with white space to ``size`` bytes."""
    data = cg.as_json([cg.weather()])
    assert len(data) < size
    return data + b" " * (size - len(data))


def test_an_import_larger_than_the_body_limit_is_fine(small: httpx.Client) -> None:
    """A 10 KiB export imports although JSON bodies stop at 2 KiB."""
    _, auth = make_user(small)
    response = small.post("/import", files={"file": ("c.json", padded(10_000))}, headers=auth)
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 1


def test_json_bodies_keep_their_own_limit(small: httpx.Client) -> None:
    """MAX_BODY_BYTES still refuses a large JSON body with 413."""
    _, auth = make_user(small)
    response = small.post("/chats", json={"title": "t", "pad": "x" * 4000}, headers=auth)
    assert response.status_code == 413
    assert str(BODY_LIMIT) in assert_error_body(response)


@pytest.mark.parametrize("size", [IMPORT_LIMIT + 1, IMPORT_LIMIT + 200_000])
def test_a_file_over_the_import_limit_is_413_and_imports_nothing(
    small: httpx.Client, size: int
) -> None:
    """Just over the limit (checked on the file) or far over (refused as it streams
    in): 413 with the limit named, and no chat appears."""
    _, auth = make_user(small)
    response = small.post("/import", files={"file": ("c.json", padded(size))}, headers=auth)
    assert response.status_code == 413, response.text
    assert "limit" in assert_error_body(response)
    assert small.get("/chats", headers=auth).json()["total"] == 0


def test_a_zip_that_unpacks_past_the_limit_is_413(small: httpx.Client) -> None:
    """A small .zip whose conversations.json is larger than the limit is refused too."""
    _, auth = make_user(small)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", padded(IMPORT_LIMIT * 4))
    assert len(buffer.getvalue()) < IMPORT_LIMIT
    response = small.post("/import", files={"file": ("e.zip", buffer.getvalue())}, headers=auth)
    assert response.status_code == 413, response.text
    assert "conversations.json" in assert_error_body(response)
    assert small.get("/chats", headers=auth).json()["total"] == 0
