"""Gemini's streamed chunks read through the SDK's HTTP client, without its response models.

``client.aio.models.generate_content_stream`` turns every streamed chunk into a
``GenerateContentResponse``: the SSE line is parsed, dumped and parsed again, converted
field by field and validated by pydantic into nested models, of which the provider then
reads a handful of fields. Measured against the fake Gemini, that is about 0.28 ms of
CPU per chunk where reading the same JSON costs 0.05 ms; at 200 answers of 5 chunks a
second it was most of the server's CPU, on the event loop every request shares, and
what delayed the first text of answers starting in a burst.

Here the request is sent exactly as the SDK sends it for that call (URL, headers,
authentication, timeouts and HTTP library; its ``APIError`` for an error status or an
error event in the stream), with the body its converters make: the config converted by
them once (``ConvertedConfigs``), the contents written as they would write them
(gemini_contents; ``request_body`` is the SDK's way, which tests compare), and each chunk is
read as the JSON the SDK received into small objects with the SDK's field names, keeping
only what the provider uses. A chunk whose fields have other types than the API's is
refused with ``MalformedChunk``.

Not done here (the provider asks for none of it): automatic function calling, MCP
tools, and following ``CONTINUATION`` tokens; a ``CONTINUATION`` finish is reported
as it came.

The SDK functions used here are private, so google-genai is pinned to the minor
version the suite ran on, and ``missing_internals`` checks for them when the provider
is built: a google-genai without them is read through ``public_chunks``, the SDK's
public ``generate_content_stream`` (its full response models, whose fields have the
same names), with a warning.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from google import genai
from google.genai import types

try:  # private modules: their absence is reported by missing_internals, not at import
    from google.genai import _common
    from google.genai import models as sdk_models
except ImportError:  # pragma: no cover - no such google-genai has been released
    _common = sdk_models = None  # type: ignore[assignment]


class MalformedChunk(ValueError):
    """A streamed chunk that does not have the shape of a GenerateContentResponse."""


# The fields the provider reads, under the SDK's names (so it reads a Chunk as it read a
# GenerateContentResponse); absent fields are None, as in the SDK's models.


@dataclass(frozen=True, slots=True)
class Part:
    text: str | None
    thought: bool | None
    thought_signature: bytes | None


@dataclass(frozen=True, slots=True)
class Content:
    parts: list[Part] | None


@dataclass(frozen=True, slots=True)
class Candidate:
    content: Content | None
    finish_reason: str | None
    grounding_metadata: dict[str, Any] | None  # as sent (camelCase); beykusay.grounding reads it


@dataclass(frozen=True, slots=True)
class PromptFeedback:
    block_reason: str | None


@dataclass(frozen=True, slots=True)
class UsageMetadata:
    prompt_token_count: int | None
    candidates_token_count: int | None
    thoughts_token_count: int | None
    total_token_count: int | None


@dataclass(frozen=True, slots=True)
class Chunk:
    """What the provider reads of one GenerateContentResponse."""

    prompt_feedback: PromptFeedback | None
    candidates: list[Candidate] | None
    usage_metadata: UsageMetadata | None


def _get(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if value is not None and (not isinstance(value, kind) or (kind is int and value is True)):
        raise MalformedChunk(f"{name} is {type(value).__name__}, not {kind.__name__}")
    return value


def _objects(data: dict[str, Any], name: str) -> list[dict[str, Any]] | None:
    items = _get(data, name, list)
    if items is not None and not all(isinstance(item, dict) for item in items):
        raise MalformedChunk(f"{name} holds something other than objects")
    return items


def _bytes(value: str | None) -> bytes | None:
    """Base64 (standard or URL-safe, padded or not) as bytes fields come in JSON."""
    if value is None:
        return None
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError):
        raise MalformedChunk("thoughtSignature is not base64") from None


def _part(data: dict[str, Any]) -> Part:
    return Part(
        text=_get(data, "text", str),
        thought=_get(data, "thought", bool),
        thought_signature=_bytes(_get(data, "thoughtSignature", str)),
    )


def _candidate(data: dict[str, Any]) -> Candidate:
    content = _get(data, "content", dict)
    parts = _objects(content, "parts") if content is not None else None
    return Candidate(
        content=None if content is None else Content(parts=parts and [_part(p) for p in parts]),
        finish_reason=_get(data, "finishReason", str),
        grounding_metadata=_get(data, "groundingMetadata", dict),
    )


def parse_chunk(data: Any) -> Chunk:
    """The fields the provider uses, checked for their types, from one chunk's JSON."""
    if not isinstance(data, dict):
        raise MalformedChunk(f"a chunk is {type(data).__name__}")
    feedback = _get(data, "promptFeedback", dict)
    candidates = _objects(data, "candidates")
    meta = _get(data, "usageMetadata", dict)
    return Chunk(
        prompt_feedback=None
        if feedback is None
        else PromptFeedback(block_reason=_get(feedback, "blockReason", str)),
        candidates=None if candidates is None else [_candidate(c) for c in candidates],
        usage_metadata=None
        if meta is None
        else UsageMetadata(
            prompt_token_count=_get(meta, "promptTokenCount", int),
            candidates_token_count=_get(meta, "candidatesTokenCount", int),
            thoughts_token_count=_get(meta, "thoughtsTokenCount", int),
            total_token_count=_get(meta, "totalTokenCount", int),
        ),
    )


