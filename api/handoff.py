"""Handoff between the assistant and staff: state changes, notices, and the audit trail.

Every change is saved (conversation status, a system message in the transcript, a staff
action), then announced: a `handoff` event to the session and a `conversation` event to
the staff console.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api import handoff_rules
from api.auth import Principal
from api.deps import AppState
from api.protocol import (
    CompleteEvent,
    ConversationEvent,
    CustomerMessageEvent,
    HandoffEvent,
    StaffMessageEvent,
)
from api.pubsub import STAFF_TOPIC
from api.staff_views import summarize
from orchestrator.conversations import ensure_user
from orchestrator.models import (
    Conversation,
    ConversationStatus,
    Message,
    MessageRole,
    StaffAction,
    utcnow,
)


class HandoffRefused(Exception):
    """The action does not fit the conversation's state."""


async def announce(state: AppState, conversation_id: str) -> None:
    """Tell the staff console that a conversation changed (it reads the list when it opens)."""
    if not state.channels.pubsub.has_subscribers(STAFF_TOPIC):
        return  # no console open: skip the four queries the summary takes
    async with state.orchestrator.services.sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            return
        summary = await summarize(session, conversation)
    state.channels.pubsub.publish(STAFF_TOPIC, ConversationEvent(conversation=summary))


async def _to_session(
    state: AppState, session_id: str, event: HandoffEvent | StaffMessageEvent | CustomerMessageEvent
) -> None:
    channel = await state.channels.channel(session_id)
    channel.publish(event.model_copy(update={"session_id": session_id}))


def _notice(session: AsyncSession, conversation: Conversation, text: str) -> None:
    conversation.updated_at = utcnow()
    session.add(Message(conversation_id=conversation.id, role=MessageRole.system, content=text))


async def request_person(state: AppState, session_id: str, reason: str) -> bool:
    """Mark the conversation as waiting for a human; False if it already is (or is closed)."""
    async with state.orchestrator.services.sessions() as session:
        conversation = await session.get(Conversation, session_id)
        if conversation is None or conversation.status != ConversationStatus.bot:
            return False
        conversation.status = ConversationStatus.handoff
        _notice(session, conversation, f"Waiting for a person: {reason}")
        await session.commit()
    await _to_session(
        state,
        session_id,
        HandoffEvent(
            status="waiting",
            message="I've asked a person from our support team to join; they'll be with you soon.",
        ),
    )
    await announce(state, session_id)
    return True


async def _staff_change(
    state: AppState, session_id: str, staff: Principal, action: str, detail: str | None = None
) -> Conversation:
    async with state.orchestrator.services.sessions() as session:
        conversation = await session.get(Conversation, session_id)
        if conversation is None:
            raise LookupError(session_id)
        await ensure_user(session, staff.id, staff.name, staff.role)
        match action:
            case "takeover":
                if conversation.status == ConversationStatus.closed:
                    raise HandoffRefused("The conversation is closed")
                if conversation.assigned_staff_id not in (None, staff.id):
                    raise HandoffRefused("Another staff member has this conversation")
                conversation.status = ConversationStatus.handoff
                conversation.assigned_staff_id = staff.id
                _notice(session, conversation, f"{staff.name} took over the conversation.")
            case "handback":
                if conversation.assigned_staff_id is None:
                    raise HandoffRefused("Nobody has taken this conversation over")
                conversation.status = ConversationStatus.bot
                conversation.assigned_staff_id = None
                _notice(session, conversation, f"{staff.name} handed the conversation back.")
            case "close":
                conversation.status = ConversationStatus.closed
                conversation.assigned_staff_id = None
                _notice(session, conversation, f"{staff.name} closed the conversation.")
        session.add(
            StaffAction(conversation_id=session_id, staff_id=staff.id, action=action, detail=detail)
        )
        await session.commit()
        return conversation


async def take_over(state: AppState, session_id: str, staff: Principal) -> None:
    await _staff_change(state, session_id, staff, "takeover")
    if (channel := state.channels.channels.get(session_id)) is not None:
        channel.cancel()  # a person has it now: stop any answer in progress
    await _to_session(
        state,
        session_id,
        HandoffEvent(
            status="staff_joined",
            message=f"{staff.name} from our support team has joined the conversation.",
        ),
    )
    await announce(state, session_id)


async def hand_back(state: AppState, session_id: str, staff: Principal) -> None:
    await _staff_change(state, session_id, staff, "handback")
    await _to_session(
        state,
        session_id,
        HandoffEvent(
            status="returned_to_bot",
            message="You're back with the assistant. Ask me anything.",
        ),
    )
    await announce(state, session_id)


async def close(state: AppState, session_id: str, staff: Principal) -> None:
    await _staff_change(state, session_id, staff, "close")
    await announce(state, session_id)


async def staff_write(state: AppState, session_id: str, staff: Principal, text: str) -> Message:
    """A staff message: saved, sent to the customer as `staff_message`, recorded."""
    async with state.orchestrator.services.sessions() as session:
        conversation = await session.get(Conversation, session_id)
        if conversation is None:
            raise LookupError(session_id)
        await ensure_user(session, staff.id, staff.name, staff.role)
        if conversation.assigned_staff_id != staff.id:
            raise HandoffRefused("Take the conversation over before writing in it")
        message = Message(
            conversation_id=session_id, role=MessageRole.staff, content=text, author_id=staff.id
        )
        session.add(message)
        session.add(
            StaffAction(
                conversation_id=session_id, staff_id=staff.id, action="message", detail=text[:200]
            )
        )
        conversation.updated_at = utcnow()
        await session.commit()
    await _to_session(state, session_id, StaffMessageEvent(message=text, staff_name=staff.name))
    await announce(state, session_id)
    return message


async def customer_wrote(state: AppState, session_id: str, message: Message) -> None:
    """The customer wrote while a person has the conversation: no assistant turn."""
    await _to_session(
        state,
        session_id,
        CustomerMessageEvent(
            message=message.content,
            message_id=message.id,
        ),
    )
    await announce(state, session_id)


async def after_turn(state: AppState, session_id: str, user_text: str, event: object) -> None:
    """Remember the turn's route, call a person if the turn calls for one, update the console."""
    if isinstance(event, CompleteEvent):
        metadata = event.metadata
        async with state.orchestrator.services.sessions() as session:
            conversation = await session.get(Conversation, session_id)
            if conversation is not None:
                conversation.last_route = metadata.agent
                conversation.last_confidence = metadata.confidence
                await session.commit()
        reason = handoff_rules.after_turn(
            user_text,
            metadata.agent,
            metadata.confidence,
            state.settings.handoff_confidence_threshold,
        )
        if reason is not None and await request_person(state, session_id, reason):
            return
    await announce(state, session_id)
