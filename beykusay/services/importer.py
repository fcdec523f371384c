"""Importing chats from a file: BeykuSay's JSON export, or ChatGPT's data export.

The file is read as a stream (``ijson``), one conversation at a time, in two passes so
that memory stays bounded and the database is locked only while writing:

1. parse and check every conversation, turning each into a chat tree that is pickled
   to a private temporary file; a malformed file stops here, nothing written;
2. write every tree in one transaction: all chats or none.

A ChatGPT ``.zip`` is read in place (``conversations.json`` inside it, decompressed as
it is parsed).
"""

from __future__ import annotations

import pickle
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import ijson
from sqlmodel import Session

from beykusay.db import utcnow
from beykusay.models import User
from beykusay.services import beykusay_format, chatgpt_format
from beykusay.services.chat_builder import ImportedChat, add_chat
from beykusay.services.chatgpt_format import FormatError
from beykusay.services.errors import ServiceError

Progress = Callable[[float], None]
PARSED = 0.8  # the share of the progress bar the first pass fills
NOT_EITHER = (
    "This file is neither a BeykuSay export (JSON) nor a ChatGPT data export "
    "(conversations.json or the .zip that holds it)"
)


class ImportFailed(ServiceError):
    """The file cannot be imported; ``reason`` says what is wrong and where."""

    status_code = 422

    def __init__(self, reason: str) -> None:
        super().__init__(f"Nothing was imported. {reason}")
        self.reason = reason


class ImportTooLarge(ServiceError):
    status_code = 413


@dataclass(slots=True)
class ImportResult:
    imported: int = 0
    chats: list[int] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """ "37 chats imported, 2 skipped: …" for people."""
        text = f"{self.imported} chat{'' if self.imported == 1 else 's'} imported"
        if self.skipped:
            reasons = "; ".join(f"{s['title'] or 'untitled'} ({s['reason']})" for s in self.skipped)
            text += f", {len(self.skipped)} skipped: {reasons}"
        return text


def import_file(
    *,
    session: Session,
    user: User,
    source: IO[bytes],
    max_bytes: int,
    progress: Progress | None = None,
) -> ImportResult:
    """Import every conversation in ``source`` (a seekable file), or none (ImportFailed)."""
    report = progress or (lambda _fraction: None)
    result = ImportResult()
    with tempfile.TemporaryFile() as parsed:
        count = _parse(source, parsed, result, max_bytes, report)
        parsed.seek(0)
        try:
            for index in range(count):
                chat = add_chat(session=session, user=user, chat=pickle.load(parsed))
                result.chats.append(chat.id or 0)
                report(PARSED + (1 - PARSED) * (index + 1) / count)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    result.imported = len(result.chats)
    report(1.0)
    return result


def _parse(
    raw: IO[bytes], out: IO[bytes], result: ImportResult, max_bytes: int, report: Progress
) -> int:
    """Check and convert every conversation into ``out``; the number of chats to write."""
    total = max(raw.seek(0, 2), 1)
    raw.seek(0)
    count = 0
    for chat in _conversations(raw, max_bytes):
        if isinstance(chat, tuple):
            title, reason = chat
            result.skipped.append({"title": title, "reason": reason})
        else:
            pickle.dump(chat, out, protocol=pickle.HIGHEST_PROTOCOL)
            count += 1
        report(PARSED * min(raw.tell() / total, 1.0))
    return count


def _conversations(raw: IO[bytes], max_bytes: int) -> Iterator[ImportedChat | tuple[str, str]]:
    head = raw.read(4)
    raw.seek(0)
    if head.startswith(b"PK"):
        yield from _from_zip(raw, max_bytes)
    else:
        yield from _from_json(raw)


def _from_zip(raw: IO[bytes], max_bytes: int) -> Iterator[ImportedChat | tuple[str, str]]:
    try:
        archive = zipfile.ZipFile(raw)
    except zipfile.BadZipFile:
        raise ImportFailed("This .zip file is damaged and cannot be read") from None
    with archive:
        names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "conversations.json"]
        if not names:
            raise ImportFailed("This .zip has no conversations.json: " + NOT_EITHER)
        member = archive.getinfo(min(names, key=len))
        if member.file_size > max_bytes:
            raise ImportTooLarge(
                "conversations.json in the archive is larger than the import limit "
                f"({max_bytes} bytes)"
            )
        try:
            with archive.open(member) as stream:
                yield from _from_json(stream)
        except (zipfile.BadZipFile, EOFError) as exc:
            raise ImportFailed(f"This .zip file is damaged: {exc}") from None


