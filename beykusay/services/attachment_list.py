"""Which files each message carries, by name: what exports and share links list.

Each entry holds at least ``name`` and ``kind``; exports keep the rest of the file's
metadata (``mime_type``, ``size``, ``sha256``), never the bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from beykusay.services import files


def attachments_of(
    *, session: Session, message_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """The attachments' metadata of these messages, in order; messages without any are absent."""
    return files.attachments_json(session=session, message_ids=message_ids)