class ConvertedConfigs:
    """Each generation config converted once into its part of the request.

    The SDK validates a request's config inside its parameters and converts it for every
    request, though the app sends few distinct configs (a model's prompt, the user's own
    instructions, thinking, web search, sampling): under a burst of starts that was about
    a tenth of the server's CPU per answer, on the event loop. The part is what the SDK's
    own converter makes of the config and model, as the JSON it sends (``_url``, which
    names the model, ``generationConfig`` and the fields it sets beside the contents,
    such as ``systemInstruction`` and ``tools``), kept for the ``size`` most recently
    used configs; ``light_request_body`` puts a request's contents in.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._parts: OrderedDict[Hashable, tuple[types.GenerateContentConfig, dict[str, Any]]]
        self._parts = OrderedDict()

    def get(
        self,
        client: genai.Client,
        model: str,
        key: Hashable,
        make: Callable[[], types.GenerateContentConfig],
    ) -> tuple[types.GenerateContentConfig, dict[str, Any]]:
        """The config ``make`` builds for ``key`` (of ``model``), and its request part."""
        found = self._parts.get((model, key))
        if found is not None:
            self._parts.move_to_end((model, key))
            return found
        config = make()
        api = client.aio._api_client
        parameters = types._GenerateContentParameters(model=model, config=config)
        converted = sdk_models._GenerateContentParameters_to_mldev(
            api, parameters, None, parameters
        )
        part = {
            name: value for name, value in converted.items() if name not in ("config", "contents")
        }
        part = _common.encode_unserializable_types(_common.convert_to_dict(part))
        self._parts[(model, key)] = found = (config, part)
        if len(self._parts) > self.size:
            self._parts.popitem(last=False)
        return found


def warm_up(client: genai.Client) -> None:
    """Have pydantic build the SDK's config and request validators now, at start-up.

    It builds a model's validators when the model is first used: about 60 ms of CPU for
    a config with instructions, thinking and search, which would otherwise land on the
    event loop in the first burst of answers after a start.
    """
    config = types.GenerateContentConfig(
        system_instruction=".",
        thinking_config=types.ThinkingConfig(include_thoughts=True),
        tools=[types.Tool(google_search=types.GoogleSearch())],
        max_output_tokens=1,
        temperature=0.5,
        top_p=0.5,
        stop_sequences=["."],
    )
    ConvertedConfigs(size=1).get(client, "warm-up", None, lambda: config)


def _path(request: dict[str, Any]) -> str:
    """The streamGenerateContent path of a request, as the SDK makes it."""
    url = request.get("_url")
    path = (
        "{model}:streamGenerateContent?alt=sse".format_map(url)
        if url
        else "{model}:streamGenerateContent?alt=sse"
    )
    if query := request.get("_query"):
        path = f"{path}?{urlencode(query)}"
    return path


def request_body(
    client: genai.Client,
    *,
    model: str,
    contents: list[types.Content],
    config: types.GenerateContentConfig | None,
) -> tuple[str, dict[str, Any]]:
    """The path and JSON body of the SDK's streamGenerateContent request, made by the SDK's
    converters from its models, as AsyncModels._generate_content_stream makes it (what
    ``light_request_body`` must match)."""
    api = client.aio._api_client  # the SDK's HTTP client of this genai.Client
    parameters = types._GenerateContentParameters(model=model, contents=contents, config=config)
    request = sdk_models._GenerateContentParameters_to_mldev(api, parameters, None, parameters)
    path = _path(request)
    request.pop("config", None)
    return path, _common.encode_unserializable_types(_common.convert_to_dict(request))


def _copied(value: Any) -> Any:
    """A copy of JSON's lists and dicts (the SDK's HTTP client may change a request's)."""
    if isinstance(value, dict):
        return {name: _copied(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def light_request_body(
    part: dict[str, Any], contents: list[dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    """``request_body``'s path and body from a config's part (ConvertedConfigs) and the
    contents' JSON (gemini_contents.request_contents), in the SDK's order of keys; the
    part is copied, never changed."""
    body: dict[str, Any] = {}
    for name, value in part.items():  # "_url" first, then the contents, as the SDK has it
        body[name] = _copied(value)
        if name == "_url":
            body["contents"] = contents
    if "contents" not in body:
        body = {"contents": contents, **body}
    return _path(body), body


async def stream_chunks(
    client: genai.Client,
    path: str,
    body: dict[str, Any],
    *,
    http_options: types.HttpOptions | None = None,
) -> AsyncIterator[Chunk]:
    """``generate_content_stream`` on the Gemini API (not Vertex AI), chunk by chunk,
    sending ``body`` (light_request_body) to ``path``."""
    api = client.aio._api_client  # the SDK's HTTP client of this genai.Client
    if api.vertexai:
        raise ValueError("only the Gemini API is supported, not Vertex AI")
    responses = await api.async_request_streamed("post", path, body, http_options)
    async for response in responses:  # APIError for an error event, as for the SDK
        yield parse_chunk(json.loads(response.body) if response.body else {})


# The private names stream_chunks uses, module by module (client ones checked apart).
_INTERNALS = (
    ("types", ("_GenerateContentParameters",)),
    ("models", ("_GenerateContentParameters_to_mldev",)),
    ("_common", ("encode_unserializable_types", "convert_to_dict")),
)
_CLIENT_INTERNALS = ("vertexai", "async_request_streamed")


def missing_internals(client: genai.Client) -> list[str]:
    """The private google-genai names ``stream_chunks`` needs that this SDK lacks."""
    modules = {"types": types, "models": sdk_models, "_common": _common}
    missing = [
        f"google.genai.{module}.{name}"
        for module, names in _INTERNALS
        for name in names
        if modules[module] is None or not hasattr(modules[module], name)
    ]
    api = getattr(client.aio, "_api_client", None)
    if api is None:
        missing.append("AsyncClient._api_client")
    else:
        missing += [f"BaseApiClient.{name}" for name in _CLIENT_INTERNALS if not hasattr(api, name)]
    return missing


async def public_chunks(
    client: genai.Client,
    *,
    model: str,
    contents: list[types.Content],
    config: types.GenerateContentConfig,
) -> AsyncIterator[types.GenerateContentResponse]:
    """The SDK's public ``generate_content_stream``: slower per chunk, but always there."""
    stream = await client.aio.models.generate_content_stream(
        model=model, contents=contents, config=config
    )
    async for response in stream:
        yield response
