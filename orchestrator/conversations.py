"""Conversations and their messages in SQL: ownership, idempotency, and saving answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import (
    Conversation,
    Message,
    MessageRole,
    MessageStatus,
    Role,
    User,
    Vehicle,
    utcnow,
)


class Forbidden(Exception):
    """The conversation belongs to someone else."""


@dataclass(frozen=True)
class Prior:
    """A message id the client sent before, and the answer it got (if any)."""

    user_message: Message
    answer: Message | None


async def ensure_user(
    session: AsyncSession, user_id: str, name: str, role: str = Role.customer
) -> User:
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id, name=name, role=role)
        session.add(user)
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            user = await session.get(User, user_id)
            assert user is not None
    return user


async def open_conversation(
    session: AsyncSession, session_id: str, owner_id: str
) -> tuple[Conversation, bool]:
    """The conversation with this id, created for `owner_id` if new; Forbidden if not theirs."""
    conversation = await session.get(Conversation, session_id)
    if conversation is not None:
        if conversation.owner_id != owner_id:
            raise Forbidden(session_id)
        return conversation, False
    conversation = Conversation(id=session_id, owner_id=owner_id)
    session.add(conversation)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        existing = await session.get(Conversation, session_id)
        if existing is None or existing.owner_id != owner_id:
            raise Forbidden(session_id) from None
        return existing, False
    return conversation, True


async def owned_conversation(
    session: AsyncSession, session_id: str, owner_id: str
) -> Conversation | None:
    """The conversation if it exists; Forbidden if it is someone else's."""
    conversation = await session.get(Conversation, session_id)
    if conversation is not None and conversation.owner_id != owner_id:
        raise Forbidden(session_id)
    return conversation


async def _by_client_id(
    session: AsyncSession, session_id: str, client_message_id: str
) -> Message | None:
    return await session.scalar(
        select(Message).where(
            Message.conversation_id == session_id,
            Message.role == MessageRole.user,
            Message.client_message_id == client_message_id,
        )
    )


async def prior_message(
    session: AsyncSession, session_id: str, client_message_id: str
) -> Prior | None:
    """What happened the last time this client message id was sent in this session."""
    user_message = await _by_client_id(session, session_id, client_message_id)
    if user_message is None:
        return None
    answer = await session.scalar(
        select(Message).where(
            Message.conversation_id == session_id,
            Message.role == MessageRole.assistant,
            Message.turn_id == user_message.turn_id,
        )
    )
    return Prior(user_message, answer)


async def save_user_message(
    session: AsyncSession,
    session_id: str,
    author_id: str,
    text: str,
    turn_id: str,
    client_message_id: str | None,
) -> Message:
    """Save the message; a retried client message id (after a failure) is moved to this turn."""
    if client_message_id is not None:
        retried = await _by_client_id(session, session_id, client_message_id)
        if retried is not None:
            retried.turn_id = turn_id
            await session.flush()
            return retried
    message = Message(
        conversation_id=session_id,
        turn_id=turn_id,
        role=MessageRole.user,
        content=text,
        client_message_id=client_message_id,
        author_id=author_id,
    )
    session.add(message)
    conversation = await session.get(Conversation, session_id)
    if conversation is not None:
        conversation.updated_at = utcnow()
        if conversation.title is None:
            conversation.title = text[:200]
    await session.flush()
    return message


async def save_answer(
    session: AsyncSession,
    session_id: str,
    turn_id: str,
    text: str,
    *,
    status: MessageStatus,
    metadata: dict[str, Any],
    error_code: str | None = None,
) -> Message:
    message = Message(
        conversation_id=session_id,
        turn_id=turn_id,
        role=MessageRole.assistant,
        content=text,
        status=status,
        error_code=error_code,
        agents=metadata.get("agents"),
        confidence=metadata.get("confidence"),
        sources=(metadata.get("context") or {}).get("sources"),
        latency_ms=metadata.get("latency_ms"),
        mode=metadata.get("mode"),
    )
    session.add(message)
    conversation = await session.get(Conversation, session_id)
    if conversation is not None:
        conversation.updated_at = utcnow()
    await session.flush()
    return message


async def customer_profile(session: AsyncSession, customer_id: str) -> dict[str, Any]:
    vehicles = await session.scalars(select(Vehicle).where(Vehicle.owner_id == customer_id))
    return {
        "id": customer_id,
        "vehicles": [
            {"model": v.model, "variant": v.variant, "year": v.year, "mileage_km": v.mileage_km}
            for v in vehicles
        ],
    }
