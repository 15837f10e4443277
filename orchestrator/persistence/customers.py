"""What the console's customer panel reads about one customer: who they are, the vehicles they
registered, their appointments, their conversations, and what they wrote lately (in which the
API finds the vehicles they named)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import Appointment, Conversation, Message, MessageRole, User, Vehicle, iso
from orchestrator.persistence.console import console_status

CONVERSATIONS = 20  # the newest a panel lists
MESSAGES = 200  # the newest messages of theirs read for the vehicles they named


async def panel(session: AsyncSession, customer_id: str) -> dict[str, Any] | None:
    """The customer's panel, None when no such user has written."""
    user = await session.get(User, customer_id)
    if user is None:
        return None
    vehicles = await session.scalars(
        select(Vehicle).where(Vehicle.owner_id == customer_id).order_by(Vehicle.created_at)
    )
    appointments = await session.scalars(
        select(Appointment)
        .where(Appointment.customer_id == customer_id)
        .order_by(Appointment.starts_at.desc())
        .limit(CONVERSATIONS)
    )
    conversations = await session.scalars(
        select(Conversation)
        .where(Conversation.owner_id == customer_id)
        .order_by(Conversation.updated_at.desc())
        .limit(CONVERSATIONS)
    )
    said = await session.scalars(
        select(Message.content)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.owner_id == customer_id, Message.role == MessageRole.user)
        .order_by(Message.created_at.desc())
        .limit(MESSAGES)
    )
    return {
        "customer": {"id": user.id, "name": user.name},
        "registered": [
            {"model": v.model, "variant": v.variant, "year": v.year, "mileage_km": v.mileage_km}
            for v in vehicles
        ],
        "appointments": [
            {
                "id": a.id,
                "service_type": a.service_type,
                "starts_at": iso(a.starts_at),
                "status": str(a.status),
            }
            for a in appointments
        ],
        "conversations": [
            {
                "session_id": c.id,
                "title": c.title,
                "status": console_status(c),
                "updated_at": iso(c.updated_at),
            }
            for c in conversations
        ],
        "said": list(said),
    }
