"""Retention: conversations idle past `RETENTION_DAYS` are removed on a timer, their graph
checkpoints with them, so that nothing of them is kept (see `persistence.retention`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

from orchestrator.models import utcnow
from orchestrator.persistence import UNAVAILABLE

log = logging.getLogger(__name__)


class Conversations(Protocol):
    async def idle_conversations(self, before: datetime) -> list[str]: ...

    async def remove_conversations(self, session_ids: list[str], before: datetime) -> int: ...


class Threads(Protocol):
    async def adelete_thread(self, thread_id: str) -> Any: ...


async def sweep(db: Conversations, checkpoints: Threads, days: float, now: datetime) -> int:
    """Remove the conversations idle for `days` at `now`, checkpoints first; how many went."""
    before = now - timedelta(days=days)
    removed = 0
    while ids := await db.idle_conversations(before):
        for session_id in ids:
            await checkpoints.adelete_thread(session_id)
        gone = await db.remove_conversations(ids, before)
        removed += gone
        if gone < len(ids):  # some became busy again meanwhile: the next sweep sees them
            break
    return removed


async def keep_sweeping(
    db: Conversations, checkpoints: Threads, days: float, every_s: float
) -> None:
    """Sweep every `every_s` for as long as the service runs (cancel the task to stop)."""
    while True:
        try:
            removed = await sweep(db, checkpoints, days, utcnow())
        except UNAVAILABLE:
            log.warning("retention: the database is away; sweeping again later")
        else:
            if removed:
                log.info("retention: removed %d conversation(s) idle over %g days", removed, days)
        await asyncio.sleep(every_s)
