"""ChatGPT data exports for tests, written from the published format of
``conversations.json``: a list of conversations, each a ``mapping`` of nodes
(``id``, ``message``, ``parent``, ``children``) and a ``current_node``.

``sample()`` is a small, realistic export: a regenerated answer (two versions), a
hidden system message and hidden custom instructions, a photo in a multimodal message,
an o-series answer with thoughts and a code-interpreter call, a browsing answer, an
edited question whose older version is current, Cyrillic and emoji, and an empty
conversation.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

T0 = 1_717_000_000.0  # 2024-05-29, in seconds as ChatGPT writes times


def msg(
    node_id: str,
    role: str,
    content: dict[str, Any],
    *,
    at: float | None,
    recipient: str = "all",
    hidden: bool = False,
    model: str | None = None,
    name: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if hidden:
        metadata["is_visually_hidden_from_conversation"] = True
    if model:
        metadata["model_slug"] = model
    if attachments:
        metadata["attachments"] = attachments
    return {
        "id": node_id,
        "author": {"role": role, "name": name, "metadata": {}},
        "create_time": at,
        "update_time": None,
        "content": content,
        "status": "finished_successfully",
        "end_turn": role == "assistant" or None,
        "weight": 1.0,
        "metadata": metadata,
        "recipient": recipient,
        "channel": None,
    }


def text(*parts: str) -> dict[str, Any]:
    return {"content_type": "text", "parts": list(parts)}


def conversation(
    title: str, nodes: list[tuple[str, str | None, dict[str, Any] | None]], current: str, at: float
) -> dict[str, Any]:
    """A conversation from (id, parent id, message) triples; children are filled in."""
    mapping: dict[str, dict[str, Any]] = {
        node_id: {"id": node_id, "message": message, "parent": parent, "children": []}
        for node_id, parent, message in nodes
    }
    for node_id, parent, _ in nodes:
        if parent is not None:
            mapping[parent]["children"].append(node_id)
    return {
        "title": title,
        "create_time": at,
        "update_time": at + 600,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": current,
        "plugin_ids": None,
        "conversation_id": f"conv-{title[:8]}",
        "conversation_template_id": None,
        "gizmo_id": None,
        "is_archived": False,
        "safe_urls": [],
        "default_model_slug": "gpt-4o",
        "id": f"conv-{title[:8]}",
    }


def borscht() -> dict[str, Any]:
    image = {
        "content_type": "image_asset_pointer",
        "asset_pointer": "file-service://file-AbC123",
        "size_bytes": 182_311,
        "width": 1024,
        "height": 768,
        "fovea": 512,
        "metadata": None,
    }
    thoughts = {
        "content_type": "thoughts",
        "thoughts": [
            {"summary": "Смотрю на фото", "content": "На снимке тёмно-красный корнеплод."}
        ],
        "source_analysis_msg_id": "x",
    }
    code = {"content_type": "code", "language": "unknown", "text": "analyze(image)"}
    output = {"content_type": "execution_output", "text": "beet: 0.97"}
    return conversation(
        "Рецепт борща 🍲",
        [
            ("root", None, None),
            ("sys", "root", msg("sys", "system", text(""), at=None, hidden=True)),
            (
                "ctx",
                "sys",
                msg(
                    "ctx",
                    "user",
                    {"content_type": "user_editable_context", "user_profile": "Я повар"},
                    at=T0,
                    hidden=True,
                ),
            ),
            ("u1", "ctx", msg("u1", "user", text("Как сварить борщ? 🍲"), at=T0 + 1)),
            (
                "a1",
                "u1",
                msg("a1", "assistant", text("Сначала свёкла."), at=T0 + 2, model="gpt-4o"),
            ),
            ("a1b", "u1", msg("a1b", "assistant", text("Начните с бульона."), at=T0 + 3)),
            (
                "u2",
                "a1b",
                msg(
                    "u2",
                    "user",
                    {"content_type": "multimodal_text", "parts": [image, "Что на фото?"]},
                    at=T0 + 4,
                ),
            ),
            ("t2", "u2", msg("t2", "assistant", thoughts, at=T0 + 5, model="o3")),
            ("c2", "t2", msg("c2", "assistant", code, at=T0 + 6, recipient="python")),
            ("o2", "c2", msg("o2", "tool", output, at=T0 + 7, name="python")),
            ("a2", "o2", msg("a2", "assistant", text("На фото свёкла. ✅"), at=T0 + 8, model="o3")),
        ],
        current="a2",
        at=T0,
    )


def weather() -> dict[str, Any]:
    quote = {"content_type": "tether_quote", "url": "https://x", "title": "X", "text": "19°C"}
    return conversation(
        "Weather in Kazan ☀️",
        [
            ("root", None, None),
            ("q1", "root", msg("q1", "user", text("Weather in Kazan?"), at=T0 + 100)),
            (
                "b1",
                "q1",
                msg("b1", "assistant", text('search("Kazan")'), at=T0 + 101, recipient="browser"),
            ),
            ("r1", "b1", msg("r1", "tool", quote, at=T0 + 102, name="browser")),
            ("a1", "r1", msg("a1", "assistant", text("Sunny, 19 °C ☀️"), at=T0 + 103)),
            ("q2", "root", msg("q2", "user", text("Погода в Казани?"), at=T0 + 200)),
            ("a2", "q2", msg("a2", "assistant", text("Солнечно."), at=T0 + 201)),
        ],
        current="a1",  # the older version of the question is the one shown
        at=T0 + 100,
    )


def empty() -> dict[str, Any]:
    return conversation(
        "Nothing here",
        [
            ("root", None, None),
            ("sys", "root", msg("sys", "system", text(""), at=None, hidden=True)),
        ],
        current="sys",
        at=T0 + 300,
    )


def sample() -> list[dict[str, Any]]:
    return [borscht(), weather(), empty()]


def as_json(conversations: list[dict[str, Any]]) -> bytes:
    return json.dumps(conversations, ensure_ascii=False).encode()


def as_zip(conversations: list[dict[str, Any]]) -> bytes:
    """The archive as ChatGPT's "Export data" e-mail delivers it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", as_json(conversations))
        archive.writestr("chat.html", "<html>…</html>")
        archive.writestr("user.json", json.dumps({"id": "user-1", "email": "a@example.com"}))
        archive.writestr("file-AbC123-photo.jpg", b"\xff\xd8\xff\xe0 not really a photo")
    return buffer.getvalue()
