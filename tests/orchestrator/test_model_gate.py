"""The model requests under way at once: unlimited, a set limit, or one at a time once the
server has shown it cuts a stream for another request."""

from __future__ import annotations

import asyncio

from orchestrator.model_gate import ModelGate


async def test_without_a_limit_every_request_goes_at_once() -> None:
    gate = ModelGate()
    async with gate.through() as first, gate.through() as second:
        assert gate.in_flight == 2
    assert first.overlapped and second.overlapped


async def test_a_request_beyond_the_limit_waits_and_is_told_its_place() -> None:
    gate = ModelGate(1)
    told: list[int] = []
    order: list[str] = []

    async def tell(ahead: int) -> None:
        told.append(ahead)

    async def request(name: str, hold: float) -> None:
        async with gate.through(tell):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    first = asyncio.create_task(request("first", 0.05))
    await asyncio.sleep(0)
    await request("second", 0)
    await first
    assert order == ["first in", "first out", "second in", "second out"]
    assert told == [1]


async def test_a_cut_stream_teaches_one_at_a_time_counting_those_under_way() -> None:
    gate = ModelGate()
    async with gate.through() as running:
        assert gate.one_at_a_time() and gate.learnt
        assert not gate.one_at_a_time()  # already so: the next cut has another cause
        waiting = asyncio.create_task(_enter(gate))
        await asyncio.sleep(0.02)
        assert not waiting.done() and gate.waiting == 1
    assert running.overlapped is False
    assert await waiting is False  # it went alone


async def test_a_waiter_cancelled_after_its_wake_passes_it_on() -> None:
    gate = ModelGate(1)
    async with gate.through():
        cancelled = asyncio.create_task(_enter(gate))
        later = asyncio.create_task(_enter(gate))
        await asyncio.sleep(0.01)
    cancelled.cancel()
    assert await asyncio.wait_for(later, 1) is False


async def _enter(gate: ModelGate) -> bool:
    async with gate.through() as this:
        await asyncio.sleep(0.01)
        return this.overlapped
