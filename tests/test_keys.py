"""SECRET_KEY is never used as it is: login tokens and browser sessions each get a key
derived from it for that one purpose; the session cookie is Secure in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from beykusay.config import Settings
from beykusay.security import InvalidToken, create_access_token, decode_access_token

SECRET = "a-production-secret-" + "k" * 32


def production(**values: object) -> Settings:
    return Settings(environment="production", secret_key=SECRET, **values)


def test_token_and_session_keys_are_two_different_keys_neither_of_them_the_secret() -> None:
    """A leaked session-cookie key must not let anyone forge API tokens, nor the reverse."""
    settings = production()
    keys = {SECRET, settings.token_signing_key(), settings.storage_secret()}
    assert len(keys) == 3
    assert SECRET not in settings.token_signing_key() + settings.storage_secret()
    assert len(settings.token_signing_key()) >= 64 and len(settings.storage_secret()) >= 64


def test_derived_keys_are_stable_so_restarts_and_other_instances_agree() -> None:
    first, again = production(), production()
    assert first.token_signing_key() == again.token_signing_key()
    assert first.storage_secret() == again.storage_secret()


def test_derived_keys_follow_the_secret() -> None:
    other = Settings(environment="production", secret_key="another-secret-" + "z" * 32)
    assert other.token_signing_key() != production().token_signing_key()
    assert other.storage_secret() != production().storage_secret()


def test_the_development_key_is_derived_from_too(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    token_key, session_key = settings.token_signing_key(), settings.storage_secret()
    raw = (tmp_path / "secret_key").read_text().strip()  # created on first use
    assert len({raw, token_key, session_key}) == 3
    assert Settings(data_dir=tmp_path).token_signing_key() == token_key


def test_a_token_signed_with_the_raw_secret_is_refused() -> None:
    settings = production()
    forged = create_access_token(user_id=1, token_version=0, key=SECRET, minutes=5)
    with pytest.raises(InvalidToken):
        decode_access_token(forged.token, key=settings.token_signing_key())
    issued = create_access_token(
        user_id=1, token_version=0, key=settings.token_signing_key(), minutes=5
    )
    assert decode_access_token(issued.token, key=settings.token_signing_key()).user_id == 1


def test_the_session_cookie_is_secure_in_production_and_not_in_development(
    tmp_path: Path,
) -> None:
    assert production().session_cookie_is_secure
    assert not Settings(data_dir=tmp_path).session_cookie_is_secure
    # plain HTTP on purpose (a trial behind no TLS), or HTTPS while developing
    assert not production(session_cookie_secure=False).session_cookie_is_secure
    assert Settings(data_dir=tmp_path, session_cookie_secure=True).session_cookie_is_secure


def test_an_empty_session_cookie_secure_means_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`SESSION_COOKIE_SECURE=` in .env (as in .env.example) is not an error."""
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "")
    assert production().session_cookie_is_secure
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")
    assert not production().session_cookie_is_secure
