"""Our turns written straight into a Gemini request's JSON (gemini_contents) make the
very request the SDK's converter makes of the same turns as its pydantic models: the
same path and body, byte for byte, for every shape of turn the app sends. If they
differed, Gemini would get another request than the SDK would send (a thought signature
it cannot read, a file under a key it ignores), and answers would change or fail."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from google import genai
from google.genai import types
from hypothesis import given, settings
from hypothesis import strategies as st

from beykusay.providers.base import GenerationRequest, InlineData, Signature, Turn
from beykusay.providers.gemini import GeminiProvider
from beykusay.providers.gemini_contents import (
    Piece,
    UploadedFile,
    decode_signature,
    encode_signature,
    request_contents,
    sdk_contents,
)
from beykusay.providers.gemini_stream import ConvertedConfigs, light_request_body, request_body
from tests.fakegemini import FakeGemini, reply
from tests.test_gemini_provider import make_provider, run
from tests.test_gemini_request_body import CONFIGS

MODEL = "gemini-2.5-flash"
CLIENT = genai.Client(api_key="test-key")  # one client: each costs ~0.15 s of SSL setup
PARTS = ConvertedConfigs()
Files = Sequence[Sequence[Piece]] | None


def _sdk_file(piece: Piece) -> types.Part:
    """A file's part as gemini_files made it before (SDK models)."""
    if isinstance(piece, str):
        return types.Part(text=piece)
    if isinstance(piece, InlineData):
        return types.Part(inline_data=types.Blob(data=piece.data, mime_type=piece.mime_type))
    assert isinstance(piece, UploadedFile)
    return types.Part(file_data=types.FileData(file_uri=piece.uri, mime_type=piece.mime_type))


def reference_contents(history: Sequence[Turn], files: Files) -> list[types.Content]:
    """The contents as build_contents and gemini_files made them before, as SDK models:
    the oracle that both new ways are checked against."""
    contents = []
    for n, turn in enumerate(history):
        if turn.parts:
            parts = [
                types.Part.from_bytes(data=p.data, mime_type=p.mime_type)
                if isinstance(p, InlineData)
                else types.Part(text=p)
                for p in turn.parts
            ]
        else:
            raw = (
                decode_signature(turn.signature)
                if turn.role == "model" and turn.signature
                else None
            )
            parts = [
                types.Part(text=turn.text, thought_signature=raw)
                if raw
                else types.Part(text=turn.text)
            ]
        attached = [_sdk_file(p) for p in files[n]] if files is not None else []
        if attached:
            parts = [*attached, *(p for p in parts if p.text or p.thought_signature)]
        contents.append(types.Content(role=turn.role, parts=parts))
    return contents


def both_bodies(history: Sequence[Turn], files: Files, fields: dict[str, Any]) -> tuple[str, str]:
    """The request as JSON: ours (config converted once, contents written), the SDK's."""
    made, part = PARTS.get(CLIENT, MODEL, json.dumps(fields, default=repr), lambda: _config(fields))
    ours = light_request_body(part, request_contents(history, files))
    sdk = request_body(
        CLIENT, model=MODEL, contents=reference_contents(history, files), config=made
    )
    return json.dumps(ours), json.dumps(sdk)


def _config(fields: dict[str, Any]) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(**fields)


texts = st.one_of(
    st.just(""),
    st.text(),
    st.sampled_from(
        ["Стамбул 🌉 — 伊斯坦布尔", "👩‍👩‍👧 family", 'quote " back \\ slash', "a\x00b\n"]
    ),
)
mime_types = st.one_of(
    st.sampled_from(["image/png", "image/jpeg", "application/pdf", "audio/mp3", "text/plain"]),
    st.text(min_size=1, max_size=20),
)
inline = st.builds(InlineData, mime_type=mime_types, data=st.binary(max_size=64))
uploaded = st.builds(
    UploadedFile,
    uri=st.one_of(st.just("https://generativelanguage.googleapis.com/v1beta/files/abc"), st.text()),
    mime_type=mime_types,
)
signatures = st.one_of(
    st.none(),
    st.binary(max_size=300).map(encode_signature),  # as the provider stores them
    st.binary(max_size=40).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")),
    st.text(max_size=8),  # unreadable or odd: sent without a signature, or what it decodes to
)
turns = st.builds(
    Turn,
    role=st.sampled_from(["user", "model"]),
    text=texts,
    signature=signatures,
    parts=st.one_of(st.just(()), st.lists(st.one_of(texts, inline), min_size=1, max_size=4)).map(
        tuple
    ),
)
histories = st.lists(turns, min_size=1, max_size=6)
file_parts = st.lists(
    st.one_of(texts.map(lambda t: f"File notes.txt:\n\n{t}"), inline, uploaded), max_size=3
)


