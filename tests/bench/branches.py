"""Branches benchmark: opening a long chat with many versions costs what a plain one does.

    .venv/bin/python -m tests.bench.branches [--messages 2000] [--branch-points 50]
                                             [--database sqlite|postgresql] [--repeat 30]

Two chats of the same size are written into a fresh database: a linear one, and one
whose current path has ``--branch-points`` messages with a second version (each
followed by an answer of its own): a fifth of them on the latest page, the rest spread
evenly along the path.
For each chat the script opens it as the chat page does (``operations.message_page``:
the chat, the latest page of its current path and the versions of every message on it)
and records the time to that latest page and the SQL statements issued (counted with a
SQLAlchemy ``before_cursor_execute`` listener). For scale it also times the query v1
used on a chat without branches (the newest rows of the chat by id), and a switch to
another version with the page that follows it.

The last line is exactly
    page_time_ratio=<x> queries_branched=<n> queries_linear=<m>
(target: x <= 1.5 and n == m; the exit status is 1 when missed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from beykusay.db import get_engine, init_engine, new_session  # noqa: E402
from beykusay.models import Chat, Message  # noqa: E402
from beykusay.services import accounts, chats, messages, operations  # noqa: E402
from tests import databases  # noqa: E402
from tests.databases import fresh_database  # noqa: E402
from tests.seeding import add_path  # noqa: E402

DEFAULT_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MAX_RATIO = 1.5
PAGE = 30  # what the chat page shows first (pages/chat_view.py)
ANSWER = "An answer with **some** markdown, a list\n\n- one\n- two\n\nand a closing line. " * 3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=2000, help="messages in each chat")
    ap.add_argument("--branch-points", type=int, default=50)
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--repeat", type=int, default=30, help="timed openings per chat")
    return ap.parse_args(argv)


def turn(n: int) -> Message:
    if n % 2 == 0:
        return Message(role="user", content=f"Question {n}: what about this?")
    return Message(role="assistant", content=f"{n}. {ANSWER}", model="BeykusChat")


def write_chats(user_id: int, size: int, branch_points: int) -> tuple[int, int]:
    """A linear chat and a branched one of ``size`` messages each; their ids."""
    with new_session() as session:
        owner = accounts.get_user(session=session, user_id=user_id)
        linear = chats.create_chat(session=session, user=owner, title="linear")
        branched = chats.create_chat(session=session, user=owner, title="branched")
        add_path(session, linear, (turn(n) for n in range(size)))
        main_length = size - 2 * branch_points  # each branch point adds two messages
        main = add_path(session, branched, [turn(n) for n in range(main_length)])
        for index in branch_positions(main_length, branch_points):
            versions = [turn(index), turn(index + 1)]
            versions[0].content = "Another version. " + versions[0].content
            add_path(session, branched, versions, parent_id=main[index].parent_id)
        chat = session.get(Chat, branched.id)
        assert chat is not None
        chat.current_leaf_id = main[-1].id  # the original path stays current
        session.add(chat)
        session.commit()
        assert linear.id is not None and branched.id is not None
        return linear.id, branched.id


def branch_positions(length: int, count: int) -> list[int]:
    """Where versions are added: a fifth of them on the latest page, the rest spread out."""
    near = min(count // 5, PAGE // 3)
    positions = [length - 2 - 3 * k for k in range(near)]
    step = (length - PAGE) // max(1, count - near)
    positions += [length - PAGE - 1 - k * step for k in range(count - near)]
    return [p for p in positions if p >= 0]


@contextmanager
def counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float, int]:
    """Median and worst milliseconds of ``work``, and the statements one run issues."""
    work()  # warm caches and the connection pool
    with counting() as statements:
        work()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), len(statements)


def v1_page(chat_id: int) -> list[Message]:
    """How v1 read the latest page: the chat's newest rows by id (no tree)."""
    with new_session() as session:
        return list(
            session.exec(
                select(Message)
                .where(Message.chat_id == chat_id)
                .order_by(col(Message.id).desc())
                .limit(PAGE + 1)
            ).all()
        )


def run(args: argparse.Namespace, url: str) -> int:
    init_engine(url)
    with new_session() as session:
        user = accounts.register_user(session=session, username="bench", password="x" * 12)
    assert user.id is not None
    user_id = user.id
    linear, branched = write_chats(user_id, args.messages, args.branch_points)
    if args.database == "postgresql":
        # Statistics, as autovacuum keeps them in a database in use: without any, the
        # planner scans the whole table for the versions instead of using the index.
        with get_engine().connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    page, _ = operations.message_page(user_id, branched, limit=PAGE)
    with_versions = sum(1 for m in page if len(m["sibling_ids"]) > 1)
    print(
        f"{args.database}: two chats of {args.messages} messages; the branched one has "
        f"{args.branch_points} branch points, {with_versions} on its latest page of {PAGE}"
    )
    rows = []
    figures = {}
    for name, chat_id in (("linear", linear), ("branched", branched)):
        median, worst, queries = timed(
            lambda chat_id=chat_id: operations.message_page(user_id, chat_id, limit=PAGE),
            args.repeat,
        )
        figures[name] = (median, queries)
        rows.append((f"open {name} (latest page)", median, worst, queries))
    median, worst, queries = timed(lambda: v1_page(linear), args.repeat)
    rows.append(("v1 query on the linear chat", median, worst, queries))

    page, _ = operations.message_page(user_id, branched, limit=PAGE)
    switched = next(m for m in reversed(page) if len(m["sibling_ids"]) > 1)
    targets = iter(switched["sibling_ids"] * (args.repeat + 2))

    def switch() -> object:
        with new_session() as session:
            messages.switch_branch(session=session, chat_id=branched, message_id=next(targets))
        return operations.message_page(user_id, branched, limit=PAGE)

    median, worst, queries = timed(switch, args.repeat)
    rows.append(("switch version + its page", median, worst, queries))

    print(f"{'':32} {'median ms':>10} {'worst ms':>10} {'queries':>8}")
    for label, median, worst, queries in rows:
        print(f"{label:32} {median:10.2f} {worst:10.2f} {queries:8d}")
    ratio = figures["branched"][0] / figures["linear"][0]
    ok = ratio <= MAX_RATIO and figures["branched"][1] == figures["linear"][1]
    print(
        f"target: branched within {MAX_RATIO}x of linear, same queries: {'met' if ok else 'MISSED'}"
    )
    print(
        f"page_time_ratio={ratio:.2f} queries_branched={figures['branched'][1]} "
        f"queries_linear={figures['linear'][1]}"
    )
    get_engine().dispose()
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.database == "postgresql":  # the server the test suite uses, unless told another
        databases.TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRESQL
    with (
        tempfile.TemporaryDirectory(prefix="beykusay-bench-") as folder,
        fresh_database(args.database, Path(folder)) as url,
    ):
        return run(args, url)


if __name__ == "__main__":
    sys.exit(main())
