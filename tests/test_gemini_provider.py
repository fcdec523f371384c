"""GeminiProvider against the fake Gemini server (real google-genai SDK in between)."""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections.abc import AsyncIterator, Sequence

import pytest

from beykusay.providers import gemini as gemini_module
from beykusay.providers.base import (
    AnswerText,
    Finish,
    GenerationRequest,
    ProviderError,
    ProviderEvent,
    Signature,
    Thought,
    Turn,
    Usage,
)
from beykusay.providers.gemini import GeminiProvider
from tests.fakegemini import (
    FakeGemini,
    blocked,
    cut,
    error_event,
    finish,
    http_error,
    reply,
    signature,
    stall,
    text,
    thought,
    usage,
)

MODEL = "gemini-2.5-flash"
FAKE_API_KEY = "test-key-not-secret"

HI = (Turn("user", "Hi"),)


def make_provider(base_url: str, key: str = FAKE_API_KEY, **kw: float) -> GeminiProvider:
    options: dict[str, float] = {"stall_timeout": 5.0, "max_retries": 2, "retry_base_delay": 0.01}
    return GeminiProvider(key, base_url=base_url, **(options | kw))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def provider(fake_gemini: FakeGemini) -> GeminiProvider:
    """One provider for the module (each SDK client costs ~0.15 s of SSL setup)."""
    return make_provider(fake_gemini.base_url)


@pytest.fixture(autouse=True)
async def _close_sessions(provider: GeminiProvider) -> AsyncIterator[None]:
    """Close the SDK's aiohttp session of this test's event loop (one loop per test)."""
    yield
    await provider.aclose()


def request(
    history: Sequence[Turn] = HI, *, system: str = "Be kind.", thinking: bool = False
) -> GenerationRequest:
    return GenerationRequest(MODEL, system, tuple(history), thinking)


async def run(
    provider: GeminiProvider, req: GenerationRequest | None = None
) -> tuple[list[ProviderEvent], ProviderError | None]:
    events: list[ProviderEvent] = []
    try:
        async for event in provider.stream(req or request()):
            events.append(event)
    except ProviderError as exc:
        return events, exc
    return events, None


def answer(events: list[ProviderEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, AnswerText))


def thoughts(events: list[ProviderEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, Thought))


# --------------------------------------------------------------------------- happy paths


@pytest.mark.asyncio
async def test_plain_answer(gemini: FakeGemini, provider: GeminiProvider) -> None:
    gemini.enqueue(reply("Hello there! How can I help you today?", chunk_chars=10))
    events, err = await run(provider)
    assert err is None
    assert answer(events) == "Hello there! How can I help you today?"
    assert [type(e) for e in events if not isinstance(e, Usage)][-1] is Finish
    assert events[-1] == Finish("STOP")
    assert not any(isinstance(e, Thought | Signature) for e in events)
    (req,) = gemini.requests
    assert req.headers["x-goog-api-key"] == FAKE_API_KEY
    assert req.body.get("generationConfig", {}) == {}  # no thinking config unless asked


@pytest.mark.asyncio
async def test_thoughts_then_answer(gemini: FakeGemini, provider: GeminiProvider) -> None:
    gemini.enqueue(reply("42.", thinking="Let me think about the question.", chunk_chars=8))
    events, err = await run(provider, request(thinking=True))
    assert err is None
    assert thoughts(events) == "Let me think about the question."
    assert answer(events) == "42."
    kinds = [type(e) for e in events if isinstance(e, Thought | AnswerText)]
    assert kinds == [Thought] * 4 + [AnswerText]
    config = gemini.requests[0].body["generationConfig"]["thinkingConfig"]
    assert config == {"include_thoughts": True}  # SDK sends nested config in snake_case


