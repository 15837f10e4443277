"""Handoff between the assistant and staff: conversation status, notices, and the audit trail.

Every change saves the new status, a system message in the transcript and, for a staff member's
act, a `StaffAction` row, in one transaction.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import (
    Conversation,
    ConversationStatus,
    Message,
    MessageRole,
    Role,
    StaffAction,
    User,
    utcnow,
)
from orchestrator.persistence.refusals import NotFound, Refused
from orchestrator.persistence.users import ensure_user

StaffChange = Literal["takeover", "handback", "close"]
# How the transcript notice of a conversation waiting for a person begins.
WAITING_FOR_PERSON = "Waiting for a person"


def _notice(session: AsyncSession, conversation: Conversation, text: str) -> None:
    conversation.updated_at = utcnow()
    session.add(Message(conversation_id=conversation.id, role=MessageRole.system, content=text))


async def request_person(session: AsyncSession, session_id: str, reason: str) -> bool:
    """Mark the conversation as waiting for a human; False if it already is (or is closed)."""
    conversation = await session.get(Conversation, session_id)
    if conversation is None or conversation.status != ConversationStatus.bot:
        return False
    conversation.status = ConversationStatus.handoff
    _notice(session, conversation, f"{WAITING_FOR_PERSON}: {reason}")
    await session.commit()
    return True


async def change(
    session: AsyncSession,
    session_id: str,
    staff: tuple[str, str, str],
    action: StaffChange,
) -> Conversation:
    """A staff member takes over, hands back or closes; NotFound or Refused (saying why)."""
    staff_id, staff_name, staff_role = staff
    conversation = await session.get(Conversation, session_id)
    if conversation is None:
        raise NotFound(session_id)
    await ensure_user(session, staff_id, staff_name, staff_role)
    match action:
        case "takeover":
            if conversation.status == ConversationStatus.closed:
                raise Refused("The conversation is closed")
            if conversation.assigned_staff_id not in (None, staff_id):
                raise Refused("Another staff member has this conversation")
            conversation.status = ConversationStatus.handoff
            conversation.assigned_staff_id = staff_id
            _notice(session, conversation, f"{staff_name} took over the conversation.")
        case "handback":
            if conversation.assigned_staff_id is None:
                raise Refused("Nobody has taken this conversation over")
            conversation.status = ConversationStatus.bot
            conversation.assigned_staff_id = None
            _notice(session, conversation, f"{staff_name} handed the conversation back.")
        case "close":
            conversation.status = ConversationStatus.closed
            conversation.assigned_staff_id = None
            _notice(session, conversation, f"{staff_name} closed the conversation.")
    session.add(StaffAction(conversation_id=session_id, staff_id=staff_id, action=action))
    await session.commit()
    return conversation


async def assign(
    session: AsyncSession, session_id: str, staff: tuple[str, str, str], assignee_id: str
) -> Conversation:
    """A staff member hands the conversation to a colleague (or takes it themselves): the
    colleague has it as if they had taken it over. NotFound or Refused (saying why)."""
    staff_id, staff_name, staff_role = staff
    conversation = await session.get(Conversation, session_id)
    if conversation is None:
        raise NotFound(session_id)
    if conversation.status == ConversationStatus.closed:
        raise Refused("The conversation is closed")
    assignee = await session.get(User, assignee_id)
    if assignee is None or assignee.role not in (Role.staff, Role.admin):
        raise Refused(f"{assignee_id} is no staff member")
    await ensure_user(session, staff_id, staff_name, staff_role)
    conversation.status = ConversationStatus.handoff
    conversation.assigned_staff_id = assignee_id
    _notice(session, conversation, f"{staff_name} assigned the conversation to {assignee.name}.")
    session.add(
        StaffAction(
            conversation_id=session_id, staff_id=staff_id, action="assign", detail=assignee.name
        )
    )
    await session.commit()
    return conversation


async def members(session: AsyncSession) -> list[tuple[str, str]]:
    """(id, name) of every staff member and admin known, by name."""
    rows = await session.execute(
        select(User.id, User.name)
        .where(User.role.in_([Role.staff, Role.admin]))
        .order_by(User.name, User.id)
    )
    return [(str(i), str(n)) for i, n in rows]


async def write(
    session: AsyncSession, session_id: str, staff: tuple[str, str, str], text: str
) -> Message:
    """A staff member's message to the customer, saved and recorded; they must have taken over."""
    staff_id, staff_name, staff_role = staff
    conversation = await session.get(Conversation, session_id)
    if conversation is None:
        raise NotFound(session_id)
    await ensure_user(session, staff_id, staff_name, staff_role)
    if conversation.assigned_staff_id != staff_id:
        raise Refused("Take the conversation over before writing in it")
    message = Message(
        conversation_id=session_id, role=MessageRole.staff, content=text, author_id=staff_id
    )
    session.add(message)
    session.add(
        StaffAction(
            conversation_id=session_id, staff_id=staff_id, action="message", detail=text[:200]
        )
    )
    conversation.updated_at = utcnow()
    await session.commit()
    return message
