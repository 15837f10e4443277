"""A streaming answer kept in SQL as it grows, so that a crash loses little of what was
delivered (the start-up sweep, `api.session.recovery.close_unfinished`, stores it)."""

from __future__ import annotations

import asyncio
import logging
import time

from orchestrator.persistence import conversations
from orchestrator.turn_context import Services

log = logging.getLogger(__name__)

# Writes started in the background and not awaited: held here until done (asyncio keeps only
# weak references to tasks).
_background: set[asyncio.Task[None]] = set()


class PartialSaver:
    """Saves a running turn's answer so far every `partial_save_s` once it streams, in the
    background and one write at a time, so that a crash loses at most that much of what was
    delivered. Turns answered quicker than that write nothing extra."""

    def __init__(self, services: Services, session_id: str, turn_id: str, attempt: int = 1) -> None:
        self.services = services
        self.session_id = session_id
        self.turn_id = turn_id
        self.attempt = attempt  # a run that was taken over saves nothing
        self.every_s = services.settings.partial_save_s
        self._due: float | None = None
        self._writing: asyncio.Task[None] | None = None

    def offer(self, text: str) -> None:
        """The answer so far: saved if the last save is old enough and none is under way."""
        if self.every_s <= 0:
            return
        now = time.monotonic()
        if self._due is None:  # the first token: the clock starts
            self._due = now + self.every_s
            return
        if now < self._due or (self._writing is not None and not self._writing.done()):
            return
        self._due = now + self.every_s
        self._writing = asyncio.create_task(self._save(text), name=f"partial-{self.turn_id}")
        _background.add(self._writing)
        self._writing.add_done_callback(_background.discard)

    async def _save(self, text: str) -> None:
        try:
            async with self.services.sessions() as session:
                await conversations.save_partial(
                    session, self.session_id, self.turn_id, text, self.attempt
                )
                await session.commit()
        except Exception as exc:  # the turn goes on; only a crash would need what this keeps
            log.warning("could not save the partial answer of turn %s: %r", self.turn_id, exc)
