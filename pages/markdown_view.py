"""Markdown on the page: a finished text in one element, or a growing one at linear cost.

A growing text is cut into blocks by ``BlockSplitter``; finished blocks are rendered once.
Each flush (throttled by the owner) sends one small patch to the page: how much of the
previously shown tail still stands, what follows it, and how much of that is finished.
So every character crosses the websocket about once, whatever the answer's length, and
the server renders only the unfinished tail again.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from beykusay.render import BlockSplitter, render_markdown


def static_markdown(text: str, *, copy_label: str) -> ui.html:
    """A finished text: one element, rendered here and now."""
    return rendered_markdown(render_markdown(text, copy_label))


def rendered_markdown(html: str) -> ui.html:
    """A finished text already rendered to safe HTML (by ``beykusay.render``)."""
    return ui.html(html, sanitize=True).classes("bk-md")


def _utf16(text: str) -> int:
    """Length as JavaScript counts it."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (binary search over C-speed comparisons)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


class StreamView(ui.element, component="static/stream_view.js"):
    """The page side of a growing text; ``html`` mirrors what the browser shows."""

    def __init__(self) -> None:
        super().__init__()
        self.finished: list[str] = []
        self.tail = ""

    @property
    def html(self) -> str:
        return "".join(self.finished) + self.tail

    def show(self, finished: str, tail: str) -> None:
        full = finished + tail
        keep = common_prefix(self.tail, full)
        self.run_method("apply", _utf16(self.tail[:keep]), full[keep:], _utf16(finished))
        if finished:
            self.finished.append(finished)
        self.tail = tail

    def _displayed_contents(self, *, only_visible: bool) -> list[Any]:
        return [self.html]


class LiveMarkdown:
    """Markdown that grows by deltas; call ``flush`` to show what arrived, ``finish`` at the end."""

    def __init__(self, *, copy_label: str) -> None:
        self.copy_label = copy_label
        self.splitter = BlockSplitter()
        self.pending: list[str] = []
        self.dirty = False
        self.size = 0
        self.view = StreamView().classes("bk-md")

    def add(self, delta: str) -> None:
        self.size += len(delta)
        self.pending.extend(b.html(copy_label=self.copy_label) for b in self.splitter.feed(delta))
        self.dirty = True

    def flush(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        tail = self.splitter.tail()
        self.view.show("".join(self.pending), tail.html(copy_label=self.copy_label) if tail else "")
        self.pending = []

    def finish(self) -> None:
        self.pending.extend(b.html(copy_label=self.copy_label) for b in self.splitter.finish())
        finished = "".join(self.pending)
        self.pending = []
        self.dirty = False
        self.view.show(finished, "")
