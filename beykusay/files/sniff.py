"""What a file is, decided from its bytes alone (magic numbers), never from its name.

Accepted: images (PNG, JPEG, WebP, GIF), PDF, audio (MP3, WAV, OGG/Opus, FLAC) and
UTF-8 text without NUL. Everything else, SVG and HTML included, is refused. Images are
decoded (with a pixel limit, so a decompression bomb is refused, not rendered).
"""

from __future__ import annotations

import codecs
import io
import re
import warnings
from dataclasses import dataclass
from typing import Any

ACCEPTED = (
    "images (PNG, JPEG, WebP, GIF), PDF, audio (MP3, WAV, OGG/Opus, FLAC) "
    "and UTF-8 text files (.txt, .md, .csv, .json, source code…)"
)
MAX_IMAGE_PIXELS = 50_000_000  # about 7000 x 7000; more is a bomb, not a photo
_MARKUP = re.compile(rb"^\s*(<\?xml|<!doctype|<html|<svg|<script|<!--|<head|<body)", re.I)


class Refused(Exception):
    """A file this server does not take; ``status`` is the HTTP answer (415 or 413).

    ``reason`` and ``values`` say the same as ``message`` for pages that show it in the
    reader's language (beykusay.i18n_files).
    """

    def __init__(
        self, message: str, status: int = 415, *, reason: str, values: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.values = values or {}


@dataclass(frozen=True, slots=True)
class FileType:
    mime_type: str
    kind: str  # image, pdf, audio, text


def _magic(head: bytes) -> FileType | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType("image/png", "image")
    if head.startswith(b"\xff\xd8\xff"):
        return FileType("image/jpeg", "image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileType("image/webp", "image")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return FileType("image/gif", "image")
    if head.startswith(b"%PDF-"):
        return FileType("application/pdf", "pdf")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return FileType("audio/wav", "audio")
    if head.startswith(b"fLaC"):
        return FileType("audio/flac", "audio")
    if head.startswith(b"OggS"):
        return FileType("audio/ogg", "audio")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return FileType("audio/mpeg", "audio")
    return None


def _text(data: bytes | bytearray | memoryview) -> FileType | None:
    if b"\x00" in data:
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:  # in slices: a large text is checked without a decoded copy of it all
        for start in range(0, len(view), 1 << 16):
            decoder.decode(view[start : start + (1 << 16)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    if _MARKUP.match(bytes(data[:1024]).lstrip(b"\xef\xbb\xbf")):
        raise Refused(
            f"HTML, SVG and XML markup files are not accepted. Accepted: {ACCEPTED}.",
            reason="markup",
        )
    return FileType("text/plain", "text")


def _check_image(data: bytes | bytearray | memoryview, mime_type: str) -> None:
    from PIL import Image  # a few MB of import: only when an image arrives

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise Refused(
                        f"The image is {width} x {height} pixels; at most "
                        f"{MAX_IMAGE_PIXELS:,} pixels are accepted.",
                        status=413,
                        reason="image_pixels",
                        values={"width": width, "height": height, "max": MAX_IMAGE_PIXELS},
                    )
                if Image.MIME.get(image.format or "") != mime_type:
                    raise Refused(
                        f"The file is not a valid image. Accepted: {ACCEPTED}.",
                        reason="not_an_image",
                    )
                image.verify()
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(
            f"The image has too many pixels (at most {MAX_IMAGE_PIXELS:,}).",
            status=413,
            reason="image_bomb",
            values={"max": MAX_IMAGE_PIXELS},
        ) from None
    except Exception:
        raise Refused(
            f"The image could not be read (damaged?). Accepted: {ACCEPTED}.",
            reason="image_damaged",
        ) from None


def sniff(data: bytes | bytearray | memoryview) -> FileType:
    """The file's type from its bytes; raises Refused for anything not accepted."""
    found = _magic(bytes(data[:16]))
    if found is None:
        found = _text(data)
    if found is None:
        raise Refused(f"This type of file is not accepted. Accepted: {ACCEPTED}.", reason="type")
    if found.kind == "image":
        _check_image(data, found.mime_type)
    return found
