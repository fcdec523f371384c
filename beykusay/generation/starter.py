"""Starting answers in batches: one thread hop and one transaction for many starts.

A start saves the turn, reads the history before it and builds the provider request,
all in one go. Starts that arrive while a start transaction runs wait and are committed
together in the next one (like the ProgressSaver batches saves), each in a savepoint of
its own, so one refused start (409, 429, 404) does not fail the others. Under a burst
this turns hundreds of thread hops and commits, each queued behind the others for the
database's write lock, into a few. On SQLite one transaction runs at a time (the write
lock admits one anyway); on PostgreSQL a few run at once, so that round trips overlap,
in lanes that each take a fixed share of the users (a user's row lock never makes one
lane wait for another's commit). Each batch runs its starts ordered by
(user, chat), the order in which a start locks rows, so two batches running at once
never wait for each other in a circle (PostgreSQL would abort one as a deadlock).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    """Runs starts as they come, batching those that arrive while a batch runs.

    With ``parallel`` lanes, each user's starts always go to the same lane (by user id),
    and a lane runs one batch at a time: batches running at once never hold the same
    user's row, so none waits for another's commit (a user's starts spread over lanes
    made the lanes wait for each other in turn, one commit after the other).
    """

    def __init__(self, run_all: RunAll, *, parallel: int = 1, max_batch: int = MAX_BATCH) -> None:
        self.run_all = run_all
        self.parallel = parallel  # start transactions at once (1 where one lock serialises)
        self.max_batch = max_batch
        self._lanes = [_Lane() for _ in range(parallel)]

    async def start(self, work: Callable[[Session], T], *, user_id: int, chat_id: int) -> T:
        """Run ``work`` in the next start transaction; its result once that committed.

        ``user_id`` and ``chat_id`` name the rows the work locks (user first, then chat).
        """
        loop = asyncio.get_running_loop()
        pending = _Pending(work, loop.create_future(), (user_id, chat_id))
        lane = self._lanes[user_id % self.parallel]
        lane.pending.append(pending)
        if lane.drain is None:
            lane.drain = asyncio.create_task(self._drain(lane), name="answer-starter")
        # Shielded: a committed turn's result must reach its caller's caller (the
        # manager's shielded start), even if one awaiting it is cancelled.
        return await asyncio.shield(pending.result)

    async def _drain(self, lane: _Lane) -> None:
        try:
            while lane.pending:  # what arrives from now on waits for the next batch
                batch = sorted(lane.pending[: self.max_batch], key=lambda p: p.order)
                del lane.pending[: self.max_batch]
                await self._run(batch, lane)
        finally:
            lane.drain = None

    async def _run(self, batch: list[_Pending[Any]], lane: _Lane) -> None:
        try:
            outcomes = await asyncio.to_thread(self.run_all, [p.work for p in batch])
        except Exception as exc:  # the transaction itself failed: none started
            outcomes = [exc] * len(batch)
        except BaseException:
            for pending in batch + lane.pending:
                pending.result.cancel()
            lane.pending.clear()
            raise
        for pending, outcome in zip(batch, outcomes, strict=True):
            if pending.result.done():
                continue
            if isinstance(outcome, Exception):
                pending.result.set_exception(outcome)
            else:
                pending.result.set_result(outcome)


@dataclass(eq=False)
class _Lane:
    """Starts waiting for the lane's next batch, and the task running its batches."""

    pending: list[_Pending[Any]] = field(default_factory=list)
    drain: asyncio.Task[None] | None = None
