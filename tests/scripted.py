"""A provider double that plays scripted events (like simonw/llm's enqueue)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable

from beykusay.providers.base import GenerationRequest, ProviderError, ProviderEvent


class Wait:
    """Pause the script until ``gate`` is set (never, without one).

    ``reached`` is set when the script gets here: everything before it has been
    yielded, and taken in by whoever reads the stream (it asked for the next event).
    """

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.gate = gate or asyncio.Event()
        self.reached = asyncio.Event()


Step = ProviderEvent | ProviderError | Wait


class ScriptedProvider:
    name = "scripted"

    def __init__(self) -> None:
        self.scripts: deque[list[Step]] = deque()
        self.requests: list[GenerationRequest] = []

    def enqueue(self, steps: Iterable[Step]) -> None:
        self.scripts.append(list(steps))

    async def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        self.requests.append(request)
        for step in self.scripts.popleft():
            if isinstance(step, Wait):
                step.reached.set()
                await step.gate.wait()
            elif isinstance(step, ProviderError):
                raise step
            else:
                yield step
