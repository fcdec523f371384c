"""What the database holds of an answer: where followers on other instances resync from."""

from __future__ import annotations

import asyncio

from sqlmodel import Session

from beykusay.db import in_session
from beykusay.events import final_event
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
            return Saved(thinking=message.thinking or "", text=message.content, final=None)
        final = final_event(tree.message_out(session=session, message=message))
        return Saved(thinking=message.thinking or "", text=message.content, final=final)

    return await asyncio.to_thread(in_session, load)
