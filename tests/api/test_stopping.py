"""On SIGTERM an instance stops taking new connections first and gives its running turns their
grace; a second SIGTERM stops it at once. (End to end, through a real server and socket:
`tests/api/test_ws_llm.py::test_a_turn_its_server_stopped_ends_with_interrupted_after_the_restart`.)
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from api.stopping import Stopping, install


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_grace_counts_from_the_first_request_to_stop() -> None:
    clock = Clock()
    stopping = Stopping(10.0, clock)
    assert not stopping.stopping and stopping.left_s() == 10.0
    assert stopping.begin()
    clock.now += 4
    assert stopping.stopping and stopping.left_s() == 6.0
    assert not stopping.begin()  # asked again: no new grace
    clock.now += 20
    assert stopping.left_s() == 0.0


@pytest.fixture
def server_handler() -> Iterator[list[int]]:
    """A SIGTERM handler standing for the server's own, recording what reaches it."""
    received: list[int] = []

    def handler(sig: int, frame: FrameType | None) -> None:
        received.append(sig)

    before = signal.signal(signal.SIGTERM, handler)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, before)


async def test_sigterm_waits_for_the_running_turns_then_reaches_the_server(
    server_handler: list[int],
) -> None:
    stopping = Stopping(10.0)
    turns_done, waiting = asyncio.Event(), asyncio.Event()
    settled: list[float] = []

    async def settle(timeout_s: float) -> None:
        settled.append(timeout_s)
        waiting.set()
        await turns_done.wait()

    restore = install(stopping, settle)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(waiting.wait(), 10)
        assert stopping.stopping and 9.0 < settled[0] <= 10.0
        assert server_handler == []  # still serving while the turns run
        turns_done.set()
        (stopper,) = [t for t in asyncio.all_tasks() if t.get_name() == "stopping"]
        await asyncio.wait_for(stopper, 10)
        assert server_handler == [signal.SIGTERM]
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) is not None


async def test_a_second_sigterm_stops_at_once(server_handler: list[int]) -> None:
    stopping = Stopping(10.0)
    never = asyncio.Event()

    async def settle(timeout_s: float) -> None:
        await never.wait()

    restore = install(stopping, settle)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(0)
        assert server_handler == []
        os.kill(os.getpid(), signal.SIGTERM)
        assert server_handler == [signal.SIGTERM]
    finally:
        restore()
        for task in asyncio.all_tasks():
            if task.get_name() == "stopping":
                task.cancel()
