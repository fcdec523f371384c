"""Why a file was refused, in the reader's language: every refusal the server makes
carries a reason the composer's chip words in Russian on the Russian UI (before, the
chip showed the server's English sentence whatever the language)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from beykusay import i18n
from beykusay.db import get_engine, init_engine, new_session
from beykusay.files.upload import read_upload
from beykusay.services import accounts, files
from beykusay.services.files import FileRefused
from pages.attachments import refusal_text
from pages.auth import Viewer
from tests.filesamples import SVG, bomb_png, png

RU = Viewer(None, "ru", "light")
EN = Viewer(None, "en", "light")
CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


@pytest.fixture
def user_id(tmp_path: Path) -> Iterator[int]:
    init_engine(f"sqlite:///{tmp_path / 'refusals.db'}")
    with new_session() as session:
        user = accounts.register_user(session=session, username="ada", password="x" * 8)
        assert user.id is not None
        yield user.id
    get_engine().dispose()


def refused_saving(user_id: int, name: str, data: bytes, quota: int = 10**9) -> FileRefused:
    with new_session() as session, pytest.raises(FileRefused) as caught:
        files.save_upload(
            session=session, user_id=user_id, name=name, claimed_type=None, data=data, quota=quota
        )
    return caught.value


async def _body(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def refused_reading(content_type: str, body: bytes, limit: int = 100) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        await read_upload(content_type, _body(body), limit=limit)
    return caught.value


def shown(viewer: Viewer, refusal: FileRefused) -> str:
    """What the chip says: the page route's reason and values, as the browser reports them."""
    args = {"state": "failed", "reason": refusal.reason, "values": refusal.values}
    return refusal_text(viewer, args, limit=20 * 1024 * 1024)


@pytest.mark.asyncio
async def test_every_refusal_is_worded_in_russian_on_the_russian_ui(user_id: int) -> None:
    """An SVG, an unknown binary, a broken PNG, a name that lies, an empty file, a
    decompression bomb, a full storage, a body too large and a malformed form: each chip
    says why in Russian (with its figures), and in English the same as the API says."""
    boundary = "multipart/form-data; boundary=b"
    big = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
    refusals = [
        refused_saving(user_id, "logo.svg", SVG),
        refused_saving(user_id, "x.bin", b"\x00\x01\x02binary"),
        refused_saving(user_id, "x.png", png()[:40]),
        refused_saving(user_id, "photo.png", b"plain text, not a photo"),
        refused_saving(user_id, "empty.txt", b""),
        refused_saving(user_id, "bomb.png", bomb_png()),
        refused_saving(user_id, "notes.txt", b"notes", quota=3),
        await refused_reading(boundary, big + b"a" * 500 + b"\r\n--b--\r\n"),
        await refused_reading("text/plain", b"file=x"),
        await refused_reading(boundary, b"--b--\r\n"),
    ]
    reasons = [r.reason for r in refusals]
    assert len(set(reasons)) >= 9, reasons
    for refusal in refusals:
        russian = shown(RU, refusal)
        assert set(russian.lower()) & CYRILLIC, (refusal.reason, russian)
        assert "Accepted" not in russian and "{" not in russian
        assert russian != i18n.t("ru", "file_refused_form") or refusal.reason == "form"
    english = {r.reason: shown(EN, r) for r in refusals}
    assert english["markup"] == refusals[0].message
    assert english["quota"] == refusals[6].message
    assert "3 bytes" in shown(RU, refusals[6]) or "3 байт" in shown(RU, refusals[6])


def test_a_refusal_without_words_or_with_odd_values_says_upload_failed() -> None:
    """A reason the page has no words for, values that do not fit, or a bare failure
    (the connection dropped): the chip says the upload failed, in Russian."""
    failed = "Не удалось загрузить файл. Попробуйте ещё раз."
    assert refusal_text(RU, {"reason": "new_kind", "values": {}}, 100) == failed
    assert refusal_text(RU, {"reason": "image_pixels", "values": {"width": 3}}, 100) == failed
    assert refusal_text(RU, {"reason": None, "status": 0}, 100) == failed
    too_large = refusal_text(RU, {"reason": None, "status": 413}, 20 * 1024 * 1024)
    assert too_large == "Файл слишком большой: не больше 20 МиБ."
