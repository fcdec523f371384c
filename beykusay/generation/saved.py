"""What the database holds of an answer: where followers on other instances resync from."""

from __future__ import annotations

import asyncio

from sqlmodel import Session

from beykusay.db import in_session
from beykusay.events import Event, final_event
from beykusay.grounding import message_fields
from beykusay.models import STREAMING
from beykusay.relayed import Saved
from beykusay.services import instances, tree


async def saved_answer(message_id: int) -> Saved | None:
    """The answer's text as saved so far, and its final event once it ended."""

    def load(session: Session) -> Saved | None:
        message = instances.saved_answer(session=session, message_id=message_id)
        if message is None:
            return None
        if message.status == STREAMING:
            sources = saved_sources(message.grounding, message.search_entry_point)
            return Saved(message.thinking or "", message.content, None, sources)
        final = final_event(tree.message_out(session=session, message=message))
        return Saved(thinking=message.thinking or "", text=message.content, final=final)

    return await asyncio.to_thread(in_session, load)


def saved_sources(grounding: str | None, entry_point: str | None) -> Event | None:
    """The ``sources`` event of a growing answer as saved, or None when it has none yet."""
    if not (grounding or entry_point):
        return None
    return {"type": "sources", **message_fields(grounding, entry_point)}
