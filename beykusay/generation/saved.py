"""What the database holds of an answer: where followers on other instances resync from."""

from __future__ import annotations

import asyncio

from sqlmodel import Session

from beykusay.db import in_session
from beykusay.events import final_event
from beykusay.models import STREAMING
from beykusay.relayed import Saved
from beykusay.schemas import message_json
from beykusay.services import instances


async def saved_answer(message_id: int) -> Saved | None:
    """The answer's text as saved so far, and its final event once it ended."""

    def load(session: Session) -> Saved | None:
        message = instances.saved_answer(session=session, message_id=message_id)
        if message is None:
            return None
        final = None if message.status == STREAMING else final_event(message_json(message))
        return Saved(thinking=message.thinking or "", text=message.content, final=final)

    return await asyncio.to_thread(in_session, load)
