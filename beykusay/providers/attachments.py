"""Files a provider receives with a turn, and where it gets their bytes.

The provider knows nothing of storage: it asks a ``FileSource`` (implemented by the
files service) for a file's bytes, for a Gemini Files API upload still valid, and tells
it about new uploads so that the next turn reuses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Attachment:
    ref: int  # the blob's id: the same bytes, the same upload
    name: str
    mime_type: str
    kind: str  # image, pdf, audio, text
    size: int


class FileSource(Protocol):
    async def read(self, ref: int) -> bytes:
        """The file's bytes (raises FileGone when they were deleted meanwhile)."""
        ...

    async def uploaded(self, ref: int) -> str | None:
        """The URI of an upload of these bytes that has not expired yet, if any."""
        ...

    async def remember_upload(
        self, ref: int, *, uri: str, mime_type: str, expires_at: datetime
    ) -> None: ...

    async def forget_upload(self, ref: int) -> None:
        """The provider says that upload is gone: upload again next time."""
        ...


class FileGone(Exception):
    """The file's bytes are no longer stored (deleted while its message was being sent)."""


def _size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{round(size / 1000)} KB"
    return f"{size / 1_000_000:.1f} MB"


def describe(files: tuple[Attachment, ...] | list[Attachment]) -> str:
    """What was attached, in words: "1 image, photo.png, 120 KB"."""
    nouns = {"image": "image", "pdf": "PDF", "audio": "audio file", "text": "text file"}
    kinds: dict[str, int] = {}
    for file in files:
        kinds[file.kind] = kinds.get(file.kind, 0) + 1
    counted = " and ".join(
        f"{n} {nouns.get(kind, 'file')}{'s' if n > 1 else ''}" for kind, n in kinds.items()
    )
    named = "; ".join(f"{f.name}, {_size(f.size)}" for f in files)
    return f"{counted}, {named}" if len(files) == 1 else f"{counted}: {named}"
