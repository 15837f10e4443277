"""What the staff console reads: conversation summaries, the filtered list, transcripts.

Summaries are plain dicts shaped as `api.protocol.ConversationSummary`; the API validates them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import (
    Conversation,
    ConversationStatus,
    Feedback,
    Message,
    MessageRole,
    StaffAction,
    User,
    iso,
)
from orchestrator.persistence import notes
from orchestrator.persistence.staff import WAITING_FOR_PERSON


def console_status(conversation: Conversation) -> str:
    """bot | waiting (for a human) | with_staff | closed."""
    if conversation.status == ConversationStatus.handoff:
        return "with_staff" if conversation.assigned_staff_id else "waiting"
    return str(conversation.status)


async def _person(session: AsyncSession, user_id: str | None) -> dict[str, str] | None:
    if user_id is None:
        return None
    user = await session.get(User, user_id)
    return {"id": user_id, "name": user.name if user else user_id}


async def summarize(session: AsyncSession, conversation: Conversation) -> dict[str, Any]:
    last = await session.scalar(
        select(Message)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    customer = await _person(session, conversation.owner_id)
    assert customer is not None
    status = console_status(conversation)
    return {
        "session_id": conversation.id,
        "customer": customer,
        "status": status,
        "waiting_since": await _waiting_since(session, conversation.id)
        if status == "waiting"
        else None,
        "assigned_staff": await _person(session, conversation.assigned_staff_id),
        "last_message": {
            "role": str(last.role),
            "content": last.content[:500],
            "created_at": iso(last.created_at),
        }
        if last
        else None,
        "route": conversation.last_route,
        "confidence": conversation.last_confidence,
        "updated_at": iso(conversation.updated_at),
    }


async def _waiting_since(session: AsyncSession, session_id: str) -> str | None:
    """When the conversation began waiting for a person: its latest notice that says so."""
    since = await session.scalar(
        select(Message.created_at)
        .where(
            Message.conversation_id == session_id,
            Message.role == MessageRole.system,
            Message.content.startswith(WAITING_FOR_PERSON),
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    return iso(since) if since is not None else None


def _filtered(
    status: str | None, route: str | None, text: str | None, assigned_to: str | None
) -> Select[Any]:
    query = select(Conversation)
    if assigned_to == "":
        query = query.where(Conversation.assigned_staff_id.is_(None))
    elif assigned_to is not None:
        query = query.where(Conversation.assigned_staff_id == assigned_to)
    if status == "waiting":
        query = query.where(
            Conversation.status == ConversationStatus.handoff,
            Conversation.assigned_staff_id.is_(None),
        )
    elif status == "with_staff":
        query = query.where(
            Conversation.status == ConversationStatus.handoff,
            Conversation.assigned_staff_id.is_not(None),
        )
    elif status in ("bot", "closed"):
        query = query.where(Conversation.status == status)
    if route:
        query = query.where(Conversation.last_route == route)
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(
            or_(
                Conversation.title.ilike(pattern),
                Conversation.id.ilike(pattern),
                exists().where(
                    Message.conversation_id == Conversation.id, Message.content.ilike(pattern)
                ),
                exists().where(User.id == Conversation.owner_id, User.name.ilike(pattern)),
            )
        )
    return query


async def list_conversations(
    session: AsyncSession,
    *,
    status: str | None,
    route: str | None,
    text: str | None,
    limit: int,
    assigned_to: str | None = None,
) -> list[dict[str, Any]]:
    """Summaries, newest first; `assigned_to` a staff id for theirs, "" for nobody's."""
    rows = await session.scalars(
        _filtered(status, route, text, assigned_to)
        .order_by(Conversation.updated_at.desc())
        .limit(limit)
    )
    return [await summarize(session, c) for c in rows]


async def transcript(session: AsyncSession, conversation: Conversation) -> dict[str, Any]:
    messages = list(
        await session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.created_at, Message.id)
        )
    )
    feedback = {
        f.message_id: {"rating": "up" if f.rating > 0 else "down", "comment": f.comment}
        for f in await session.scalars(
            select(Feedback).where(Feedback.message_id.in_([m.id for m in messages]))
        )
    }
    actions = await session.scalars(
        select(StaffAction)
        .where(StaffAction.conversation_id == conversation.id)
        .order_by(StaffAction.created_at)
    )
    return {
        "conversation": await summarize(session, conversation),
        "messages": [
            {
                "id": m.id,
                "role": m.role,
                "content": m.content,
                "status": m.status,
                "agents": m.agents,
                "confidence": m.confidence,
                "sources": m.sources,
                "tools": m.tools,
                "latency_ms": m.latency_ms,
                "error_code": m.error_code,
                "created_at": iso(m.created_at),
                "author": await _person(session, m.author_id),
                "feedback": feedback.get(m.id),
            }
            for m in messages
        ],
        "actions": [
            {
                "staff": await _person(session, a.staff_id),
                "action": a.action,
                "detail": a.detail,
                "created_at": iso(a.created_at),
            }
            for a in actions
        ],
        "notes": await notes.of(session, conversation.id),
    }
