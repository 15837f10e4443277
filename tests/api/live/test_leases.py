"""One running turn per session: one spec, run over the in-process leases and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from api.live.leases import MemoryLeases, RedisLeases, TurnLeases
from tests.utils.live import BACKENDS, redis_prefix

T0 = 1_800_000_000.0
TTL = 0.5  # Redis expires keys on its own clock: the spec waits this long for real


@pytest.fixture(params=BACKENDS)
async def make(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], TurnLeases]]:
    """Leases on one backend; Redis ones share a prefix, as instances do."""
    if request.param == "memory":
        shared = MemoryLeases(ttl_s=TTL)
        yield lambda: shared
        return
    async with redis_prefix() as (client, prefix):
        yield lambda: RedisLeases(client, prefix, ttl_s=TTL)


async def test_one_turn_holds_a_session_and_others_see_which(make) -> None:  # type: ignore[no-untyped-def]
    here, there = make(), make()
    assert await here.acquire("s1", "t1", T0) is None
    assert await there.acquire("s1", "t2", T0) == "t1"
    assert await here.acquire("s1", "t1", T0) is None  # the holder may ask again
    assert await there.acquire("s2", "t3", T0) is None  # another session is free


async def test_only_the_holder_renews_or_releases(make) -> None:  # type: ignore[no-untyped-def]
    leases = make()
    await leases.acquire("s1", "t1", T0)
    assert not await leases.renew("s1", "t2", T0)
    await leases.release("s1", "t2")
    assert await leases.acquire("s1", "t2", T0) == "t1"
    assert await leases.renew("s1", "t1", T0)
    await leases.release("s1", "t1")
    assert await leases.acquire("s1", "t2", T0) is None


async def test_a_lease_not_renewed_lapses(make) -> None:  # type: ignore[no-untyped-def]
    """An instance that died stops renewing: after the TTL another may run the session."""
    leases = make()
    await leases.acquire("s1", "t1", T0)
    await asyncio.sleep(TTL + 0.2)
    later = T0 + TTL + 0.2
    assert not await leases.renew("s1", "t1", later)
    assert await leases.acquire("s1", "t2", later) is None


async def test_anyone_can_ask_which_turn_holds_a_session(make) -> None:  # type: ignore[no-untyped-def]
    here, there = make(), make()
    assert await there.holder("s1", T0) is None
    await here.acquire("s1", "t1", T0)
    assert await there.holder("s1", T0) == "t1"
    await here.release("s1", "t1")
    assert await there.holder("s1", T0) is None
