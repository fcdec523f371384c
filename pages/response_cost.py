"""A page's HTML costs less to make: its elements' JSON is escaped in C, not char by char.

``Client.build_response`` puts every element of the page, as JSON, into the HTML with
``str.translate(HTML_ESCAPE_TABLE)`` (``&<>`$`` become entities). ``translate`` with
replacements longer than one character goes through a dictionary for every character:
11 ms for the 150 KB of 15 long answers' HTML (most of a chat page's JSON), in one piece
on the event loop that every stream on the instance shares. Five ``str.replace`` calls
give the same string in 1 ms.

NiceGUI's ``client`` module gets a ``json`` whose ``dumps`` returns that JSON as a string
whose ``translate`` of that one table does so; any other table goes to ``str.translate``.
"""

from __future__ import annotations

from typing import Any

from nicegui import client as nicegui_client
from nicegui import json as nicegui_json

TABLE = nicegui_client.HTML_ESCAPE_TABLE


def _replacements(table: dict[int, Any]) -> list[tuple[str, str]] | None:
    """The table as replacements in an order that gives translate's result, if there is one
    (``&`` first; no replacement may hold a character replaced after it)."""
    pairs = sorted(((chr(k), v) for k, v in table.items()), key=lambda p: p[0] != "&")
    if not all(isinstance(v, str) for _, v in pairs):
        return None
    for index, (_, value) in enumerate(pairs):
        if any(char in value for char, _ in pairs[index + 1 :]):
            return None
    return pairs


REPLACEMENTS = _replacements(TABLE)


def escape(text: str) -> str:
    """``text.translate(HTML_ESCAPE_TABLE)``."""
    if REPLACEMENTS is None:
        return text.translate(TABLE)
    for char, entity in REPLACEMENTS:
        if char in text:
            text = text.replace(char, entity)
    return text


class PageJson(str):
    """JSON for the page: escaped for HTML quickly (``translate`` of NiceGUI's table)."""

    __slots__ = ()

    def translate(self, table: Any) -> str:  # type: ignore[override]
        plain = str.__str__(self)
        return escape(plain) if table is TABLE else plain.translate(table)


class ClientJson:
    """What ``nicegui.client`` calls ``json``: NiceGUI's, with ``dumps`` giving PageJson."""

    loads = staticmethod(nicegui_json.loads)

    @staticmethod
    def dumps(*args: Any, **kwargs: Any) -> PageJson:
        return PageJson(nicegui_json.dumps(*args, **kwargs))


def install() -> None:
    nicegui_client.json = ClientJson  # type: ignore[assignment]
