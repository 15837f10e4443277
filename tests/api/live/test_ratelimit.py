"""Rate limits: one spec, run over the in-process limiter and the shared one on Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from api.live.ratelimit import RateLimiter, RedisSlidingWindow, SlidingWindow
from tests.utils.live import BACKENDS, redis_prefix

T0 = 1_800_000_000.0


@pytest.fixture(params=BACKENDS)
async def make(request: pytest.FixtureRequest) -> AsyncIterator[object]:
    """A factory of limiters on one backend; Redis ones share one prefix, as instances do."""
    if request.param == "memory":
        yield lambda limit, window: SlidingWindow(limit, window)
        return
    async with redis_prefix() as (client, prefix):
        yield lambda limit, window: RedisSlidingWindow(client, prefix, limit, window)


async def test_a_user_may_send_up_to_the_limit_in_a_window(make) -> None:  # type: ignore[no-untyped-def]
    limiter: RateLimiter = make(3, 60.0)
    assert [await limiter.check("ada", T0 + i) for i in range(3)] == [None, None, None]
    assert await limiter.check("ada", T0 + 10) == 50.0  # the first hit leaves the window then
    assert await limiter.check("bob", T0 + 10) is None  # each user has their own count


async def test_hits_leave_the_window_as_time_passes(make) -> None:  # type: ignore[no-untyped-def]
    limiter: RateLimiter = make(2, 10.0)
    assert await limiter.check("ada", T0) is None
    assert await limiter.check("ada", T0 + 5) is None
    assert await limiter.check("ada", T0 + 6) == 4.0
    assert await limiter.check("ada", T0 + 10.5) is None  # the first has left the window
    assert await limiter.check("ada", T0 + 11) == 4.0  # a refused hit was not counted


async def test_the_redis_limit_is_shared_by_every_instance() -> None:
    async with redis_prefix() as (client, prefix):
        one = RedisSlidingWindow(client, prefix, 2, 60.0)
        other = RedisSlidingWindow(client, prefix, 2, 60.0)
        assert await one.check("ada", T0) is None
        assert await other.check("ada", T0 + 1) is None
        assert await one.check("ada", T0 + 2) == 58.0


async def test_a_forgotten_user_counts_afresh_and_no_one_else_does(make) -> None:  # type: ignore[no-untyped-def]
    limiter: RateLimiter = make(1, 60.0)
    for user in ("ada", "bob"):
        assert await limiter.check(user, T0) is None
    await limiter.forget("ada")
    assert await limiter.check("ada", T0 + 1) is None
    assert await limiter.check("bob", T0 + 1) == 59.0
