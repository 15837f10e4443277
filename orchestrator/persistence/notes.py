"""Staff notes on a conversation: written by staff for staff, never shown to the customer.

A note is saved with a `StaffAction` ("note") in one transaction, so the audit trail names who
wrote what and when.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import Conversation, StaffAction, StaffNote, User, iso, new_id, utcnow
from orchestrator.persistence.refusals import NotFound
from orchestrator.persistence.users import ensure_user

AUDIT_DETAIL = 200  # characters of a note the audit trail keeps


def shown(note: StaffNote, author: User | None) -> dict[str, Any]:
    """A note as the console shows it."""
    return {
        "id": note.id,
        "content": note.content,
        "author": {"id": note.author_id, "name": author.name if author else note.author_id},
        "created_at": iso(note.created_at),
    }


async def add(
    session: AsyncSession, session_id: str, staff: tuple[str, str, str], text: str
) -> dict[str, Any]:
    """Save a staff member's note on the conversation; NotFound if there is none."""
    staff_id, staff_name, staff_role = staff
    if await session.get(Conversation, session_id) is None:
        raise NotFound(session_id)
    author = await ensure_user(session, staff_id, staff_name, staff_role)
    note = StaffNote(id=new_id(), conversation_id=session_id, author_id=staff_id, content=text)
    note.created_at = utcnow()
    session.add(note)
    session.add(
        StaffAction(
            conversation_id=session_id,
            staff_id=staff_id,
            action="note",
            detail=text[:AUDIT_DETAIL],
        )
    )
    await session.commit()
    return shown(note, author)


async def of(session: AsyncSession, session_id: str) -> list[dict[str, Any]]:
    """The conversation's notes, oldest first."""
    rows = await session.execute(
        select(StaffNote, User)
        .join(User, User.id == StaffNote.author_id, isouter=True)
        .where(StaffNote.conversation_id == session_id)
        .order_by(StaffNote.created_at, StaffNote.id)
    )
    return [shown(note, author) for note, author in rows]
