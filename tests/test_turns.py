"""Starting turns under concurrency: the per-user cap of running answers holds exactly."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from beykusay.db import get_engine, init_engine, new_session
from beykusay.services import accounts, chats
from beykusay.services import messages as message_service
from beykusay.services.errors import TooManyAttempts
from tests.databases import BACKENDS, fresh_database

STARTS = 12
CAP = 3


@pytest.fixture(params=BACKENDS)
def chat_ids(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[int]]:
    """The chats of one user, on a fresh database."""
    with fresh_database(request.param, tmp_path) as url:
        init_engine(url)
        with new_session() as session:
            user = accounts.register_user(session=session, username="ada", password="x" * 8)
            ids = [chats.create_chat(session=session, user=user).id for _ in range(STARTS)]
        yield [chat_id for chat_id in ids if chat_id is not None]
        get_engine().dispose()


def test_simultaneous_starts_of_one_user_never_exceed_the_cap(chat_ids: list[int]) -> None:
    """A user (or several instances serving them) sending to many chats at once gets
    exactly the allowed number of answers; the others are told to wait (429), and the
    message never claims more running answers than the cap."""
    ready = threading.Barrier(len(chat_ids))

    def start(chat_id: int) -> str:
        with new_session() as session:
            ready.wait()
            try:
                message_service.start_turn(
                    session=session,
                    chat_id=chat_id,
                    content="hello",
                    model="BeykusChat",
                    instance_id="test",
                    max_per_user=CAP,
                )
            except TooManyAttempts as refused:
                return refused.message
        return "started"

    with ThreadPoolExecutor(len(chat_ids)) as pool:
        outcomes = list(pool.map(start, chat_ids))
    assert outcomes.count("started") == CAP, outcomes
    for refusal in (o for o in outcomes if o != "started"):
        claimed = re.search(r"You already have (\d+) answers", refusal)
        assert claimed is not None and int(claimed.group(1)) <= CAP, refusal
