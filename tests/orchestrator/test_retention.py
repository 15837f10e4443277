"""Retention over SQLite and PostgreSQL: conversations idle past it go, with their messages,
notes, rating and graph checkpoints, nothing else does; or, with the strategy keep_latest, they
stay, reduced to their latest checkpoint, and go on."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
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
from orchestrator.persistence.customer_data import checkpoint_tables
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


async def checkpoint_rows(orchestrator: Any, session_id: str) -> dict[str, int]:
    """The session's rows in each of the checkpointer's tables."""
    async with orchestrator.services.sessions() as session:
        return {
            kept.name: int(
                await session.scalar(
                    select(func.count()).select_from(kept).where(kept.c.thread_id == session_id)
                )
                or 0
            )
            for kept in await checkpoint_tables(session)
        }


async def conversation(orchestrator: Any, session_id: str) -> Conversation:
    async with orchestrator.services.sessions() as session:
        found = await session.get(Conversation, session_id)
        assert found is not None
        return found


async def test_keep_latest_keeps_an_idle_conversation_with_its_latest_checkpoint_only(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    """Its transcript and the state the next turn reads stay; the older states and their
    writes go, once; a conversation within the retention keeps every checkpoint."""
    settings = settings.model_copy(update={"checkpoint_durability": "sync"})  # many per turn
    async with running(settings, db_url, embedder) as orchestrator:
        db = orchestrator.services.db
        checkpoints = orchestrator.graph.checkpointer
        await turn(orchestrator, "old", "How much can the Ridge tow?")
        await turn(orchestrator, "old", "What does P0A80 mean?")
        await turn(orchestrator, "new", "What does P0A80 mean?")
        month_ago = utcnow() - timedelta(days=40)
        async with orchestrator.services.sessions() as session:
            await session.execute(
                update(Conversation).where(Conversation.id == "old").values(updated_at=month_ago)
            )
            await session.commit()
        whole = await checkpoint_rows(orchestrator, "old")
        fresh = await checkpoint_rows(orchestrator, "new")
        history = await orchestrator.history("old")
        assert whole["checkpoints"] > 1

        assert await sweep(db, checkpoints, 30, utcnow(), "keep_latest") == 1

        reduced = await checkpoint_rows(orchestrator, "old")
        assert reduced["checkpoints"] == 1
        assert all(reduced[t] < whole[t] for t in whole if t != "checkpoints")  # writes, blobs
        assert await orchestrator.history("old") == history
        assert await count(orchestrator, Message, "old") == 4
        kept = await conversation(orchestrator, "old")
        assert kept.updated_at == month_ago and kept.reduced_at is not None
        assert await checkpoint_rows(orchestrator, "new") == fresh
        assert (await conversation(orchestrator, "new")).reduced_at is None

        assert await sweep(db, checkpoints, 30, utcnow(), "keep_latest") == 0
        assert await checkpoint_rows(orchestrator, "old") == reduced
        assert (await conversation(orchestrator, "old")).reduced_at == kept.reduced_at


async def test_a_reduced_conversation_goes_on_and_is_reduced_again_once_idle_again(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    settings = settings.model_copy(update={"checkpoint_durability": "sync"})
    async with running(settings, db_url, embedder) as orchestrator:
        db = orchestrator.services.db
        checkpoints = orchestrator.graph.checkpointer
        await turn(orchestrator, "old", "How much can the Ridge tow?")
        await turn(orchestrator, "old", "What does P0A80 mean?")
        earlier = await orchestrator.history("old")
        assert await sweep(db, checkpoints, 30, utcnow() + timedelta(days=40), "keep_latest") == 1

        await turn(orchestrator, "old", "Please book an oil change on Friday at 2pm")

        history = await orchestrator.history("old")
        assert history[: len(earlier)] == earlier  # the new turn read the state that was kept
        assert len(history) == len(earlier) + 2
        assert (await checkpoint_rows(orchestrator, "old"))["checkpoints"] > 1
        later = utcnow() + timedelta(days=40)
        assert await sweep(db, checkpoints, 30, later, "keep_latest") == 1
        assert (await checkpoint_rows(orchestrator, "old"))["checkpoints"] == 1
        assert await count(orchestrator, Message, "old") == 6


async def test_a_sweep_that_fails_is_logged_and_the_timer_goes_on() -> None:
    """An error of the checkpointer's own driver (not one of the outages the database layer
    names) must not end retention for the life of the process."""
    swept: list[datetime] = []

    class Flaky:
        async def idle_conversations(self, before: datetime) -> list[str]:
            swept.append(before)
            if len(swept) == 1:
                raise RuntimeError("the driver's own error")
            return []

        async def remove_conversations(self, session_ids: list[str], before: datetime) -> int:
            return 0

    class NoThreads:
        async def adelete_thread(self, thread_id: str) -> None:
            return None

    sweeping = asyncio.create_task(keep_sweeping(Flaky(), NoThreads(), 1, every_s=0.01))  # type: ignore[arg-type]
    try:
        async with asyncio.timeout(5):
            while len(swept) < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        sweeping.cancel()
