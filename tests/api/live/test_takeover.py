"""Running turns recorded on Redis: what a survivor needs to find and claim an orphan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from api.live.leases import RedisLeases
from api.live.takeover import NoTakeover, RedisTurns, RunningTurn
from tests.utils.live import redis_prefix

T0 = 1_800_000_000.0


def turn(session: str = "s1", turn_id: str = "t1", attempt: int = 1) -> RunningTurn:
    return RunningTurn(
        session_id=session,
        turn_id=turn_id,
        customer_id="c1",
        author_id="c1",
        text="How often is the oil changed?",
        client_message_id="m1",
        attempt=attempt,
    )


@pytest.fixture
async def redis_parts() -> AsyncIterator[tuple[RedisTurns, RedisLeases]]:
    async with redis_prefix() as (client, prefix):
        yield RedisTurns(client, prefix), RedisLeases(client, prefix, ttl_s=0.3)


async def test_a_turn_whose_lease_is_held_is_no_orphan(redis_parts) -> None:  # type: ignore[no-untyped-def]
    turns, leases = redis_parts
    await leases.acquire("s1", "t1", T0)
    await turns.record(turn())
    assert await turns.orphans() == []
    assert await turns.running("s1") == turn()


async def test_a_turn_whose_lease_lapsed_is_an_orphan_claimed_once(redis_parts) -> None:  # type: ignore[no-untyped-def]
    turns, leases = redis_parts
    await leases.acquire("s1", "t1", T0)
    await turns.record(turn())
    await asyncio.sleep(0.5)  # nobody renews: its instance died
    assert await turns.orphans() == [turn()]
    claims = await asyncio.gather(*(turns.claim(turn()) for _ in range(3)))
    assert sorted(claims) == [False, False, True]
    assert await turns.claim(turn(attempt=2))  # the next attempt is a new claim


async def test_a_forgotten_turn_is_nobodys_business(redis_parts) -> None:  # type: ignore[no-untyped-def]
    turns, _ = redis_parts
    await turns.record(turn())
    await turns.forget("s1", "t0")  # another turn's end does not forget this one
    assert await turns.running("s1") is not None
    await turns.forget("s1", "t1")
    assert await turns.running("s1") is None and await turns.orphans() == []


async def test_one_process_has_nobody_to_take_over() -> None:
    records = NoTakeover()
    await records.record(turn())
    assert await records.orphans() == [] and await records.running("s1") is None
    assert not await records.claim(turn())
