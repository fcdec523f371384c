"""The `beykusay` command (here as `python -m beykusay`) and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.serverproc import ROOT, ServerProcess


def test_beykusay_serve_runs_from_any_folder_and_stops_cleanly(tmp_path: Path) -> None:
    """`beykusay serve` from an empty folder serves; --port wins; SIGTERM exits with 0."""
    folder = tmp_path / "anywhere"
    folder.mkdir()
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    server = ServerProcess(folder, env)
    server.command = [
        sys.executable,
        "-m",
        "beykusay",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(server.port),
    ]
    server.extra_env["PORT"] = "1"  # the option wins over the setting
    server.start()
    try:
        health = httpx.get(server.url + "/api/health", timeout=10)
    finally:
        code = server.stop()
    assert health.status_code == 200 and health.json()["provider"] == "demo"
    assert code == 0, server.log()


def test_main_py_stops_with_exit_code_0_on_sigterm(tmp_path: Path) -> None:
    """A service manager read the old exit code 143 as a crash after every clean stop."""
    server = ServerProcess(tmp_path).start()
    assert server.stop() == 0, server.log()


def test_the_command_says_its_version_and_its_commands() -> None:
    run = [sys.executable, "-m", "beykusay"]
    version = subprocess.run([*run, "--version"], capture_output=True, text=True, cwd=ROOT)
    assert version.returncode == 0 and version.stdout.startswith("BeykuSay ")
    usage = subprocess.run([*run, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert "serve" in usage.stdout
