"""Sending files with a message: what the API keeps and what Gemini receives, through the
real google-genai SDK against the fake Gemini (inline data and the Files API)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests import fakegemini as g
from tests import filesamples as fs
from tests.apihelpers import assert_error_body, make_user, messages, new_chat, send
from tests.fakegemini import FakeGemini
from tests.filehelpers import INLINE, uploaded

pytest_plugins = ["tests.filefixtures"]


@pytest.fixture
def auth(fapi: httpx.Client, gemini: FakeGemini) -> dict[str, str]:
    return make_user(fapi)[1]


def generate_bodies(gemini: FakeGemini) -> list[dict[str, Any]]:
    return [r.body for r in gemini.requests if r.method.endswith("enerateContent")]


def user_parts(body: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The parts of each user turn, with the SDK's snake_case file fields camelCased."""
    names = {
        "inline_data": "inlineData",
        "file_data": "fileData",
        "mime_type": "mimeType",
        "file_uri": "fileUri",
    }

    def camel(value: Any) -> Any:
        if isinstance(value, dict):
            return {names.get(k, k): camel(v) for k, v in value.items()}
        return value

    return [[camel(p) for p in c["parts"]] for c in body["contents"] if c["role"] == "user"]


def test_an_image_goes_inline_with_its_message(
    fapi: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    """A user attaches a photo and asks about it: Gemini receives the photo's bytes as
    inline PNG data before the question; the message lists the photo."""
    data = fs.png()
    photo = uploaded(fapi, auth, data, "photo.png")
    chat = new_chat(fapi, auth)
    gemini.enqueue(g.reply("A green rectangle."))
    sent = send(fapi, auth, chat["id"], "What is this?", attachments=[photo["id"]])
    assert sent["assistant_message"]["content"] == "A green rectangle."
    assert [f["id"] for f in sent["user_message"]["attachments"]] == [photo["id"]]
    assert sent["assistant_message"]["attachments"] == []
    (parts,) = user_parts(generate_bodies(gemini)[-1])
    assert parts[0]["inlineData"]["mimeType"] == "image/png"
    assert base64.urlsafe_b64decode(parts[0]["inlineData"]["data"]) == data
    assert parts[1]["text"] == "What is this?"
    listed = messages(fapi, auth, chat["id"])
    assert listed[0]["attachments"] == sent["user_message"]["attachments"]
    assert listed[0]["attachments"][0]["name"] == "photo.png"


def test_files_go_again_on_later_turns_and_text_files_as_named_text(
    fapi: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    """Two turns: the PDF and the notes attached to the first question are sent again
    with that question on the second turn; the notes arrive as text headed by their
    name; a file-only message (no text) is fine."""
    pdf = uploaded(fapi, auth, fs.pdf(), "paper.pdf")
    notes = uploaded(fapi, auth, "пункт один\npoint two".encode(), "notes.md")
    chat = new_chat(fapi, auth)
    first = send(fapi, auth, chat["id"], "", attachments=[pdf["id"], notes["id"]])
    assert first["user_message"]["content"] == ""
    assert first["assistant_message"]["status"] == "complete"
    send(fapi, auth, chat["id"], "And the second point?")
    body = generate_bodies(gemini)[-1]
    earlier, latest = user_parts(body)
    assert earlier[0]["inlineData"]["mimeType"] == "application/pdf"
    assert earlier[1]["text"] == "File notes.md:\n\nпункт один\npoint two"
    assert len(earlier) == 2  # no empty text part for the file-only message
    assert latest == [{"text": "And the second point?"}]
    chats = fapi.get("/chats", headers=auth).json()["chats"]
    assert chats[0]["title"] == "paper.pdf"


def test_gif_and_mp3_are_sent_as_types_gemini_reads(
    fapi: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    """Gemini does not read GIF or the audio/mpeg name: a GIF goes as PNG, an MP3 as
    audio/mp3, and the fake (which refuses other types) answers."""
    gif = uploaded(fapi, auth, fs.image("GIF"), "anim.gif")
    mp3 = uploaded(fapi, auth, fs.MP3, "song.mp3")
    chat = new_chat(fapi, auth)
    answer = send(fapi, auth, chat["id"], "Both?", attachments=[gif["id"], mp3["id"]])
    assert answer["assistant_message"]["status"] == "complete", answer
    (parts,) = user_parts(generate_bodies(gemini)[-1])
    assert [p["inlineData"]["mimeType"] for p in parts[:2]] == ["image/png", "audio/mp3"]


def test_large_files_go_through_the_files_api_once_and_are_reused(
    fapi: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    """Files too large to go inline (over GEMINI_INLINE_BYTES) are uploaded with the
    Files API's resumable protocol, used once ACTIVE, and the same upload is reused on
    the next turn instead of uploading again."""
    big = b"%PDF-1.4\n" + b"0" * (INLINE + 10_000)
    pdf = uploaded(fapi, auth, big, "big.pdf")
    chat = new_chat(fapi, auth)
    send(fapi, auth, chat["id"], "Summarise", attachments=[pdf["id"]])
    assert gemini.files.uploads == 1
    (stored,) = gemini.files.files()
    assert stored.data == big and stored.mime_type == "application/pdf"
    (parts,) = user_parts(generate_bodies(gemini)[-1])
    assert parts[0]["fileData"]["fileUri"].endswith(f"/files/{stored.id}")
    send(fapi, auth, chat["id"], "More detail")
    assert gemini.files.uploads == 1
    earlier, _ = user_parts(generate_bodies(gemini)[-1])
    assert earlier[0]["fileData"]["fileUri"].endswith(f"/files/{stored.id}")


def test_an_expired_upload_is_uploaded_again(
    fapi: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    """When Gemini no longer has an uploaded file (it expired, 48 h), the next turn that
    needs it uploads it again and the answer arrives as usual."""
    big = b"%PDF-1.4\n" + b"1" * (INLINE + 10_000)
    pdf = uploaded(fapi, auth, big, "big.pdf")
    chat = new_chat(fapi, auth)
    send(fapi, auth, chat["id"], "Read it", attachments=[pdf["id"]])
    gemini.files.expire()
    gemini.enqueue(g.reply("Still here."))
    answer = send(fapi, auth, chat["id"], "Again")
    assert answer["assistant_message"]["content"] == "Still here."
    assert gemini.files.uploads == 2
    refused, accepted = [r for r in gemini.requests if r.method.endswith("enerateContent")][-2:]
    assert refused.outcome == "http_error" and accepted.outcome == "completed"


def test_a_deleted_file_stays_listed_as_deleted_and_is_no_longer_sent(
    fapi: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    """After deleting a file, the message that had it still shows its entry marked
    deleted, the model no longer receives it, and it cannot be attached again (422)."""
    photo = uploaded(fapi, auth, fs.png(), "photo.png")
    chat = new_chat(fapi, auth)
    send(fapi, auth, chat["id"], "Look", attachments=[photo["id"]])
    assert fapi.delete(f"/files/{photo['id']}", headers=auth).status_code == 204
    shown = messages(fapi, auth, chat["id"])[0]["attachments"]
    assert shown[0]["id"] == photo["id"] and shown[0]["deleted"] is True
    send(fapi, auth, chat["id"], "And now?")
    earlier, _ = user_parts(generate_bodies(gemini)[-1])
    assert earlier == [{"text": "Look"}]
    again = fapi.post(
        f"/chats/{chat['id']}/messages",
        params={"stream": "false"},
        json={"content": "x", "attachments": [photo["id"]]},
        headers=auth,
    )
    assert again.status_code == 422 and "deleted" in assert_error_body(again)


def test_bad_attachments_are_422_and_save_nothing(
    fapi: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    """Unknown ids, another user's file, too many files (MAX_ATTACHMENTS=3), or blank
    text without files: 422, and the chat has no new message."""
    mine = [uploaded(fapi, auth, f"n{i}".encode(), f"n{i}.txt")["id"] for i in range(4)]
    theirs = uploaded(fapi, make_user(fapi)[1], b"theirs", "t.txt")["id"]
    chat = new_chat(fapi, auth)
    for body in (
        {"content": "hi", "attachments": [999_999]},
        {"content": "hi", "attachments": [theirs]},
        {"content": "hi", "attachments": mine},
        {"content": "   "},
        {"content": "", "attachments": []},
    ):
        response = fapi.post(
            f"/chats/{chat['id']}/messages", params={"stream": "false"}, json=body, headers=auth
        )
        assert response.status_code == 422, (body, response.text)
    assert messages(fapi, auth, chat["id"]) == []
    assert generate_bodies(gemini) == []


def test_the_budget_counts_text_files_and_the_answer_says_files_were_left_out(
    fapi: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    """HISTORY_MAX_CHARS (20,000 here) counts text files: an old 15 KB text file and its
    question are left out of a later turn, and the answer says an attachment was left out."""
    notes = uploaded(fapi, auth, b"x" * 15_000, "long.txt")
    chat = new_chat(fapi, auth)
    send(fapi, auth, chat["id"], "Read", attachments=[notes["id"]])
    gemini.enqueue(g.reply("y" * 6_000))
    send(fapi, auth, chat["id"], "Reply long")
    last = send(fapi, auth, chat["id"], "Now?")["assistant_message"]
    assert last["attachments_omitted"] == 1 and last["history_omitted"] >= 1
    sent = generate_bodies(gemini)[-1]
    assert all(
        "inlineData" not in p and "long.txt" not in p.get("text", "")
        for parts in user_parts(sent)
        for p in parts
    )


def test_deleting_a_chat_deletes_files_no_other_chat_uses(
    fapi: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    """Deleting a chat deletes the files attached in it, except those another chat of
    the user also uses."""
    only = uploaded(fapi, auth, b"only here", "only.txt")
    shared = uploaded(fapi, auth, b"shared", "shared.txt")
    first, second = new_chat(fapi, auth), new_chat(fapi, auth)
    send(fapi, auth, first["id"], "a", attachments=[only["id"], shared["id"]])
    send(fapi, auth, second["id"], "b", attachments=[shared["id"]])
    assert fapi.delete(f"/chats/{first['id']}", headers=auth).status_code == 204
    assert fapi.get(f"/files/{only['id']}", headers=auth).status_code == 404
    assert fapi.get(f"/files/{shared['id']}", headers=auth).status_code == 200


def test_gemini_refusing_a_file_is_a_clear_error_and_keeps_the_question(
    fapi: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    """When Gemini refuses an attached file, the answer ends in an error that says so
    in words, and the question with its file and text is kept to try again."""
    pdf = uploaded(fapi, auth, fs.pdf(), "paper.pdf")
    chat = new_chat(fapi, auth)
    gemini.enqueue([g.http_error(400, "The document has no pages.")])
    sent = send(fapi, auth, chat["id"], "Summarise this", attachments=[pdf["id"]])
    answer = sent["assistant_message"]
    assert answer["status"] == "error" and "The document has no pages" in answer["error"]
    question = messages(fapi, auth, chat["id"])[0]
    assert question["content"] == "Summarise this"
    assert [f["name"] for f in question["attachments"]] == ["paper.pdf"]


def test_an_upload_still_processing_is_waited_for_until_active(
    fapi: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    """A large file is uploaded and waits while Gemini processes it (PROCESSING, polled
    until ACTIVE); the answer then arrives as usual."""
    gemini.files.processing_polls = 2
    big = b"%PDF-1.4\n" + b"2" * (INLINE + 5_000)
    pdf = uploaded(fapi, auth, big, "slow.pdf")
    chat = new_chat(fapi, auth)
    answer = send(fapi, auth, chat["id"], "Read", attachments=[pdf["id"]])["assistant_message"]
    assert answer["status"] == "complete", answer["error"]
    (stored,) = gemini.files.files()
    assert stored.state() == "ACTIVE" and stored.polls_left == 0
