"""How a finished provider stream becomes a message status and a message for the user."""

from __future__ import annotations

SAFETY_REASONS = {
    "SAFETY",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "RECITATION",
}
COMPLETE_REASONS = {"STOP", "MAX_TOKENS"}


def outcome(finish_reason: str | None, content: str) -> tuple[str, str | None]:
    """(status, error) for a stream that ended with ``finish_reason``."""
    if finish_reason in SAFETY_REASONS:
        if finish_reason == "RECITATION":
            return "error", "Gemini stopped the answer because it was repeating protected text."
        return "error", "Gemini's safety filters stopped this answer."
    if finish_reason not in COMPLETE_REASONS:
        return "error", f"Gemini ended the answer unexpectedly ({finish_reason or 'no reason'})."
    if not content.strip():
        return "error", "The model returned an empty answer. Please try again."
    return "complete", None
