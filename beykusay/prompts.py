"""The system instruction, built from prompt files on every turn (edits apply at once)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from beykusay.config import StartupError


class PromptFileError(StartupError):
    """A prompt file is missing or unreadable: never answer with a silently empty instruction."""


def prompt_files(prompts_dir: Path, model_ids: Iterable[str]) -> list[Path]:
    """default.txt and one file per model: every one must exist."""
    return [prompts_dir / "default.txt", *(prompts_dir / f"{model}.txt" for model in model_ids)]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PromptFileError(
            f"cannot read the prompt file {path.resolve()}: {reason} (see PROMPTS_DIR)"
        ) from exc


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
