"""The optional extras: the app imports and serves without them, and names the one missing.

Each test runs Python with `redis` and `psycopg` made impossible to import (a
sitecustomize on PYTHONPATH), as on a machine where `pip install .` left them out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.serverproc import ROOT, ServerProcess

BLOCK_EXTRAS = '''
import sys

class BlockExtras:
    """Finds nothing for the extras' packages, as if they were not installed."""

    blocked = {"redis", "psycopg", "psycopg2", "psycopg_binary", "psycopg_c"}

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, BlockExtras())
'''


@pytest.fixture
def without_extras(tmp_path: Path) -> dict[str, str]:
    """Environment additions that make the extras' packages unimportable."""
    site = tmp_path / "no-extras"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK_EXTRAS, encoding="utf-8")
    path = os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path}


def run_python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_extras_really_are_blocked(without_extras: dict[str, str], tmp_path: Path) -> None:
    result = run_python("import redis", without_extras, tmp_path)
    assert result.returncode != 0 and "No module named 'redis'" in result.stderr


def test_the_app_imports_without_the_extras(without_extras: dict[str, str]) -> None:
    """A fresh `make run` died here: the chat page imported the Redis relay."""
    result = run_python("import main", without_extras, ROOT)
    assert result.returncode == 0, result.stderr


def test_the_app_serves_and_answers_without_the_extras(
    without_extras: dict[str, str], tmp_path: Path
) -> None:
    server = ServerProcess(tmp_path, {**without_extras, "DEMO_DELAY": "0.001"}).start()
    try:
        health = httpx.get(server.url + "/api/health", timeout=10)
        login = httpx.get(server.url + "/login", timeout=10)
        api = httpx.Client(base_url=server.url + "/api", timeout=30)
        account = {"username": "noextras", "password": "correct horse"}
        api.post("/register", json=account).raise_for_status()
        token = api.post("/login", json=account).json()["access_token"]
        api.headers["Authorization"] = f"Bearer {token}"
        chat = api.post("/chats", json={}).json()["id"]
        answer = api.post(f"/chats/{chat}/messages?stream=false", json={"content": "hi"})
    finally:
        server.stop()
    assert health.status_code == 200 and health.json()["provider"] == "demo"
    assert login.status_code == 200
    assert answer.status_code == 201, answer.text
    assert answer.json()["assistant_message"]["status"] == "complete"


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "REDIS_URL",
            "redis://127.0.0.1:6379/0",
            "REDIS_URL is set but the 'redis' extra is not installed: "
            "pip install 'beykusay[redis]'",
        ),
        (
            "NICEGUI_REDIS_URL",
            "redis://127.0.0.1:6379/1",
            "NICEGUI_REDIS_URL is set but the 'redis' extra is not installed: "
            "pip install 'beykusay[redis]'",
        ),
        (
            "DATABASE_URL",
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
            "DATABASE_URL is a PostgreSQL URL but the 'postgres' extra is not installed: "
            "pip install 'beykusay[postgres]'",
        ),
    ],
)
def test_a_setting_that_needs_a_missing_extra_stops_start_up_with_its_name(
    without_extras: dict[str, str], tmp_path: Path, setting: str, value: str, message: str
) -> None:
    """Start-up fails at once with one line saying what to install, not a traceback."""
    env = ServerProcess(tmp_path, {**without_extras, setting: value}).environment()
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
