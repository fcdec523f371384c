"""Seeding a grounded answer straight into the browser tests' server database."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.conftest import Server, seed_chat


def seed_grounded(
    server: Server,
    username: str,
    question: str,
    answer: str,
    *,
    sources: list[dict[str, Any]],
    citations: list[dict[str, Any]],
    queries: list[str],
    entry_point: str | None,
    title: str = "Grounded",
) -> int:
    """A chat whose answer came with web search (as the app stores it); its id."""
    from sqlmodel import Session, col, select

    from beykusay.db import make_engine
    from beykusay.models import Message

    chat_id = seed_chat(server, username, [("user", question), ("assistant", answer)], title)
    grounding = {"sources": sources, "citations": citations, "search_queries": queries}
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            row = session.exec(
                select(Message).where(Message.chat_id == chat_id).order_by(col(Message.id).desc())
            ).first()
            assert row is not None
            row.grounding = json.dumps(grounding, ensure_ascii=False)
            row.search_entry_point = entry_point
            session.add(row)
            session.commit()
    finally:
        engine.dispose()
    return chat_id


def span(text: str, part: str, sources: list[int]) -> dict[str, Any]:
    """The citation of ``part`` of ``text``, in code points."""
    start = text.index(part)
    return {"start": start, "end": start + len(part), "sources": sources}
