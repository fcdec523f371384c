"""The process-wide objects the pages and the API share, created once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from beykusay.batches import Batcher
from beykusay.config import Settings
from beykusay.generation import GenerationManager
from beykusay.providers import Provider
from beykusay.services.accounts import LoginGuard
from beykusay.services.completions import ConnectionAnswers
from beykusay.services.senders import Ask, Found


@dataclass
class AppState:
    settings: Settings
    provider: Provider
    generation: GenerationManager
    login_guard: LoginGuard
    signing_key: str  # the token key (Settings.token_signing_key), read once
    completions: ConnectionAnswers  # /v1 answers, which belong to their connection
    senders: Batcher[Ask, Found]  # the users and chats of requests that start answers


_state: AppState | None = None


def set_state(state: AppState) -> None:
    global _state
    _state = state


def get_state() -> AppState:
    if _state is None:
        raise RuntimeError("BeykuSay has not started")
    return _state


def get_state_or_none() -> AppState | None:
    return _state
