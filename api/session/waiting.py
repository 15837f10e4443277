"""The customer's messages that waited while a person had the conversation, answered when
it comes back to the assistant: one turn for them all, as a message would start it (the
session's lease, a place in the admission queue), its events to whoever follows the session
on any instance.

A turn already running in the session, a full queue or a person who took the conversation
again leave them unanswered: the customer sees them as sent, and the next message is
answered as usual.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from api.session.stored_turn import start_stored
from api.session.turn_queue import Overloaded
from orchestrator.persistence.conversation_rows import Waiting
from orchestrator.persistence.line import NotStarted

if TYPE_CHECKING:  # for the annotations only: api.deps imports this package
    from api.deps import AppState

log = logging.getLogger(__name__)


async def answer_waiting(state: AppState, session_id: str) -> str | None:
    """Start the turn that answers the session's unanswered messages; its turn id, or None
    when nothing waits or it cannot start now."""
    db, channels = state.orchestrator.services.db, state.channels
    if channels.running_here(session_id) is not None:
        return None
    waiting = await db.unanswered(session_id)
    if not waiting or waiting[-1].turn_id is None:
        return None
    turn_id = waiting[-1].turn_id
    ticket = channels.queue.reserve()
    if isinstance(ticket, Overloaded):
        log.warning("session %s: the messages that waited are not answered: overloaded", session_id)
        return None

    async def take() -> Waiting | NotStarted:
        started = await db.start_waiting_turn(session_id)
        return NotStarted.NOTHING if started is None or started.turn_id != turn_id else started

    return await start_stored(channels, session_id, turn_id, take, ticket)
