"""The README's /v1 snippets work as written: the curl session (making a key, models, a
whole and a streamed completion) and the openai package script, against a server
started like `make run` (the offline demo provider)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serverproc import ROOT, ServerProcess
from tests.v1clients import token_for

README = (ROOT / "README.md").read_text()
SECTION = README.split("## The OpenAI-compatible API (`/v1`)", 1)[1].split("\n## ", 1)[0]
MAKE_RUN_URL = "http://127.0.0.1:8000"


def snippet(language: str) -> str:
    [block] = re.findall(rf"```{language}\n(.*?)```", SECTION, re.S)
    return block


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = ServerProcess(tmp_path_factory.mktemp("v1readme"), {"DEMO_DELAY": "0.001"}).start()
    yield server.url
    server.stop()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_readme_curl_snippet_works_as_written(demo_server: str) -> None:
    """Run with $TOKEN set: it makes a key, lists models, and gets an answer whole and
    streamed (chunks, then data: [DONE])."""
    script = snippet("sh").replace(MAKE_RUN_URL, demo_server)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "TOKEN": token_for(demo_server)},
    )
    assert result.returncode == 0, result.stderr
    decoder = json.JSONDecoder()
    out = result.stdout
    models, end = decoder.raw_decode(out)
    assert [card["id"] for card in models["data"]] == ["BeykusSmall", "BeykusChat", "BeykusSmallR"]
    completion, end2 = decoder.raw_decode(out, end)
    assert completion["object"] == "chat.completion"
    assert "demo mode" in completion["choices"][0]["message"]["content"]
    data = re.findall(r"^data: (.*)$", out[end2:], re.M)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(item) for item in data[:-1]]
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0]["role"] == "assistant"
    assert "".join(d.get("reasoning_content", "") for d in deltas).strip()
    assert "demo mode" in "".join(d.get("content", "") for d in deltas)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_the_readme_python_snippet_works_as_written(demo_server: str, tmp_path: Path) -> None:
    """The openai script, with a key in BEYKUSAY_KEY, prints the thoughts, the answer and
    the streamed words."""
    token = token_for(demo_server)
    made = httpx.post(
        demo_server + "/api/me/keys",
        json={"name": "readme"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 201, made.text
    script = tmp_path / "ask.py"
    script.write_text(snippet("python").replace(MAKE_RUN_URL, demo_server))
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "BEYKUSAY_KEY": made.json()["key"]},
    )
    assert result.returncode == 0, result.stderr
    thoughts = re.search(r"^thoughts: (.+)$", result.stdout, re.M)
    assert thoughts and "demo provider" in thoughts[1]
    assert re.search(r"^answer: \*\*This is BeykuSay's demo mode\*\*", result.stdout, re.M)
    assert result.stdout.count("demo mode") >= 2  # the streamed answer printed too
