"""Settings: the database URL forms, the secret key in development and production."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from beykusay.config import Settings
from tests.serverproc import ROOT, ServerProcess


def test_a_plain_path_is_a_sqlite_file_and_urls_pass_through(tmp_path: Path) -> None:
    assert Settings(database_url="database.db").sqlalchemy_url == "sqlite:///database.db"
    url = "postgresql+psycopg://u:p@db/beykusay"
    assert Settings(database_url=url).sqlalchemy_url == url
    default = Settings(data_dir=tmp_path).sqlalchemy_url
    assert default == f"sqlite:///{tmp_path / 'beykusay.db'}"


def test_development_keeps_a_private_random_key_across_restarts(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).token_signing_key()
    again = Settings(data_dir=tmp_path).token_signing_key()
    assert first == again
    assert len((tmp_path / "secret_key").read_text().strip()) >= 48
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_production_refuses_to_start_without_a_secret_key() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key="")
    assert Settings(environment="production", secret_key="k" * 32).token_signing_key()


def test_the_server_exits_with_a_clear_message_in_production_without_a_key(
    tmp_path: Path,
) -> None:
    env = ServerProcess(tmp_path, {"BEYKUSAY_ENV": "production"}).environment()
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_logins_survive_a_restart_in_development(tmp_path: Path) -> None:
    import httpx

    server = ServerProcess(tmp_path).start()
    try:
        api = httpx.Client(base_url=server.url + "/api")
        api.post("/register", json={"username": "keeper", "password": "password123"})
        token = api.post("/login", json={"username": "keeper", "password": "password123"})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    finally:
        server.stop()
    server = ServerProcess(tmp_path).start()
    try:
        me = httpx.get(server.url + "/api/me", headers=auth)
    finally:
        server.stop()
    assert me.status_code == 200 and me.json()["username"] == "keeper"


def test_start_up_says_in_one_line_which_database_folders_and_provider_it_uses(
    tmp_path: Path,
) -> None:
    """What depends on the working folder (.env, DATA_DIR) is spelled out at start-up."""
    server = ServerProcess(tmp_path).start()
    server.stop()
    ready = [line for line in server.log().splitlines() if "BeykuSay ready" in line]
    assert ready == [
        f"INFO beykusay: BeykuSay ready: database=sqlite:///{tmp_path / 'beykusay.db'}, "
        f"data folder={tmp_path}, provider=demo, prompts folder={ROOT / 'prompts'}, "
        f"settings file={tmp_path / '.env'} (none)"
    ]


def test_a_database_password_never_reaches_the_log() -> None:
    settings = Settings(database_url="postgresql+psycopg://bk:s%40cret@db/beykusay")
    assert settings.database_for_log == "postgresql+psycopg://bk:***@db/beykusay"
