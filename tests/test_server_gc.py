"""The server keeps the collector off start-up objects and makes full collections rarer."""

from __future__ import annotations

import gc

from beykusay import server


def test_startup_freezes_and_spaces_full_collections() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)  # CPython's defaults (an app started before sets its own)
        server.freeze_startup_objects()
        assert gc.get_freeze_count() > 0
        young, middle, full = gc.get_threshold()
        assert (young, middle, full) == (700, 10, server.FULL_COLLECTION_EVERY)
        assert server.FULL_COLLECTION_EVERY > 10
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
