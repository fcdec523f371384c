"""Starting answers in batches: one thread hop and one transaction for many starts.

A start saves the turn, reads the history before it and builds the provider request,
all in one go. Starts that arrive while a start transaction runs wait and are committed
together in the next one (like the ProgressSaver batches saves), each in a savepoint of
its own, so one refused start (409, 429, 404) does not fail the others. Under a burst
this turns hundreds of thread hops and commits, each queued behind the others for the
database's write lock, into a few.
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


@dataclass(eq=False)
class _Pending(Generic[T]):
    work: Callable[[Session], T]
    result: asyncio.Future[T]


class StartBatcher:
    """Runs starts as they come, batching those that arrive while a batch runs."""

    def __init__(self, run_all: RunAll) -> None:
        self.run_all = run_all
        self._pending: list[_Pending[Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in the next start transaction; its result once that committed."""
        pending = _Pending(work, asyncio.get_running_loop().create_future())
        self._pending.append(pending)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="answer-starter")
        # Shielded: a committed turn's result must reach its caller's caller (the
        # manager's shielded start), even if one awaiting it is cancelled.
        return await asyncio.shield(pending.result)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
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
