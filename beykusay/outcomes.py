"""How a finished provider stream becomes a message status and a message for the user."""

from __future__ import annotations

from typing import NamedTuple

SAFETY_REASONS = {
    "SAFETY",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "RECITATION",
}
COMPLETE_REASONS = {"STOP", "MAX_TOKENS"}


class Outcome(NamedTuple):
    """An answer's final status; for an error, why (English) and a stable code for it."""

    status: str
    error: str | None = None
    code: str | None = None


def outcome(finish_reason: str | None, content: str) -> Outcome:
    """The outcome of a stream that ended with ``finish_reason``."""
    if finish_reason in SAFETY_REASONS:
        if finish_reason == "RECITATION":
            return Outcome(
                "error",
                "Gemini stopped the answer because it was repeating protected text.",
                "recitation",
            )
        return Outcome("error", "Gemini's safety filters stopped this answer.", "safety")
    if finish_reason not in COMPLETE_REASONS:
        return Outcome(
            "error",
            f"Gemini ended the answer unexpectedly ({finish_reason or 'no reason'}).",
            "unexpected_finish",
        )
    if not content.strip():
        return Outcome("error", "The model returned an empty answer. Please try again.", "empty")
    return Outcome("complete")
