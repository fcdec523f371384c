"""Grounding collector benchmark: the CPU one grounded answer's bookkeeping costs.

    .venv/bin/python -m tests.bench.grounding_collect [--chunks 200 2000 10000] [--runs 5]

An answer of --chunks text chunks (mixed Cyrillic, emoji and ASCII, ~40 characters
each) goes through GroundingCollector.add_part; one support for every 20th chunk
arrives with the last chunk, and also, to show the per-chunk cost, one support per
chunk that waits for its text (as when supports stream ahead of the text). Prints
every run's milliseconds and min/median/max; nothing is asserted (the suite counts
the cause instead: tests/test_grounding_cost.py).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from beykusay.grounding import GroundingCollector

PIECE = "Стамбул 🌉 lies on two continents, {:05}. "


def _support(start: int, end: int) -> dict[str, Any]:
    return {
        "segment": {"startIndex": start, "endIndex": end},
        "groundingChunkIndices": [0],
    }


def _meta(supports: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "groundingChunks": [{"web": {"uri": "https://example.org/", "title": "ex"}}],
        "groundingSupports": supports,
    }


def at_the_end(chunks: list[str]) -> float:
    offsets, at = [], 0
    for chunk in chunks:
        size = len(chunk.encode())
        offsets.append((at, at + size))
        at += size
    started = time.perf_counter()
    collector = GroundingCollector()
    for chunk in chunks:
        collector.add_part(chunk)
    collector.add_metadata(_meta([_support(*offsets[i]) for i in range(0, len(chunks), 20)]))
    collector.result()
    return (time.perf_counter() - started) * 1000


def waiting(chunks: list[str]) -> float:
    offsets, at = [], 0
    for chunk in chunks:
        size = len(chunk.encode())
        offsets.append((at, at + size))
        at += size
    started = time.perf_counter()
    collector = GroundingCollector()
    for i, chunk in enumerate(chunks):
        collector.add_metadata(_meta([_support(*offsets[i])]))
        collector.add_part(chunk)
    collector.result()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, nargs="+", default=[200, 2000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for count in args.chunks:
        chunks = [PIECE.format(i) for i in range(count)]
        for name, case in (("supports_at_end", at_the_end), ("supports_ahead", waiting)):
            runs = [case(chunks) for _ in range(args.runs)]
            shown = " ".join(f"{ms:.1f}" for ms in runs)
            print(
                f"{name} chunks={count} ms: {shown} | min={min(runs):.1f} "
                f"median={statistics.median(runs):.1f} max={max(runs):.1f}"
            )


if __name__ == "__main__":
    main()
