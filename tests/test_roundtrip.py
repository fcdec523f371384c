"""Export then import gives the same chats: every branch, the current path and every
message's text, thoughts and times (a property test over random trees), and the
ChatGPT converter keeps every branch of random mappings."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from beykusay.db import get_engine, init_engine, new_session
from beykusay.models import Chat, Message, User
from beykusay.services import accounts, export, importer
from beykusay.services.chat_builder import ImportedChat, ImportedMessage, add_chat
from beykusay.services.chatgpt_format import conversation_chat
from tests import chatgpt_export as cg
from tests.databases import BACKENDS, fresh_database

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# Text a database can hold (no NUL, no lone surrogates): what any chat may contain.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


@pytest.fixture(scope="module", params=BACKENDS)
def user_id(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    with fresh_database(request.param, tmp_path_factory.mktemp("roundtrip")) as url:
        init_engine(url)
        with new_session() as session:
            user = accounts.register_user(session=session, username="ada", password="x" * 8)
            assert user.id is not None
            yield user.id
        get_engine().dispose()


@st.composite
def trees(draw: st.DrawFn) -> ImportedChat:
    """A chat whose messages hang anywhere above, with a leaf chosen at random."""
    count = draw(st.integers(1, 12))
    messages = []
    for key in range(count):
        parent = draw(st.one_of(st.none(), st.integers(0, key - 1))) if key else None
        messages.append(
            ImportedMessage(
                key=key,
                parent=parent,
                role=draw(st.sampled_from(["user", "assistant"])),
                content=draw(TEXT),
                thinking=draw(st.one_of(st.none(), TEXT)),
                thinking_seconds=draw(st.one_of(st.none(), st.floats(0, 100))),
                status=draw(st.sampled_from(["complete", "stopped", "error", "interrupted"])),
                created_at=T0 + timedelta(seconds=key, microseconds=draw(st.integers(0, 999))),
            )
        )
    title = draw(TEXT.filter(lambda t: t.strip()))
    return ImportedChat(
        title=title, model="BeykusSmall", created_at=T0, updated_at=T0 + timedelta(hours=1),
        messages=messages, leaf=draw(st.integers(0, count - 1)),
    )  # fmt: skip


def shape(chat_id: int) -> tuple[Any, ...]:
    """The chat as a user sees it, ids aside: the tree of (fields, children) and the path."""
    with new_session() as session:
        chat = session.get(Chat, chat_id)
        assert chat is not None
        rows = session.exec(
            select(Message).where(Message.chat_id == chat_id).order_by(col(Message.id))
        ).all()
        by_id = {m.id: m for m in rows}

        def node(message: Message) -> tuple[Any, ...]:
            fields = (
                message.role, message.content, message.thinking, message.thinking_seconds,
                message.status, message.created_at,
            )  # fmt: skip
            return (fields, tuple(node(c) for c in rows if c.parent_id == message.id))

        path, at = [], chat.current_leaf_id
        while at is not None:
            path.append(by_id[at].content)
            at = by_id[at].parent_id
        roots = tuple(node(m) for m in rows if m.parent_id is None)
        return (chat.title, chat.model, chat.created_at, chat.updated_at, roots, path[::-1])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=trees())
def test_export_then_import_gives_the_same_chat(user_id: int, tree: ImportedChat) -> None:
    """A chat with any branches exports to JSON and imports as the same chat."""
    with new_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        original = add_chat(session=session, user=user, chat=tree)
        session.commit()
        data = export.export_json(session=session, chat=original).encode()
        result = importer.import_file(
            session=session, user=user, source=io.BytesIO(data), max_bytes=len(data)
        )
    assert result.imported == 1 and not result.skipped
    assert shape(result.chats[0]) == shape(original.id or 0)


def test_export_all_imports_every_chat_of_the_user(user_id: int, tmp_path: Path) -> None:
    """The "Export all" download imports as the same number of chats, each the same."""
    with new_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        for count in (1, 3):
            messages = [
                ImportedMessage(
                    key=n, parent=n - 1 or None, role="user", content=f"m{n}", created_at=T0
                )
                for n in range(1, count + 1)
            ]
            add_chat(session=session, user=user, chat=ImportedChat("T", None, T0, T0, messages))
        session.commit()
    download = b"".join(export.export_all_json(user_id))
    with new_session() as session:
        before = session.exec(select(Chat.id).where(Chat.user_id == user_id)).all()
        user = session.get(User, user_id)
        assert user is not None
        result = importer.import_file(
            session=session, user=user, source=io.BytesIO(download), max_bytes=len(download)
        )
    with_messages = [shape(i) for i in before if shape(i)[4]]
    assert sorted(map(repr, (shape(i) for i in result.chats))) == sorted(map(repr, with_messages))


@st.composite
def mappings(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    """A ChatGPT conversation of alternating visible turns, branching anywhere."""
    count = draw(st.integers(1, 10))
    nodes: list[tuple[str, str | None, dict[str, Any] | None]] = [("root", None, None)]
    roles = {"root": "assistant"}
    for n in range(count):
        parent = draw(st.sampled_from([node_id for node_id, _, _ in nodes]))
        role = "user" if roles[parent] == "assistant" else "assistant"
        node_id = f"n{n}"
        roles[node_id] = role
        message = cg.msg(node_id, role, cg.text(f"{role} {n}"), at=cg.T0 + n)
        nodes.append((node_id, parent, message))
    current = draw(st.sampled_from([node_id for node_id, _, _ in nodes[1:]]))
    return cg.conversation("Random", nodes, current=current, at=cg.T0), count


@given(mappings())
def test_every_visible_chatgpt_node_becomes_one_message_under_its_parent(
    case: tuple[dict[str, Any], int],
) -> None:
    """No branch is lost: each turn is a message whose parent is its node's parent."""
    conversation, count = case
    chat = conversation_chat(conversation, now=T0)
    assert isinstance(chat, ImportedChat)
    assert len(chat.messages) == count
    mapping = conversation["mapping"]
    for message in chat.messages:
        parent = mapping[message.key]["parent"]
        assert message.parent == (None if parent == "root" else parent)
        assert message.content == mapping[message.key]["message"]["content"]["parts"][0]
    assert chat.leaf == conversation["current_node"]


def test_exports_and_shares_list_attachments_by_name_only(
    user_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message's files appear by name in the Markdown, with their metadata in the
    JSON, and by name and kind in a share; never their contents."""
    from beykusay.services import sharing

    files = [{"name": "отчёт.pdf", "kind": "pdf", "mime_type": "application/pdf", "size": 9}]
    with new_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        message = ImportedMessage(key=1, parent=None, role="user", content="See", created_at=T0)
        chat = add_chat(session=session, user=user, chat=ImportedChat("F", None, T0, T0, [message]))
        session.commit()
        first = chat.current_leaf_id or 0

        def listed(*, session: object, message_ids: list[int]) -> dict[int, list[dict]]:
            return {first: files} if first in message_ids else {}

        monkeypatch.setattr(export, "attachments_json", listed)
        monkeypatch.setattr(sharing, "attachments_json", listed)
        assert "Attachments: `отчёт.pdf`" in export.export_markdown(session=session, chat=chat)
        exported = json.loads(export.export_json(session=session, chat=chat))
        assert exported["chats"][0]["messages"][0]["attachments"] == files
        snapshot = sharing.snapshot_of(session=session, chat=chat)
        assert snapshot["messages"][0]["attachments"] == [{"name": "отчёт.pdf", "kind": "pdf"}]
