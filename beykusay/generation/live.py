"""An answer being generated: its text so far and who is watching it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from beykusay.events import Event
from beykusay.grounding import Grounding, sources_event


class Growing:
    """Text that grows by appends in O(1) each and is joined only when read."""

    __slots__ = ("_joined", "_parts")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._joined = ""

    def append(self, delta: str) -> None:
        self._parts.append(delta)

    def __str__(self) -> str:
        if self._parts:
            self._joined += "".join(self._parts)
            self._parts.clear()
        return self._joined


@dataclass(eq=False)
class LiveAnswer:
    """An answer being generated: its text so far and who is watching it."""

    chat_id: int
    message_id: int
    user_id: int
    start: Event
    answer: Event = field(default_factory=dict)  # the answer as started, as the API shows it
    dirty: bool = False
    end_status: str = "stopped"  # what a cancellation means: stopped or interrupted
    task: asyncio.Task[None] | None = None
    final: Event | None = None
    watchers: set[asyncio.Queue[Event]] = field(default_factory=set)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    mirror: Callable[[int, Event], None] | None = None  # copies events to other instances
    web_search: bool = False  # asked with web search: its sources come as ``sources`` events
    grounding: Grounding = field(default_factory=Grounding)  # sources, citations, queries
    _thinking: Growing = field(default_factory=Growing)
    _text: Growing = field(default_factory=Growing)

    @property
    def thinking(self) -> str:
        return str(self._thinking)

    @property
    def text(self) -> str:
        return str(self._text)

    def publish(self, event: Event) -> None:
        for queue in self.watchers:
            queue.put_nowait(event)
        if self.mirror is not None:
            self.mirror(self.chat_id, event)

    def add(self, channel: str, delta: str) -> None:
        (self._thinking if channel == "thinking" else self._text).append(delta)
        self.dirty = True
        self.publish({"type": channel, "delta": delta})

    def set_grounding(self, grounding: Grounding) -> None:
        """The answer's sources (mapped onto its content); published when they change."""
        if grounding != self.grounding:
            self.grounding = grounding
            self.dirty = True
            self.publish(sources_event(grounding))
