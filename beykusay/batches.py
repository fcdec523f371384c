"""Blocking work that arrives together shares one thread hop: while a batch runs, what
arrives waits, and goes together in the next.

Under a burst every thread hop queues behind the others (and each worker thread fights
the event loop for the GIL), so hundreds of small hops cost far more than a few large
ones. ``run_all`` takes the batch's items in order and gives one outcome per item, its
result or the exception it ended with; an exception of ``run_all`` itself is every
item's outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

I = TypeVar("I")  # noqa: E741  (an item)
R = TypeVar("R")  # its result
RunAll = Callable[[Sequence[I]], Sequence[R | Exception]]


@dataclass(eq=False, slots=True)
class _Pending(Generic[I, R]):
    item: I
    result: asyncio.Future[R]


class Batcher(Generic[I, R]):
    """Runs ``run_all`` on what is pending, in a worker thread, ``parallel`` batches at once.

    ``order`` sorts each batch (by the rows its items lock, say); ``max_batch`` bounds
    how much one batch holds.
    """

    def __init__(
        self,
        run_all: RunAll[I, R],
        *,
        parallel: int = 1,
        max_batch: int = 100,
        order: Callable[[I], Hashable] | None = None,
        name: str = "batch",
    ) -> None:
        self.run_all = run_all
        self.parallel = parallel
        self.max_batch = max_batch
        self.order = order
        self.name = name
        self._pending: list[_Pending[I, R]] = []
        self._drains: set[asyncio.Task[None]] = set()
        self._ready = False  # a drain is about to take what is pending

    @property
    def waiting(self) -> int:
        """Items waiting for the next batch."""
        return len(self._pending)

    async def run(self, item: I) -> R:
        """``item``'s outcome, once the batch it went with has run.

        Shielded: a result must reach whoever else awaits it (a committed start's
        caller, say), even if one awaiting it is cancelled.
        """
        pending: _Pending[I, R] = _Pending(item, asyncio.get_running_loop().create_future())
        self._pending.append(pending)
        if not self._ready and len(self._drains) < self.parallel:
            self._ready = True
            drain = asyncio.create_task(self._drain(), name=self.name)
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)
        return await asyncio.shield(pending.result)

    async def _drain(self) -> None:
        while True:
            self._ready = False  # what arrives from now on waits for the next batch
            if not self._pending:
                return
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            if self.order is not None:
                order = self.order
                batch.sort(key=lambda pending: order(pending.item))
            try:
                items = [pending.item for pending in batch]
                outcomes: Sequence[Any] = await asyncio.to_thread(self.run_all, items)
            except Exception as exc:  # run_all itself failed: every item with it
                outcomes = [exc] * len(batch)
            except BaseException:
                for pending in batch + self._pending:
                    pending.result.cancel()
                self._pending.clear()
                raise
            for pending, outcome in zip(batch, outcomes, strict=True):
                if pending.result.done():
                    continue
                if isinstance(outcome, Exception):
                    pending.result.set_exception(outcome)
                else:
                    pending.result.set_result(outcome)
