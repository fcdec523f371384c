"""Fixtures of the file tests: a server with small file limits on the fake Gemini."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import gemini_env
from tests.databases import BACKENDS, fresh_database
from tests.fakegemini import FakeGemini
from tests.filehelpers import INLINE, MAX_UPLOAD, QUOTA
from tests.serverproc import ServerProcess


@pytest.fixture(scope="module", params=BACKENDS)
def files_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    fake_gemini: FakeGemini,
) -> Iterator[ServerProcess]:
    """Per database backend (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""
    folder = tmp_path_factory.mktemp("files")
    with fresh_database(request.param, folder) as url:
        process = _start(folder, url, fake_gemini)
        yield process
        process.stop()


def _start(folder: Path, url: str, fake_gemini: FakeGemini) -> ServerProcess:
    env = {
        "DATABASE_URL": url,
        **gemini_env(fake_gemini),
        "MAX_UPLOAD_BYTES": str(MAX_UPLOAD),
        "USER_STORAGE_BYTES": str(QUOTA),
        "GEMINI_INLINE_BYTES": str(INLINE),
        "MAX_ATTACHMENTS": "3",
        "HISTORY_MAX_CHARS": "20000",
    }
    return ServerProcess(folder, env).start()


@pytest.fixture
def fapi(files_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=files_server.url + "/api", timeout=60) as client:
        yield client
