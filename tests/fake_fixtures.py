"""Pytest fixtures around the fake Gemini server (same names and scopes as conftest.py).

from tests.fake_fixtures import fake_gemini, fake_gemini_env, gemini  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakegemini import FakeGemini

FAKE_API_KEY = "test-key-not-secret"


@pytest.fixture(scope="session")
def fake_gemini() -> Iterator[FakeGemini]:
    """One fake Gemini server for the whole run (random port, accepts any non-empty key)."""
    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def gemini(fake_gemini: FakeGemini) -> Iterator[FakeGemini]:
    """The shared fake, reset: no recorded requests, empty queue, initial settings."""
    fake_gemini.reset()
    yield fake_gemini
    fake_gemini.reset()


@pytest.fixture
def fake_gemini_env(gemini: FakeGemini, monkeypatch: pytest.MonkeyPatch) -> FakeGemini:
    """The reset fake, with GOOGLE_GEMINI_BASE_URL and GOOGLE_API_KEY pointing at it."""
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gemini.base_url)
    monkeypatch.setenv("GOOGLE_API_KEY", FAKE_API_KEY)
    return gemini
