"""Prompt files: where they are found, and a missing one is an error naming its path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from beykusay import config
from beykusay.catalog import MODELS
from beykusay.config import Settings
from beykusay.prompts import PromptFileError, check_prompt_files, system_instruction
from tests.serverproc import ROOT, ServerProcess


def test_a_checkout_uses_its_own_prompts_folder() -> None:
    assert Settings().prompts_dir == ROOT / "prompts"
    assert Settings(prompts_dir="").prompts_dir == ROOT / "prompts"  # PROMPTS_DIR= in .env


def test_an_installed_package_uses_the_prompts_it_ships(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(config, "PROJECT_DIR", tmp_path)  # site-packages: no checkout here
    assert Settings().prompts_dir == config.PACKAGE_DIR / "default_prompts"


def test_the_instruction_is_default_then_model_then_the_users_own() -> None:
    prompts = ROOT / "prompts"
    text = system_instruction(prompts_dir=prompts, model_id="BeykusChat", custom_instructions="Hi")
    default = (prompts / "default.txt").read_text(encoding="utf-8").strip()
    model = (prompts / "BeykusChat.txt").read_text(encoding="utf-8").strip()
    assert text == f"{default}\n\n{model}\n\nThe user's own instructions for you:\nHi"


def test_a_missing_prompt_file_is_an_error_naming_it(tmp_path: Path) -> None:
    """The assistant used to answer with no system instruction at all, silently."""
    shutil.copytree(ROOT / "prompts", tmp_path, dirs_exist_ok=True)
    (tmp_path / "default.txt").unlink()
    with pytest.raises(PromptFileError, match=str(tmp_path / "default.txt")):
        system_instruction(prompts_dir=tmp_path, model_id="BeykusChat")
    with pytest.raises(PromptFileError, match=str(tmp_path / "default.txt")):
        check_prompt_files(tmp_path, MODELS)


def test_every_models_prompt_file_is_checked(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "prompts", tmp_path, dirs_exist_ok=True)
    check_prompt_files(tmp_path, MODELS)
    (tmp_path / "BeykusSmallR.txt").unlink()
    with pytest.raises(PromptFileError, match=str(tmp_path / "BeykusSmallR.txt")):
        check_prompt_files(tmp_path, MODELS)


def test_the_server_refuses_to_start_without_its_prompt_files(tmp_path: Path) -> None:
    empty = tmp_path / "no-prompts"
    empty.mkdir()
    env = ServerProcess(tmp_path, {"PROMPTS_DIR": str(empty)}).environment()
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"cannot read the prompt file {empty / 'default.txt'}" in result.stderr
    assert "Traceback" not in result.stderr


def _prompts_in(folder: Path, default: str) -> Path:
    shutil.copytree(ROOT / "prompts", folder, dirs_exist_ok=True)
    (folder / "default.txt").write_text(default, encoding="utf-8")
    return folder


def _instruction(folder: Path) -> str:
    return system_instruction(prompts_dir=folder, model_id="BeykusChat").split("\n\n")[0]


def test_an_edited_prompt_file_applies_at_the_next_turn(tmp_path: Path) -> None:
    """What the operator sees: edit default.txt and the very next answer follows it, even
    when the new text is as long as the old, or is saved by renaming a new file over it."""
    folder = _prompts_in(tmp_path, "Be kind.")
    assert _instruction(folder) == "Be kind."
    path = folder / "default.txt"
    before = path.stat().st_mtime_ns
    path.write_text("Be bold.", encoding="utf-8")  # same size
    os.utime(path, ns=(before + 1_000, before + 1_000))  # even within the clock's tick
    assert _instruction(folder) == "Be bold."
    replacement = folder / "default.txt.new"
    replacement.write_text("Be calm.", encoding="utf-8")
    os.utime(replacement, ns=(before + 1_000, before + 1_000))  # same size, same time
    replacement.replace(path)  # a new inode, as editors save
    assert _instruction(folder) == "Be calm."


def test_an_unchanged_prompt_file_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each answer used to read and decode both files (a tenth of a start under a burst)."""
    folder = _prompts_in(tmp_path, "Be kind.")
    reads: list[Path] = []
    read_text = Path.read_text

    def counted(self: Path, *args: Any, **kwargs: Any) -> str:
        reads.append(self)
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counted)
    for _ in range(5):
        assert _instruction(folder) == "Be kind."
    assert sorted(p.name for p in reads) == ["BeykusChat.txt", "default.txt"]


def test_a_prompt_file_removed_after_it_was_read_is_still_an_error(tmp_path: Path) -> None:
    folder = _prompts_in(tmp_path, "Be kind.")
    assert _instruction(folder) == "Be kind."
    (folder / "default.txt").unlink()
    with pytest.raises(PromptFileError, match=r"default\.txt"):
        _instruction(folder)
