"""Conversations and their messages round-trip through the database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import selectinload

from orchestrator.models import (
    Conversation,
    ConversationStatus,
    Message,
    MessageRole,
    MessageStatus,
    User,
)
from orchestrator.persistence.db_engine import session_factory


async def test_conversation_and_messages_round_trip(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        session.add(User(id="cust-1", name="Ada", role="customer"))
        session.add(Conversation(id="python-session-1", owner_id="cust-1"))
        session.add_all(
            [
                Message(
                    conversation_id="python-session-1",
                    role=MessageRole.user,
                    content="What does P0A80 mean?",
                    client_message_id="m-1",
                    created_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
                ),
                Message(
                    conversation_id="python-session-1",
                    role=MessageRole.assistant,
                    content="P0A80 means the hybrid battery pack needs replacing.",
                    agents=["troubleshooting"],
                    confidence=0.91,
                    sources=[{"source": "troubleshooting/dtc.md", "score": 0.8}],
                    latency_ms=120,
                    created_at=datetime(2026, 1, 1, 9, 0, 1, tzinfo=UTC),
                ),
            ]
        )
        await session.commit()

    async with sessions() as session:
        conversation = await session.scalar(
            select(Conversation)
            .where(Conversation.id == "python-session-1")
            .options(selectinload(Conversation.messages))
        )
        assert conversation is not None
        assert conversation.status == ConversationStatus.bot
        user, answer = conversation.messages
        assert user.content == "What does P0A80 mean?"
        assert user.status == MessageStatus.complete
        assert answer.agents == ["troubleshooting"]
        assert answer.sources == [{"source": "troubleshooting/dtc.md", "score": 0.8}]
        assert answer.created_at == datetime(2026, 1, 1, 9, 0, 1, tzinfo=UTC)


async def test_a_client_message_id_is_stored_once_per_conversation(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        session.add(User(id="cust-2", name="Bo"))
        session.add(Conversation(id="s-2", owner_id="cust-2"))
        session.add(
            Message(conversation_id="s-2", role="user", content="hi", client_message_id="x")
        )
        await session.commit()
    async with sessions() as session:
        session.add(
            Message(conversation_id="s-2", role="user", content="hi", client_message_id="x")
        )
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_unknown_roles_are_refused_by_the_database(engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session:
        session.add(User(id="cust-3", name="Cy", role="superuser"))
        with pytest.raises(IntegrityError):
            await session.commit()
