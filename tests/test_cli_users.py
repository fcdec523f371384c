"""`beykusay users …` (run as `python -m beykusay users …`) on a database with no server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.serverproc import ROOT, ServerProcess

PASSWORD = "sturdy password"


def users(folder: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "PYTEST_CURRENT_TEST" and not key.startswith(("GOOGLE_", "SIGNUP"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        DATABASE_URL=str(folder / "operator.db"),
        DATA_DIR=str(folder),
    )
    return subprocess.run(
        [sys.executable, "-m", "beykusay", "users", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=120,
    )


def test_the_operator_creates_lists_and_changes_accounts_without_a_server(tmp_path: Path) -> None:
    """Each command says what it did and exits 0; refusals say why and exit non-zero."""
    assert users(tmp_path, "list").stdout.strip() == "no accounts yet"
    created = users(tmp_path, "create", "Ada", "--admin", "--password-stdin", stdin=PASSWORD)
    assert created.returncode == 0 and "created admin Ada" in created.stdout, created.stderr
    bob = users(tmp_path, "create", "bob", "--password-stdin", stdin=PASSWORD + "\n")
    assert bob.returncode == 0 and "created user bob" in bob.stdout

    taken = users(tmp_path, "create", "ADA", "--password-stdin", stdin=PASSWORD)
    assert taken.returncode == 1 and "taken" in taken.stderr
    short = users(tmp_path, "create", "carl", "--password-stdin", stdin="short")
    assert short.returncode == 2 and "8-128 characters" in short.stderr
    bad_name = users(tmp_path, "create", "x", "--password-stdin", stdin=PASSWORD)
    assert bad_name.returncode == 2 and "3-32" in bad_name.stderr
    last = users(tmp_path, "set-role", "ada", "user")
    assert last.returncode == 1 and "last active admin" in last.stderr
    assert users(tmp_path, "disable", "Ada").returncode == 1
    nobody = users(tmp_path, "enable", "nobody")
    assert nobody.returncode == 1 and "No user named 'nobody'" in nobody.stderr
    wrong_role = users(tmp_path, "set-role", "bob", "root")
    assert wrong_role.returncode == 2

    assert "bob is now an admin" in users(tmp_path, "set-role", "bob", "admin").stdout
    assert "bob is now disabled" in users(tmp_path, "disable", "BOB").stdout
    new = users(tmp_path, "set-password", "bob", "--password-stdin", stdin="another password")
    assert new.returncode == 0 and "older sessions have ended" in new.stdout
    listing = users(tmp_path, "list")
    assert listing.returncode == 0
    rows = [line.split() for line in listing.stdout.splitlines()[1:]]
    assert [row[1:4] for row in rows] == [["Ada", "admin", "active"], ["bob", "admin", "disabled"]]
    assert "bob is now active" in users(tmp_path, "enable", "bob").stdout


def test_accounts_made_by_the_operator_log_in_on_the_server(tmp_path: Path) -> None:
    """The server started on that database afterwards lets them in with those passwords."""
    assert (
        users(tmp_path, "create", "ada", "--admin", "--password-stdin", stdin=PASSWORD).returncode
        == 0
    )
    assert users(tmp_path, "create", "bob", "--password-stdin", stdin=PASSWORD).returncode == 0
    assert (
        users(
            tmp_path, "set-password", "bob", "--password-stdin", stdin="changed password"
        ).returncode
        == 0
    )
    assert users(tmp_path, "disable", "bob").returncode == 0
    server = ServerProcess(tmp_path, {"DATABASE_URL": str(tmp_path / "operator.db")}).start()
    try:
        api = server.url + "/api"
        login = httpx.post(api + "/login", json={"username": "ada", "password": PASSWORD})
        assert login.status_code == 200
        token = {"Authorization": f"Bearer {login.json()['access_token']}"}
        assert httpx.get(api + "/me", headers=token).json()["role"] == "admin"
        bob = httpx.post(api + "/login", json={"username": "bob", "password": "changed password"})
        assert bob.status_code == 403 and "disabled" in bob.json()["detail"]
    finally:
        server.stop()
