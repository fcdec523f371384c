"""The pure parts of attachments: deciding a type from bytes, and naming what was sent."""

from __future__ import annotations

import pytest

from beykusay.files.sniff import Refused, sniff
from beykusay.providers.attachments import Attachment, describe
from beykusay.providers.base import AnswerText, GenerationRequest, Turn
from beykusay.providers.demo import DemoProvider
from tests import filesamples as fs


def test_bytes_decide_not_names() -> None:
    """The same bytes are the same type whatever they are called; text is UTF-8 without NUL."""
    assert sniff(fs.png()).mime_type == "image/png"
    assert sniff("кириллица".encode()).kind == "text"
    with pytest.raises(Refused):
        sniff(b"text\x00with nul")
    with pytest.raises(Refused):
        sniff(b"\xef\xbb\xbf<svg onload=alert(1)>")


def test_a_bomb_is_refused_before_it_is_decoded() -> None:
    """A decompression bomb is refused from its header (413), not decoded."""
    with pytest.raises(Refused) as refused:
        sniff(fs.bomb_png(12_000))
    assert refused.value.status == 413


def test_describe_names_what_was_attached() -> None:
    """The demo names its files the way a person would: "1 image, photo.png, 120 KB"."""
    photo = Attachment(ref=1, name="photo.png", mime_type="image/png", kind="image", size=120_000)
    notes = Attachment(ref=2, name="n.txt", mime_type="text/plain", kind="text", size=900)
    assert describe([photo]) == "1 image, photo.png, 120 KB"
    assert describe([photo, photo, notes]) == (
        "2 images and 1 text file: photo.png, 120 KB; photo.png, 120 KB; n.txt, 900 B"
    )


async def test_the_demo_provider_says_what_it_received() -> None:
    """Offline, the demo answer starts by naming the attached file, so the feature shows."""
    photo = Attachment(ref=1, name="photo.png", mime_type="image/png", kind="image", size=120_000)
    request = GenerationRequest(
        model="demo", system_instruction="", history=[Turn("user", "Look", files=(photo,))]
    )
    events = [e async for e in DemoProvider(delay=0).stream(request)]
    text = "".join(e.text for e in events if isinstance(e, AnswerText))
    assert text.startswith("I received 1 image, photo.png, 120 KB.")
