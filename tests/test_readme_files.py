"""The README's file session works as written, after its main curl session."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.filesamples import png
from tests.serverproc import ServerProcess
from tests.test_readme import README, curl_session


def files_session() -> str:
    section = README.split("## Files (attachments)", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    return block


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_file_session_uploads_sends_lists_downloads_and_deletes(tmp_path: Path) -> None:
    """A reader who follows the README uploads photo.png, asks about it, lists their
    files, downloads it under its name and deletes it."""
    (tmp_path / "photo.png").write_bytes(png())
    server = ServerProcess(tmp_path / "server", {"DEMO_DELAY": "0.001"}).start()
    try:
        script = (curl_session() + files_session()).replace("http://127.0.0.1:8000", server.url)
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    bodies = json_bodies(result.stdout)
    exchange = [body for body in bodies if "assistant_message" in body][-1]
    assert exchange["user_message"]["attachments"][0]["name"] == "photo.png"
    assert "I received 1 image, photo.png" in exchange["assistant_message"]["content"]
    listing = next(body for body in bodies if "files" in body)
    assert listing["total"] == 1 and listing["files"][0]["name"] == "photo.png"
    assert (tmp_path / "copy.png").read_bytes() == png()


def json_bodies(output: str) -> list[dict]:
    """Every JSON object curl printed (it adds no newline after a body)."""
    decoder = json.JSONDecoder()
    found, index = [], 0
    while (start := output.find("{", index)) >= 0:
        try:
            body, index = decoder.raw_decode(output, start)
        except ValueError:
            index = start + 1
            continue
        if isinstance(body, dict):
            found.append(body)
    return found
