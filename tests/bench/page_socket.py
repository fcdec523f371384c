"""Opening a NiceGUI page as a browser does, for the benchmarks.

A browser's GET of a page is only the first half of an opening: the page's script then
connects NiceGUI's socket (socket.io under /_nicegui_ws), whose query carries the page's
client id and next message id, and the server's implicit handshake sends what the page
queued since its HTML was made. When the tab goes away the socket disconnects, and the
server deletes the page's client (its elements) once the reconnect timeout has passed.
A bench that only GETs skips the handshake, the delivery and the deletion.

``open_page`` does all three: GET, connect with the page's query (websocket transport, the
session's cookies), wait until the page's first message arrives (or ``settle`` seconds of
quiet), then disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import socketio

SOCKET_PATH = "/_nicegui_ws/socket.io"
# index.html: `query: {{ socket_io_js_query_params }}`: the client id and next message id
_CLIENT_ID = re.compile(r"""["']client_id["']\s*:\s*["']([0-9a-fA-F-]+)["']""")
_NEXT_ID = re.compile(r"""["']next_message_id["']\s*:\s*(\d+)""")


@dataclass
class Opening:
    status: int
    text: str  # the page's HTML
    get_ms: float  # the GET alone
    total_ms: float  # GET, connect, handshake and the first message
    delivered: bool  # the server sent the page something over the socket
    connected: bool


def socket_query(html: str) -> dict[str, str] | None:
    """The socket.io query the page's script would connect with, or None (no NiceGUI page)."""
    client_id = _CLIENT_ID.search(html)
    if client_id is None:
        return None
    next_id = _NEXT_ID.search(html)
    return {
        "client_id": client_id.group(1),
        "next_message_id": next_id.group(1) if next_id else "0",
        "implicit_handshake": "true",
        "document_id": str(uuid.uuid4()),
        "tab_id": str(uuid.uuid4()),
        "old_tab_id": "",
    }


async def open_page(
    client: httpx.AsyncClient, path: str, *, settle: float = 2.0, timeout: float = 30.0
) -> Opening:
    """GET ``path`` and connect its socket as the page's script would, then disconnect."""
    began = time.perf_counter()
    response = await client.get(path)
    get_ms = (time.perf_counter() - began) * 1000
    query = socket_query(response.text) if response.status_code == 200 else None
    if query is None:
        return Opening(response.status_code, response.text, get_ms, get_ms, False, False)
    delivered = asyncio.Event()
    sio = socketio.AsyncClient(reconnection=False)

    @sio.on("*")
    async def anything(event: str, data: object = None) -> None:
        delivered.set()

    base = str(client.base_url).rstrip("/")
    cookies = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
    connected = False
    try:
        await sio.connect(
            f"{base}?{urlencode(query)}",
            socketio_path=SOCKET_PATH,
            transports=["websocket"],
            headers={"Cookie": cookies} if cookies else {},
            wait_timeout=timeout,
        )
        connected = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(delivered.wait(), settle)
    except socketio.exceptions.ConnectionError:
        pass
    finally:
        total_ms = (time.perf_counter() - began) * 1000
        if sio.connected:
            await sio.disconnect()
    return Opening(
        response.status_code, response.text, get_ms, total_ms, delivered.is_set(), connected
    )
