"""A fake Gemini API server that speaks the real ``streamGenerateContent?alt=sse`` wire format.

Start it with ``FakeGemini()`` (or ``with FakeGemini() as fake:``), point the SDK at
``fake.base_url`` and queue scripted answers with ``fake.enqueue([...])`` built from the
step functions below (``text``, ``thought``, ``signature``, ``finish``, ``usage``,
``http_error``, ``error_event``, ``cut``, ``stall``, ``pause``, ``meet``, ``blocked``) or
``reply(...)``.

Run ``python -m tests.fakegemini --port 8765`` to serve a paced default reply forever.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import socket
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from tests.fakefiles import FakeFiles

__all__ = [
    "STATUS_NAMES",
    "Chunk",
    "Cut",
    "ErrorEvent",
    "FakeGemini",
    "HttpError",
    "Meet",
    "RecordedRequest",
    "Script",
    "Sleep",
    "Step",
    "UsageSpec",
    "blocked",
    "cut",
    "error_event",
    "finish",
    "http_error",
    "meet",
    "pause",
    "reply",
    "signature",
    "stall",
    "text",
    "thought",
    "usage",
]

STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_DEFAULT_MESSAGES: dict[int, str] = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "You exceeded your current quota, please check your plan and billing details.",
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}

_INVALID_KEY = "API key not valid. Please pass a valid API key."
_MISSING_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
# Finish reasons whose last chunk carries no content at all (only the reason and ratings).
_CONTENTLESS_FINISH = {"SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII"}

_SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Content-Disposition": "attachment",
    "Vary": "Origin, X-Origin, Referer",
    "X-XSS-Protection": "0",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Server": "scaffolding on HTTPServer2",
}
_JSON_CT = "application/json; charset=UTF-8"


# --------------------------------------------------------------------------- script steps


@dataclass(frozen=True, slots=True)
class Chunk:
    """One SSE data event: candidate parts, an optional finish reason, or a prompt block."""

    parts: tuple[dict[str, Any], ...] = ()
    finish_reason: str | None = None
    block_reason: str | None = None
    grounding: dict[str, Any] | None = None  # groundingMetadata (see tests/fakegrounding.py)


@dataclass(frozen=True, slots=True)
class UsageSpec:
    """Final cumulative token counts (None = estimate from characters, ~4 chars a token)."""

    prompt: int | None = None
    output: int | None = None
    thoughts: int | None = None


@dataclass(frozen=True, slots=True)
class HttpError:
    """Answer with this HTTP status and Google's error JSON instead of a stream."""

    status: int
    message: str
    details: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """Mid-stream ``data: {"error": {...}}`` event; the stream then ends cleanly."""

    code: int
    message: str
    status: str


@dataclass(frozen=True, slots=True)
class Cut:
    """Drop the TCP connection (mid-body: chunked encoding left unfinished)."""


@dataclass(frozen=True, slots=True)
class Sleep:
    """Send nothing for ``seconds`` (kind "pause" between chunks, "stall" to trip timeouts)."""

    seconds: float
    kind: str = "pause"


@dataclass(frozen=True, slots=True)
class Meet:
    """Hold the stream here until ``count`` streams are held at this meeting at once."""

    count: int
    name: str


Step = Chunk | UsageSpec | HttpError | ErrorEvent | Cut | Sleep | Meet
Script = Sequence[Step]


def _sig(sig: str | bytes) -> str:
    return base64.b64encode(sig).decode("ascii") if isinstance(sig, bytes) else sig


def text(s: str, *, signature: str | bytes | None = None) -> Chunk:
    """A chunk with one answer part (optionally carrying a thought signature)."""
    part: dict[str, Any] = {"text": s}
    if signature is not None:
        part["thoughtSignature"] = _sig(signature)
    return Chunk(parts=(part,))


def thought(s: str, *, signature: str | bytes | None = None) -> Chunk:
    """A chunk with one thought-summary part."""
    part: dict[str, Any] = {"text": s, "thought": True}
    if signature is not None:
        part["thoughtSignature"] = _sig(signature)
    return Chunk(parts=(part,))


def signature(sig: str | bytes, *, empty_text: bool = False) -> Chunk:
    """A chunk whose only part is a thought signature (str = base64 as-is, bytes = encoded)."""
    part: dict[str, Any] = {"text": ""} if empty_text else {}
    part["thoughtSignature"] = _sig(sig)
    return Chunk(parts=(part,))


