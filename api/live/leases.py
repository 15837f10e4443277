"""One running turn per session across every worker and instance: a lease with expiry.

The instance that admits a turn takes the session's lease and renews it while the turn runs;
another instance asked to start a turn in that session sees the holder and answers BUSY. A lease
that is not renewed (its instance died) lapses after `LEASE_TTL_S`. In this process (`MemoryLeases`)
or on Redis (`RedisLeases`); `tests/api/live/test_leases.py` runs one spec over both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

LEASE_TTL_S = 10.0
RENEW_EVERY_S = LEASE_TTL_S / 3


class TurnLeases(Protocol):
    async def acquire(self, session_id: str, turn_id: str, now: float) -> str | None:
        """Take the lease for `turn_id`: None when taken, else the turn that holds it."""
        ...

    async def renew(self, session_id: str, turn_id: str, now: float) -> bool:
        """Extend the lease if `turn_id` still holds it."""
        ...

    async def release(self, session_id: str, turn_id: str) -> None:
        """Give the lease up, if `turn_id` holds it."""
        ...

    async def holder(self, session_id: str, now: float) -> str | None:
        """The turn that holds the session's lease, if any."""
        ...


@dataclass
class MemoryLeases:
    """Leases of one process."""

    ttl_s: float = LEASE_TTL_S
    _held: dict[str, tuple[str, float]] = field(default_factory=dict)

    async def acquire(self, session_id: str, turn_id: str, now: float) -> str | None:
        held = self._held.get(session_id)
        if held is not None and held[1] > now and held[0] != turn_id:
            return held[0]
        self._held[session_id] = (turn_id, now + self.ttl_s)
        return None

    async def renew(self, session_id: str, turn_id: str, now: float) -> bool:
        held = self._held.get(session_id)
        if held is None or held[0] != turn_id or held[1] <= now:
            return False
        self._held[session_id] = (turn_id, now + self.ttl_s)
        return True

    async def release(self, session_id: str, turn_id: str) -> None:
        held = self._held.get(session_id)
        if held is not None and held[0] == turn_id:
            del self._held[session_id]

    async def holder(self, session_id: str, now: float) -> str | None:
        held = self._held.get(session_id)
        return held[0] if held is not None and held[1] > now else None


_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass
class RedisLeases:
    """Leases shared by every instance: one key per session, its value the holding turn.
    Redis expires the key itself, so `now` is not used."""

    redis: Redis
    prefix: str
    ttl_s: float = LEASE_TTL_S

    def _key(self, session_id: str) -> str:
        return f"{self.prefix}lease:{session_id}"

    async def acquire(self, session_id: str, turn_id: str, now: float) -> str | None:
        ttl_ms = int(self.ttl_s * 1000)
        if await self.redis.set(self._key(session_id), turn_id, nx=True, px=ttl_ms):
            return None
        holder = await self.redis.get(self._key(session_id))
        if holder is None:  # it lapsed between the two calls: try once more
            taken = await self.redis.set(self._key(session_id), turn_id, nx=True, px=ttl_ms)
            holder = None if taken else await self.redis.get(self._key(session_id))
            return None if holder is None else str(holder)
        return None if holder == turn_id else str(holder)

    async def renew(self, session_id: str, turn_id: str, now: float) -> bool:
        ttl_ms = int(self.ttl_s * 1000)
        return bool(await self.redis.eval(_RENEW, 1, self._key(session_id), turn_id, ttl_ms))

    async def release(self, session_id: str, turn_id: str) -> None:
        await self.redis.eval(_RELEASE, 1, self._key(session_id), turn_id)

    async def holder(self, session_id: str, now: float) -> str | None:
        holder = await self.redis.get(self._key(session_id))
        return None if holder is None else str(holder)
