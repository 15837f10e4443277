"""Stopping without dropping: what an instance does between SIGTERM and its exit.

A balancer needs a moment to notice an instance is going, and the turns running on it need
their time to finish. So on SIGTERM the instance first reports not ready (`/ready` answers 503
with `checks.stopping`, and the balancer sends new connections elsewhere), keeps serving its
sockets while their turns run, for at most `SHUTDOWN_GRACE_S` in all, and only then lets the
server close them (1012: the clients reconnect, through the balancer, to another instance).
Turns still running after the grace end as before (`ChannelRegistry.drain`). A second SIGTERM,
or SIGINT, stops at once.

`Stopping` holds the decision (pure, with its clock); `install` is the signal adapter, put in
front of the server's own handler while the app runs.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class Stopping:
    """Whether the instance is stopping, and how much of its grace is left."""

    grace_s: float
    clock: Callable[[], float] = time.monotonic
    _deadline: float | None = field(default=None, init=False)

    @property
    def stopping(self) -> bool:
        return self._deadline is not None

    def begin(self) -> bool:
        """Start stopping now; False if it had begun already (a second request: stop now)."""
        if self._deadline is not None:
            return False
        self._deadline = self.clock() + self.grace_s
        return True

    def left_s(self) -> float:
        """The grace still left (all of it before stopping began)."""
        if self._deadline is None:
            return self.grace_s
        return max(0.0, self._deadline - self.clock())


Handler = Callable[[int, FrameType | None], Any]


def install(stopping: Stopping, settle: Callable[[float], Awaitable[None]]) -> Callable[[], None]:
    """Put the drain in front of the SIGTERM handler the server installed: the first SIGTERM
    begins stopping, waits for `settle(grace left)`, then hands the signal on. Returns a
    function that puts the server's handler back. Does nothing where no handler is callable
    (not the main thread, or no server handling signals)."""
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except ValueError:  # not the main thread
        return lambda: None
    if not callable(previous):
        return lambda: None
    server_handler: Handler = previous
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    async def drain_then_stop(frame: FrameType | None) -> None:
        try:
            await settle(stopping.left_s())
        except Exception:
            log.exception("could not wait for the running turns")
        server_handler(signal.SIGTERM, frame)

    def start(frame: FrameType | None) -> None:
        task = loop.create_task(drain_then_stop(frame), name="stopping")
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def on_sigterm(sig: int, frame: FrameType | None) -> None:
        if not stopping.begin():
            server_handler(sig, frame)  # asked twice: stop now
            return
        log.warning(
            "stopping: not ready from now on; running turns have %.0f s to finish",
            stopping.grace_s,
        )
        loop.call_soon_threadsafe(start, frame)

    try:
        signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:
        return lambda: None

    def restore() -> None:
        if signal.getsignal(signal.SIGTERM) is on_sigterm:
            signal.signal(signal.SIGTERM, server_handler)

    return restore
