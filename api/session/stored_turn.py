"""A turn started from messages already stored, not from a message just received: the next one
in a session's line (`api.session.line`), or those that waited while a person had the
conversation (`api.session.waiting`). As a received message's turn starts: the session's lease
for the turn first, then SQL marks the turn under way (`take`), then the turn runs."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from api.session.turn_queue import Overloaded, Ticket
from orchestrator.persistence.conversation_rows import Waiting
from orchestrator.persistence.line import NotStarted

if TYPE_CHECKING:  # for the annotations only: the registry calls the modules that call this
    from api.session.channels import ChannelRegistry


async def start_stored(
    channels: ChannelRegistry,
    session_id: str,
    turn_id: str,
    take: Callable[[], Awaitable[Waiting | NotStarted]],
    ticket: Ticket | None = None,
) -> str | None:
    """Start turn `turn_id` of the session from what `take` marks under way in SQL; its turn
    id, or None when a turn holds the session's lease or `take` started nothing (the lease is
    let go, unless another starter holds it for the same turn: `ELSEWHERE`). `ticket`: the
    turn's place in the admission queue, taken already; without one the turn, accepted when
    its messages were stored, gets a place whatever the wait."""
    if await channels.leases.acquire(session_id, turn_id, time.time()) is not None:
        if ticket is not None:
            ticket.finish()
        return None  # a turn is under way: its end starts the next
    try:
        started = await take()
        if isinstance(started, NotStarted):
            if started is not NotStarted.ELSEWHERE:  # else another starter runs it, leased
                await channels.leases.release(session_id, turn_id)
            if ticket is not None:
                ticket.finish()
            return None
        channel = await channels.channel(session_id)
    except BaseException:
        await channels.leases.release(session_id, turn_id)
        if ticket is not None:
            ticket.finish()
        raise
    if ticket is None:
        forced = channels.queue.reserve(force=True)
        assert not isinstance(forced, Overloaded)
        ticket = forced
    channels.start_turn(
        channel,
        customer_id=started.owner_id,
        author_id=started.author_id,
        text=started.text,
        turn_id=turn_id,
        client_message_id=started.client_message_id,
        ticket=ticket,
        profile=started.profile,
    )
    return turn_id
