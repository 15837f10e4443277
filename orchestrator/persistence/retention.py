"""Conversations past the retention: found, and removed with everything that hangs on them, or
marked as reduced to their latest graph checkpoint.

A conversation goes with its messages, their feedback, its staff actions, notes and rating (the
foreign keys cascade). A turn under way touches its conversation as it goes, so none is under
way in a conversation idle for days; one that changed while the sweep ran is kept (the delete
asks again). The customer's appointments and vehicles are not a conversation's and stay.

A conversation reduced instead keeps every row; `reduced_at` says when, until it changes
again (any change clears it): one reduced since it last changed is passed by.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import Conversation

BATCH = 500  # conversations a sweep removes at a time


async def idle_since(
    session: AsyncSession, before: datetime, limit: int = BATCH, *, unreduced: bool = False
) -> list[str]:
    """Ids of conversations last changed before `before`, oldest first; with `unreduced`, only
    those not reduced since they last changed."""
    query = select(Conversation.id).where(Conversation.updated_at < before)
    if unreduced:
        query = query.where(Conversation.reduced_at.is_(None))
    rows = await session.scalars(query.order_by(Conversation.updated_at).limit(limit))
    return list(rows)


async def remove(session: AsyncSession, session_ids: Sequence[str], before: datetime) -> int:
    """Remove these conversations if they are still idle since before `before`; how many."""
    if not session_ids:
        return 0
    gone = await session.execute(
        delete(Conversation).where(
            Conversation.id.in_(list(session_ids)), Conversation.updated_at < before
        )
    )
    await session.commit()
    return int(getattr(gone, "rowcount", 0) or 0)


async def mark_reduced(
    session: AsyncSession, session_ids: Sequence[str], before: datetime, at: datetime
) -> int:
    """Record these conversations as reduced `at` if they are still idle since before `before`;
    how many. Their `updated_at` stays: being reduced is no change of the conversation's."""
    if not session_ids:
        return 0
    marked = await session.execute(
        update(Conversation)
        .where(Conversation.id.in_(list(session_ids)), Conversation.updated_at < before)
        .values(reduced_at=at, updated_at=Conversation.updated_at)
    )
    await session.commit()
    return int(getattr(marked, "rowcount", 0) or 0)
