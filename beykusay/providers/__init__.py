"""Model providers: Gemini when a key is set, the offline demo otherwise."""

from __future__ import annotations

from beykusay.config import Settings
from beykusay.providers.base import Provider, ProviderError
from beykusay.providers.demo import DemoProvider

__all__ = ["Provider", "ProviderError", "make_provider"]


def make_provider(settings: Settings) -> Provider:
    if not settings.google_api_key:
        return DemoProvider(delay=settings.demo_delay)
    from beykusay.providers.gemini import GeminiProvider

    return GeminiProvider(
        settings.google_api_key,
        base_url=settings.google_gemini_base_url or None,
        stall_timeout=settings.gemini_stall_timeout,
        max_retries=settings.gemini_max_retries,
        retry_base_delay=settings.gemini_retry_delay,
        inline_bytes=settings.gemini_inline_bytes,
    )
