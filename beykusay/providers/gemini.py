"""Google Gemini through google-genai, mapped onto the provider contract in ``base``."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import random
from collections.abc import AsyncIterator, Sequence
from typing import Any

from google import genai
from google.genai import errors, types

from beykusay.grounding import GroundingCollector

from .base import (
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
from .gemini_contents import Piece, encode_signature, request_contents, sdk_contents
from .gemini_contents import decode_signature as decode_signature  # where it was before
from .gemini_files import GeminiFiles, file_gone
from .gemini_http import LoopClients
from .gemini_stream import (
    Chunk,
    ConvertedConfigs,
    light_request_body,
    missing_internals,
    public_chunks,
    stream_chunks,
    warm_up,
)

log = logging.getLogger(__name__)

RATE_LIMITED = "Gemini is rate-limiting requests right now. Please try again in a moment."
UNAVAILABLE = "Gemini is temporarily unavailable. Please try again in a moment."
KEY_REJECTED = (
    "The server's Gemini API key was rejected. Ask the administrator to check GOOGLE_API_KEY."
)
CONNECTION_LOST = "The connection to Gemini was lost. Please try again."
STALLED = "Gemini stopped responding. Please try again."
TRUNCATED = "The answer was cut off before Gemini finished."
FILE_REFUSED = "Gemini could not use a file attached to this chat. Please try again later."
UNEXPECTED = "Something went wrong while talking to Gemini. Please try again later."


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection failures of whichever HTTP library the SDK streams through."""
    found: list[type[BaseException]] = [OSError]  # ConnectionError and friends
    for module, names in (
        ("aiohttp", ("ClientError",)),  # ClientPayloadError, ServerDisconnectedError, ...
        ("httpx", ("TransportError", "StreamError")),
        ("httpx2", ("TransportError", "StreamError")),
    ):
        with contextlib.suppress(ImportError):
            mod = importlib.import_module(module)
            found += [getattr(mod, name) for name in names if hasattr(mod, name)]
    return tuple(found)


_CONNECTION_ERRORS = _transport_errors()
# A request's config, and its part of the request as the SDK converts it (once).
Config = tuple[types.GenerateContentConfig, dict[str, Any]]
# Markers in a stream's queue: the turns' files are being prepared (uploaded), or ready.
PREPARING, PREPARED = object(), object()


def _api_error(exc: errors.APIError, model: str, api_key: str) -> ProviderError:
    code = exc.code or 0
    if code == 429:
        return ProviderError(RATE_LIMITED, retryable=True, code="rate_limited")
    if code in (408, 499) or code >= 500:
        return ProviderError(UNAVAILABLE, retryable=True, code="overloaded")
    message = str(exc.message or "")
    if api_key:
        message = message.replace(api_key, "***")
    if code in (401, 403) or (code == 400 and "api key" in message.lower()):
        return ProviderError(KEY_REJECTED, code="auth")
    if code == 404:
        return ProviderError(
            f"The Gemini model '{model}' was not found. "
            "Ask the administrator to check the model list.",
            code="model_not_found",
        )
    detail = f" ({message.strip()[:300]})" if message.strip() else ""
    return ProviderError(f"Gemini could not process this request{detail}.", code="bad_request")


def _blocked(reason: str) -> ProviderError:
    why = reason.replace("_", " ").lower()
    return ProviderError(
        f"Gemini blocked this message ({why}) and did not answer. Try rephrasing it.",
        code="blocked",
    )


def _name(value: object) -> str:
    return str(getattr(value, "value", value))


