"""Handoff between the assistant and staff: state changes, notices, and the audit trail.

Every change is saved (conversation status, a system message in the transcript, a staff
action), then announced: a `handoff` event to the session and a `conversation` event to
the staff console. Handing back answers what the customer wrote meanwhile (`waiting`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.auth import Principal
from api.live.pubsub import STAFF_TOPIC
from api.protocol import (
    CompleteEvent,
    ConversationEvent,
    ConversationSummary,
    CustomerMessageEvent,
    HandoffEvent,
    StaffMessageEvent,
)
from api.session import handoff_rules
from api.session.waiting import answer_waiting
from orchestrator.models import Message
from orchestrator.persistence import Person, Refused
from orchestrator.persistence.staff import StaffChange

if TYPE_CHECKING:  # for the annotations only: api.deps imports this package
    from api.deps import AppState

HandoffRefused = Refused  # the action does not fit the conversation's state


def _person(principal: Principal) -> Person:
    return (principal.id, principal.name, principal.role)


async def summary(state: AppState, session_id: str) -> ConversationSummary | None:
    """The console's summary of one conversation, if it exists."""
    found = await state.orchestrator.services.db.summary(session_id)
    return None if found is None else ConversationSummary.model_validate(found)


async def announce(state: AppState, conversation_id: str) -> None:
    """Tell the staff console that a conversation changed (it reads the list when it opens)."""
    if not await state.channels.pubsub.has_subscribers(STAFF_TOPIC):
        return  # no console open: skip the four queries the summary takes
    found = await summary(state, conversation_id)
    if found is not None:
        await state.channels.pubsub.publish(STAFF_TOPIC, ConversationEvent(conversation=found))


async def _to_session(
    state: AppState, session_id: str, event: HandoffEvent | StaffMessageEvent | CustomerMessageEvent
) -> None:
    channel = await state.channels.channel(session_id)
    sent = await channel.publish(event.model_copy(update={"session_id": session_id}))
    if sent.seq is not None:  # numbered outside any turn: saved here, or a restart reuses it
        await state.channels.remember_seq(channel, sent.seq)


async def request_person(state: AppState, session_id: str, reason: str) -> bool:
    """Mark the conversation as waiting for a human; False if it already is (or is closed)."""
    if not await state.orchestrator.services.db.request_person(session_id, reason):
        return False
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
    state: AppState, session_id: str, staff: Principal, action: StaffChange
) -> None:

    await state.orchestrator.services.db.staff_change(session_id, _person(staff), action)


async def take_over(state: AppState, session_id: str, staff: Principal) -> None:
    await _staff_change(state, session_id, staff, "takeover")
    await _person_joined(state, session_id, staff.name)


async def assign(state: AppState, session_id: str, staff: Principal, assignee_id: str) -> None:
    """Hand the conversation to a colleague: they have it as if they had taken it over (the
    assistant stops; the customer is told who joined)."""
    await state.orchestrator.services.db.assign(session_id, _person(staff), assignee_id)
    found = await summary(state, session_id)
    name = found.assigned_staff.name if found and found.assigned_staff else assignee_id
    await _person_joined(state, session_id, name)


async def _person_joined(state: AppState, session_id: str, name: str) -> None:
    """A person has the conversation now: any answer in progress stops, the customer is told
    who joined, the consoles see it."""
    if (channel := state.channels.channels.get(session_id)) is not None:
        channel.cancel()
    await _to_session(
        state,
        session_id,
        HandoffEvent(
            status="staff_joined",
            message=f"{name} from our support team has joined the conversation.",
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
    await answer_waiting(state, session_id)


CLOSED = "This conversation is closed. How did we do? Rate it from 1 to 5."


async def close(state: AppState, session_id: str, staff: Principal) -> None:
    """Close the conversation; the customer is told and asked how satisfied they were."""
    await _staff_change(state, session_id, staff, "close")
    await _to_session(
        state, session_id, HandoffEvent(status="closed", message=CLOSED, rating_asked=True)
    )
    await announce(state, session_id)


async def staff_write(state: AppState, session_id: str, staff: Principal, text: str) -> Message:
    """A staff message: saved, sent to the customer as `staff_message`, recorded."""
    message = await state.orchestrator.services.db.staff_write(session_id, _person(staff), text)
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
    """Call a person if the turn calls for one, update the console. (The turn's route is stored
    with its answer.)"""
    if isinstance(event, CompleteEvent):
        metadata = event.metadata
        reason = handoff_rules.after_turn(
            user_text,
            metadata.agent,
            metadata.confidence,
            state.settings.handoff_confidence_threshold,
        )
        if reason is not None and await request_person(state, session_id, reason):
            return
    await announce(state, session_id)
