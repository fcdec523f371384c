"""Fixtures of the file tests: a server with small file limits on the fake Gemini."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import gemini_env
from tests.fakegemini import FakeGemini
from tests.filehelpers import INLINE, MAX_UPLOAD, QUOTA
from tests.serverproc import ServerProcess


@pytest.fixture(scope="module")
def files_server(
    tmp_path_factory: pytest.TempPathFactory, fake_gemini: FakeGemini
) -> Iterator[ServerProcess]:
    env = {
        **gemini_env(fake_gemini),
        "MAX_UPLOAD_BYTES": str(MAX_UPLOAD),
        "USER_STORAGE_BYTES": str(QUOTA),
        "GEMINI_INLINE_BYTES": str(INLINE),
        "MAX_ATTACHMENTS": "3",
        "HISTORY_MAX_CHARS": "20000",
    }
    process = ServerProcess(tmp_path_factory.mktemp("files"), env).start()
    yield process
    process.stop()


@pytest.fixture
def fapi(files_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=files_server.url + "/api", timeout=60) as client:
        yield client
