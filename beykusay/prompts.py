"""The system instruction, built from prompt files on every turn (edits apply at once).

A file is read again only when it changed: its text is kept with the size, modification
time and inode it had, and one ``stat`` per turn tells whether that still holds (an
editor that saves by renaming a new file over the old gives a new inode). Under a
burst of starts reading and decoding both files for every answer was a tenth of the
start transaction's time.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from beykusay.config import StartupError


class PromptFileError(StartupError):
    """A prompt file is missing or unreadable: never answer with a silently empty instruction."""


def prompt_files(prompts_dir: Path, model_ids: Iterable[str]) -> list[Path]:
    """default.txt and one file per model: every one must exist."""
    return [prompts_dir / "default.txt", *(prompts_dir / f"{model}.txt" for model in model_ids)]


Stamp = tuple[int, int, int, int]  # size, mtime (ns), inode, device
_kept: dict[Path, tuple[Stamp, str]] = {}
_lock = threading.Lock()  # starts read prompts in worker threads


def _read(path: Path) -> str:
    try:
        info = os.stat(path)
        stamp = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev)
        kept = _kept.get(path)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeError) as exc:
        with _lock:
            _kept.pop(path, None)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PromptFileError(
            f"cannot read the prompt file {path.resolve()}: {reason} (see PROMPTS_DIR)"
        ) from exc
    with _lock:
        _kept[path] = (stamp, text)
    return text


def check_prompt_files(prompts_dir: Path, model_ids: Iterable[str]) -> None:
    """Read every prompt file once, so a missing one stops start-up instead of a turn."""
    for path in prompt_files(prompts_dir, model_ids):
        _read(path)


def system_instruction(*, prompts_dir: Path, model_id: str, custom_instructions: str = "") -> str:
    """prompts/default.txt, then prompts/<model>.txt, then the user's own instructions."""
    parts = [_read(prompts_dir / "default.txt"), _read(prompts_dir / f"{model_id}.txt")]
    custom = custom_instructions.strip()
    if custom:
        parts.append("The user's own instructions for you:\n" + custom)
    return "\n\n".join(part for part in parts if part)
