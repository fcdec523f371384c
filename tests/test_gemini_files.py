"""The Gemini provider's files, through the real SDK against the fake: which go inline
and which by the Files API, uploads remembered and reused, a file deleted meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from beykusay.providers.attachments import Attachment, FileGone
from beykusay.providers.base import AnswerText, GenerationRequest, ProviderError, Turn
from beykusay.providers.gemini import GeminiProvider
from tests import fakegemini as g
from tests.fakegemini import FakeGemini
from tests.filesamples import png
from tests.test_gemini_provider import MODEL, make_provider


class MemoryFiles:
    """A FileSource in memory: bytes by ref, remembered uploads, refs that are gone."""

    def __init__(self, blobs: dict[int, bytes]) -> None:
        self.blobs = blobs
        self.uploads: dict[int, str] = {}
        self.forgotten: list[int] = []

    async def read(self, ref: int) -> bytes:
        if ref not in self.blobs:
            raise FileGone(ref)
        return self.blobs[ref]

    async def uploaded(self, ref: int) -> str | None:
        return self.uploads.get(ref)

    async def remember_upload(
        self, ref: int, *, uri: str, mime_type: str, expires_at: datetime
    ) -> None:
        assert expires_at.tzinfo is not None and mime_type
        self.uploads[ref] = uri

    async def forget_upload(self, ref: int) -> None:
        self.forgotten.append(ref)
        self.uploads.pop(ref, None)


@pytest.fixture
async def provider(fake_gemini: FakeGemini) -> AsyncIterator[GeminiProvider]:
    made = make_provider(fake_gemini.base_url, inline_bytes=10_000)
    yield made
    await made.aclose()


async def answer_to(provider: GeminiProvider, turns: list[Turn], source: MemoryFiles) -> str:
    request = GenerationRequest(MODEL, "", tuple(turns), files=source)
    events = [event async for event in provider.stream(request)]
    return "".join(e.text for e in events if isinstance(e, AnswerText))


def photo(ref: int, size: int) -> Attachment:
    return Attachment(ref=ref, name=f"p{ref}.png", mime_type="image/png", kind="image", size=size)


async def test_the_largest_files_go_by_uri_until_the_rest_fit_inline(
    gemini: FakeGemini, provider: GeminiProvider
) -> None:
    """With 10 KB allowed inline, a 12 KB image goes through the Files API and a small
    one inline; the upload is remembered for later turns."""
    small, large = png(8, 8), png(8, 8) + b"\0" * 12_000
    source = MemoryFiles({1: small, 2: large})
    turns = [Turn("user", "Both", files=(photo(1, len(small)), photo(2, len(large))))]
    assert await answer_to(provider, turns, source)
    parts = gemini.requests[-1].body["contents"][0]["parts"]
    kinds = [next(k for k in p if k != "thought_signature") for p in parts]
    assert kinds[:2] in (["inline_data", "file_data"], ["inlineData", "fileData"])
    assert list(source.uploads) == [2] and gemini.files.uploads == 1


async def test_a_file_deleted_meanwhile_is_left_out_and_the_answer_comes(
    gemini: FakeGemini, provider: GeminiProvider
) -> None:
    """A file whose bytes were deleted after the message was sent is not sent (the model
    no longer receives it); the rest of the turn is, and the answer arrives."""
    source = MemoryFiles({})
    turns = [Turn("user", "Still there?", files=(photo(7, 100),))]
    gemini.enqueue(g.reply("Yes."))
    assert await answer_to(provider, turns, source) == "Yes."
    assert gemini.requests[-1].body["contents"][0]["parts"] == [{"text": "Still there?"}]


async def test_a_file_gone_twice_is_a_clear_error(
    gemini: FakeGemini, provider: GeminiProvider
) -> None:
    """If Gemini refuses an uploaded file even after it was uploaded again, the answer is
    an error in words (not a crash), and the upload was forgotten once."""
    big = png(8, 8) + b"\0" * 12_000
    source = MemoryFiles({3: big})
    source.uploads[3] = f"{gemini.base_url}/v1beta/files/nothere"
    gemini.files.processing_polls = 0

    real_check = gemini.files.check_parts
    gemini.files.check_parts = lambda body: (403, "The File x is gone.")  # type: ignore[method-assign]
    try:
        with pytest.raises(ProviderError) as failed:
            await answer_to(provider, [Turn("user", "Read", files=(photo(3, len(big)),))], source)
    finally:
        gemini.files.check_parts = real_check  # type: ignore[method-assign]
    assert source.forgotten == [3]
    assert "could not use a file" in failed.value.message
