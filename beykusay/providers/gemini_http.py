"""The google-genai clients answers are asked through: one per event loop, each on an
aiohttp session of its own whose proxy is read from the environment once.

Left to itself the SDK makes its aiohttp session with ``trust_env=True``, and aiohttp
then reads ``~/.netrc`` and the proxy variables in a worker thread on every request: two
thread hops per answer, queued in the default pool behind the database's work. Under a
burst of 200 sends they held first text back by about a second (tests/bench/load.py).
Here the proxy (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, as aiohttp
reads them) is looked up when a loop's session is made; ``~/.netrc`` is not read, as
the API key travels in a header of its own.

A session belongs to the loop it was made on, so each loop (the server has one; tests
make one per test) gets its own client. They share one TLS context, made as the SDK
makes its own (``SSL_CERT_FILE`` or certifi's CAs, ``SSL_CERT_DIR``): making it is most
of what a client costs to make (~0.15 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl

import aiohttp
import certifi
from aiohttp.helpers import get_env_proxy_for_url
from google import genai
from google.genai import types
from yarl import URL

GEMINI_URL = "https://generativelanguage.googleapis.com/"
# As the SDK makes its own session: no cap on connections (each answer streams on one),
# and its read buffer (a chunk with inline images can be large).
READ_BUFFER_BYTES = 2**22


def proxy_for(url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    """The environment's proxy for ``url`` and its credentials; (None, None) for none."""
    with contextlib.suppress(LookupError):
        return get_env_proxy_for_url(URL(url))
    return None, None


def tls_context() -> ssl.SSLContext:
    """The TLS context the SDK would make for a client of its own."""
    return ssl.create_default_context(
        cafile=os.environ.get("SSL_CERT_FILE", certifi.where()),
        capath=os.environ.get("SSL_CERT_DIR"),
    )


def new_session(base_url: str) -> aiohttp.ClientSession:
    """An aiohttp session for Gemini at ``base_url`` (needs a running loop)."""
    proxy, proxy_auth = proxy_for(base_url)
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),
        proxy=proxy,
        proxy_auth=proxy_auth,
        trust_env=False,
        read_bufsize=READ_BUFFER_BYTES,
    )


class LoopClients:
    """``genai.Client(api_key, http_options=options)`` for the running loop, on our session."""

    def __init__(self, api_key: str, options: types.HttpOptions) -> None:
        self._api_key = api_key
        tls = tls_context()  # for aiohttp's requests, and for the SDK's httpx clients
        self.options = options.model_copy(
            update={"client_args": {"verify": tls}, "async_client_args": {"ssl": tls}}
        )
        self.base_url = options.base_url or os.getenv("GOOGLE_GEMINI_BASE_URL") or GEMINI_URL
        self._made: dict[asyncio.AbstractEventLoop, tuple[genai.Client, aiohttp.ClientSession]] = {}

    def current(self) -> genai.Client:
        """The client of the running loop, made (with its session) on first use."""
        loop = asyncio.get_running_loop()
        made = self._made.get(loop)
        if made is None:
            for gone in [other for other in self._made if other.is_closed()]:
                del self._made[gone]  # its sockets went with the loop
            session = new_session(self.base_url)
            options = self.options.model_copy(update={"aiohttp_client": session})
            made = self._made[loop] = (
                genai.Client(api_key=self._api_key, http_options=options),
                session,
            )
        return made[0]

    async def aclose(self) -> None:
        """Close the running loop's session (the others' loops close theirs with them)."""
        made = self._made.pop(asyncio.get_running_loop(), None)
        if made is not None:
            await made[1].close()
