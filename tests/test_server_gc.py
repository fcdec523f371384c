"""The server keeps the collector off start-up objects and makes full collections rarer."""

from __future__ import annotations

import gc

from beykusay import server


def test_startup_freezes_and_spaces_full_collections() -> None:
    before = gc.get_threshold()
    try:
        server.freeze_startup_objects()
        assert gc.get_freeze_count() > 0
        young, middle, full = gc.get_threshold()
        assert (young, middle) == before[:2]
        assert full == server.FULL_COLLECTION_EVERY > before[2]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
