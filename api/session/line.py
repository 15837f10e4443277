"""A session's line: the messages sent while its turn was under way, each answered by a turn of
its own, one after the other, in the order they came (double-texting's `enqueue`).

Whoever frees the session starts the next turn: the instance whose turn ends, as it ends
(`ChannelRegistry.on_free`), and the instance that stored a message once it has (the turn it
lined up behind may have ended meanwhile). Each takes the session's lease for the first
message's turn before SQL, as any turn starts, so one of them starts it and the other finds the
session busy. A line whose turn will not end here (its instance died between two turns) is
started by the sweep every instance runs (`keep_moving`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final

from api.session.stored_turn import start_stored

if TYPE_CHECKING:  # for the annotations only: the registry calls this module
    from api.session.channels import ChannelRegistry

log = logging.getLogger(__name__)

SWEEP_EVERY_S: Final = 5.0  # how often every instance looks for lines nobody moves


async def start_next(channels: ChannelRegistry, session_id: str) -> str | None:
    """Start the turn of the message first in the session's line, if one waits and the session
    is free here and everywhere; its turn id, or None."""
    db = channels.orchestrator.services.db
    if channels.running_here(session_id) is not None:
        return None
    turn_id = await db.next_in_line(session_id)
    if turn_id is None:
        return None
    return await start_stored(
        channels, session_id, turn_id, lambda: db.start_in_line(session_id, turn_id)
    )


async def keep_moving(channels: ChannelRegistry, every_s: float = SWEEP_EVERY_S) -> None:
    """Start the lines no turn's end will start (their instance died between two turns, or
    stopped); runs for good."""
    db = channels.orchestrator.services.db
    while True:
        await asyncio.sleep(every_s)
        try:
            for session_id in await db.lines():
                await start_next(channels, session_id)
        except Exception:
            log.exception("could not look for lines to move")
