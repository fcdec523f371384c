"""A server of its own for the team tests (roles, sign-up, usage, keys): its first
account is the admin, and sign-up changes there cannot disturb other tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine

from tests.apihelpers import bearer, start_server
from tests.conftest import PASSWORD, gemini_env, new_username
from tests.fakegemini import FakeGemini
from tests.serverproc import ServerProcess


class TeamServer:
    """The server, its SQLite file, and its admin's Authorization header."""

    def __init__(self, process: ServerProcess, database: Path) -> None:
        self.process = process
        self.url = process.url
        self.database = database
        self.client = httpx.Client(base_url=process.url + "/api", timeout=30)
        self.admin_name = new_username("boss")
        self.admin = self.register_and_login(self.admin_name)

    def engine(self) -> Engine:
        return create_engine(f"sqlite:///{self.database}")

    def register_and_login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        created = self.client.post("/register", json={"username": username, "password": password})
        assert created.status_code == 201, created.text
        return self.login(username, password)

    def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.client.post("/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return bearer(response.json()["access_token"])

    def user(self) -> tuple[str, dict[str, str]]:
        name = new_username()
        return name, self.register_and_login(name)

    def user_id(self, auth: dict[str, str]) -> int:
        return int(self.client.get("/me", headers=auth).json()["id"])

    def new_key(self, auth: dict[str, str], name: str = "script") -> dict[str, Any]:
        response = self.client.post("/me/keys", json={"name": name}, headers=auth)
        assert response.status_code == 201, response.text
        return response.json()

    def patch_user(self, user_id: int, **changes: Any) -> httpx.Response:
        return self.client.patch(f"/admin/users/{user_id}", json=changes, headers=self.admin)

    def set_signup(self, policy: str) -> None:
        response = self.client.patch("/admin/settings", json={"signup": policy}, headers=self.admin)
        assert response.status_code == 200 and response.json() == {"signup": policy}

    def close(self) -> None:
        self.client.close()
        self.process.stop()


def team_server_at(folder: Path, fake: FakeGemini, **env: str) -> TeamServer:
    database = folder / "team.db"
    process = start_server(
        folder,
        {**gemini_env(fake), "DATABASE_URL": str(database), "SEND_MAX_PER_WINDOW": "1000", **env},
    )
    return TeamServer(process, database)


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory, fake_gemini: FakeGemini) -> Iterator[TeamServer]:
    server = team_server_at(tmp_path_factory.mktemp("team"), fake_gemini)
    yield server
    server.close()
