"""Starting answers in batches: one thread hop and one transaction for many starts.

A start saves the turn, reads the history before it and builds the provider request,
all in one go. Starts that arrive while a start transaction runs wait and are committed
together in the next one (like the ProgressSaver batches saves), each in a savepoint of
its own, so one refused start (409, 429, 404) does not fail the others. Under a burst
this turns hundreds of thread hops and commits, each queued behind the others for the
database's write lock, into a few. On SQLite one transaction runs at a time (the write
lock admits one anyway); on PostgreSQL a few run at once, so that round trips overlap
(row locks keep one user's starts in order). Each batch runs its starts ordered by
(user, chat), the order in which a start locks rows, so two batches running at once
never wait for each other in a circle (PostgreSQL would abort one as a deadlock).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlmodel import Session

from beykusay.providers.base import GenerationRequest
from beykusay.services.messages import Turnstart

T = TypeVar("T")
Work = Callable[[Session], Any]
RunAll = Callable[[Sequence[Work]], list[Any]]  # each work's result, or its exception

MAX_BATCH = 100  # starts in one transaction, at most: bounds how long it holds the lock


@dataclass(frozen=True, slots=True)
class StartedTurn:
    """A committed turn and what its answer needs: the request to send, history omitted."""

    turn: Turnstart
    request: GenerationRequest
    history_omitted: int
    attachments_omitted: int = 0  # of those, messages that carried files


@dataclass(eq=False)
class _Pending(Generic[T]):
    work: Callable[[Session], T]
    result: asyncio.Future[T]
    order: tuple[int, int]  # (user id, chat id): the rows it locks, in this order


class StartBatcher:
    """Runs starts as they come, batching those that arrive while a batch runs."""

    def __init__(self, run_all: RunAll, *, parallel: int = 1, max_batch: int = MAX_BATCH) -> None:
        self.run_all = run_all
        self.parallel = parallel  # start transactions at once (1 where one lock serialises)
        self.max_batch = max_batch
        self._pending: list[_Pending[Any]] = []
        self._drains: set[asyncio.Task[None]] = set()
        self._ready = False  # a drain is about to take what is pending

    async def start(self, work: Callable[[Session], T], *, user_id: int, chat_id: int) -> T:
        """Run ``work`` in the next start transaction; its result once that committed.

        ``user_id`` and ``chat_id`` name the rows the work locks (user first, then chat).
        """
        loop = asyncio.get_running_loop()
        pending = _Pending(work, loop.create_future(), (user_id, chat_id))
        self._pending.append(pending)
        if not self._ready and len(self._drains) < self.parallel:
            self._ready = True
            drain = asyncio.create_task(self._drain(), name="answer-starter")
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)
        # Shielded: a committed turn's result must reach its caller's caller (the
        # manager's shielded start), even if one awaiting it is cancelled.
        return await asyncio.shield(pending.result)

    async def _drain(self) -> None:
        while True:
            self._ready = False  # what arrives from now on waits for the next batch
            if not self._pending:
                return
            batch = sorted(self._pending[: self.max_batch], key=lambda p: p.order)
            del self._pending[: self.max_batch]
            try:
                outcomes = await asyncio.to_thread(self.run_all, [p.work for p in batch])
            except Exception as exc:  # the transaction itself failed: none started
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
