"""Retention: conversations idle past `RETENTION_DAYS` are dealt with on a timer, as
`RETENTION_STRATEGY` says. "delete" removes them, their graph checkpoints with them, so that
nothing of them is kept; "keep_latest" keeps each with its transcript and reduces its graph
checkpoints to the latest, which the next turn reads, removing the older ones (the history of
its states, most of what it stores). See `persistence.retention`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

from orchestrator import checkpointer
from orchestrator.models import utcnow
from orchestrator.persistence import UNAVAILABLE
from orchestrator.settings import RetentionStrategy

log = logging.getLogger(__name__)


class Conversations(Protocol):
    async def idle_conversations(
        self, before: datetime, *, unreduced: bool = False
    ) -> list[str]: ...

    async def remove_conversations(self, session_ids: list[str], before: datetime) -> int: ...

    async def mark_reduced(self, session_ids: list[str], before: datetime, at: datetime) -> int: ...


class Threads(checkpointer.Prunable, Protocol):
    async def adelete_thread(self, thread_id: str) -> Any: ...


async def sweep(
    db: Conversations,
    checkpoints: Threads,
    days: float,
    now: datetime,
    strategy: RetentionStrategy = "delete",
) -> int:
    """Deal with the conversations idle for `days` at `now` by `strategy`; how many were."""
    before = now - timedelta(days=days)
    match strategy:
        case "delete":
            return await remove_idle(db, checkpoints, before)
        case "keep_latest":
            return await reduce_idle(db, checkpoints, before, now)


async def remove_idle(db: Conversations, checkpoints: Threads, before: datetime) -> int:
    """Remove the conversations idle since before `before`, checkpoints first; how many went."""
    removed = 0
    while ids := await db.idle_conversations(before):
        for session_id in ids:
            await checkpoints.adelete_thread(session_id)
        gone = await db.remove_conversations(ids, before)
        removed += gone
        if gone < len(ids):  # some became busy again meanwhile: the next sweep sees them
            break
    return removed


async def reduce_idle(
    db: Conversations, checkpoints: Threads, before: datetime, now: datetime
) -> int:
    """Reduce the checkpoints of the conversations idle since before `before` to their latest,
    each once until it changes again; how many were."""
    reduced = 0
    while ids := await db.idle_conversations(before, unreduced=True):
        done = [i for i in ids if await checkpointer.keep_latest(checkpoints, i)]
        marked = await db.mark_reduced(done, before, now)
        reduced += marked
        if marked < len(ids):  # some changed meanwhile, or were being reduced: the next sweep
            break
    return reduced


async def keep_sweeping(
    db: Conversations,
    checkpoints: Threads,
    days: float,
    every_s: float,
    strategy: RetentionStrategy = "delete",
) -> None:
    """Sweep every `every_s` for as long as the service runs (cancel the task to stop)."""
    done = {"delete": "removed", "keep_latest": "reduced to their latest checkpoint"}[strategy]
    while True:
        try:
            count = await sweep(db, checkpoints, days, utcnow(), strategy)
        except UNAVAILABLE:
            log.warning("retention: the database is away; sweeping again later")
        except Exception:  # the checkpointer's own driver errors too: the timer goes on
            log.exception("retention: the sweep failed; sweeping again later")
        else:
            if count:
                log.info("retention: %d conversation(s) idle over %g days %s", count, days, done)
        await asyncio.sleep(every_s)
