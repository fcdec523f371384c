"""Our turns as the ``contents`` of a Gemini request: as the request's JSON, or as the
SDK's ``types.Content`` for its public call.

Building ``types.Content`` and ``types.Part`` for every turn, then letting the SDK
validate them again inside its request parameters and convert them back to dicts, cost
about 6-7 ms of CPU per request for a conversation of seven turns (tests/bench/
request_body.py), on the event loop every request shares. ``request_contents`` writes
the JSON the SDK's converter would write for the same parts, key for key (the SDK keeps
``Blob`` and ``FileData`` fields in snake case inside the camel-case part, and encodes
bytes as URL-safe base64); tests/test_gemini_contents.py compares the two byte for byte.

A turn is said as pieces: its text (with the thought signature a model turn carries
back), or its own parts (texts and inline data), after the files attached to it
(gemini_files makes those pieces: inline data, uploaded files, text files as text).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google.genai import types

from .base import InlineData, Turn


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file uploaded to Gemini's Files API, sent by its URI."""

    uri: str
    mime_type: str


@dataclass(frozen=True, slots=True)
class SignedText:
    """A model turn's text with the thought signature Gemini gave its answer."""

    text: str
    signature: bytes


# One part of a turn: a text, bytes sent inside the request, or an uploaded file.
Piece = str | SignedText | InlineData | UploadedFile


def encode_signature(raw: bytes) -> str:
    """Thought signature bytes as the standard base64 text stored in Turn.signature."""
    return base64.b64encode(raw).decode("ascii")


def decode_signature(value: str) -> bytes | None:
    """Inverse of encode_signature; also accepts URL-safe base64; None if unreadable."""
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError):
        return None


def pieces(turn: Turn, files: Sequence[Piece] = ()) -> list[Piece]:
    """What ``turn`` says, in order: its ``files`` first, then its words.

    A turn with files drops its empty texts (a message may be only a file); a model
    turn's signature goes back with its text, if it can be read.
    """
    if turn.parts:
        said: list[Piece] = list(turn.parts)
    else:
        raw = decode_signature(turn.signature) if turn.role == "model" and turn.signature else None
        said = [SignedText(turn.text, raw) if raw else turn.text]
    if not files:
        return said
    # As the SDK parts were filtered (text or signature): inline data of a turn's own
    # parts goes too, though no turn has both parts and files (parts come from the API).
    return [*files, *(p for p in said if isinstance(p, SignedText) or (isinstance(p, str) and p))]


def _b64(data: bytes) -> str:
    """Bytes as the SDK writes them into a request (encode_unserializable_types)."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def _json_part(piece: Piece) -> dict[str, Any]:
    if isinstance(piece, str):
        return {"text": piece}
    if isinstance(piece, SignedText):
        return {"text": piece.text, "thoughtSignature": _b64(piece.signature)}
    if isinstance(piece, InlineData):
        return {"inlineData": {"data": _b64(piece.data), "mime_type": piece.mime_type}}
    if isinstance(piece, UploadedFile):
        return {"fileData": {"file_uri": piece.uri, "mime_type": piece.mime_type}}
    raise TypeError(f"not a part of a turn: {type(piece).__name__}")


def request_contents(
    history: Sequence[Turn], files: Sequence[Sequence[Piece]] | None = None
) -> list[dict[str, Any]]:
    """The request's ``contents`` JSON for ``history``; ``files``, turn by turn, if any."""
    if files is None:
        return [
            {"parts": [_json_part(p) for p in pieces(turn)], "role": turn.role} for turn in history
        ]
    return [
        {"parts": [_json_part(p) for p in pieces(turn, attached)], "role": turn.role}
        for turn, attached in zip(history, files, strict=True)
    ]


def _sdk_part(piece: Piece) -> types.Part:
    if isinstance(piece, str):
        return types.Part(text=piece)
    if isinstance(piece, SignedText):
        return types.Part(text=piece.text, thought_signature=piece.signature)
    if isinstance(piece, InlineData):
        return types.Part(inline_data=types.Blob(data=piece.data, mime_type=piece.mime_type))
    if isinstance(piece, UploadedFile):
        return types.Part(file_data=types.FileData(file_uri=piece.uri, mime_type=piece.mime_type))
    raise TypeError(f"not a part of a turn: {type(piece).__name__}")


def sdk_contents(
    history: Sequence[Turn], files: Sequence[Sequence[Piece]] | None = None
) -> list[types.Content]:
    """The same contents as the SDK's models, for its public ``generate_content_stream``."""
    attached = files if files is not None else [()] * len(history)
    return [
        types.Content(role=turn.role, parts=[_sdk_part(p) for p in pieces(turn, on_turn)])
        for turn, on_turn in zip(history, attached, strict=True)
    ]
