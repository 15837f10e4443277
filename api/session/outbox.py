"""A turn's events on their way out: published in order, in batches, by one task."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from api.protocol import ServerEventBase
from orchestrator.persistence import Fenced

__all__ = ["Outbox"]

log = logging.getLogger(__name__)


class Outbox:
    """A turn's events, published in order by one task: the coalescer's timer and the turn hand
    them over without waiting, and publishing may wait (on Redis). What piles up while one
    batch is out goes out together as the next (one Redis round trip)."""

    BATCH = 64

    def __init__(
        self,
        publish: Callable[[list[ServerEventBase]], Awaitable[object]],
        on_fenced: Callable[[], None] = lambda: None,
    ) -> None:
        self._publish = publish
        self._on_fenced = on_fenced
        self.fenced = False  # another instance runs the turn now: nothing more goes out
        self._queue: asyncio.Queue[ServerEventBase] = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    def put(self, event: ServerEventBase) -> None:
        if not self.fenced:
            self._queue.put_nowait(event)

    async def drain(self) -> None:
        """Return once everything put so far is published."""
        await self._queue.join()

    async def close(self) -> None:
        """Publish what is left, then stop."""
        await self.drain()
        self._task.cancel()

    def discard(self) -> None:
        """Stop at once; what is left is not published."""
        self.fenced = True
        self._task.cancel()

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                if not self.fenced:
                    await self._publish(batch)
            except Fenced:
                self.fenced = True
                self._on_fenced()
            except Exception:  # the turn goes on; the answer is saved whatever the fan-out did
                log.exception("could not publish %d events", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()
