"""The system instruction, built from prompt files on every turn (edits apply at once)."""

from __future__ import annotations

from pathlib import Path


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def system_instruction(*, prompts_dir: Path, model_id: str, custom_instructions: str = "") -> str:
    """prompts/default.txt, then prompts/<model>.txt, then the user's own instructions."""
    parts = [_read(prompts_dir / "default.txt"), _read(prompts_dir / f"{model_id}.txt")]
    custom = custom_instructions.strip()
    if custom:
        parts.append("The user's own instructions for you:\n" + custom)
    return "\n\n".join(part for part in parts if part)
