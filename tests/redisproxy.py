"""A TCP proxy in front of the real Redis that can fail on demand, in a thread of its own.

- ``passing``: bytes go both ways untouched;
- ``dropping``: every connection is cut, and new ones are accepted and closed at once
  (``dropped`` is set when that happened), as when Redis restarts or the network fails;
- ``silent``: connections are accepted and read, but nothing ever comes back
  (``heard`` is set when a request arrived), as when Redis hangs.

It runs its own event loop in its own thread, so a client that blocks the test's
event loop cannot stop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

REDIS = ("127.0.0.1", 6379)


class RedisProxy:
    def __init__(self, mode: str = "passing") -> None:
        self.mode = mode
        self.dropped = threading.Event()
        self.heard = threading.Event()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="redis-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def set_mode(self, mode: str) -> None:
        """Switch mode (done when this returns); leaving ``passing`` cuts every connection."""

        async def switch() -> None:
            self.mode = mode
            if mode != "passing":
                for writer in list(self._writers):
                    writer.close()

        asyncio.run_coroutine_threadsafe(switch(), self._loop).result(10)

    def stop(self) -> None:
        async def finish() -> None:
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(finish(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        for writer in list(self._writers):
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            if self.mode == "dropping":
                self.dropped.set()
                return
            if self.mode == "silent":
                while await reader.read(65536):
                    self.heard.set()
                return
            up_reader, up_writer = await asyncio.open_connection(*REDIS)
            self._writers.add(up_writer)
            try:
                await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
            finally:
                self._writers.discard(up_writer)
                up_writer.close()
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                if self.mode != "passing":
                    if self.mode == "dropping":
                        self.dropped.set()
                    break
                sink.write(data)
                await sink.drain()
        sink.close()


@contextmanager
def redis_proxy(mode: str = "passing") -> Iterator[RedisProxy]:
    proxy = RedisProxy(mode).start()
    try:
        yield proxy
    finally:
        proxy.stop()
