"""Per-user message rate limiting over a sliding window: in this process, or shared on Redis.

Both backends answer the same question the same way (`tests/api/live/test_ratelimit.py` runs one
spec over both): record a hit and say None, or say how many seconds to wait. The clock is
passed in (wall time, so that instances agree).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis


class RateLimiter(Protocol):
    limit: int
    window_s: float

    async def check(self, key: str, now: float) -> float | None: ...

    async def forget(self, key: str) -> None:
        """Drop the user's hits (their data erased): they count afresh."""
        ...


# The in-process limiter forgets idle users once it knows this many (then twice as many as
# are left): its memory follows the users sending, not every user seen.
PRUNE_FROM = 1024


@dataclass
class SlidingWindow:
    """The in-process limiter: one worker's own counts."""

    limit: int
    window_s: float
    # Each user's hits in the window, oldest first: at most `limit`, so a list (a deque
    # takes ten times the memory of a list of one, and most users send one message).
    _hits: dict[str, list[float]] = field(default_factory=dict)
    _prune_at: int = PRUNE_FROM

    async def check(self, key: str, now: float) -> float | None:
        """Record a hit and return None, or return the seconds to wait if over the limit."""
        if len(self._hits) >= self._prune_at:
            self._prune(now)
        hits = self._hits.setdefault(key, [])
        gone = next((i for i, hit in enumerate(hits) if hit > now - self.window_s), len(hits))
        del hits[:gone]
        if len(hits) >= self.limit:
            return round(hits[0] + self.window_s - now, 3)
        hits.append(now)
        return None

    async def forget(self, key: str) -> None:
        self._hits.pop(key, None)

    def _prune(self, now: float) -> None:
        """Forget the users with no hit in the window (each time the users known double)."""
        self._hits = {k: h for k, h in self._hits.items() if h and h[-1] > now - self.window_s}
        self._prune_at = max(PRUNE_FROM, 2 * len(self._hits))


# One user's hits in a sorted set scored by time; checked and recorded in one atomic step.
_CHECK = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]),
    tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return false
"""


@dataclass
class RedisSlidingWindow:
    """The shared limiter: every worker and instance counts a user's messages together."""

    redis: Redis
    prefix: str
    limit: int
    window_s: float

    def _key(self, key: str) -> str:
        return f"{self.prefix}ratelimit:{key}"

    async def check(self, key: str, now: float) -> float | None:
        wait = await self.redis.eval(
            _CHECK,
            1,
            self._key(key),
            repr(now),
            repr(self.window_s),
            self.limit,
            uuid.uuid4().hex,
        )
        return None if wait is None else round(float(wait), 3)

    async def forget(self, key: str) -> None:
        await self.redis.delete(self._key(key))