_signature_step = signature  # for reply(), whose parameter shadows the name


def finish(
    reason: str = "STOP", *, text: str | None = None, signature: str | bytes | None = None
) -> Chunk:
    """The final chunk carrying ``finishReason`` (and optionally some last text)."""
    parts: tuple[dict[str, Any], ...] = ()
    if text is not None or signature is not None:
        part: dict[str, Any] = {"text": text or ""}
        if signature is not None:
            part["thoughtSignature"] = _sig(signature)
        parts = (part,)
    return Chunk(parts=parts, finish_reason=reason)


def usage(
    prompt: int | None = None, output: int | None = None, thoughts: int | None = None
) -> UsageSpec:
    """Fix the final cumulative usage; earlier chunks get proportional running totals."""
    return UsageSpec(prompt, output, thoughts)


def http_error(
    status: int, message: str | None = None, *, retry_delay: str | None = None
) -> HttpError:
    """Reject the request with ``status`` before streaming (e.g. 429, 500, 503)."""
    details: list[dict[str, Any]] = []
    if status == 429 and retry_delay:
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
        )
    return HttpError(status, message or _DEFAULT_MESSAGES.get(status, "Error."), tuple(details))


def error_event(
    code: int = 500, message: str | None = None, status: str | None = None
) -> ErrorEvent:
    """A mid-stream error event, after which the server ends the stream."""
    return ErrorEvent(
        code,
        message or _DEFAULT_MESSAGES.get(code, "Error."),
        status or STATUS_NAMES.get(code, "UNKNOWN"),
    )


def cut() -> Cut:
    """Abort the connection here."""
    return Cut()


def stall(seconds: float) -> Sleep:
    """Stop sending for ``seconds`` (to trip client timeouts)."""
    return Sleep(seconds, "stall")


def pause(seconds: float) -> Sleep:
    """Wait ``seconds`` before the next step (pacing)."""
    return Sleep(seconds, "pause")


def meet(count: int) -> Meet:
    """Hold each stream that reaches this step until ``count`` of them are here together.

    Proves concurrency without a clock: if the client or the server handled the streams
    one after another, the first would wait here for ever (the test's guard then fails).
    """
    return Meet(count, uuid.uuid4().hex)


def blocked(reason: str = "SAFETY") -> Chunk:
    """A prompt block: one chunk with ``promptFeedback.blockReason`` and no candidates."""
    return Chunk(block_reason=reason)


def reply(
    answer: str,
    *,
    thinking: str | None = None,
    chunk_chars: int = 30,
    interval: float = 0.0,
    signature: str | bytes | None = None,
    finish_reason: str | None = "STOP",
) -> list[Step]:
    """A realistic script: thought chunks, answer chunks, then a finish chunk (None = truncated)."""
    steps: list[Step] = []

    def add(chunk: Chunk) -> None:
        if interval and steps:
            steps.append(pause(interval))
        steps.append(chunk)

    for i in range(0, len(thinking or ""), chunk_chars):
        add(thought((thinking or "")[i : i + chunk_chars]))
    for i in range(0, len(answer), chunk_chars):
        add(text(answer[i : i + chunk_chars]))
    if finish_reason is not None:
        add(finish(finish_reason, signature=signature))
    elif signature is not None:
        add(_signature_step(signature))
    return steps


# --------------------------------------------------------------------------- recording


@dataclass
class RecordedRequest:
    """One request as received; ``outcome`` is set when the server is done with it."""

    path: str
    version: str
    model: str
    method: str  # "streamGenerateContent" or "generateContent"
    query: dict[str, str]
    headers: Mapping[str, str]  # case-insensitive
    body: Any
    outcome: str | None = None  # completed, http_error, error_event, cut, client_disconnected
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def wait(self, timeout: float = 5.0) -> str | None:
        """Block until the server finished with this request; return the outcome."""
        self.done.wait(timeout)
        return self.outcome


# --------------------------------------------------------------------------- server


def _check_script(script: Iterable[Step]) -> list[Step]:
    steps = list(script)
    streamed = False
    for step in steps:
        if isinstance(step, Chunk | ErrorEvent):
            streamed = True
        elif isinstance(step, HttpError) and streamed:
            raise ValueError("http_error() must come before any chunk of the script")
        elif not isinstance(step, UsageSpec | Cut | Sleep | Meet | HttpError):
            raise TypeError(f"not a script step: {step!r}")
    return steps


