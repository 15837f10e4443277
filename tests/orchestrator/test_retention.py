"""Retention over SQLite and PostgreSQL: conversations idle past it go, with their messages,
notes, rating and graph checkpoints; nothing else does."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import URL

from orchestrator.models import (
    Appointment,
    Conversation,
    Message,
    StaffNote,
    utcnow,
)
from orchestrator.retention import keep_sweeping, sweep
from orchestrator.settings import Settings
from tests.orchestrator.test_turns import running, turn


@pytest.fixture
def settings(kb_settings: Settings, db_url: URL) -> Settings:
    return kb_settings.model_copy(update={"database_url": db_url.render_as_string(False)})


SAM = ("sam", "Sam", "staff")


async def count(orchestrator: Any, model: Any, session_id: str) -> int:
    column = model.conversation_id if hasattr(model, "conversation_id") else model.id
    async with orchestrator.services.sessions() as session:
        return int(await session.scalar(select(func.count()).where(column == session_id)) or 0)


async def test_conversations_idle_past_the_retention_go_with_all_they_hold_and_nothing_else(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        db = orchestrator.services.db
        await turn(orchestrator, "old", "How much can the Ridge tow?")
        await turn(orchestrator, "old", "Please book an oil change on Friday at 2pm")
        await turn(orchestrator, "recent", "What does P0A80 mean?")
        await turn(orchestrator, "new", "What does P0A80 mean?")
        await db.add_note("old", SAM, "Called back")
        async with orchestrator.services.sessions() as session:
            month_ago = utcnow() - timedelta(days=40)
            await session.execute(
                update(Conversation).where(Conversation.id == "old").values(updated_at=month_ago)
            )
            await session.execute(  # idle 29 days: within the retention
                update(Conversation)
                .where(Conversation.id == "recent")
                .values(updated_at=utcnow() - timedelta(days=29))
            )
            await session.commit()
        checkpoints = orchestrator.graph.checkpointer
        assert await checkpoints.aget_tuple(orchestrator.config("old")) is not None

        assert await sweep(db, checkpoints, 30, utcnow()) == 1

        assert await count(orchestrator, Conversation, "old") == 0
        assert await count(orchestrator, Message, "old") == 0
        assert await count(orchestrator, StaffNote, "old") == 0
        assert await checkpoints.aget_tuple(orchestrator.config("old")) is None
        for kept in ("recent", "new"):
            assert await count(orchestrator, Conversation, kept) == 1
            assert await count(orchestrator, Message, kept) == 2
            assert await checkpoints.aget_tuple(orchestrator.config(kept)) is not None
        async with orchestrator.services.sessions() as session:  # the customer's, not a chat's
            assert await session.scalar(select(func.count()).select_from(Appointment)) == 1
        assert await sweep(db, checkpoints, 30, utcnow()) == 0


async def test_the_served_process_sweeps_on_a_timer_until_stopped(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        db = orchestrator.services.db
        await turn(orchestrator, "old", "How much can the Ridge tow?")
        async with orchestrator.services.sessions() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == "old")
                .values(updated_at=utcnow() - timedelta(days=2))
            )
            await session.commit()
        sweeping = asyncio.create_task(
            keep_sweeping(db, orchestrator.graph.checkpointer, 1, every_s=0.05)
        )
        try:
            async with asyncio.timeout(10):
                while await count(orchestrator, Conversation, "old"):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)  # a row of the database: no event to wait on
        finally:
            sweeping.cancel()
        assert not await db.idle_conversations(utcnow())  # nothing else was there to go
