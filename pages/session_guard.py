"""Open pages of a user who was disabled or deleted go to the login page at once.

One sweep a second for the whole server: it reads the standing of every user with an
open page in one query, and sends the pages of those who may no longer be here to the
login page (whose check then ends their browser session). It also catches changes made
by the operator's command or by another instance, which no in-process event would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from nicegui import Client, app, ui

from beykusay.services import team_operations
from beykusay.services.signup import ACTIVE

log = logging.getLogger("beykusay.pages")

SWEEP_EVERY = 1.0  # seconds: a disabled user's pages are gone within about this

_watched: dict[str, tuple[Client, int]] = {}  # client id -> (client, user id)
_task: asyncio.Task[None] | None = None


def watch(client: Client, user_id: int) -> None:
    """Keep an eye on this page while it is open."""
    if client.id not in _watched:
        client.on_delete(lambda: _watched.pop(client.id, None))
    _watched[client.id] = (client, user_id)


async def sweep() -> None:
    """Send every page whose user is gone, disabled or pending to the login page."""
    for client_id, (client, _) in list(_watched.items()):
        if client.is_deleted:
            _watched.pop(client_id, None)
    if not _watched:
        return
    # Judge only the pages the query asks about: one opened while it runs (a newcomer's
    # first page) is not in its answer, and would be taken for a deleted user's.
    asked = list(_watched.items())
    found = await asyncio.to_thread(team_operations.standings, {uid for _, (_, uid) in asked})
    for client_id, (client, user_id) in asked:
        if _watched.get(client_id) is None:
            continue  # closed meanwhile
        standing = found.get(user_id)
        if standing is None or standing[0] != ACTIVE:
            _watched.pop(client_id, None)
            with contextlib.suppress(Exception), client:  # a page closing just now
                ui.navigate.to("/login")  # whose check ends the browser session


async def _run() -> None:
    while True:
        await asyncio.sleep(SWEEP_EVERY)
        try:
            await sweep()
        except Exception:
            log.warning("could not check the open pages' users", exc_info=True)


def _start() -> None:
    global _task
    _task = asyncio.get_running_loop().create_task(_run(), name="session-guard")


async def _stop() -> None:
    if _task is not None:
        _task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _task


def install() -> None:
    app.on_startup(_start)
    app.on_shutdown(_stop)