def _text_chars(parts: Iterable[dict[str, Any]], thought: bool) -> int:
    return sum(len(p.get("text", "")) for p in parts if bool(p.get("thought")) == thought)


def _prompt_chars(body: dict[str, Any]) -> int:
    total = 0
    contents = list(body.get("contents") or [])
    sys_inst = body.get("systemInstruction") or body.get("system_instruction")
    if isinstance(sys_inst, dict):
        contents.append(sys_inst)
    for content in contents:
        if isinstance(content, dict):
            total += sum(
                len(str(p.get("text", "")))
                for p in content.get("parts") or []
                if isinstance(p, dict)
            )
    return total


def _usage_plan(steps: list[Step], body: dict[str, Any]) -> list[dict[str, Any]]:
    """Cumulative usageMetadata for each Chunk of the script, in order."""
    chunks = [s for s in steps if isinstance(s, Chunk)]
    spec = next((s for s in reversed(steps) if isinstance(s, UsageSpec)), UsageSpec())
    prompt = spec.prompt if spec.prompt is not None else max(1, math.ceil(_prompt_chars(body) / 4))
    total_out = sum(_text_chars(c.parts, False) for c in chunks)
    total_th = sum(_text_chars(c.parts, True) for c in chunks)
    plan = []
    out_chars = th_chars = 0
    for c in chunks:
        out_chars += _text_chars(c.parts, False)
        th_chars += _text_chars(c.parts, True)
        out = _scaled(spec.output, out_chars, total_out)
        th = _scaled(spec.thoughts, th_chars, total_th)
        meta: dict[str, Any] = {"promptTokenCount": prompt}
        if out:
            meta["candidatesTokenCount"] = out
        meta["totalTokenCount"] = prompt + out + th
        meta["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
        if th:
            meta["thoughtsTokenCount"] = th
        plan.append(meta)
    return plan


def _scaled(final: int | None, chars: int, total_chars: int) -> int:
    if final is None:
        return math.ceil(chars / 4)
    return final if total_chars == 0 else round(final * chars / total_chars)


def _chunk_json(chunk: Chunk, meta: dict[str, Any], model: str, response_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if chunk.block_reason is not None:
        out["promptFeedback"] = {
            "blockReason": chunk.block_reason,
            "safetyRatings": [
                {
                    "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
                    "probability": "HIGH",
                    "blocked": True,
                }
            ],
        }
    else:
        cand: dict[str, Any] = {}
        if chunk.parts:
            cand["content"] = {"parts": [dict(p) for p in chunk.parts], "role": "model"}
        elif chunk.finish_reason not in _CONTENTLESS_FINISH:
            cand["content"] = {"role": "model"}  # real Gemini: content without parts
        if chunk.finish_reason is not None:
            cand["finishReason"] = chunk.finish_reason
        if chunk.grounding is not None:
            cand["groundingMetadata"] = chunk.grounding
        cand["index"] = 0
        out["candidates"] = [cand]
    out["usageMetadata"] = meta
    out["modelVersion"] = model
    out["responseId"] = response_id
    return out


def _error_json(
    code: int, message: str, status: str, details: Sequence[dict[str, Any]] = ()
) -> dict:
    err: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        err["details"] = list(details)
    return {"error": err}


def _error_response(
    code: int, message: str, details: Sequence[dict[str, Any]] = ()
) -> web.Response:
    body = _error_json(code, message, STATUS_NAMES.get(code, "UNKNOWN"), details)
    # Google pretty-prints error bodies (two-space indent, one field per line).
    return web.Response(
        status=code, text=json.dumps(body, indent=2) + "\n", headers={"Content-Type": _JSON_CT}
    )


def _merge_parts(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for p in parts:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and "text" in p
            and "text" in prev
            and bool(prev.get("thought")) == bool(p.get("thought"))
            and "thoughtSignature" not in prev
        ):
            prev["text"] += p["text"]
            if "thoughtSignature" in p:
                prev["thoughtSignature"] = p["thoughtSignature"]
        else:
            merged.append(dict(p))
    return merged


class FakeGemini:
    """The fake server, running on its own event loop in a daemon thread."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        known_models: Iterable[str] | None = None,
        default: Script | None = None,
    ) -> None:
        self.api_key = api_key  # None = accept any non-empty key
        self.known_models = set(known_models) if known_models is not None else None  # None = all
        self._default: list[Step] = _check_script(default or reply("Hello from the fake Gemini."))
        self._initial = (self.api_key, self.known_models, self._default)
        self._queue: deque[list[Step]] = deque()
        self._requests: list[RecordedRequest] = []
        self._meetings: dict[str, tuple[list[int], asyncio.Event]] = {}  # in the server loop
        self.most_met = 0  # the most streams held at one meeting at once
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self.files = FakeFiles(self.base_url, _error_response)  # the Files API
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="fakegemini", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if self._runner is None:
            raise RuntimeError("fake Gemini server did not start")

    # -- public API

    @property
    def default(self) -> list[Step]:
        return list(self._default)

    @default.setter
    def default(self, script: Script) -> None:
        self._default = _check_script(script)

    def enqueue(self, *scripts: Script) -> None:
        """Queue scripted responses, one per future valid request (FIFO)."""
        checked = [_check_script(s) for s in scripts]
        with self._lock:
            self._queue.extend(checked)

    def pending(self) -> int:
        """How many queued scripts have not been played yet."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget requests and queued scripts; restore api_key, known_models and default."""
        with self._lock:
            self._requests.clear()
            self._queue.clear()
            self.most_met = 0
            self.api_key, known, self._default = self._initial
            self.known_models = set(known) if known is not None else None
        self.files.reset()

    def close(self) -> None:
        if not self._loop.is_closed() and self._runner is not None:
            fut = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            with contextlib.suppress(Exception):
                fut.result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._runner = None

    def __enter__(self) -> FakeGemini:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- server internals

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/{version}/models/{model}", self._handle)
        self.files.install(app)
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        self._loop.run_until_complete(runner.setup())
        site = web.SockSite(runner, self._sock, backlog=2048)
        self._loop.run_until_complete(site.start())
        self._runner = runner
        ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        model, _, method = request.match_info["model"].partition(":")
        try:
            body: Any = await request.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        rec = RecordedRequest(
            path=request.path,
            version=request.match_info["version"],
            model=model,
            method=method,
            query=dict(request.query),
            headers=CIMultiDict(request.headers),
            body=body,
        )
        with self._lock:
            self._requests.append(rec)
        try:
            resp = await self._answer(request, rec)
        except (asyncio.CancelledError, ConnectionError):
            rec.outcome = rec.outcome or "client_disconnected"
            raise
        else:
            rec.outcome = rec.outcome or "completed"
        finally:
            rec.done.set()
        return resp

    async def _meet(self, step: Meet) -> None:
        arrived, everyone = self._meetings.setdefault(step.name, ([0], asyncio.Event()))
        arrived[0] += 1
        self.most_met = max(self.most_met, arrived[0])
        if arrived[0] >= step.count:
            everyone.set()
        try:
            await everyone.wait()
        finally:
            arrived[0] -= 1

    async def _answer(self, request: web.Request, rec: RecordedRequest) -> web.StreamResponse:
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        failure: tuple[int, str] | None = None
        if not key:
            failure = (403, _MISSING_KEY)
        elif self.api_key is not None and key != self.api_key:
            failure = (400, _INVALID_KEY)
        elif rec.method not in ("streamGenerateContent", "generateContent"):
            failure = (404, f"Method {rec.method!r} is not supported by the fake.")
        elif self.known_models is not None and rec.model not in self.known_models:
            failure = (
                404,
                f"models/{rec.model} is not found for API version {rec.version}, or is not "
                "supported for generateContent. Call ListModels to see the list of available "
                "models and their supported methods.",
            )
        elif rec.body is None:
            failure = (400, "Invalid JSON payload received.")
        elif (
            not isinstance(rec.body, dict)
            or not isinstance(rec.body.get("contents"), list)
            or not rec.body["contents"]
        ):
            failure = (400, "* GenerateContentRequest.contents: contents is not specified\n")
        else:
            failure = self.files.check_parts(rec.body)
        if failure is not None:
            rec.outcome = "http_error"
            return _error_response(*failure)
        with self._lock:
            steps = self._queue.popleft() if self._queue else list(self._default)
        if rec.method == "generateContent":
            return await self._play_unary(request, rec, steps)
        return await self._play_stream(request, rec, steps)

    async def _play_stream(
        self, request: web.Request, rec: RecordedRequest, steps: list[Step]
    ) -> web.StreamResponse:
        plan = iter(_usage_plan(steps, rec.body))
        response_id = uuid.uuid4().hex[:22]
        resp: web.StreamResponse | None = None
        for step in steps:
            if isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
            elif isinstance(step, Meet):
                await self._meet(step)
            elif isinstance(step, HttpError):
                rec.outcome = "http_error"
                return _error_response(step.status, step.message, step.details)
            elif isinstance(step, Cut):
                rec.outcome = "cut"
                return await self._cut(request, resp)
            elif isinstance(step, Chunk | ErrorEvent):
                if resp is None:
                    resp = web.StreamResponse(status=200, headers=_SSE_HEADERS)
                    resp.enable_chunked_encoding()
                    await resp.prepare(request)
                if isinstance(step, ErrorEvent):
                    payload: dict[str, Any] = _error_json(step.code, step.message, step.status)
                else:
                    payload = _chunk_json(step, next(plan), rec.model, response_id)
                # one line of JSON with raw UTF-8 (U+2028 etc. unescaped), CRLF CRLF after it
                data = json.dumps(payload, ensure_ascii=False).encode()
                await resp.write(b"data: " + data + b"\r\n\r\n")
                if isinstance(step, ErrorEvent):
                    rec.outcome = "error_event"
                    break
        if resp is None:  # a script with no chunks: an empty but well-formed stream
            resp = web.StreamResponse(status=200, headers=_SSE_HEADERS)
            resp.enable_chunked_encoding()
            await resp.prepare(request)
        await resp.write_eof()
        return resp

    async def _play_unary(
        self, request: web.Request, rec: RecordedRequest, steps: list[Step]
    ) -> web.StreamResponse:
        plan = _usage_plan(steps, rec.body)
        parts: list[dict[str, Any]] = []
        finish_reason: str | None = None
        block: str | None = None
        for step in steps:
            if isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
            elif isinstance(step, Meet):
                await self._meet(step)
            elif isinstance(step, HttpError):
                rec.outcome = "http_error"
                return _error_response(step.status, step.message, step.details)
            elif isinstance(step, ErrorEvent):
                rec.outcome = "error_event"
                return _error_response(step.code, step.message)
            elif isinstance(step, Cut):
                rec.outcome = "cut"
                return await self._cut(request, None)
            elif isinstance(step, Chunk):
                parts.extend(step.parts)
                finish_reason = step.finish_reason or finish_reason
                block = step.block_reason or block
        merged = Chunk(
            parts=tuple(_merge_parts(parts)), finish_reason=finish_reason, block_reason=block
        )
        meta = plan[-1] if plan else _usage_plan([Chunk()], rec.body)[0]
        payload = _chunk_json(merged, meta, rec.model, uuid.uuid4().hex[:22])
        return web.Response(text=json.dumps(payload, indent=2), headers={"Content-Type": _JSON_CT})

    async def _cut(
        self, request: web.Request, resp: web.StreamResponse | None
    ) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            transport.close()  # flushes what was written, then FIN without the final 0-chunk
        # Let aiohttp see the lost connection; it then skips finishing the response.
        raise asyncio.CancelledError


# --------------------------------------------------------------------------- CLI


_LOREM = (
    "The quick brown fox jumps over the lazy dog while the fake Gemini server keeps "
    "streaming paced chunks of text so that clients can be exercised under load. "
)


def _main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--interval", type=float, default=0.2, help="seconds between chunks")
    ap.add_argument("--chunk-chars", type=int, default=30, help="characters per text chunk")
    ap.add_argument("--seconds", type=float, default=10.0, help="approximate length of each answer")
    ap.add_argument("--thinking", action="store_true", help="start each answer with thoughts")
    ap.add_argument("--api-key", default=None, help="accept only this key (default: any)")
    args = ap.parse_args(argv)
    n_chunks = max(1, round(args.seconds / args.interval)) if args.interval > 0 else 20
    answer = (_LOREM * (n_chunks * args.chunk_chars // len(_LOREM) + 1))[
        : n_chunks * args.chunk_chars
    ]
    script = reply(
        answer,
        thinking="Let me think about this for a moment." if args.thinking else None,
        chunk_chars=args.chunk_chars,
        interval=args.interval,
    )
    fake = FakeGemini(host=args.host, port=args.port, api_key=args.api_key, default=script)
    print(
        f"fake Gemini listening on {fake.base_url} ({n_chunks} chunks every {args.interval}s)",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.close()


if __name__ == "__main__":
    _main()
