"""The fake Gemini server, driven by the real google-genai SDK (and raw HTTP for the wire format).

These tests also pin down what the SDK (google-genai 3.6, async, via aiohttp) raises for
each fault, which the Gemini provider relies on:

* HTTP 4xx before streaming -> errors.ClientError, 5xx -> errors.ServerError (.code, .status,
  .message from Google's error JSON).
* ``data: {"error": ...}`` mid-stream -> the same ClientError/ServerError, raised by the
  iterator after the chunks that came before it were yielded.
* connection cut mid-body -> raw aiohttp.ClientPayloadError (not an APIError);
  cut before the response headers -> raw aiohttp.ServerDisconnectedError. Without
  ``retry_options`` the SDK silently sleeps 1-10 s and re-sends once on the latter.
* stall -> the SDK waits forever by default; HttpOptions(timeout=ms) is a *total* deadline
  for the whole stream and raises a bare TimeoutError.
* a stream that ends without finishReason ends the iterator normally (no error).
* closing the SDK's stream generator does NOT close the HTTP response (inner generators
  hold it in a reference cycle); cancelling a task blocked inside ``anext`` does.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from google import genai
from google.genai import _api_client, errors, types

from tests.fakegemini import (
    FakeGemini,
    blocked,
    cut,
    error_event,
    finish,
    http_error,
    meet,
    reply,
    signature,
    stall,
    text,
    thought,
    usage,
)

MODEL = "gemini-2.5-flash"

ROOT = Path(__file__).resolve().parent.parent


def make_client(
    fake: FakeGemini, *, key: str = "k", sdk_retry: bool = False, **options: Any
) -> genai.Client:
    """An SDK client aimed at the fake; SDK retries off unless ``sdk_retry``."""
    if not sdk_retry:
        options["retry_options"] = types.HttpRetryOptions(attempts=1)
    return genai.Client(
        api_key=key, http_options=types.HttpOptions(base_url=fake.base_url, **options)
    )


@pytest.fixture(scope="module")
def client(fake_gemini: FakeGemini) -> genai.Client:
    """One SDK client for the module (creating one costs ~0.15 s of SSL setup)."""
    return make_client(fake_gemini)


@pytest.fixture(autouse=True)
async def _close_sessions(client: genai.Client) -> AsyncIterator[None]:
    """Close the SDK's aiohttp session of this test's event loop (one loop per test)."""
    yield
    await client.aio.aclose()


async def collect(
    client: genai.Client, contents: Any = "Hi", config: Any = None, model: str = MODEL
) -> tuple[list[types.GenerateContentResponse], BaseException | None]:
    """All chunks of one streamed call and the exception that ended it (or None)."""
    got: list[types.GenerateContentResponse] = []
    try:
        stream = await client.aio.models.generate_content_stream(
            model=model, contents=contents, config=config
        )
        async for chunk in stream:
            got.append(chunk)
    except Exception as exc:
        return got, exc
    return got, None


def answer_of(chunks: list[types.GenerateContentResponse], *, thoughts: bool = False) -> str:
    return "".join(
        p.text or ""
        for c in chunks
        for cand in c.candidates or []
        for p in (cand.content.parts if cand.content else None) or []
        if bool(p.thought) == thoughts
    )


async def raw_post(
    fake: FakeGemini, body: Any, *, key: str | None = "k", path: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["x-goog-api-key"] = key
    url = fake.base_url + (path or f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse")
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=data, headers=headers) as resp,
    ):
        return resp.status, dict(resp.headers), await resp.read()


def sse_events(raw: bytes) -> list[dict[str, Any]]:
    assert raw.endswith(b"\r\n\r\n")
    events = raw.split(b"\r\n\r\n")[:-1]
    assert all(e.startswith(b"data: ") and b"\n" not in e for e in events)
    return [json.loads(e[len(b"data: ") :]) for e in events]


# --------------------------------------------------------------------------- wire format


@pytest.mark.asyncio
async def test_wire_format_is_sse_with_crlf_and_full_response_objects(
    gemini: FakeGemini,
) -> None:
    gemini.enqueue(reply("Hello there, wörld!", thinking="Hmm.", chunk_chars=8))
    status, headers, raw = await raw_post(
        gemini, {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}
    )
    assert status == 200
    assert headers["Content-Type"] == "text/event-stream"
    assert headers["Transfer-Encoding"] == "chunked"
    assert "wö".encode() in raw  # raw UTF-8, not \u escapes
    events = sse_events(raw)
    assert len(events) == 1 + 3 + 1  # thought, 3 text chunks, finish
    ids = {e["responseId"] for e in events}
    assert len(ids) == 1
    for e in events:
        assert list(e) == ["candidates", "usageMetadata", "modelVersion", "responseId"]
        assert e["modelVersion"] == MODEL
        assert e["candidates"][0]["index"] == 0
    assert events[0]["candidates"][0]["content"] == {
        "parts": [{"text": "Hmm.", "thought": True}],
        "role": "model",
    }
    assert "finishReason" not in events[1]["candidates"][0]
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"
    assert events[-1]["candidates"][0]["content"] == {"role": "model"}  # no parts, like Google
    # usageMetadata is in every chunk and cumulative; zero counts are omitted (proto3 JSON)
    metas = [e["usageMetadata"] for e in events]
    assert "candidatesTokenCount" not in metas[0] and metas[0]["thoughtsTokenCount"] == 1
    outs = [m.get("candidatesTokenCount", 0) for m in metas]
    assert outs == sorted(outs) and outs[-1] == 5  # ceil(19 chars / 4)
    for m in metas:
        total = m["promptTokenCount"] + m.get("candidatesTokenCount", 0)
        assert m["totalTokenCount"] == total + m.get("thoughtsTokenCount", 0)


@pytest.mark.asyncio
async def test_error_bodies_and_validation(gemini: FakeGemini) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}
    status, headers, raw = await raw_post(gemini, body, key=None)
    assert status == 403
    assert json.loads(raw)["error"]["status"] == "PERMISSION_DENIED"
    assert headers["Content-Type"].startswith("application/json")
    status, _, raw = await raw_post(gemini, {"contents": []})
    assert (status, json.loads(raw)["error"]["status"]) == (400, "INVALID_ARGUMENT")
    status, _, raw = await raw_post(gemini, {"generationConfig": {}})
    assert status == 400
    status, _, raw = await raw_post(gemini, b"{not json")
    assert status == 400
    # invalid requests do not consume queued scripts
    gemini.enqueue([text("kept"), finish()])
    status, _, raw = await raw_post(gemini, body)
    assert status == 200 and b"kept" in raw
    assert [r.outcome for r in gemini.requests] == ["http_error"] * 4 + ["completed"]


@pytest.mark.asyncio
async def test_unary_generate_content_merges_the_script(
    gemini: FakeGemini,
) -> None:
    gemini.enqueue(reply("Hello there, world!", thinking="Hmm, ok.", chunk_chars=4))
    c = make_client(gemini)
    resp = await c.aio.models.generate_content(model=MODEL, contents="Hi")
    await c.aio.aclose()
    parts = resp.candidates[0].content.parts
    assert [(p.text, bool(p.thought)) for p in parts] == [
        ("Hmm, ok.", True),
        ("Hello there, world!", False),
    ]
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP
    assert gemini.requests[0].method == "generateContent"


# --------------------------------------------------------------------------- SDK parsing


@pytest.mark.asyncio
async def test_sdk_reads_thoughts_text_and_finish(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    answer = "Line one\nLine two: ünïcödé ✓ and a \u2028 separator."
    gemini.enqueue(reply(answer, thinking="Thinking hard about it.", chunk_chars=7))
    chunks, exc = await collect(client)
    assert exc is None
    assert answer_of(chunks) == answer
    assert answer_of(chunks, thoughts=True) == "Thinking hard about it."
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert all(c.candidates[0].finish_reason is None for c in chunks[:-1])


@pytest.mark.asyncio
async def test_sdk_decodes_signatures_from_either_base64_alphabet(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    raw = bytes(range(256))
    gemini.enqueue(
        [thought("t"), text("a", signature=raw), signature(raw), finish()],
        [text("b"), signature(base64.urlsafe_b64encode(raw).decode(), empty_text=True), finish()],
        [text("c"), finish("STOP", signature=b"\x00sig")],
    )
    chunks, _ = await collect(client)
    assert [p.thought_signature for c in chunks for p in c.candidates[0].content.parts or []] == [
        None,
        raw,
        raw,
    ]
    chunks, _ = await collect(client)
    assert chunks[1].candidates[0].content.parts[0].thought_signature == raw
    assert chunks[1].candidates[0].content.parts[0].text == ""
    chunks, _ = await collect(client)
    assert chunks[-1].candidates[0].content.parts[0].thought_signature == b"\x00sig"


@pytest.mark.asyncio
async def test_sdk_sends_signature_back_url_safe(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    raw = bytes(range(250, 256)) * 3  # standard base64 of this has '+' and '/'
    contents = [
        types.Content(role="user", parts=[types.Part(text="Hi")]),
        types.Content(role="model", parts=[types.Part(text="Yo", thought_signature=raw)]),
        types.Content(role="user", parts=[types.Part(text="Again")]),
    ]
    await collect(client, contents)
    sent = gemini.requests[0].body["contents"][1]["parts"][0]["thoughtSignature"]
    assert sent == base64.urlsafe_b64encode(raw).decode()
    assert sent != base64.b64encode(raw).decode()


@pytest.mark.asyncio
async def test_request_is_recorded(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    config = types.GenerateContentConfig(
        system_instruction="Be brief.",
        thinking_config=types.ThinkingConfig(include_thoughts=True),
    )
    await collect(client, "Hello", config)
    (req,) = gemini.requests
    assert req.path == f"/v1/models/{MODEL}:streamGenerateContent"
    assert (req.version, req.model, req.method) == ("v1", MODEL, "streamGenerateContent")
    assert req.query == {"alt": "sse"}
    assert req.headers["x-goog-api-key"] == "k"
    assert req.body["contents"] == [{"parts": [{"text": "Hello"}], "role": "user"}]
    assert req.body["systemInstruction"] == {"parts": [{"text": "Be brief."}], "role": "user"}
    # The SDK camelCases the outer key but passes nested config objects through in
    # snake_case; Google's proto-JSON parser accepts both spellings, so must any fake.
    assert req.body["generationConfig"] == {"thinkingConfig": {"include_thoughts": True}}
    assert req.wait() == "completed"


@pytest.mark.asyncio
async def test_env_base_url_and_api_versions(
    gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gemini.base_url)
    c = genai.Client(
        api_key="k",
        http_options=types.HttpOptions(retry_options=types.HttpRetryOptions(attempts=1)),
    )
    _, exc = await collect(c)
    assert exc is None
    await c.aio.aclose()
    c = make_client(gemini, api_version="v1beta")
    _, exc = await collect(c)
    await c.aio.aclose()
    assert exc is None
    assert [r.version for r in gemini.requests] == ["v1", "v1beta"]


@pytest.mark.asyncio
async def test_usage_is_cumulative_in_every_chunk_and_explicit_totals_are_exact(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    gemini.enqueue(
        [thought("abcd" * 5), text("x" * 40), text("y" * 40), finish(), usage(12, 100, 30)]
    )
    chunks, _ = await collect(client)
    metas = [c.usage_metadata for c in chunks]
    assert all(m is not None for m in metas)
    assert [m.candidates_token_count for m in metas] == [None, 50, 100, 100]
    assert {m.thoughts_token_count for m in metas} == {30}
    assert {m.prompt_token_count for m in metas} == {12}
    assert metas[-1].total_token_count == 142


# --------------------------------------------------------------------------- faults


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "cls", "name"),
    [
        (400, errors.ClientError, "INVALID_ARGUMENT"),
        (401, errors.ClientError, "UNAUTHENTICATED"),
        (403, errors.ClientError, "PERMISSION_DENIED"),
        (404, errors.ClientError, "NOT_FOUND"),
        (429, errors.ClientError, "RESOURCE_EXHAUSTED"),
        (500, errors.ServerError, "INTERNAL"),
        (503, errors.ServerError, "UNAVAILABLE"),
        (504, errors.ServerError, "DEADLINE_EXCEEDED"),
    ],
)
async def test_http_errors_raise_sdk_api_errors(
    gemini: FakeGemini,
    client: genai.Client,
    status: int,
    cls: type[errors.APIError],
    name: str,
) -> None:
    gemini.enqueue([http_error(status, "nope")])
    chunks, exc = await collect(client)
    assert chunks == []
    assert type(exc) is cls
    assert (exc.code, exc.status, exc.message) == (status, name, "nope")
    assert gemini.requests[0].outcome == "http_error"


@pytest.mark.asyncio
async def test_wrong_key_and_unknown_model() -> None:
    with FakeGemini(api_key="right", known_models={MODEL}) as fake:
        c = make_client(fake, key="wrong")
        _, exc = await collect(c)
        await c.aio.aclose()
        assert isinstance(exc, errors.ClientError)
        assert (exc.code, exc.status) == (400, "INVALID_ARGUMENT")
        assert exc.message == "API key not valid. Please pass a valid API key."
        c = make_client(fake, key="right")
        _, exc = await collect(c, model="gemini-9-ultra")
        _, ok = await collect(c)
        await c.aio.aclose()
        assert isinstance(exc, errors.ClientError) and exc.code == 404
        assert "models/gemini-9-ultra is not found" in exc.message
        assert ok is None


@pytest.mark.asyncio
async def test_error_event_mid_stream_raises_after_earlier_chunks(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    gemini.enqueue(
        [text("partial "), text("answer"), error_event(503, "overloaded"), text("never")],
        [error_event(429)],
    )
    chunks, exc = await collect(client)
    assert answer_of(chunks) == "partial answer"
    assert type(exc) is errors.ServerError
    assert (exc.code, exc.status, exc.message) == (503, "UNAVAILABLE", "overloaded")
    assert gemini.requests[0].wait() == "error_event"
    chunks, exc = await collect(client)
    assert chunks == [] and type(exc) is errors.ClientError and exc.code == 429


@pytest.mark.asyncio
async def test_cut_mid_stream_is_a_raw_aiohttp_payload_error(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    gemini.enqueue([text("half "), text("way"), cut(), text("never"), finish()])
    chunks, exc = await collect(client)
    assert answer_of(chunks) == "half way"
    assert isinstance(exc, aiohttp.ClientPayloadError)
    assert not isinstance(exc, errors.APIError)
    assert gemini.requests[0].wait() == "cut"
    assert len(gemini.requests) == 1  # the SDK does not resume without continuation tokens


@pytest.mark.asyncio
async def test_cut_before_headers_is_server_disconnected(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    gemini.enqueue([cut()])
    chunks, exc = await collect(client)
    assert chunks == []
    assert isinstance(exc, aiohttp.ServerDisconnectedError)
    assert len(gemini.requests) == 1


@pytest.mark.asyncio
async def test_sdk_without_retry_options_silently_resends_after_a_disconnect(
    gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    real_sleep = asyncio.sleep

    class FastAsyncio:
        def __getattr__(self, name: str) -> Any:
            return getattr(asyncio, name)

        @staticmethod
        async def sleep(seconds: float) -> None:
            slept.append(seconds)
            await real_sleep(0)

    monkeypatch.setattr(_api_client, "asyncio", FastAsyncio())
    gemini.enqueue([cut()], reply("second try"))
    c = make_client(gemini, sdk_retry=True)  # HttpOptions without retry_options
    chunks, exc = await collect(c)
    await c.aio.aclose()
    assert exc is None and answer_of(chunks) == "second try"
    assert len(gemini.requests) == 2
    assert len(slept) == 1 and 1 <= slept[0] <= 10


@pytest.mark.asyncio
async def test_stall_sdk_has_no_idle_timeout_only_a_total_one(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    """Pinned SDK behaviour: without a timeout it waits out a silent server (so the
    provider needs its own stall timeout); HttpOptions(timeout) cuts the whole stream."""
    gemini.enqueue([text("a"), stall(0.6), finish()])
    chunks, exc = await collect(client)  # no timeout: simply waits out the stall
    # it got the finish chunk that came after the stall, and the server finished sending
    assert exc is None and len(chunks) == 2
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert gemini.requests[0].outcome == "completed"
    # What arrives before the cut is kept, what the silent server would send after is not
    # (a long stall, not a short pause: a loaded machine must not decide the outcome).
    gemini.enqueue([text("a"), text("b"), stall(30), text("c"), finish()])
    c = make_client(gemini, timeout=3000)  # ms, for the whole stream
    chunks, exc = await collect(c)
    await c.aio.aclose()
    assert answer_of(chunks) == "ab"
    assert type(exc) is TimeoutError


@pytest.mark.asyncio
async def test_truncated_stream_ends_without_error(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    gemini.enqueue(reply("no ending here", finish_reason=None))
    chunks, exc = await collect(client)
    assert exc is None and answer_of(chunks) == "no ending here"
    assert all(c.candidates[0].finish_reason is None for c in chunks)


@pytest.mark.asyncio
async def test_prompt_block_and_safety_finish(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    gemini.enqueue([blocked("PROHIBITED_CONTENT")], [text("so"), finish("SAFETY")])
    (chunk,), exc = await collect(client)
    assert exc is None and chunk.candidates is None
    assert chunk.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT
    assert chunk.usage_metadata.prompt_token_count >= 1
    chunks, exc = await collect(client)
    last = chunks[-1].candidates[0]
    assert last.finish_reason == types.FinishReason.SAFETY and last.content is None


@pytest.mark.asyncio
async def test_closing_the_sdk_stream_leaves_the_connection_open_but_cancelling_closes_it(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    gemini.enqueue([text("a"), stall(3), finish()], [text("a"), stall(3), finish()])
    gc.disable()  # the response is freed only by the cycle collector; keep it from running
    try:
        stream = await client.aio.models.generate_content_stream(model=MODEL, contents="Hi")
        await anext(stream)
        await stream.aclose()
        del stream
        await asyncio.sleep(0.2)
        assert gemini.requests[0].outcome is None  # server is still streaming into it
    finally:
        gc.enable()

    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def pump() -> None:
        async for chunk in await client.aio.models.generate_content_stream(
            model=MODEL, contents="Hi"
        ):
            queue.put_nowait(chunk)

    task = asyncio.create_task(pump())
    await queue.get()
    task.cancel()
    await asyncio.wait([task])
    assert await asyncio.to_thread(gemini.requests[1].wait, 2) == "client_disconnected"


# --------------------------------------------------------------------------- server features


def test_queue_default_and_script_checks(gemini: FakeGemini) -> None:
    assert gemini.pending() == 0
    gemini.enqueue(reply("a"), reply("b"))
    assert gemini.pending() == 2
    gemini.reset()
    assert gemini.pending() == 0
    gemini.default = [text("dflt"), finish()]
    assert gemini.default == [text("dflt"), finish()]
    with pytest.raises(ValueError):
        gemini.enqueue([text("a"), http_error(500)])
    with pytest.raises(TypeError):
        gemini.enqueue(["not a step"])  # type: ignore[list-item]


@pytest.mark.asyncio
async def test_default_script_is_played_when_queue_is_empty(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    chunks, _ = await collect(client)
    assert answer_of(chunks) == "Hello from the fake Gemini."
    gemini.default = [text("changed"), finish("MAX_TOKENS")]
    gemini.enqueue(reply("queued"))
    first, _ = await collect(client)
    second, _ = await collect(client)
    assert (answer_of(first), answer_of(second)) == ("queued", "changed")
    assert second[-1].candidates[0].finish_reason == types.FinishReason.MAX_TOKENS


@pytest.mark.asyncio
async def test_hundreds_of_concurrent_paced_streams(
    gemini: FakeGemini,
    client: genai.Client,
) -> None:
    """300 streams at once, each held mid-answer until all 300 are: the fake serves them
    side by side (as the load benchmark needs), and every one gets its whole answer."""
    n = 300
    gemini.default = [*reply("x" * 60, chunk_chars=20, finish_reason=None), meet(n)]
    gemini.default = [*gemini.default, *reply("y" * 40, chunk_chars=20)]
    # a guard against hanging only: served one at a time, the first would wait for ever
    results = await asyncio.wait_for(asyncio.gather(*(collect(client) for _ in range(n))), 120)
    assert all(exc is None and answer_of(chunks) == "x" * 60 + "y" * 40 for chunks, exc in results)
    assert len(gemini.requests) == n
    assert gemini.most_met == n  # all 300 were open at the same moment


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.asyncio
async def test_cli_serves_a_paced_default_reply() -> None:
    port = _free_port()
    cmd = [sys.executable, "-m", "tests.fakegemini", "--port", str(port)]
    cmd += ["--interval", "0.01", "--chunk-chars", "10", "--seconds", "0.05"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        *cmd, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert f"http://127.0.0.1:{port}" in line.decode()
        c = genai.Client(
            api_key="k", http_options=types.HttpOptions(base_url=f"http://127.0.0.1:{port}")
        )
        chunks, exc = await collect(c)
        await c.aio.aclose()
        assert exc is None and len(answer_of(chunks)) == 50
        assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    finally:
        proc.terminate()
        await proc.wait()
