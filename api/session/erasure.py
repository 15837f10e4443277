"""A customer's data erased from the running service, in the order that leaves nothing behind.

Their running turns are cancelled first and waited for: a cancelled turn still saves its
answer and checkpoint as it ends, which must happen before the rows go, not after. Then every
row of theirs goes in one transaction (`Database.erase_customer`), and then what the live
state keeps of their sessions: the events kept for `resume` and their numbering (in this
process or on Redis, for every instance), the running-turn records other instances would run
again, this process's channels, and their rate-limit count.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from api.live.leases import LEASE_TTL_S
from api.live.pubsub import LiveState, session_topic
from api.live.takeover import TurnRecords
from api.session.channels import ChannelRegistry
from orchestrator.persistence import Person
from orchestrator.persistence.customer_record import Erasure

if TYPE_CHECKING:  # for the annotations only: api.deps imports this package
    from api.deps import AppState

log = logging.getLogger(__name__)

# A turn whose instance died holds the session's lease until it lapses: waited for that long.
STOP_WAIT_S = LEASE_TTL_S + 5.0
STOP_POLL_S = 0.1


async def erase_customer(state: AppState, customer_id: str, by: Person) -> Erasure:
    """Stop the customer's turns, erase their rows, and drop what the live state keeps of
    them; what was removed. NotFound, or Refused for a staff member (see `customer_data`)."""
    db, channels = state.orchestrator.services.db, state.channels
    sessions = await db.customer_sessions(customer_id)
    for session_id in sessions:
        await channels.cancel(session_id)
    await stopped(channels, sessions, STOP_WAIT_S)
    erased = await db.erase_customer(customer_id, by)
    await forget_sessions(channels.pubsub, channels.turns, erased.session_ids)
    for session_id in erased.session_ids:
        channels.channels.pop(session_id, None)  # made afresh, numbered from 0, if used again
    await state.limiter.forget(customer_id)
    return erased


async def stopped(channels: ChannelRegistry, session_ids: Iterable[str], within_s: float) -> bool:
    """Wait until no turn runs in these sessions, here or on another instance, `within_s` at
    most: whether none does."""
    session_ids = list(session_ids)
    here = [
        channel.task
        for session_id in session_ids
        if (channel := channels.channels.get(session_id)) is not None
        and channel.task is not None
        and not channel.task.done()
    ]
    try:
        async with asyncio.timeout(within_s):
            if here:
                await asyncio.wait(here)
            for session_id in session_ids:
                while await channels.running(session_id) is not None:  # noqa: ASYNC110
                    await asyncio.sleep(STOP_POLL_S)  # another instance's lease: no event here
    except TimeoutError:
        log.warning("a turn did not stop within %.0f s; its customer is erased anyway", within_s)
        return False
    return True


async def forget_sessions(live: LiveState, turns: TurnRecords, session_ids: Iterable[str]) -> None:
    """Drop the sessions' kept events and numbering, and any record of a turn running in them
    (which another instance would otherwise run again)."""
    for session_id in session_ids:
        await live.erase(session_topic(session_id))
        running = await turns.running(session_id)
        if running is not None:
            await turns.forget(session_id, running.turn_id)
