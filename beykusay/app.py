"""Wiring: settings, database, provider and generation, started with the server."""

from __future__ import annotations

import logging

from beykusay.config import Settings, get_settings
from beykusay.db import init_engine, new_session
from beykusay.generation import GenerationManager
from beykusay.providers import make_provider
from beykusay.services.accounts import LoginGuard
from beykusay.services.messages import interrupt_streaming
from beykusay.state import AppState, get_state_or_none, set_state

log = logging.getLogger("beykusay")


def build_state(settings: Settings) -> AppState:
    provider = make_provider(settings)
    return AppState(
        settings=settings,
        provider=provider,
        generation=GenerationManager(settings=settings, provider=provider),
        login_guard=LoginGuard(
            max_failures=settings.login_max_failures, window_seconds=settings.login_window_seconds
        ),
    )


def _open_database(settings: Settings) -> int:
    init_engine(settings.sqlalchemy_url)
    with new_session() as session:
        return interrupt_streaming(session=session)


def start(settings: Settings | None = None) -> AppState:
    """Open the database (migrating it), recover dead answers, make the shared state.

    Synchronous on purpose: NiceGUI runs async start-up handlers as background tasks,
    and no request may arrive before the database is ready.
    """
    settings = settings or get_settings()
    settings.signing_key()  # create the development key now, not on a first request
    recovered = _open_database(settings)
    if recovered:
        log.warning(
            "marked %d answers left streaming by a stopped server as interrupted", recovered
        )
    state = build_state(settings)
    set_state(state)
    log.info("BeykuSay ready: provider=%s", state.provider.name)
    return state


async def stop() -> None:
    """Interrupt what still runs: uvicorn already gave open streams the grace period."""
    state = get_state_or_none()
    if state is not None:
        await state.generation.shutdown(grace=0)
