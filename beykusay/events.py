"""Answer events: the dicts an answer publishes to whoever watches it.

``start``, then ``thinking``/``text`` deltas (and later kinds), then one final
``done`` or ``error`` carrying the saved message. Local and relayed watchers alike
hand them out through ``Watch``.
"""

from __future__ import annotations

from typing import Any, Protocol

Event = dict[str, Any]
FINAL_TYPES = frozenset({"done", "error"})


def is_final(event: Event) -> bool:
    """True for the event that ends an answer's stream."""
    return event["type"] in FINAL_TYPES


class Watch(Protocol):
    """Events of one answer, local or relayed from another instance."""

    async def next(self, timeout: float | None = None) -> Event | None: ...

    def close(self) -> None: ...


def final_event(message: dict[str, Any]) -> Event:
    """The event that ends an answer whose saved message is ``message``."""
    kind = "error" if message["status"] in ("error", "interrupted") else "done"
    return {"type": kind, "message": message}
