"""A provider double that plays scripted events (like simonw/llm's enqueue)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable

from beykusay.providers.base import GenerationRequest, ProviderError, ProviderEvent


class Wait:
    """Pause the script until ``gate`` is set (or for ``seconds``)."""

    def __init__(self, gate: asyncio.Event | None = None, seconds: float = 0.0) -> None:
        self.gate = gate
        self.seconds = seconds


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
                if step.gate is not None:
                    await step.gate.wait()
                await asyncio.sleep(step.seconds)
            elif isinstance(step, ProviderError):
                raise step
            else:
                yield step