@pytest.mark.asyncio
async def test_signature_round_trip(gemini: FakeGemini, provider: GeminiProvider) -> None:
    raw = bytes(range(250, 256)) * 5 + b"\x00signature"  # base64 with '+' and '/'
    gemini.enqueue(reply("First answer.", thinking="hmm", signature=raw))
    events, err = await run(provider, request(thinking=True))
    assert err is None
    sigs = [e for e in events if isinstance(e, Signature)]
    assert sigs == [Signature(base64.b64encode(raw).decode())]
    assert events[-2:] == [sigs[0], Finish("STOP")]

    history = [
        Turn("user", "Hi"),
        Turn("model", "First answer.", sigs[0].value),
        Turn("user", "More"),
    ]
    await run(provider, request(history, thinking=True))
    contents = gemini.requests[1].body["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    model_part = contents[1]["parts"][0]
    assert model_part["text"] == "First answer."
    # the SDK re-encodes the bytes URL-safe; the bytes are what must round-trip
    assert base64.urlsafe_b64decode(model_part["thoughtSignature"]) == raw
    assert all("thoughtSignature" not in p for c in (contents[0], contents[2]) for p in c["parts"])


@pytest.mark.asyncio
async def test_last_signature_wins(gemini: FakeGemini, provider: GeminiProvider) -> None:
    gemini.enqueue([thought("t", signature=b"one"), text("a"), signature(b"two"), finish()])
    events, _ = await run(provider)
    assert [e for e in events if isinstance(e, Signature)] == [Signature("dHdv")]
    assert (
        gemini_module.decode_signature("dHdv") == gemini_module.decode_signature("dHdv") == b"two"
    )
    assert (
        gemini_module.decode_signature(base64.urlsafe_b64encode(b"\xfb\xff").decode())
        == b"\xfb\xff"
    )


@pytest.mark.asyncio
async def test_system_instruction_and_history(
    gemini: FakeGemini,
    provider: GeminiProvider,
) -> None:
    history = [
        Turn("user", "My name is Ada."),
        Turn("model", "Nice to meet you, Ada."),
        Turn("model", "Bad signature is dropped.", "%%%not base64%%%"),
        Turn("user", "What is my name?"),
    ]
    await run(provider, request(history, system="You are terse."))
    body = gemini.requests[0].body
    assert body["systemInstruction"] == {"parts": [{"text": "You are terse."}], "role": "user"}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "My name is Ada."}]},
        {"role": "model", "parts": [{"text": "Nice to meet you, Ada."}]},
        {"role": "model", "parts": [{"text": "Bad signature is dropped."}]},
        {"role": "user", "parts": [{"text": "What is my name?"}]},
    ]
    await run(provider, request(system=""))
    assert "systemInstruction" not in gemini.requests[1].body


@pytest.mark.asyncio
async def test_usage_is_cumulative_and_last_is_final(
    gemini: FakeGemini,
    provider: GeminiProvider,
) -> None:
    gemini.enqueue(
        [thought("abcd" * 5), text("x" * 40), text("y" * 40), finish(), usage(12, 100, 30)]
    )
    events, _ = await run(provider)
    usages = [e for e in events if isinstance(e, Usage)]
    assert usages[-1] == Usage(
        prompt_tokens=12, output_tokens=100, thinking_tokens=30, total_tokens=142
    )
    assert [u.output_tokens for u in usages] == [0, 50, 100]  # unchanged repeats are not re-sent
    assert all(a != b for a, b in itertools.pairwise(usages))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "reason",
    [
        "STOP",
        "MAX_TOKENS",
        "SAFETY",
        "RECITATION",
        "PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "OTHER",
    ],
)
async def test_finish_reasons_are_passed_through(
    gemini: FakeGemini,
    provider: GeminiProvider,
    reason: str,
) -> None:
    gemini.enqueue([text("Some text"), finish(reason)])
    events, err = await run(provider)
    assert err is None and events[-1] == Finish(reason)
    gemini.enqueue([finish(reason)])  # no text at all is still just a Finish
    events, err = await run(provider)
    assert err is None and events[-1] == Finish(reason) and answer(events) == ""


# --------------------------------------------------------------------------- failures


@pytest.mark.asyncio
async def test_prompt_block_is_not_retried(gemini: FakeGemini, provider: GeminiProvider) -> None:
    gemini.enqueue([blocked("PROHIBITED_CONTENT")])
    _, err = await run(provider)
    assert err is not None and not err.retryable
    assert "blocked" in err.message and "prohibited content" in err.message
    assert err.code == "blocked"
    assert len(gemini.requests) == 1


