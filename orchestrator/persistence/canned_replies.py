"""The replies staff keep to put into a message ("canned replies"): a title and a text each.

Every staff member sees them all; each records who kept it (the API logs who removes one).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import CannedReply, iso, new_id, utcnow
from orchestrator.persistence.refusals import NotFound, Refused
from orchestrator.persistence.users import ensure_user


def shown(reply: CannedReply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "title": reply.title,
        "content": reply.content,
        "created_by": reply.created_by,
        "created_at": iso(reply.created_at),
    }


async def all_of(session: AsyncSession) -> list[dict[str, Any]]:
    """Every canned reply, by title."""
    replies = await session.scalars(select(CannedReply).order_by(CannedReply.title))
    return [shown(reply) for reply in replies]


async def add(
    session: AsyncSession, staff: tuple[str, str, str], title: str, content: str
) -> dict[str, Any]:
    """Keep a reply under a title; Refused when another has that title."""
    staff_id, staff_name, staff_role = staff
    await ensure_user(session, staff_id, staff_name, staff_role)
    await session.commit()
    reply = CannedReply(
        id=new_id(), title=title, content=content, created_by=staff_id, created_at=utcnow()
    )
    session.add(reply)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Refused(f"A canned reply is already called {title!r}") from None
    return shown(reply)


async def remove(session: AsyncSession, reply_id: str) -> None:
    """Remove a canned reply; NotFound when there is none with that id."""
    gone = await session.execute(delete(CannedReply).where(CannedReply.id == reply_id))
    if not getattr(gone, "rowcount", 0):
        raise NotFound(reply_id)
    await session.commit()
