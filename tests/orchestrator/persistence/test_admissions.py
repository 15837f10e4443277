"""Messages that start turns are stored together, with what the one-message path would store,
on SQLite and on PostgreSQL (the `engine` fixture)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.models import Conversation, utcnow
from orchestrator.persistence import Database
from orchestrator.persistence import admissions as adm
from orchestrator.persistence.db_engine import session_factory

ADA = ("ada", "Ada", "customer")
SAM = ("sam", "Sam", "staff")


@pytest.fixture
def db(engine: AsyncEngine) -> Database:
    return Database(session_factory(engine))


def _commits(engine: AsyncEngine) -> list[int]:
    counted: list[int] = []
    event.listen(engine.sync_engine, "commit", lambda _conn: counted.append(1))
    return counted


async def _start(db: Database, session_id: str, who: Any = ADA, **kw: Any) -> Any:
    return await db.open_for_message(
        session_id=session_id,
        owner_id=kw.pop("owner_id", who[0]),
        author=who,
        text=kw.pop("text", "What tyre pressure?"),
        client_message_id=kw.pop("message_id", None),
        turn_id=kw.pop("turn_id", uuid.uuid4().hex),
        start_turn=True,
    )


async def _conversation(db: Database, session_id: str) -> Conversation | None:
    async with db.sessions() as session:
        return await session.get(Conversation, session_id)


async def _admission(db: Database, session_id: str, turn_id: str) -> adm.Admission:
    async with db.sessions() as session:
        found = await adm.read(session, session_id, "ada", None)
    return adm.admission(
        found=found,
        session_id=session_id,
        owner_id="ada",
        author=ADA,
        text="What tyre pressure?",
        client_message_id=None,
        turn_id=turn_id,
        now=utcnow(),
    )


async def test_messages_that_arrive_together_are_stored_in_few_transactions(
    db: Database, engine: AsyncEngine
) -> None:
    commits = _commits(engine)
    opened = await asyncio.gather(
        *(_start(db, f"s{i}", who=(f"c{i}", f"C{i}", "customer")) for i in range(40))
    )
    assert all(o.created and o.started is not None for o in opened)
    assert len(commits) < 10  # one-message transactions were 40
    unfinished = {(t.session_id, t.turn_id) for t in await db.unfinished_turns()}
    assert unfinished == {(f"s{i}", o.started.turn_id) for i, o in enumerate(opened)}
    [message] = await db.messages("s7")
    assert (message.author_id, message.content) == ("c7", "What tyre pressure?")


async def test_a_message_stored_in_a_group_is_what_the_one_message_path_stores(
    db: Database,
) -> None:
    """A closed conversation is reopened, its title kept, the owner created when a person
    writes for a customer, and the turn recorded as under way with its fence."""
    first = await _start(db, "s1", message_id="m1", text="first question")
    await db.set_last_seq("s1", 6, ended_turn=first.started.turn_id)
    await db.staff_change("s1", SAM, "close")
    again = await _start(db, "s1", message_id="m2", text="second question")
    assert (
        not again.created and again.last_seq == 6 and again.profile == {"id": "ada", "vehicles": []}
    )
    conversation = await _conversation(db, "s1")
    assert conversation is not None
    assert (conversation.status, conversation.title) == ("bot", "first question")
    [unfinished] = await db.unfinished_turns()
    assert unfinished.turn_id == again.started.turn_id
    assert await db.holds_fence("s1", again.started.turn_id, 1)
    for_customer = await _start(db, "s2", who=SAM, owner_id="bea")
    assert for_customer.created
    assert [c.id for c in await db.owner_conversations("bea", 10)] == ["s2"]


async def test_a_group_that_a_concurrent_write_got_ahead_of_stores_nothing(db: Database) -> None:
    """Read, then the conversation created by another path before the group is written: the
    group is refused whole, and the message, opened again, takes the one-message path."""
    late = await _admission(db, "s1", "t1")
    other = await _admission(db, "s2", "t2")
    await _start(db, "s1", turn_id="t0")  # created meanwhile
    writer = adm.Writer(db.sessions)
    results = await asyncio.gather(writer.write(late), writer.write(other), return_exceptions=True)
    assert all(isinstance(r, adm.GroupConflict) for r in results)
    assert await _conversation(db, "s2") is None
    opened = await _start(db, "s1", turn_id="t1")
    assert opened.started is not None and not opened.created


async def test_a_conversation_a_person_took_meanwhile_is_not_reopened_for_a_turn(
    db: Database,
) -> None:
    await _start(db, "s1", turn_id="t0")
    await db.set_last_seq("s1", 2, ended_turn="t0")
    late = await _admission(db, "s1", "t1")
    await db.staff_change("s1", SAM, "takeover")
    with pytest.raises(adm.GroupConflict):
        await adm.Writer(db.sessions).write(late)
    opened = await _start(db, "s1", turn_id="t1")
    assert opened.started is None and opened.forwarded is not None


async def test_a_message_cancelled_before_its_group_began_is_not_stored(db: Database) -> None:
    """The first group is held open while the second message waits; cancelled while waiting,
    the second is never written, whatever the timing of the database."""
    began, released = asyncio.Event(), asyncio.Event()

    @contextlib.asynccontextmanager
    async def held_sessions() -> AsyncIterator[Any]:
        began.set()
        await released.wait()
        async with db.sessions() as session:
            yield session

    writer = adm.Writer(held_sessions)  # type: ignore[arg-type]
    queued = await _admission(db, "s2", "t2")
    first = asyncio.ensure_future(writer.write(await _admission(db, "s1", "t1")))
    await began.wait()  # the first group is under way and holds the writer
    cancelled = asyncio.ensure_future(writer.write(queued))
    await asyncio.sleep(0)  # the second message waits for the next group
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    released.set()
    await first
    assert await _conversation(db, "s1") is not None and await _conversation(db, "s2") is None


def test_an_admission_of_a_new_conversation_inserts_it_with_the_turn_under_way() -> None:
    found = adm.Found(exists=False, common=True)
    rows = adm.admission(
        found=found,
        session_id="s1",
        owner_id="bea",
        author=SAM,
        text="x" * 300,
        client_message_id="m1",
        turn_id="t1",
        now=utcnow(),
    )
    assert rows.new_conversation
    assert [u["id"] for u in rows.users] == ["sam", "bea"]
    assert rows.conversation["owner_id"] == "bea" and len(rows.conversation["title"]) == 200
    assert (rows.conversation["running_turn_id"], rows.conversation["turn_fence"]) == ("t1", "t1:1")
    stored = rows.stored()
    assert (stored.turn_id, stored.client_message_id, stored.author_id) == ("t1", "m1", "sam")
