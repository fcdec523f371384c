"""Password hashes: argon2id at the production cost unless the operator raises it.

The suite itself hashes at a low cost (tests/conftest.py); these tests read the cost a
server gets from the real defaults, and from settings an operator gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from passlib.hash import argon2

from beykusay import config, security

NAMES = ("ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM")


Use = Callable[..., None]


@pytest.fixture
def settings_from(monkeypatch: pytest.MonkeyPatch) -> Iterator[Use]:
    """The settings a server gets from the environment ``values`` (and no other cost)."""

    def use(**values: str) -> None:
        for name in NAMES:
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        config.get_settings.cache_clear()

    yield use
    config.get_settings.cache_clear()


def cost_of(password_hash: str) -> tuple[str, int, int, int]:
    found = argon2.from_string(password_hash)
    return found.type, found.memory_cost, found.rounds, found.parallelism


def test_a_server_hashes_at_the_production_cost_by_default(settings_from: Use) -> None:
    """What an operator gets without setting anything: 64 MiB, three passes, four lanes."""
    settings_from()
    made = security.hash_password("correct horse battery")
    assert cost_of(made) == ("id", 65536, 3, 4)
    assert security.verify_password("correct horse battery", made)
    assert not security.verify_password("wrong horse battery", made)


def test_a_raised_cost_applies_and_older_hashes_still_verify(settings_from: Use) -> None:
    settings_from(ARGON2_MEMORY_KIB="2048", ARGON2_TIME_COST="2", ARGON2_PARALLELISM="2")
    older = security.hash_password("correct horse battery")
    assert cost_of(older) == ("id", 2048, 2, 2)
    settings_from(ARGON2_MEMORY_KIB="4096", ARGON2_TIME_COST="3", ARGON2_PARALLELISM="1")
    assert cost_of(security.hash_password("x" * 10)) == ("id", 4096, 3, 1)
    assert security.verify_password("correct horse battery", older)  # a hash names its cost
    assert not security.verify_password("correct horse battery", None)  # unknown user


def test_a_cost_below_argon2s_minimum_is_refused_at_start(settings_from: Use) -> None:
    settings_from(ARGON2_MEMORY_KIB="4")
    with pytest.raises(ValueError, match="argon2_memory_kib"):
        config.Settings()
