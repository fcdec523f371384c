"""Small real files of every accepted kind (and some refused ones), built in memory."""

from __future__ import annotations

import io
import struct
import wave

from PIL import Image


def png(width: int = 64, height: int = 48, color: str = "#3a7") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def image(fmt: str, size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#c33").save(out, fmt)
    return out.getvalue()


def bomb_png(side: int = 10_000) -> bytes:
    """A PNG of side x side one-bit pixels: a few KB on disk, 100 million pixels decoded."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def wav(frames: int = 800) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(struct.pack(f"<{frames}h", *([0] * frames)))
    return out.getvalue()


MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + bytes(400)
FLAC = b"fLaC\x00\x00\x00\x22" + bytes(200)
OGG = b"OggS\x00\x02" + bytes(200)
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
ZIP = b"PK\x03\x04" + bytes(100)
ELF = b"\x7fELF\x02\x01\x01" + bytes(100)
LATIN1 = "Grüße aus Köln".encode("latin-1")
