"""Language choice and the completeness of the Russian texts."""

from __future__ import annotations

import pytest

from beykusay import i18n


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("ru", "ru"),
        ("ru-RU,ru;q=0.9,en-US;q=0.8", "ru"),
        ("en-US,en;q=0.9,ru;q=0.8", "en"),
        ("de-DE,ru;q=0.7,en;q=0.5", "ru"),
        ("fr, de", "en"),
        ("en;q=0.2, ru;q=0.5", "ru"),
        ("ru;q=bad", "en"),
    ],
)
def test_language_from_the_browser(header: str | None, expected: str) -> None:
    assert i18n.from_accept_language(header) == expected


def test_a_choice_in_settings_wins() -> None:
    assert i18n.choose("ru", "en-US") == "ru"
    assert i18n.choose("", "ru") == "ru"
    assert i18n.choose(None, None) == "en"


def test_every_text_is_translated_with_the_same_placeholders() -> None:
    assert set(i18n.RU) == set(i18n.EN)
    for key, text in i18n.EN.items():
        assert sorted(_fields(text)) == sorted(_fields(i18n.RU[key])), key


def test_missing_language_falls_back_to_english() -> None:
    assert i18n.t("de", "log_in") == "Log in"
    assert i18n.t("ru", "thought_for", seconds=3) == "Размышлял 3 с"


def test_an_error_is_told_in_the_readers_language() -> None:
    stored = "Gemini could not process this request (Too many tokens.)."
    assert i18n.error_text("en", "bad_request", stored) == stored  # with Gemini's details
    assert i18n.error_text("ru", "bad_request", stored) == "Gemini не смог обработать этот запрос."
    assert i18n.error_text("ru", None, "Old text.") == "Old text."  # saved before codes
    assert i18n.error_text("ru", "no_such_code", "Odd text.") == "Odd text."
    assert i18n.error_text("ru", None, None) == i18n.RU["error_generic"]


def _fields(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]
