"""A turn outlives its instance: running turns are recorded, and orphans are run again.

Every instance records the turns it runs (`RunningTurn`, enough to run one again) and forgets
them when they end. A turn whose lease lapsed (its instance died: nobody renews it) while its
record remains is an orphan; every instance looks for orphans every `SCAN_EVERY_S`, one claims
each, and the registry runs it again under the same turn id, continuing the session's stream.
In one process there is nobody to take over (`NoTakeover`); on Redis, `RedisTurns`.

A run that only stalled (past its lease) and comes back is fenced: the claim that replaced it
refuses its events (`api.live.live_redis`), and the turn's fence in SQL refuses its answer
(`orchestrator.persistence.conversations.take_over_turn`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel

if TYPE_CHECKING:
    from redis.asyncio import Redis

SCAN_EVERY_S = 2.0
# Runs of one turn that may be lost with their instance before it is given up: a turn that
# kills instances is not retried for ever. A run handed over at a shutdown is not lost.
MAX_LOST_RUNS = 1
# A claim is also the fence of the run it replaces: while it exists, that run (stalled, not
# dead) can publish nothing more in the session (`api.live.live_redis`). Kept a day, longer than
# any stall a process comes back from.
CLAIM_TTL_S = 24 * 3600.0


def claim_key(prefix: str, turn_id: str, attempt: int) -> str:
    """The key by which run `attempt` of a turn was claimed by another instance."""
    return f"{prefix}claim:{turn_id}:{attempt}"


class RunningTurn(BaseModel):
    """What an instance needs to run a turn again."""

    session_id: str
    turn_id: str
    customer_id: str
    author_id: str
    text: str
    client_message_id: str | None = None
    attempt: int = 1
    lost: int = 0  # earlier runs lost with their instance (not handed over)
    handed_over: bool = False  # this run was stopped by a shutdown for a survivor to run again


class TurnRecords(Protocol):
    async def record(self, turn: RunningTurn) -> None:
        """The turn runs here from now on."""
        ...

    async def forget(self, session_id: str, turn_id: str) -> None:
        """The turn ended (whatever way): nobody is to run it again."""
        ...

    async def running(self, session_id: str) -> RunningTurn | None:
        """The turn recorded as running in the session, if any."""
        ...

    async def orphans(self) -> list[RunningTurn]:
        """Recorded turns whose lease lapsed."""
        ...

    async def claim(self, turn: RunningTurn) -> bool:
        """True for exactly one instance that asks for this attempt of the turn."""
        ...


class NoTakeover:
    """One process: if it dies every turn dies with it, and a restart reports them."""

    async def record(self, turn: RunningTurn) -> None:
        return None

    async def forget(self, session_id: str, turn_id: str) -> None:
        return None

    async def running(self, session_id: str) -> RunningTurn | None:
        return None

    async def orphans(self) -> list[RunningTurn]:
        return []

    async def claim(self, turn: RunningTurn) -> bool:
        return False


_FORGET = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw and cjson.decode(raw)['turn_id'] == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""


@dataclass
class RedisTurns:
    """One hash of running turns by session, beside the leases (`api.live.leases.RedisLeases`)."""

    redis: Redis
    prefix: str

    @property
    def _key(self) -> str:
        return f"{self.prefix}turns"

    def _lease(self, session_id: str) -> str:
        return f"{self.prefix}lease:{session_id}"

    async def record(self, turn: RunningTurn) -> None:
        await self.redis.hset(self._key, turn.session_id, turn.model_dump_json())

    async def forget(self, session_id: str, turn_id: str) -> None:
        await self.redis.eval(_FORGET, 1, self._key, session_id, turn_id)

    async def running(self, session_id: str) -> RunningTurn | None:
        raw = await self.redis.hget(self._key, session_id)
        return None if raw is None else RunningTurn.model_validate_json(raw)

    async def orphans(self) -> list[RunningTurn]:
        recorded: dict[str, str] = await self.redis.hgetall(self._key)  # type: ignore[assignment]
        if not recorded:
            return []
        sessions = list(recorded)
        async with self.redis.pipeline(transaction=False) as pipe:
            for session_id in sessions:
                pipe.exists(self._lease(session_id))
            leased = await pipe.execute()
        found = []
        for session_id, held in zip(sessions, leased, strict=True):
            if not held:
                try:
                    found.append(RunningTurn.model_validate(json.loads(recorded[session_id])))
                except ValueError:
                    await self.redis.hdel(self._key, session_id)
        return found

    async def claim(self, turn: RunningTurn) -> bool:
        key = claim_key(self.prefix, turn.turn_id, turn.attempt)
        return bool(await self.redis.set(key, "1", nx=True, px=int(CLAIM_TTL_S * 1000)))
