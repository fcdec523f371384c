"""Incremental splitter separating a leading ``<think>…</think>`` block from the answer.

Rules (pure, no I/O; every result is independent of how the stream is chunked):

* Only one think block is recognised, and only at the very start of the output
  (leading whitespace allowed). Anything after it - including another ``<think>`` -
  is answer text. Once the answer has started, ``<think>``/``</think>`` are plain text.
* ``start_in_think=True``: the prompt template already opened the block, so the
  output starts inside thinking and the first ``</think>`` closes it.
* Tags are exact lowercase ``<think>``/``</think>`` (``<thinking>`` is text) and may be
  split across any chunk boundaries; only a possible tag prefix is held back.
* Whitespace tidying: whitespace before ``<think>``, right after ``<think>`` and right
  after ``</think>`` is dropped; trailing whitespace of the thinking is never emitted
  (whitespace runs inside thinking are held until a non-whitespace char follows).
  Without a think block the output passes through untouched (leading whitespace is
  only held until the first non-whitespace char shows no ``<think>`` follows).
* ``finish(complete=True)`` on an unclosed block also emits the whole thinking as
  ``text`` (nothing is hidden); ``complete=False`` (stopped/error) keeps it thinking.
  Held partial tags are flushed as what they are at ``finish``.
"""

from __future__ import annotations

from typing import Literal

Channel = Literal["thinking", "text"]
Delta = tuple[Channel, str]

OPEN, CLOSE = "<think>", "</think>"
_PRE, _THINK, _AFTER, _TEXT = range(4)  # states


def _partial(s: str, tag: str) -> int:
    """Length of the longest suffix of ``s`` that is a proper prefix of ``tag``."""
    j = s.rfind("<", max(0, len(s) - len(tag) + 1))  # tags hold a single leading "<"
    return len(s) - j if j >= 0 and tag.startswith(s[j:]) else 0


class ThinkSplitter:
    def __init__(self, *, start_in_think: bool = False) -> None:
        self._state = _THINK if start_in_think else _PRE
        self._fresh = True  # at the start of the thinking: whitespace is dropped
        self._ws: list[str] = []  # held whitespace run
        self._part = ""  # held possible tag prefix (always after the whitespace)
        self._thinking: list[str] = []
        self._text: list[str] = []
        self._done = False

    @property
    def thinking(self) -> str:
        return _joined(self._thinking)

    @property
    def text(self) -> str:
        return _joined(self._text)

    @property
    def in_think(self) -> bool:
        return self._state == _THINK

    def _emit(self, out: list[Delta], channel: Channel, s: str) -> None:
        if s:
            out.append((channel, s))
            (self._thinking if channel == "thinking" else self._text).append(s)

    def _take_ws(self) -> str:
        ws, self._ws = "".join(self._ws), []
        return ws

    def _think_body(self, out: list[Delta], body: str) -> None:
        """Emit thinking ``body`` (tag-free), holding back its trailing whitespace."""
        core = body.rstrip()
        if not core:
            if body and not self._fresh:
                self._ws.append(body)
            return
        self._emit(out, "thinking", core.lstrip() if self._fresh else self._take_ws() + core)
        self._fresh = False
        if len(core) < len(body):
            self._ws.append(body[len(core) :])

    def feed(self, chunk: str) -> list[Delta]:
        if self._done:
            raise RuntimeError("feed() after finish()")
        out: list[Delta] = []
        if self._state == _PRE:
            s = self._part + chunk
            t = s.lstrip()  # s starts with "<" whenever a part is held
            self._ws.append(s[: len(s) - len(t)])
            self._part = ""
            if t.startswith(OPEN):
                self._ws, self._state, chunk = [], _THINK, t[len(OPEN) :]
            elif OPEN.startswith(t):  # empty or a partial "<think>"
                self._part = t
                return out
            else:
                self._state = _TEXT
                self._emit(out, "text", self._take_ws() + t)
                return out
        if self._state == _THINK:
            s = self._part + chunk
            i = s.find(CLOSE)
            if i < 0:
                k = _partial(s, CLOSE)
                self._part = s[len(s) - k :] if k else ""
                self._think_body(out, s[: len(s) - k])
                return out
            self._think_body(out, s[:i])
            self._ws, self._part, self._state = [], "", _AFTER
            chunk = s[i + len(CLOSE) :]
        if self._state == _AFTER:
            chunk = chunk.lstrip()
            if chunk:
                self._state = _TEXT
        self._emit(out, "text", chunk)  # _TEXT (or an _AFTER chunk that was all whitespace)
        return out

    def finish(self, *, complete: bool = True) -> list[Delta]:
        out: list[Delta] = []
        if self._done:
            return out
        self._done = True
        if self._state == _PRE:
            self._emit(out, "text", self._take_ws() + self._part)
        elif self._state == _THINK:
            if self._part:  # a held "</thi…" is real thinking; whitespace before it too
                self._emit(out, "thinking", self._take_ws() + self._part)
            if complete:
                self._emit(out, "text", self.thinking)
        self._ws, self._part = [], ""
        return out


def _joined(parts: list[str]) -> str:
    if len(parts) > 1:
        parts[:] = ["".join(parts)]
    return parts[0] if parts else ""