class GeminiProvider:
    """Streams answers from Gemini; retries retryable failures that happen before any content."""

    name = "gemini"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        stall_timeout: float = 60.0,
        max_retries: int = 2,
        retry_base_delay: float = 1.0,
        inline_bytes: int = 20_000_000,
    ) -> None:
        self._api_key = api_key
        self._stall_timeout = stall_timeout
        self._max_retries = max_retries
        self._retry_base_delay = retry_base_delay
        # attempts=1: no tenacity retries and no hidden 1-10 s reconnect sleep in the SDK;
        # retrying is done here. base_url None lets the SDK read GOOGLE_GEMINI_BASE_URL.
        options = types.HttpOptions(
            base_url=base_url, retry_options=types.HttpRetryOptions(attempts=1)
        )
        self._clients = LoopClients(api_key, options)
        self._configs = ConvertedConfigs()
        self._files = GeminiFiles(self._clients.current, inline_bytes=inline_bytes)
        self._light = True  # chunks read by gemini_stream, configs converted once
        # A client to check and warm the SDK with, never to send (it has no session).
        sdk = genai.Client(api_key=api_key, http_options=self._clients.options)
        if missing := missing_internals(sdk):
            log.warning(
                "google-genai %s lacks %s (used to read Gemini's streams lightly): "
                "reading them through its public generate_content_stream instead, "
                "which costs more CPU per chunk. pyproject.toml names the tested versions.",
                getattr(genai, "__version__", "?"),
                ", ".join(missing),
            )
            self._light = False
        else:
            warm_up(sdk)

    async def aclose(self) -> None:
        """Close the HTTP session of the running loop."""
        await self._clients.aclose()

    async def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        """Yield events for one answer; raise ProviderError on failure."""
        attempt = 0
        while True:
            produced = False
            try:
                async with contextlib.aclosing(self._attempt(request)) as events:
                    async for event in events:
                        produced = produced or isinstance(event, Thought | AnswerText)
                        yield event
                return
            except ProviderError as exc:
                if produced or not exc.retryable or attempt >= self._max_retries:
                    raise
                delay = self._retry_base_delay * 2**attempt * random.uniform(1.0, 1.25)
                log.info(
                    "Gemini attempt %d failed (%s); retrying in %.2fs", attempt + 1, exc, delay
                )
            await asyncio.sleep(delay)
            attempt += 1

    async def _attempt(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        pump = asyncio.create_task(self._pump(request, queue))
        signature: str | None = None
        finish: str | None = None
        usage: Usage | None = None
        # Only web search brings grounding metadata: without it no collector is made (the
        # parts are kept as they came, in case metadata comes anyway, and read then).
        grounding = GroundingCollector() if request.web_search else None
        seen: list[tuple[str, bool]] = []
        stall: float | None = self._stall_timeout
        try:
            while True:
                async with asyncio.timeout(stall):
                    chunk = await queue.get()
                if chunk is PREPARING or chunk is PREPARED:  # files: uploads take their time
                    stall = None if chunk is PREPARING else self._stall_timeout
                    continue
                if chunk is None:
                    break
                if isinstance(chunk, BaseException):
                    raise chunk
                feedback = chunk.prompt_feedback
                if feedback is not None and feedback.block_reason is not None:
                    raise _blocked(_name(feedback.block_reason))
                candidate = chunk.candidates[0] if chunk.candidates else None
                parts = candidate.content.parts if candidate and candidate.content else None
                landed = False
                for part in parts or ():
                    if part.thought_signature:
                        signature = encode_signature(part.thought_signature)
                    if part.text:
                        if grounding is not None:
                            landed = (
                                grounding.add_part(part.text, thought=bool(part.thought)) or landed
                            )
                        else:
                            seen.append((part.text, bool(part.thought)))
                        yield Thought(part.text) if part.thought else AnswerText(part.text)
                metadata = candidate.grounding_metadata if candidate else None
                if metadata is not None and grounding is None:
                    grounding = _collector(seen)
                if grounding is not None and (
                    (metadata is not None and grounding.add_metadata(metadata)) or landed
                ):
                    yield grounding.result()
                if candidate is not None and candidate.finish_reason is not None:
                    finish = _name(candidate.finish_reason)
                if (meta := chunk.usage_metadata) is not None:
                    new = Usage(
                        prompt_tokens=meta.prompt_token_count or 0,
                        output_tokens=meta.candidates_token_count or 0,
                        thinking_tokens=meta.thoughts_token_count or 0,
                        total_tokens=meta.total_token_count or 0,
                    )
                    if new != usage:
                        usage = new
                        yield new
        except ProviderError:
            raise
        except errors.APIError as exc:
            raise _api_error(exc, request.model, self._api_key) from None
        except TimeoutError:  # our stall timer (aiohttp's read timeouts subclass it too)
            raise ProviderError(STALLED, retryable=True, code="timeout") from None
        except _CONNECTION_ERRORS:
            raise ProviderError(CONNECTION_LOST, retryable=True, code="connection") from None
        except Exception:
            log.exception("Unexpected failure while streaming from Gemini")
            raise ProviderError(UNEXPECTED, code="unknown") from None
        finally:
            pump.cancel()  # unwinds the SDK's generators, which closes the HTTP response
            await asyncio.wait([pump])
        if finish is None:
            raise ProviderError(TRUNCATED, retryable=True, code="truncated")
        if signature is not None:
            yield Signature(signature)
        yield Finish(finish)

    async def _pump(self, request: GenerationRequest, queue: asyncio.Queue[Any]) -> None:
        """Read the SDK stream into ``queue``: chunks, then None or the exception.

        Reading in a task of its own means the read is always in progress, so cancelling
        the task runs the ``finally`` of every SDK generator; closing only the outer SDK
        generator would leave the HTTP response open until the garbage collector runs.
        """
        sampling = request.sampling

        def make_config() -> types.GenerateContentConfig:
            return types.GenerateContentConfig(
                system_instruction=request.system_instruction or None,
                thinking_config=types.ThinkingConfig(include_thoughts=True)
                if request.thinking
                else None,
                tools=[types.Tool(google_search=types.GoogleSearch())]
                if request.web_search
                else None,
                max_output_tokens=sampling.max_output_tokens,
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                stop_sequences=list(sampling.stop_sequences) or None,
            )

        # What the config is made of (Sampling is a frozen dataclass of hashable values).
        key = (request.system_instruction, request.thinking, request.web_search, sampling)
        try:
            client = self._clients.current()
            config = (
                self._configs.get(client, request.model, key, make_config)
                if self._light
                else (make_config(), {})
            )
            chunks = await self._open_stream(client, request, config, queue)
            async for chunk in chunks:
                queue.put_nowait(chunk)
        except Exception as exc:
            queue.put_nowait(exc)
        else:
            queue.put_nowait(None)

    def _stream(
        self,
        client: genai.Client,
        model: str,
        history: Sequence[Turn],
        files: list[list[Piece]] | None,
        config: Config,
    ) -> AsyncIterator[Chunk | types.GenerateContentResponse]:
        """The SDK's request for a streamed answer, its body written from the turns
        (gemini_contents) and its chunks read lightly (gemini_stream), or through the
        SDK's public call when its internals are missing."""
        made, converted = config
        if self._light:
            path, body = light_request_body(converted, request_contents(history, files))
            return stream_chunks(client, path, body, http_options=made.http_options)
        contents = sdk_contents(history, files)
        return public_chunks(client, model=model, contents=contents, config=made)

    async def _open_stream(
        self,
        client: genai.Client,
        request: GenerationRequest,
        config: Config,
        queue: asyncio.Queue[Any],
    ) -> AsyncIterator[Chunk | types.GenerateContentResponse]:
        """Start the stream; the turns' files go with them (see gemini_files).

        When Gemini says an uploaded file is gone (expired early, deleted), the uploads
        are forgotten and the files sent again, once.
        """
        if request.files is None:
            return self._stream(client, request.model, request.history, None, config)
        queue.put_nowait(PREPARING)  # no stall timer while files upload and process
        files, by_uri = await self._files.parts(request.history, request.files)
        queue.put_nowait(PREPARED)
        stream = self._stream(client, request.model, request.history, files, config)
        if not by_uri:
            return stream
        try:  # the SDK sends the request when the first chunk is read
            return await _started(stream)
        except errors.APIError as exc:
            if not by_uri or not file_gone(exc):
                raise
            log.info("Gemini no longer has an uploaded file (%s): uploading again", exc.message)
        for ref in by_uri:
            await request.files.forget_upload(ref)
        queue.put_nowait(PREPARING)
        files, _ = await self._files.parts(request.history, request.files)
        queue.put_nowait(PREPARED)
        stream = self._stream(client, request.model, request.history, files, config)
        try:
            return await _started(stream)
        except errors.APIError as exc:
            if not file_gone(exc):
                raise
            raise ProviderError(FILE_REFUSED, code="bad_request") from None


def _collector(parts: list[tuple[str, bool]]) -> GroundingCollector:
    """A grounding collector that has read the answer's text parts so far."""
    collector = GroundingCollector()
    for text, thought in parts:
        collector.add_part(text, thought=thought)
    parts.clear()
    return collector


async def _started(stream: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """``stream`` with its first chunk already read (so its request's errors raise here)."""
    iterator = aiter(stream)
    try:
        first = await anext(iterator)
    except StopAsyncIteration:
        first = None

    async def rest() -> AsyncIterator[Any]:
        if first is None:
            return
        yield first
        async for chunk in iterator:
            yield chunk

    return rest()
