"""Which files each message carries, by name: what exports and share links list.

The hook the files feature fills: until attachments are stored, no message has any.
Each entry holds at least ``name`` and ``kind``; exports keep whatever else is given
(``mime_type``, ``size``, ``sha256``), never the bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session


def attachments_of(
    *, session: Session, message_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """The attachments' metadata of these messages, in order; messages without any are absent."""
    del session, message_ids
    return {}
