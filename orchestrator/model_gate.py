"""How many requests the model's server gets at once from this process.

Unlimited unless `LLM_MAX_CONCURRENT_REQUESTS` says otherwise, or until the server shows it
serves one at a time: llama-cpp-python's server, for one, ends the stream it is writing when
another request arrives (`[DONE]` with no `finish_reason`). A stream cut while another request
was under way teaches the gate to let one request through at a time from then on (logged);
the caller sends the cut request again when its turn comes. Never guessed from the address.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class Pass:
    """One request let through: whether another ran beside it at any time."""

    overlapped: bool = False


class ModelGate:
    """A limit (None: none) on the model requests under way, that can be lowered to one."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit if limit and limit > 0 else None
        self.learnt = False
        self._passes: list[Pass] = []
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def in_flight(self) -> int:
        return len(self._passes)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def _full(self) -> bool:
        return self.limit is not None and len(self._passes) >= self.limit

    @asynccontextmanager
    async def through(
        self, on_wait: Callable[[int], Awaitable[None]] | None = None
    ) -> AsyncIterator[Pass]:
        """Hold a place among the requests under way for the block; `on_wait` is told how
        many are ahead when it must wait first."""
        if self._full() and on_wait is not None:
            await on_wait(self.in_flight + self.waiting)
        while self._full():
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                self._waiters.remove(waiter)
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken, then cancelled: the next waiter takes its turn
                raise
            self._waiters.remove(waiter)
        this = Pass(overlapped=bool(self._passes))
        for other in self._passes:
            other.overlapped = True
        self._passes.append(this)
        try:
            yield this
        finally:
            self._passes.remove(this)
            self._wake()

    def one_at_a_time(self) -> bool:
        """The server cut a stream for another request: from now on, one at a time. False
        when that was already so (the cut had another cause)."""
        if self.limit == 1:
            return False
        log.warning(
            "the language model's server ended a stream when another request arrived: "
            "sending it one request at a time from now on (set LLM_MAX_CONCURRENT_REQUESTS=1 "
            "to start so)"
        )
        self.limit, self.learnt = 1, True
        return True

    def _wake(self) -> None:
        """Let the first waiter look again (it takes the place or waits once more)."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
                return