def _first_byte(stream: IO[bytes]) -> bytes:
    """The first byte that is not white space or a byte-order mark; the stream rewound."""
    head = stream.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    stream.seek(0)
    return head[:1]


def _from_json(stream: IO[bytes]) -> Iterator[ImportedChat | tuple[str, str]]:
    first = _first_byte(stream)
    try:
        if first == b"[":
            yield from _chatgpt(ijson.items(stream, "item", use_float=True))
        elif first == b"{":
            kind = _object_kind(stream)
            stream.seek(0)
            if kind == "beykusay":
                yield from _ours(ijson.items(stream, "chats.item", use_float=True))
            elif kind == "chatgpt":
                yield from _chatgpt(ijson.items(stream, "", use_float=True))
            else:
                raise ImportFailed(NOT_EITHER)
        else:
            raise ImportFailed(NOT_EITHER)
    except ijson.JSONError as exc:
        raise ImportFailed(f"The file is not valid JSON ({_short(exc)})") from None


def _object_kind(stream: IO[bytes]) -> str | None:
    """Whether a top-level object is our export or one ChatGPT conversation.

    Reads its top-level keys up to ``chats`` or ``mapping`` (or the end, when neither).
    """
    found: dict[str, Any] = {}
    for prefix, event, value in ijson.parse(stream, use_float=True):
        if prefix in ("format", "version") and event in ("string", "number"):
            found[prefix] = value
        elif prefix == "" and event == "map_key" and value in ("chats", "mapping"):
            if value == "mapping" and "format" not in found:
                return "chatgpt"
            break
    if "format" not in found:
        return None
    if found["format"] != beykusay_format.FORMAT:
        raise ImportFailed(f'Unknown "format" {str(found["format"])[:40]!r}: {NOT_EITHER}')
    version = found.get("version")
    if not isinstance(version, int | float) or isinstance(version, bool):
        raise ImportFailed('This BeykuSay export has no "version" number')
    if version > beykusay_format.VERSION:
        raise ImportFailed(
            f'This export has "version" {version}; this server reads up to '
            f"{beykusay_format.VERSION}: update BeykuSay to import it"
        )
    return "beykusay"


def _title(data: Any) -> str:
    title = data.get("title") if isinstance(data, dict) else None
    return title[:200] if isinstance(title, str) else ""


def _chatgpt(items: Iterator[Any]) -> Iterator[ImportedChat | tuple[str, str]]:
    now = utcnow()
    for index, conversation in enumerate(items, start=1):
        try:
            chat = chatgpt_format.conversation_chat(conversation, now=now)
        except FormatError as exc:
            raise ImportFailed(_failure("Conversation", index, conversation, exc)) from None
        yield (_title(conversation), chat) if isinstance(chat, str) else _clean(chat)


def _ours(items: Iterator[Any]) -> Iterator[ImportedChat | tuple[str, str]]:
    for index, data in enumerate(items, start=1):
        try:
            chat = beykusay_format.chat_from_export(data)
        except FormatError as exc:
            raise ImportFailed(_failure("Chat", index, data, exc)) from None
        yield (_title(data), chat) if isinstance(chat, str) else _clean(chat)


def _failure(kind: str, index: int, data: Any, exc: FormatError) -> str:
    title = _title(data)
    named = f' "{title}"' if title else ""
    return f"{kind} {index}{named}: {exc}"


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def storable_text(text: str) -> str:
    """Text a database can hold: lone surrogates and NUL become U+FFFD."""
    fixed = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return fixed.replace("\x00", "\ufffd")


def _clean(chat: ImportedChat) -> ImportedChat:
    chat.title = storable_text(chat.title)
    for message in chat.messages:
        message.content = storable_text(message.content)
        if message.thinking is not None:
            message.thinking = storable_text(message.thinking)
    return chat
