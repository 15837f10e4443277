"""Recovery of the turns another process left: run again by a survivor when their instance
died or handed them over (`rescue_orphans`, with the live state shared), or closed at start-up
when this process is the only one (`close_unfinished`). What to do with each is decided without
I/O in `api.session.supervisor` (`Rescue`, `next_run`, `after_fence`).
"""

from __future__ import annotations

import asyncio
import logging
import time

from api.live.takeover import SCAN_EVERY_S, RunningTurn
from api.protocol import ErrorCode, ErrorEvent, ServerEventBase
from api.session.channels import ChannelRegistry
from api.session.supervisor import Rescue, after_fence, next_run, rescue_here
from api.session.turn_events import stored_answer
from api.session.turn_queue import Overloaded
from orchestrator.models import MessageStatus

__all__ = ["close_unfinished", "rescue_orphans"]

log = logging.getLogger(__name__)

# How far a session's numbering jumps after a crash: past every seq the dead process may have
# sent since it last saved one (a turn sends far fewer events).
SEQ_GAP = 100_000


async def rescue_orphans(channels: ChannelRegistry) -> None:
    """Run again, here, the turns whose instance died (see `api.live.takeover`); runs for
    good."""
    while True:
        await asyncio.sleep(SCAN_EVERY_S)
        try:
            for turn in await channels.turns.orphans():
                if await channels.turns.claim(turn):
                    await _take_over(channels, turn)
        except Exception:
            log.exception("could not look for orphaned turns")


async def _take_over(channels: ChannelRegistry, turn: RunningTurn) -> None:
    session_id, turn_id = turn.session_id, turn.turn_id
    channel = await channels.channel(session_id)
    here = rescue_here(channel.turn_id if channel.busy else None, turn_id)
    if here is Rescue.TAKE_BACK:
        await channels.leases.acquire(session_id, turn_id, time.time())
        return
    if here is Rescue.FORGET:
        await channels.turns.forget(session_id, turn_id)
        return
    db = channels.orchestrator.services.db
    # The next run takes the turn's fence first: from then on the run it replaces (if it
    # only stalled) can store nothing, so an answer found after this is final. False: the
    # turn is no longer under way in SQL (it ended just before its instance went).
    again = next_run(turn)
    taken = again is not None and await db.take_over_turn(session_id, turn_id, again.attempt)
    answer = await db.answer_for_turn(session_id, turn_id)
    decision = after_fence(taken=taken, answered=answer is not None)
    if decision is not Rescue.RUN_AGAIN:
        await channels.turns.forget(session_id, turn_id)
        ending: ServerEventBase = (
            stored_answer(answer, session_id)
            if answer is not None
            else ErrorEvent(
                code=ErrorCode.PROCESSING_ERROR,
                error="The server answering this went away twice; please send it again",
                session_id=session_id,
                turn_id=turn_id,
            )
        )
        await channels.send(channel, ending)
        return
    assert again is not None
    if await channels.leases.acquire(session_id, turn_id, time.time()) is not None:
        await channels.turns.forget(session_id, turn_id)  # a new turn has begun meanwhile
        return
    why = "was handed over" if turn.handed_over else "lost its instance"
    log.warning("turn %s %s; running it again here (run %d)", turn_id, why, again.attempt)
    ticket = channels.queue.reserve(force=True)
    assert not isinstance(ticket, Overloaded)  # forced: it always gets a place
    channels.start_run(channel, again, ticket)


async def close_unfinished(channels: ChannelRegistry) -> int:
    """End the turns a previous process left under way (it was killed, or stopped them at
    shutdown): each one's answer so far is stored as failed, and its end (`INTERRUPTED`, or
    the answer it saved) is sent in its stream, numbered past anything the dead process may
    have sent. Only where this process is the only one (live
    state in-process): with Redis, a survivor runs such turns again (`rescue_orphans`).
    Runs before the server takes messages. The number of turns closed."""
    db = channels.orchestrator.services.db
    closed = 0
    for turn in await db.unfinished_turns():
        try:
            answer = await db.close_unfinished(
                turn, error_code=ErrorCode.INTERRUPTED, seq_gap=SEQ_GAP
            )
            if not turn.answered:
                await channels.orchestrator.end_checkpointed_turn(
                    turn.session_id,
                    turn.turn_id,
                    turn.partial,
                    MessageStatus.failed,
                    ErrorCode.INTERRUPTED,
                    question=turn.question,
                )
            # Its end again, in its stream: a client that resumes sees how the turn ended.
            channel = await channels.channel(turn.session_id)
            ended = await channels.send(channel, stored_answer(answer, turn.session_id))
            await channels.remember_seq(channel, ended.seq or 0)
            closed += 1
        except Exception:
            log.exception("could not close turn %s left by a crash", turn.turn_id)
    if closed:
        log.warning("closed %d turn(s) a previous process left unfinished", closed)
    return closed
