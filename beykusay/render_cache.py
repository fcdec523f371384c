"""Finished messages as HTML: rendered off the event loop, kept per message version.

Opening a chat renders a page of answers at once. markdown2 is pure Python and costs tens
of milliseconds per long answer; on the event loop that would stall every stream the
instance serves. So pages are rendered in a worker thread, and each message version's
HTML is kept (least recently used out first, bounded by total size) for the next opening,
by this tab or any other.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from beykusay.citations import render_part

MAX_BYTES = 64 * 1024 * 1024
PARTS = ("thinking", "content")  # the rendered texts of an answer

# message id, part, length and digest of its text, status, copy button label
Key = tuple[int, str, int, bytes, str, str]
Rendered = dict[int, dict[str, str]]  # message id -> part -> HTML


class HtmlCache:
    """Rendered HTML by message version; least recently used out first, bounded in bytes."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0  # bytes of HTML held (UTF-8)
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Key, tuple[str, int]] = OrderedDict()
        self._lock = threading.Lock()  # worker threads share it

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Key) -> str | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: Key, html: str) -> None:
        size = len(html.encode("utf-8"))
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._items[key] = (html, size)
            self.size += size
            while self.size > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = self.hits = self.misses = 0


CACHE = HtmlCache()


def version_key(message: Mapping[str, Any], part: str, copy_label: str) -> Key:
    """What identifies one rendering: the message, which text, that text's version."""
    text = message.get(part) or ""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return (message["id"], part, len(text), digest, message.get("status") or "", copy_label)


def render_now(
    messages: Iterable[Mapping[str, Any]], copy_label: str, cache: HtmlCache = CACHE
) -> Rendered:
    """The HTML of every answer's thoughts and text, from the cache or rendered now."""
    rendered: Rendered = {}
    for message in messages:
        if message.get("role") != "assistant":
            continue
        parts: dict[str, str] = {}
        for part in PARTS:
            if not message.get(part):
                continue
            key = version_key(message, part, copy_label)
            html = cache.get(key)
            if html is None:
                html = render_part(message, part, copy_label)
                cache.put(key, html)
            parts[part] = html
        rendered[message["id"]] = parts
    return rendered


async def render_messages(messages: list[dict[str, Any]], copy_label: str) -> Rendered:
    """``render_now`` in a worker thread, so the event loop keeps serving streams."""
    return await asyncio.to_thread(render_now, messages, copy_label)
