"""A sent message's files in the chat page: image thumbnails linking to the full image,
download chips for other files, deleted ones marked; an edited question keeps its files."""

from __future__ import annotations

from nicegui.testing import User
from sqlmodel import select

from beykusay.db import new_session
from beykusay.files.models import MessageFile
from beykusay.models import User as UserRow
from beykusay.services import files, operations
from beykusay.state import get_state
from tests.filesamples import pdf, png
from tests.ui.conftest import Register, ScriptedProvider, messages_of, newest_chat, use_provider


def keep(user_id: int, data: bytes, name: str) -> int:
    with new_session() as session:
        stored = files.save_upload(
            session=session, user_id=user_id, name=name, claimed_type=None, data=data, quota=10**9
        )
    assert stored.id is not None
    return stored.id


async def test_files_show_under_the_question_and_go_with_an_edit(
    user: User, register: Register
) -> None:
    """The user sees the photo as a thumbnail that opens it, the PDF as a download chip and
    a deleted file marked deleted; editing the question sends the new version with the
    photo and the PDF again."""
    await register()
    with new_session() as session:
        me = session.exec(select(UserRow)).one()
    assert me.id is not None
    photo, paper = keep(me.id, png(), "photo.png"), keep(me.id, pdf(), "paper.pdf")
    gone = keep(me.id, b"old notes", "old.txt")
    use_provider(ScriptedProvider(["Seen."]))
    chat = operations.create_chat(me.id, "BeykusChat")
    assert chat.id is not None
    live = await get_state().generation.send(
        user=me,
        chat_id=chat.id,
        content="Look",
        model="BeykusChat",
        attachments=[photo, paper, gone],
    )
    await live.done.wait()
    with new_session() as session:
        files.delete_file(session=session, user_id=me.id, file_id=gone)
    await user.open(f"/chat/{chat.id}")
    await user.should_see(marker="thumbnail")
    await user.should_see("paper.pdf · ")
    await user.should_see("old.txt (deleted)")
    link = next(iter(user.find(marker="file-link").elements))
    assert link.props["href"] == f"/attachments/{paper}"
    assert link.props["download"] == "paper.pdf"

    question = messages_of(chat.id)[0]
    with user.scope(marker=f"user-{question['id']}"):
        user.find(marker="edit").click()
    user.find(marker="edit-input").clear().type("Look again")
    use_provider(ScriptedProvider(["Seen again."]))
    user.find(marker="edit-input").trigger("keydown")
    await user.should_see("Seen again.", retries=200)
    edited = [m for m in messages_of(newest_chat().id or 0) if m["content"] == "Look again"]
    with new_session() as session:
        carried = session.exec(
            select(MessageFile.file_id)
            .where(MessageFile.message_id == edited[0]["id"])
            .order_by(MessageFile.position)
        ).all()
    assert list(carried) == [photo, paper]
