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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session

from beykusay.batches import Batcher
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


@dataclass(frozen=True, slots=True)
class _Start:
    work: Work
    order: tuple[int, int]  # (user id, chat id): the rows it locks, in this order


class StartBatcher:
    """Runs starts as they come, batching those that arrive while a batch runs."""

    def __init__(self, run_all: RunAll, *, parallel: int = 1, max_batch: int = MAX_BATCH) -> None:
        self._batches: Batcher[_Start, Any] = Batcher(
            lambda starts: run_all([start.work for start in starts]),
            parallel=parallel,  # start transactions at once (1 where one lock serialises)
            max_batch=max_batch,
            order=lambda start: start.order,
            name="answer-starter",
        )

    async def start(self, work: Callable[[Session], T], *, user_id: int, chat_id: int) -> T:
        """Run ``work`` in the next start transaction; its result once that committed.

        ``user_id`` and ``chat_id`` name the rows the work locks (user first, then chat).
        """
        result: T = await self._batches.run(_Start(work, (user_id, chat_id)))
        return result