@pytest.mark.asyncio
async def test_rate_limit_is_retried_then_succeeds(
    gemini: FakeGemini,
    provider: GeminiProvider,
) -> None:
    gemini.enqueue([http_error(429)], [http_error(429)], reply("Finally."))
    events, err = await run(provider)
    assert err is None and answer(events) == "Finally."
    assert len(gemini.requests) == 3


@pytest.mark.asyncio
async def test_retries_wait_the_base_delay_doubled_each_time_plus_jitter(
    gemini: FakeGemini, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before giving up on three 503s the provider waits 1 s, then 2 s (each up to 25 %
    longer, so that many clients do not retry in step), and never before the first try.
    The waits are recorded, not slept: no clock is involved."""
    asked: list[float] = []
    real_sleep = asyncio.sleep

    class RecordedSleeps:
        def __getattr__(self, name: str) -> object:
            return getattr(asyncio, name)

        @staticmethod
        async def sleep(seconds: float) -> None:
            asked.append(seconds)
            await real_sleep(0)

    monkeypatch.setattr(gemini_module, "asyncio", RecordedSleeps())
    p = make_provider(gemini.base_url, retry_base_delay=1.0, max_retries=2)
    gemini.enqueue(*[[http_error(503)]] * 3)
    _, err = await run(p)
    await p.aclose()
    assert err is not None and err.message.startswith("Gemini is temporarily unavailable")
    assert len(gemini.requests) == 3 and len(asked) == 2
    for retry, delay in enumerate(asked):
        assert 2**retry <= delay <= 2**retry * 1.25, asked


@pytest.mark.asyncio
async def test_rate_limit_exhausts_retries(gemini: FakeGemini, provider: GeminiProvider) -> None:
    gemini.enqueue(*[[http_error(429, retry_delay="30s")]] * 3)
    events, err = await run(provider)
    assert events == []
    assert err is not None and err.retryable
    assert (
        err.message == "Gemini is rate-limiting requests right now. Please try again in a moment."
    )
    assert err.code == "rate_limited"
    assert len(gemini.requests) == 3 and gemini.pending() == 0


@pytest.mark.asyncio
async def test_no_sdk_retry_stacking(gemini: FakeGemini) -> None:
    p = make_provider(gemini.base_url, max_retries=0)
    gemini.enqueue([http_error(503)], [cut()])
    _, err = await run(p)
    assert err is not None and err.retryable
    _, err = await run(p)  # SDK would sleep 1-10 s and re-send without retry_options
    assert err is not None and err.message.startswith("The connection to Gemini was lost")
    assert len(gemini.requests) == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_unavailable(
    gemini: FakeGemini,
    provider: GeminiProvider,
    status: int,
) -> None:
    gemini.enqueue(*[[http_error(status)]] * 3)
    _, err = await run(provider)
    assert err is not None and err.retryable
    assert err.message.startswith("Gemini is temporarily unavailable")
    assert err.code == "overloaded"
    assert len(gemini.requests) == 3


@pytest.mark.asyncio
async def test_invalid_key_message_hides_the_key() -> None:
    secret = "AIzaSy-very-secret-key"
    with FakeGemini(api_key="the-right-key") as fake:
        p = make_provider(fake.base_url, key=secret)
        _, err = await run(p)
        assert err is not None and not err.retryable
        assert err.message == gemini_module.KEY_REJECTED and err.code == "auth"
        assert len(fake.requests) == 1
        for status in (401, 403):
            fake.enqueue([http_error(status)])
        fake.api_key = None
        for _ in range(2):
            _, err = await run(p)
            assert err is not None and err.message == gemini_module.KEY_REJECTED
        fake.enqueue([http_error(400, f"Invalid value for key {secret}.")])
        _, err = await run(p)
        assert err is not None and secret not in err.message and "***" in err.message
        await p.aclose()


@pytest.mark.asyncio
async def test_unknown_model_names_the_model(gemini: FakeGemini, provider: GeminiProvider) -> None:
    gemini.known_models = {"gemini-other"}
    _, err = await run(provider)
    assert err is not None and not err.retryable
    assert MODEL in err.message and "not found" in err.message
    assert err.code == "model_not_found"
    assert len(gemini.requests) == 1


@pytest.mark.asyncio
async def test_other_bad_request(gemini: FakeGemini, provider: GeminiProvider) -> None:
    gemini.enqueue([http_error(400, "The input token count exceeds the maximum.")])
    _, err = await run(provider)
    assert err is not None and not err.retryable
    assert err.message == (
        "Gemini could not process this request (The input token count exceeds the maximum.)."
    )
    assert "Error" not in err.message.split("(")[0]
    assert err.code == "bad_request"


@pytest.mark.asyncio
async def test_error_mid_stream_keeps_what_arrived(
    gemini: FakeGemini,
    provider: GeminiProvider,
) -> None:
    gemini.enqueue([text("partial "), text("answer"), error_event(500)], reply("never"))
    events, err = await run(provider)
    assert answer(events) == "partial answer"
    assert err is not None and err.retryable and "unavailable" in err.message
    assert len(gemini.requests) == 1 and gemini.pending() == 1  # no retry


@pytest.mark.asyncio
async def test_error_event_before_content_is_retried(
    gemini: FakeGemini,
    provider: GeminiProvider,
) -> None:
    gemini.enqueue([error_event(503)], [thought("t"), error_event(429)], reply("ok"))
    events, err = await run(provider, request(thinking=True))
    # the second attempt yielded a Thought, so its failure is final
    assert err is not None and err.message.startswith("Gemini is rate-limiting")
    assert thoughts(events) == "t" and len(gemini.requests) == 2
    events, err = await run(provider)
    assert err is None and answer(events) == "ok"


@pytest.mark.asyncio
async def test_cut_connection(gemini: FakeGemini, provider: GeminiProvider) -> None:
    gemini.enqueue([cut()], [text("half"), cut()], reply("never"))
    events, err = await run(provider)  # first cut is before any content: retried
    assert answer(events) == "half"
    assert err is not None and err.retryable
    assert err.message.startswith("The connection to Gemini was lost")
    assert err.code == "connection"
    assert len(gemini.requests) == 2 and gemini.pending() == 1


@pytest.mark.asyncio
async def test_stall_times_out_and_closes_the_connection(gemini: FakeGemini) -> None:
    """Gemini going silent is given up on (before and after the first text) instead of
    waited out: the user gets what arrived and "stopped responding"; both connections
    are closed by the client mid-stall, which the fake records as it happens."""
    p = make_provider(gemini.base_url, stall_timeout=0.3)
    gemini.enqueue([stall(30)], [text("slow"), stall(30), finish()])
    events, err = await run(p)
    assert answer(events) == "slow"
    assert err is not None and err.retryable and err.message.startswith("Gemini stopped responding")
    assert err.code == "timeout"
    outcomes = [await asyncio.to_thread(r.wait, 2) for r in gemini.requests]
    assert outcomes == ["client_disconnected"] * 2


@pytest.mark.asyncio
async def test_truncated_stream(gemini: FakeGemini, provider: GeminiProvider) -> None:
    gemini.enqueue([signature(b"s")], reply("cut short", finish_reason=None), reply("x"))
    events, err = await run(provider)  # first stream had no content: retried
    assert answer(events) == "cut short"
    assert err is not None and err.retryable
    assert err.message == "The answer was cut off before Gemini finished."
    assert err.code == "truncated"
    assert not any(isinstance(e, Finish) for e in events)
    assert len(gemini.requests) == 2 and gemini.pending() == 1


@pytest.mark.asyncio
async def test_cancel_propagates_and_closes_the_stream(
    gemini: FakeGemini,
    provider: GeminiProvider,
) -> None:
    gemini.enqueue([text("a"), stall(5), finish()], [text("b"), stall(5), finish()])
    got = asyncio.Event()

    async def consume() -> None:
        async for event in provider.stream(request()):
            if isinstance(event, AnswerText):
                got.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(gemini.requests[0].wait, 2) == "client_disconnected"

    stream = provider.stream(request())
    assert answer([await anext(stream)]) == "b"
    await stream.aclose()  # e.g. the caller stops reading
    assert await asyncio.to_thread(gemini.requests[1].wait, 2) == "client_disconnected"


@pytest.mark.asyncio
async def test_base_url_from_environment(
    gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gemini.base_url)
    p = GeminiProvider(FAKE_API_KEY)
    events, err = await run(p)
    await p.aclose()
    assert err is None and answer(events) == "Hello from the fake Gemini."
    assert p.name == "gemini"
