"""The UI's own stylesheet and script, and the per-page theme snippet that runs before paint."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from nicegui import ui

STATIC = Path(__file__).parent / "static"
THEMES = ("light", "dark", "auto")


@cache
def _shared_head() -> str:
    css = "\n".join(
        (STATIC / name).read_text(encoding="utf-8") for name in ("beykusay.css", "sources.css")
    )
    js = "\n".join(
        (STATIC / name).read_text(encoding="utf-8") for name in ("beykusay.js", "highlight.js")
    )
    return f"<style>{css}</style>\n<script>{js}</script>"


def install() -> None:
    """Add the stylesheet and script to every page (call once from main.py)."""
    ui.add_head_html(_shared_head(), shared=True)


def add_theme_head(theme: str, lang: str, copied_label: str, copy_failed_label: str) -> None:
    """Set the theme class (and language, copy labels) on <html> in the head, before paint."""
    theme = theme if theme in THEMES else "auto"
    ui.add_head_html(
        "<script>"
        f"document.documentElement.lang={json.dumps(lang)};"
        f"document.documentElement.dataset.copied={json.dumps(copied_label)};"
        f"document.documentElement.dataset.copyFailed={json.dumps(copy_failed_label)};"
        f"window.bkTheme({json.dumps(theme)});"
        "</script>"
    )


def quasar_dark(theme: str) -> bool | None:
    return {"light": False, "dark": True}.get(theme)
