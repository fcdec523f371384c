"""Server-Sent Events: one ``data: <json>`` per generation event."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi.sse import EventSourceResponse

from beykusay.events import Event, Watch, is_final

KEEPALIVE_SECONDS = 15.0


def encode(event: Event) -> bytes:
    return b"data: " + json.dumps(event, ensure_ascii=False).encode() + b"\n\n"


async def _events(subscription: Watch) -> AsyncIterator[bytes]:
    try:
        while True:
            event = await subscription.next(timeout=KEEPALIVE_SECONDS)
            if event is None:
                yield b": keep-alive\n\n"  # a comment line: proxies keep the stream open
                continue
            yield encode(event)
            if is_final(event):
                return
    finally:
        subscription.close()


def event_stream(subscription: Watch) -> EventSourceResponse:
    return EventSourceResponse(
        _events(subscription),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
