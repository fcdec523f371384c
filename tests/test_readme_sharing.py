"""The README's sharing, export and import commands work as written, after its curl
session, against a server started like `make run`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.serverproc import ServerProcess
from tests.test_readme import README, curl_session


def sharing_session() -> str:
    (block,) = [b for b in re.findall(r"```sh\n(.*?)```", README, re.S) if "/share" in b]
    return block


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_sharing_commands_work_as_written(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, {"DEMO_DELAY": "0.001"}).start()
    try:
        script = (curl_session() + "\n" + sharing_session()).replace(
            "http://127.0.0.1:8000", server.url
        )
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", f"cd {tmp_path} && {script}"],
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert json.loads(lines[-1])["imported"] == 1  # all.json held the one chat
    shared = next(json.loads(line) for line in lines if line.startswith('{"title"'))
    assert shared["messages"][0]["content"] == "Hello! What can you do?"
    assert any(line.startswith("# ") for line in lines)  # the Markdown export
    assert (tmp_path / "chat.json").is_file() and (tmp_path / "all.json").is_file()
