"""Reading one uploaded file from a multipart/form-data body as it streams in.

The part named ``file`` is gathered into one buffer that is refused the moment it would
pass the limit, so the server never holds more than the limit for an upload, in memory
or on disk (Starlette's form parser would spool it to a temporary file first).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header

from beykusay.services.files import FileRefused


@dataclass
class Upload:
    name: str | None = None
    content_type: str | None = None
    data: bytearray = field(default_factory=bytearray)


class _Buffer:
    """The file's bytes, in one buffer sized from the body's length when it is known, so
    that it never grows by reallocating (which would briefly hold the bytes twice)."""

    def __init__(self, expected: int | None) -> None:
        self.data = bytearray(expected or 0)
        self.filled = 0

    def add(self, piece: bytes) -> None:
        end = self.filled + len(piece)
        if end <= len(self.data):
            self.data[self.filled : end] = piece
        else:
            del self.data[self.filled :]
            self.data += piece
        self.filled = end

    def done(self) -> bytearray:
        del self.data[self.filled :]
        return self.data


class _Part:
    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.field = b""
        self.value = b""


def _decoded(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


async def read_upload(
    content_type: str, chunks: AsyncIterator[bytes], *, limit: int, expected: int | None = None
) -> Upload:
    """The ``file`` part of the body; FileRefused for a missing part or one over ``limit``.

    ``expected``: the body's declared length (the buffer is sized from it, at most ``limit``).
    """
    mime, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise FileRefused(
            "Send the file as multipart/form-data in a part named 'file'.", 422, reason="form"
        )
    upload = Upload()
    found = False
    current = _Part()
    in_file = False
    too_large = False
    buffer = _Buffer(min(expected, limit) if expected else None)

    def on_part_begin() -> None:
        nonlocal current
        current = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        current.field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        current.value += data[start:end]

    def on_header_end() -> None:
        current.headers[current.field.lower()] = current.value
        current.field, current.value = b"", b""

    def on_headers_finished() -> None:
        nonlocal in_file, found
        _, disposition = parse_options_header(current.headers.get(b"content-disposition"))
        in_file = disposition.get(b"name") == b"file" and not found
        if in_file:
            found = True
            name = _decoded(disposition.get(b"filename"))
            # Browsers (WHATWG) escape these three in multipart names; nothing else.
            for escaped, plain in (("%22", '"'), ("%0D", ""), ("%0A", "")):
                name = name.replace(escaped, plain) if name else name
            upload.name = name
            upload.content_type = _decoded(current.headers.get(b"content-type"))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        nonlocal too_large, buffer
        if not in_file or too_large:
            return
        if buffer.filled + (end - start) > limit:
            too_large = True
            buffer = _Buffer(None)
            return
        buffer.add(data[start:end])

    def on_part_end() -> None:
        nonlocal in_file
        in_file = False

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in chunks:
            parser.write(chunk)  # past the limit: read on (and drop), so the 413 arrives
    except Exception as exc:  # a malformed body
        if isinstance(exc, FileRefused):
            raise
        raise FileRefused("The multipart body could not be read.", 422, reason="form") from None
    if too_large:
        raise too_large_refusal(limit)
    if not found:
        raise FileRefused("No file: send it in a multipart part named 'file'.", 422, reason="form")
    upload.data = buffer.done()
    return upload


def too_large_message(limit: int) -> str:
    return f"The file is too large: at most {limit / 1024 / 1024:g} MiB ({limit:,} bytes)."


def too_large_refusal(limit: int) -> FileRefused:
    return FileRefused(
        too_large_message(limit),
        413,
        reason="too_large",
        values={"mib": f"{limit / 1024 / 1024:g}", "bytes": limit},
    )
