"""A streaming answer is saved as it grows: from its first token on, at most once per interval,
one write at a time, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.partial_answer import PartialSaver
from orchestrator.persistence import Database
from orchestrator.persistence.db_engine import session_factory

EVERY_S = 0.2


async def _partial(db: Database) -> str:
    [turn] = await db.unfinished_turns()
    return turn.partial


async def test_the_answer_so_far_is_saved_once_per_interval_after_the_first_token(
    engine: AsyncEngine,
) -> None:
    db = Database(session_factory(engine))
    await db.open_for_message(
        session_id="s1", owner_id="ada", author=("ada", "Ada", "customer"), text="q",
        client_message_id=None, turn_id="f1",
    )  # fmt: skip
    await db.save_user_message("s1", "ada", "Tyre pressure?", "t1", None)
    settings = SimpleNamespace(partial_save_s=EVERY_S)
    services = SimpleNamespace(sessions=db.sessions, settings=settings)
    saver = PartialSaver(services, "s1", "t1")  # type: ignore[arg-type]

    saver.offer("The")  # the first token starts the clock: nothing written yet
    saver.offer("The pressure")
    await asyncio.sleep(0.05)
    assert await _partial(db) == ""
    await asyncio.sleep(EVERY_S)
    saver.offer("The pressure is")  # an interval later: written
    saver.offer("The pressure is 2.4")  # a write is under way: not another
    await asyncio.sleep(0.1)
    assert await _partial(db) == "The pressure is"


async def test_a_zero_interval_saves_nothing() -> None:
    opened: list[str] = []  # every write opens a session first
    services = SimpleNamespace(
        sessions=lambda: opened.append("session"), settings=SimpleNamespace(partial_save_s=0)
    )
    saver = PartialSaver(services, "s1", "t1")  # type: ignore[arg-type]
    for text in ("text", "more text", "more text still"):
        saver.offer(text)  # with any interval, the clock would have run out by the second
        await asyncio.sleep(0)  # a write started would open its session now
    assert opened == []