@settings(max_examples=300, deadline=None)
@given(histories, st.data(), st.sampled_from(range(len(CONFIGS))))
def test_our_request_is_the_sdks_byte_for_byte(
    history: list[Turn], data: st.DataObject, config: int
) -> None:
    """Any conversation (unicode and empty texts, signatures of any bytes, inline data,
    with or without files on its turns), under every config the tests know."""
    with_files = data.draw(st.booleans())
    files = data.draw(st.lists(file_parts, min_size=len(history), max_size=len(history)))
    ours, sdk = both_bodies(history, files if with_files else None, CONFIGS[config])
    assert ours == sdk


@settings(max_examples=200, deadline=None)
@given(histories, st.data())
def test_the_sdk_fallback_gets_the_same_contents(history: list[Turn], data: st.DataObject) -> None:
    """Without the SDK internals, generate_content_stream gets the same models as before."""
    files = data.draw(
        st.one_of(st.none(), st.lists(file_parts, min_size=len(history), max_size=len(history)))
    )
    ours = [c.model_dump() for c in sdk_contents(history, files)]
    assert ours == [c.model_dump() for c in reference_contents(history, files)]


def test_each_shape_of_turn_as_sent() -> None:
    """What Gemini gets for each shape (read next to the SDK's converter: camel case
    parts, snake case Blob and FileData fields, bytes in URL-safe base64)."""
    history = [
        Turn("user", "Hi 😀"),
        Turn("model", "Hello.", signature=encode_signature(b"\xfb\xff\xfe")),
        Turn("user", "", parts=("Look:", InlineData("image/png", b"\xff\xfe\x00"), "")),
        Turn("user", ""),
    ]
    files = [
        [],
        [],
        [],
        [UploadedFile("https://x/files/a", "application/pdf"), "File a.txt:\n\nhi"],
    ]
    assert request_contents(history, files) == [
        {"parts": [{"text": "Hi 😀"}], "role": "user"},
        {"parts": [{"text": "Hello.", "thoughtSignature": "-__-"}], "role": "model"},
        {
            "parts": [
                {"text": "Look:"},
                {"inlineData": {"data": "__4A", "mime_type": "image/png"}},
                {"text": ""},
            ],
            "role": "user",
        },
        {
            "parts": [
                {"fileData": {"file_uri": "https://x/files/a", "mime_type": "application/pdf"}},
                {"text": "File a.txt:\n\nhi"},
            ],
            "role": "user",
        },
    ]
    ours, sdk = both_bodies(history, files, CONFIGS[2])
    assert ours == sdk


def test_a_sent_body_never_changes_the_next() -> None:
    """The SDK's HTTP client deletes a body's _url and may merge extra_body into it: the
    kept config part is copied into each body, so the next request is still the SDK's."""
    history = [Turn("user", "Search this.")]
    ours, sdk = both_bodies(history, None, CONFIGS[3])
    _, part = PARTS.get(CLIENT, MODEL, json.dumps(CONFIGS[3], default=repr), lambda: _config({}))
    _, body = light_request_body(part, request_contents(history))

    def scribble(value: Any) -> None:
        if isinstance(value, dict):
            for item in list(value.values()):
                scribble(item)
            value["scribbled"] = True
        elif isinstance(value, list):
            for item in value:
                scribble(item)
            value.append("scribbled")

    scribble(body)
    assert both_bodies(history, None, CONFIGS[3]) == (ours, sdk)


@pytest.fixture
async def provider(fake_gemini: FakeGemini) -> AsyncIterator[GeminiProvider]:
    made = make_provider(fake_gemini.base_url)
    yield made
    await made.aclose()


@pytest.mark.asyncio
async def test_a_request_builds_no_sdk_models(
    gemini: FakeGemini, provider: GeminiProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sending a conversation costs no pydantic Content, Part or request parameters (they
    were most of a request's CPU, on the event loop); the answer still comes, and Gemini
    gets the signature back."""
    history = (
        Turn("user", "Hi"),
        Turn("model", "Hello.", signature=encode_signature(b"\x00sig")),
        Turn("user", "", parts=("Look:", InlineData("image/png", b"\x89PNG"))),
    )
    ask = GenerationRequest(MODEL, "Be kind.", history, thinking=True)
    gemini.enqueue(reply("Warm.", signature=b"one"))
    assert (await run(provider, ask))[1] is None  # the config is converted on first use

    def built(self: object, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"built a {type(self).__name__}")

    for model in (types.Content, types.Part, types.Blob, types._GenerateContentParameters):
        monkeypatch.setattr(model, "__init__", built)
    gemini.enqueue(reply("A picture.", signature=b"two"))
    events, error = await run(provider, ask)
    assert error is None and Signature(encode_signature(b"two")) in events
    sent = gemini.requests[-1].body["contents"]
    assert sent[1]["parts"] == [{"text": "Hello.", "thoughtSignature": "AHNpZw=="}]
    assert sent[2]["parts"][1] == {"inlineData": {"data": "iVBORw==", "mime_type": "image/png"}}
