"""Import benchmark: a large ChatGPT export (conversations.json), imported in-process.

    .venv/bin/python -m tests.bench.import_chatgpt --mib 200 [--keep FILE]

Writes an export of about ``--mib`` MiB (conversations with regenerated answers, edited
questions, hidden system messages, tool calls, Cyrillic and emoji), then imports it in
a fresh child process into a new SQLite database through ``importer.import_file`` (the
code behind POST /api/import) and prints the time, the number of chats and messages,
and the child's peak memory (max RSS) against the file's size: the import streams, so
the peak must stay within about 3x the file.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests import chatgpt_export as cg

WORDS = [
    *[
        "борщ",
        "свёкла",
        "капуста",
        "рецепт",
        "вопрос",
        "ответ",
        "код",
        "функция",
        "данные",
        "модель",
    ],
    *["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "python", "answer"],
    *("🍲", "✅", "👋"),
]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def conversation(rng: random.Random, number: int) -> dict[str, Any]:
    """About 30 KiB: ten turns, some answered twice, one question edited, tool calls."""
    at = cg.T0 + number * 1000
    nodes: list[tuple[str, str | None, dict[str, Any] | None]] = [("root", None, None)]
    system = cg.msg("sys", "system", cg.text(""), at=None, hidden=True)
    nodes.append(("sys", "root", system))
    parent = "sys"
    for turn in range(10):
        question = f"q{turn}"
        nodes.append((question, parent, cg.msg(question, "user", cg.text(_text(rng, 60)), at=at)))
        answers = 2 if rng.random() < 0.3 else 1
        for version in range(answers):
            answer = f"a{turn}.{version}"
            above = question
            if rng.random() < 0.2:  # a code-interpreter call and its output first
                call = cg.msg(
                    f"c{answer}", "assistant", cg.text("print(1)"), at=at, recipient="python"
                )
                out = cg.msg(
                    f"o{answer}", "tool", {"content_type": "execution_output", "text": "1"}, at=at
                )
                nodes += [(f"c{answer}", question, call), (f"o{answer}", f"c{answer}", out)]
                above = f"o{answer}"
            body = cg.msg(answer, "assistant", cg.text(_text(rng, 300)), at=at + 1, model="gpt-4o")
            nodes.append((answer, above, body))
            parent = answer
        if turn == 5:  # an edited question: a second version of this turn, with its answer
            edited = cg.msg(f"e{turn}", "user", cg.text(_text(rng, 40)), at=at + 2)
            reply = cg.msg(f"r{turn}", "assistant", cg.text(_text(rng, 100)), at=at + 3)
            nodes += [(f"e{turn}", nodes[-1][1] or "sys", edited), (f"r{turn}", f"e{turn}", reply)]
        at += 10
    return cg.conversation(f"Беседа {number} 💬", nodes, current=parent, at=cg.T0 + number * 1000)


def write_export(path: Path, mib: int, seed: int = 1) -> int:
    """Write conversations until the file is about ``mib`` MiB; returns how many."""
    rng = random.Random(seed)
    limit = mib * 1024 * 1024
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        while out.tell() < limit:
            out.write(
                ("," if count else "") + json.dumps(conversation(rng, count), ensure_ascii=False)
            )
            count += 1
        out.write("]")
    return count


CHILD = """
import io, json, resource, sys, tempfile, time
from pathlib import Path
from sqlmodel import func, select
from beykusay.db import init_engine, new_session
from beykusay.models import Message, User
from beykusay.services import importer
folder = Path(tempfile.mkdtemp())
init_engine(f"sqlite:///{folder / 'bench.db'}")
with new_session() as session:  # no password hash: argon2's memory would hide the import's
    user = User(username="bench", username_key="bench", password_hash="-")
    session.add(user)
    session.commit()
    session.refresh(user)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
with new_session() as session, open(sys.argv[1], "rb") as source:
    result = importer.import_file(session=session, user=user, source=source, max_bytes=1 << 40)
seconds = time.perf_counter() - started
with new_session() as session:
    messages = session.exec(select(func.count()).select_from(Message)).one()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "chats": result.imported, "skipped": len(result.skipped),
                  "messages": messages, "rss_before_kib": before, "rss_peak_kib": peak}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="write the export here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "conversations.json"
        started = time.perf_counter()
        count = write_export(path, args.mib)
        size = path.stat().st_size
        took = time.perf_counter() - started
        print(f"wrote {size / 2**20:.0f} MiB, {count} conversations in {took:.0f} s")
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=False
        )
        if child.returncode != 0:
            sys.exit(child.stderr)
        figures = json.loads(child.stdout.strip().splitlines()[-1])
    peak = figures["rss_peak_kib"] * 1024
    print(
        f"imported {figures['chats']} chats, {figures['messages']} messages in "
        f"{figures['seconds']:.1f} s ({size / 2**20 / figures['seconds']:.1f} MiB/s)"
    )
    print(
        f"peak memory {peak / 2**20:.0f} MiB ({peak / size:.2f}x the file), of which "
        f"{figures['rss_before_kib'] / 1024:.0f} MiB before importing (Python and the app)"
    )
    grown = peak - figures["rss_before_kib"] * 1024
    print(f"the import itself added {grown / 2**20:.0f} MiB ({grown / size:.2f}x the file)")
    if grown > 3 * size:
        sys.exit("the import needed more than 3x the file's size in memory")


if __name__ == "__main__":
    main()
