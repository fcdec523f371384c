"""Wiring: settings, database, provider and generation, started with the server."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from beykusay.batches import Batcher
from beykusay.config import ENV_FILE, Settings, get_settings
from beykusay.db import in_session, init_engine, new_session
from beykusay.generation import GenerationManager
from beykusay.providers import make_provider
from beykusay.ratelimit import Limiter, RedisSlidingWindowLimiter, SlidingWindowLimiter
from beykusay.services.accounts import LoginGuard
from beykusay.services.completions import ConnectionAnswers
from beykusay.services.instances import reap_orphans
from beykusay.services.messages import interrupt_streaming
from beykusay.services.senders import find_senders
from beykusay.state import AppState, get_state_or_none, set_state

if TYPE_CHECKING:
    from beykusay.relay import RedisRelay

log = logging.getLogger("beykusay")


def build_state(settings: Settings) -> AppState:
    """The shared objects; with REDIS_URL they cooperate with other instances."""
    provider = make_provider(settings)
    logins = {"limit": settings.login_max_failures, "window": settings.login_window_seconds}
    sends = {"limit": settings.send_max_per_window, "window": settings.send_window_seconds}
    relay: RedisRelay | None = None
    if settings.redis_url:
        prefix = settings.redis_prefix + "rl:"
        login_limiter: Limiter = RedisSlidingWindowLimiter(
            url=settings.redis_url, prefix=prefix, **logins
        )
        send_limiter: Limiter = RedisSlidingWindowLimiter(
            url=settings.redis_url, prefix=prefix, **sends
        )
        from beykusay.generation.saved import saved_answer  # redis is an extra, for several
        from beykusay.relay import RedisRelay  # instances

        relay = RedisRelay(settings.redis_url, prefix=settings.redis_prefix, load=saved_answer)
    else:
        login_limiter, send_limiter = SlidingWindowLimiter(**logins), SlidingWindowLimiter(**sends)
    generation = GenerationManager(
        settings=settings, provider=provider, relay=relay, send_limiter=send_limiter
    )
    return AppState(
        settings=settings,
        provider=provider,
        generation=generation,
        login_guard=LoginGuard(login_limiter),
        signing_key=settings.token_signing_key(),
        completions=ConnectionAnswers(
            send_limiter=send_limiter, max_per_user=settings.max_answers_per_user
        ),
        senders=Batcher(
            lambda asks: in_session(lambda session: find_senders(session, asks)),
            name="sender-lookup",  # one batch at a time: the rest gather meanwhile
        ),
    )


def _open_database(settings: Settings) -> int:
    """Migrate, then interrupt answers left streaming by dead processes.

    Alone (no Redis) every streaming answer is dead; with other instances only those
    whose instance stopped beating.
    """
    init_engine(settings.sqlalchemy_url)
    with new_session() as session:
        if settings.redis_url:
            return len(reap_orphans(session=session, stale_after=settings.heartbeat_timeout))
        return interrupt_streaming(session=session)


def start(settings: Settings | None = None) -> AppState:
    """Open the database (migrating it), recover dead answers, make the shared state.

    Synchronous on purpose: NiceGUI runs async start-up handlers as background tasks,
    and no request may arrive before the database is ready.
    """
    settings = settings or get_settings()
    settings.token_signing_key()  # create the development key now, not on a first request
    recovered = _open_database(settings)
    if recovered:
        log.warning(
            "marked %d answers left streaming by a stopped server as interrupted", recovered
        )
    state = build_state(settings)
    if state.generation.relay is not None:
        state.generation.run_with_others()
    set_state(state)
    env_file = Path(ENV_FILE).resolve()
    log.info(
        "BeykuSay ready: database=%s, data folder=%s, provider=%s, prompts folder=%s, "
        "settings file=%s",
        settings.database_for_log,
        settings.data_dir.resolve(),
        state.provider.name,
        settings.prompts_dir.resolve(),
        env_file if env_file.is_file() else f"{env_file} (none)",
    )
    return state


async def stop() -> None:
    """Interrupt what still runs: uvicorn already gave open streams the grace period."""
    state = get_state_or_none()
    if state is not None:
        await state.generation.shutdown(grace=0)
        close = getattr(state.provider, "aclose", None)
        if close is not None:
            await close()
