"""The HTTP session answers travel on (providers/gemini_http.py), through the real SDK.

What an operator sees: behind a proxy named in the environment answers still arrive,
through it; a host in NO_PROXY is reached directly. What a user sees under a burst:
no answer's request waits in the default thread pool (behind the database's work)
for aiohttp to read ~/.netrc and the proxy variables, as it did on every request.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.genai import types

from beykusay.providers.base import AnswerText, Finish, GenerationRequest, Turn
from beykusay.providers.gemini import GeminiProvider
from beykusay.providers.gemini_http import LoopClients, proxy_for
from tests.fakegemini import FakeGemini, reply
from tests.serverproc import ROOT

MODEL = "gemini-2.5-flash"
# Nothing listens here: an answer that arrives came through the proxy.
UNREACHABLE = "http://gemini.invalid:9"


def ask() -> GenerationRequest:
    return GenerationRequest(MODEL, "Be kind.", (Turn("user", "Hi"),), False)


async def answer_of(provider: GeminiProvider) -> str:
    try:
        events = [event async for event in provider.stream(ask())]
    finally:
        await provider.aclose()
    assert isinstance(events[-1], Finish)
    return "".join(e.text for e in events if isinstance(e, AnswerText))


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    yield set_env


async def test_answers_come_through_the_proxy_the_environment_names(
    fake_gemini: FakeGemini, no_proxy_env: Callable[..., None]
) -> None:
    """HTTP_PROXY points at a server that answers for Gemini; the base URL goes nowhere."""
    fake_gemini.reset()
    fake_gemini.enqueue(reply("Hello through the proxy."))
    no_proxy_env(HTTP_PROXY=fake_gemini.base_url)
    provider = GeminiProvider("test-key", base_url=UNREACHABLE, max_retries=0)
    assert await answer_of(provider) == "Hello through the proxy."
    assert fake_gemini.requests[-1].model == MODEL


async def test_a_host_in_no_proxy_is_reached_directly(
    fake_gemini: FakeGemini, no_proxy_env: Callable[..., None]
) -> None:
    fake_gemini.reset()
    fake_gemini.enqueue(reply("Hello directly."))
    no_proxy_env(HTTP_PROXY=UNREACHABLE, NO_PROXY="127.0.0.1")
    provider = GeminiProvider("test-key", base_url=fake_gemini.base_url, max_retries=0)
    assert await answer_of(provider) == "Hello directly."
    assert proxy_for(fake_gemini.base_url) == (None, None)


class CountingPool(concurrent.futures.ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.jobs: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        self.jobs.append(getattr(fn, "__qualname__", repr(fn)))
        return super().submit(fn, *args, **kwargs)


async def test_an_answer_takes_no_hop_through_the_default_thread_pool(
    fake_gemini: FakeGemini, no_proxy_env: Callable[..., None]
) -> None:
    """Before: each request sent ClientSession._get_netrc_auth and get_env_proxy_for_url
    (aiohttp, trust_env=True) to the pool: two hops per answer."""
    fake_gemini.reset()
    for _ in range(3):
        fake_gemini.enqueue(reply("Hi."))
    pool = CountingPool()
    asyncio.get_running_loop().set_default_executor(pool)
    provider = GeminiProvider("test-key", base_url=fake_gemini.base_url, max_retries=0)
    for _ in range(3):
        assert await answer_of(provider) == "Hi."
    assert pool.jobs == []


async def test_each_loop_gets_a_session_of_its_own_on_one_tls_context() -> None:
    clients = LoopClients("test-key", types.HttpOptions(base_url=UNREACHABLE))
    here = clients.current()
    assert clients.current() is here  # one per loop, kept

    def elsewhere() -> Any:
        async def made() -> Any:
            client = clients.current()
            await clients.aclose()
            return client

        return asyncio.run(made())

    other = await asyncio.to_thread(elsewhere)
    assert other is not here
    assert (
        other.aio._api_client._async_client_session_request_args["ssl"]
        is here.aio._api_client._async_client_session_request_args["ssl"]
    )
    await clients.aclose()


def test_the_sdks_validators_are_built_when_the_provider_is_made() -> None:
    """Not in the first burst of answers: building them cost ~60 ms on the event loop.
    In a process of its own (this one built them long ago)."""
    probe = textwrap.dedent(
        """
        from google.genai import types
        from pydantic._internal._mock_val_ser import MockValSer

        def lazy():
            models = (types.GenerateContentConfig, types._GenerateContentParameters)
            return [m.__name__ for m in models if isinstance(m.__pydantic_validator__, MockValSer)]

        before = lazy()
        from beykusay.providers.gemini import GeminiProvider
        GeminiProvider("test-key", base_url="http://127.0.0.1:9")
        print(",".join(before), ",".join(lazy()), sep="|")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "GenerateContentConfig,_GenerateContentParameters|"
