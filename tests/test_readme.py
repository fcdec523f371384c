"""The README's curl session works as written against a server started like `make run`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.serverproc import ROOT, ServerProcess

README = (ROOT / "README.md").read_text()


def curl_session() -> str:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    session = [block for block in blocks if "curl" in block]
    assert len(session) == 1, "the README has one curl session"
    return session[0]


def test_readme_names_the_two_setup_commands_and_the_package_successors() -> None:
    for phrase in ("make run", "make test", "google-genai", "libpass", "nh3"):
        assert phrase in README


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_curl_session_works_as_written(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, {"DEMO_DELAY": "0.001"}).start()
    try:
        script = curl_session().replace("http://127.0.0.1:8000", server.url)
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    output = result.stdout
    # curl prints no newline after a JSON body, so an event may follow one on its line.
    events = [json.loads(found) for found in re.findall(r"data: (.*)", output)]
    assert [events[0]["type"], events[-1]["type"]] == ["start", "done"]
    assert any(event["type"] == "thinking" for event in events)
    listing = json.loads(output.strip().splitlines()[-1])
    assert [m["role"] for m in listing["messages"]] == ["user", "assistant"]
    assert listing["messages"][1]["status"] == "complete"
    assert "demo mode" in listing["messages"][1]["content"]


def test_every_setting_is_in_env_example_and_the_new_ones_in_the_readme() -> None:
    from beykusay.config import Settings

    example = (ROOT / ".env.example").read_text()
    for name, field in Settings.model_fields.items():
        variable = field.validation_alias if isinstance(field.validation_alias, str) else name
        assert f"\n{variable.upper()}=" in example, variable
    for variable in ("NICEGUI_STORAGE_PATH", "NICEGUI_REDIS_URL"):
        assert variable in example
    for variable in ("PROMPTS_DIR", "NICEGUI_STORAGE_PATH", "DATA_DIR"):
        assert f"| `{variable}`" in README or f"`{variable}`," in README, variable


def test_the_quick_start_commands_exist() -> None:
    """Each command the Quick start shows is a Makefile target or the package's command."""
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"^make (\w+)", quick_start, re.M):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "pipx install ." in quick_start and "pip install ." in quick_start
    assert "beykusay serve" in quick_start
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'beykusay = "beykusay.cli:main"' in pyproject
