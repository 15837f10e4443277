"""The persistence layer's promises, on SQLite and on PostgreSQL (the `engine` fixture)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from orchestrator.models import Conversation, MessageStatus, Vehicle
from orchestrator.persistence import Database, Fenced, Forbidden, NotFound, Refused
from orchestrator.persistence import conversations as repo
from orchestrator.persistence.db_engine import session_factory
from orchestrator.turn_metadata import TurnMetadata

ADA = ("ada", "Ada", "customer")
BOB = ("bob", "Bob", "customer")
SAM = ("sam", "Sam", "staff")


@pytest.fixture
def db(engine: AsyncEngine) -> Database:
    return Database(session_factory(engine))


async def _open(  # type: ignore[no-untyped-def]
    db: Database, session_id: str, who=ADA, text="hello", message_id=None, **turn
):
    return await db.open_for_message(
        session_id=session_id,
        owner_id=who[0],
        author=who,
        text=text,
        client_message_id=message_id,
        **({"turn_id": uuid.uuid4().hex} | turn),
    )


async def test_a_first_message_creates_its_owner_and_conversation(db: Database) -> None:
    opened = await _open(db, "s1")
    assert opened.created and opened.forwarded is None and opened.prior is None
    again = await _open(db, "s1")
    assert not again.created
    assert [c.id for c in await db.owner_conversations("ada", 10)] == ["s1"]


async def test_someone_elses_conversation_is_forbidden(db: Database) -> None:
    await _open(db, "s1")
    with pytest.raises(Forbidden):
        await _open(db, "s1", who=BOB)
    with pytest.raises(Forbidden):
        await db.readable_conversation("s1", "bob", is_staff=False)
    assert (await db.readable_conversation("s1", "sam", is_staff=True)) is not None
    assert await db.readable_conversation("nope", "ada", is_staff=False) is None


async def test_first_messages_of_one_user_may_race(db: Database) -> None:
    results = await asyncio.gather(*(_open(db, f"s{i}") for i in range(5)))
    assert sum(r.created for r in results) == 5


async def test_a_repeated_message_id_finds_what_it_got_before(db: Database) -> None:
    await _open(db, "s1", message_id="m1")
    async with db.sessions() as session:
        await repo.save_user_message(session, "s1", "ada", "hello", "t1", "m1")
        await repo.save_answer(
            session, "s1", "t1", "hi", status=MessageStatus.complete, metadata=TurnMetadata()
        )
        await session.commit()
    opened = await _open(db, "s1", message_id="m1")
    assert opened.prior is not None and opened.prior.answer is not None
    assert opened.prior.answer.content == "hi"


async def test_messages_title_the_conversation_once_and_mark_it_updated(db: Database) -> None:
    await _open(db, "s1")
    async with db.sessions() as session:
        created = (await session.get(Conversation, "s1")).updated_at  # type: ignore[union-attr]
    async with db.sessions() as session:
        await repo.save_user_message(session, "s1", "ada", "first " * 50, "t1", None)
        await repo.save_answer(
            session, "s1", "t1", "hi", status=MessageStatus.complete, metadata=TurnMetadata()
        )
        await repo.save_user_message(session, "s1", "ada", "second", "t2", None)
        await session.commit()
    async with db.sessions() as session:
        conversation = await session.get(Conversation, "s1")
    assert conversation is not None
    assert conversation.title == ("first " * 50)[:200]
    assert conversation.updated_at >= created
    assert sorted(m.content for m in await db.messages("s1")) == ["first " * 50, "hi", "second"]


async def test_a_message_to_a_staffed_conversation_is_saved_and_forwarded(db: Database) -> None:
    await _open(db, "s1")
    await db.staff_change("s1", SAM, "takeover")
    opened = await _open(db, "s1", text="are you there?")
    assert opened.forwarded is not None and opened.forwarded.content == "are you there?"
    assert [m.content for m in await db.messages("s1")][-1] == "are you there?"


async def test_what_the_customer_wrote_to_a_person_is_started_as_one_turn_at_hand_back(
    db: Database,
) -> None:
    await _open(db, "s1")
    await db.staff_change("s1", SAM, "takeover")
    await db.staff_write("s1", SAM, "Hi, how can I help?")
    await _open(db, "s1", text="my brakes squeal", message_id="m1")
    last = await _open(db, "s1", text="when braking hard", message_id="m2")
    assert last.forwarded is not None
    assert await db.start_waiting_turn("s1") is None  # a person still has it

    await db.staff_change("s1", SAM, "handback")
    assert [m.content for m in await db.unanswered("s1")] == [
        "my brakes squeal",
        "when braking hard",
    ]
    started = await db.start_waiting_turn("s1")
    assert started is not None
    assert started.text == "my brakes squeal\nwhen braking hard"
    assert (started.turn_id, started.client_message_id) == (last.forwarded.turn_id, "m2")
    assert started.owner_id == started.author_id == "ada"
    assert [t.turn_id for t in await db.unfinished_turns()] == [started.turn_id]


async def test_nothing_waits_once_the_person_answered(db: Database) -> None:
    await _open(db, "s1")
    await db.staff_change("s1", SAM, "takeover")
    await _open(db, "s1", text="are you there?")
    await db.staff_write("s1", SAM, "Yes, booked for Friday.")
    await db.staff_change("s1", SAM, "handback")
    assert await db.unanswered("s1") == [] and await db.start_waiting_turn("s1") is None


async def test_staff_changes_follow_the_conversation_state(db: Database) -> None:
    await _open(db, "s1")
    with pytest.raises(Refused):
        await db.staff_change("s1", SAM, "handback")
    with pytest.raises(Refused):
        await db.staff_write("s1", SAM, "hello")
    await db.staff_change("s1", SAM, "takeover")
    with pytest.raises(Refused):
        await db.staff_change("s1", ("kim", "Kim", "staff"), "takeover")
    await db.staff_write("s1", SAM, "I can help")
    await db.staff_change("s1", SAM, "close")
    with pytest.raises(Refused):
        await db.staff_change("s1", SAM, "takeover")
    with pytest.raises(NotFound):
        await db.staff_change("nope", SAM, "close")
    transcript = await db.transcript("s1")
    assert transcript is not None
    assert [a["action"] for a in transcript["actions"]] == ["takeover", "message", "close"]
    assert transcript["conversation"]["status"] == "closed"


async def test_a_person_is_requested_once(db: Database) -> None:
    await _open(db, "s1")
    assert await db.request_person("s1", "asked for a human")
    assert not await db.request_person("s1", "asked again")
    summary = await db.summary("s1")
    assert summary is not None and summary["status"] == "waiting"
    assert [s["session_id"] for s in await db.conversation_list(
        status="waiting", route=None, text=None, limit=10
    )] == ["s1"]  # fmt: skip


async def test_last_seq_and_route_are_remembered(db: Database) -> None:
    await _open(db, "s1")
    assert await db.last_seq("s1") == 0
    await db.set_last_seq("s1", 7)
    async with db.sessions() as session:  # the route is stored with the answer, at once
        await repo.save_user_message(session, "s1", "ada", "how fast?", "t1", None)
        answered = TurnMetadata(agent="specs", confidence=0.8)
        await repo.save_answer(
            session, "s1", "t1", "fast", status=MessageStatus.complete, metadata=answered
        )
        await repo.save_user_message(session, "s1", "ada", "and?", "t2", None)
        failed = TurnMetadata(agent="maintenance", confidence=0.9)
        await repo.save_answer(  # a turn that failed is no route answered
            session, "s1", "t2", "", status=MessageStatus.failed, metadata=failed
        )
        await session.commit()
    assert await db.last_seq("s1") == 7
    assert await db.last_seq("new") == 0
    summary = await db.summary("s1")
    assert summary is not None and summary["route"] == "specs"


async def test_last_seq_never_goes_back(db: Database) -> None:
    await _open(db, "s1")
    await db.set_last_seq("s1", 9)
    await db.set_last_seq("s1", 4)  # a late write of an older number
    assert await db.last_seq("s1") == 9


async def test_an_admitted_turn_is_under_way_until_its_last_seq_is_saved(db: Database) -> None:
    await _open(db, "s1")
    await db.save_user_message("s1", "ada", "Tyre pressure?", "t1", None)
    async with db.sessions() as session:
        await repo.save_partial(session, "s1", "t1", "The pressure")
        await session.commit()
    [unfinished] = await db.unfinished_turns()
    assert (unfinished.session_id, unfinished.turn_id) == ("s1", "t1")
    assert (unfinished.question, unfinished.partial, unfinished.answered) == (
        "Tyre pressure?",
        "The pressure",
        False,
    )
    await db.set_last_seq("s1", 5, ended_turn="other")  # another turn's end leaves it alone
    assert [t.turn_id for t in await db.unfinished_turns()] == ["t1"]
    await db.set_last_seq("s1", 6, ended_turn="t1")
    assert await db.unfinished_turns() == []


async def test_a_message_opened_with_its_lease_is_stored_as_the_turn_under_way(
    db: Database,
) -> None:
    """Admission's one transaction: the conversation opened and the message stored as the
    question of the turn whose lease the caller holds."""
    opened = await _open(db, "s1", message_id="m1", turn_id="t1", start_turn=True)
    assert opened.created and opened.prior is None and opened.started is not None
    assert (opened.started.turn_id, opened.started.client_message_id) == ("t1", "m1")
    [unfinished] = await db.unfinished_turns()
    assert (unfinished.turn_id, unfinished.question) == ("t1", "hello")
    again = await _open(db, "s1", message_id="m1", turn_id="t2")  # the same frame, no lease
    assert again.started is None
    assert again.prior is not None and again.prior.user_message.turn_id == "t1"
    assert [t.turn_id for t in await db.unfinished_turns()] == ["t1"]


async def test_a_message_that_starts_a_turn_comes_with_its_owners_profile(db: Database) -> None:
    """Read in admission's transaction, so that a turn of a crowd need not wait for the
    database again behind the other messages' admissions."""
    await _open(db, "s0")
    async with db.sessions() as session:
        session.add(Vehicle(id="v1", owner_id="ada", model="Ridge", year=2024, vin="K" * 17))
        await session.commit()
    opened = await _open(db, "s1", turn_id="t1", start_turn=True)
    assert opened.profile == {
        "id": "ada",
        "vehicles": [{"model": "Ridge", "variant": None, "year": 2024, "mileage_km": 0}],
    }
    assert (await _open(db, "s1", turn_id="t2")).profile is None  # no turn, no profile


async def test_a_message_id_answered_whole_starts_no_turn_and_one_that_failed_does(
    db: Database,
) -> None:
    await _open(db, "s1", message_id="m1", turn_id="t1", start_turn=True)
    async with db.sessions() as session:
        await repo.save_answer(
            session, "s1", "t1", "Ask again", status=MessageStatus.failed, metadata=TurnMetadata()
        )
        await session.commit()
    await db.set_last_seq("s1", 4, ended_turn="t1")
    retried = await _open(db, "s1", message_id="m1", turn_id="t2", start_turn=True)
    assert retried.started is not None and retried.started.turn_id == "t2"  # moved, not copied
    assert retried.last_seq == 4
    assert [m.turn_id for m in await db.messages("s1")] == ["t2", "t1"]
    async with db.sessions() as session:
        await repo.save_answer(
            session, "s1", "t2", "2.4 bar", status=MessageStatus.complete, metadata=TurnMetadata()
        )
        await session.commit()
    await db.set_last_seq("s1", 8, ended_turn="t2")
    replayed = await _open(db, "s1", message_id="m1", turn_id="t3", start_turn=True)
    assert replayed.started is None and replayed.prior is not None and replayed.prior.answered
    assert await db.unfinished_turns() == []


async def test_a_message_to_a_staffed_conversation_starts_no_turn(db: Database) -> None:
    await _open(db, "s1")
    await db.staff_change("s1", SAM, "takeover")
    opened = await _open(db, "s1", text="A person, please", turn_id="t1", start_turn=True)
    assert opened.started is None and opened.forwarded is not None
    assert await db.unfinished_turns() == []


async def test_a_partial_answer_is_kept_only_for_the_turn_under_way(db: Database) -> None:
    await _open(db, "s1")
    await db.save_user_message("s1", "ada", "first", "t1", None)
    await db.save_user_message("s1", "ada", "second", "t2", None)  # t1 ended, t2 began
    async with db.sessions() as session:
        await repo.save_partial(session, "s1", "t1", "a late write of t1's answer")
        await session.commit()
    [unfinished] = await db.unfinished_turns()
    assert (unfinished.turn_id, unfinished.partial) == ("t2", "")


async def test_a_turn_a_crash_cut_off_is_closed_with_its_partial_answer(db: Database) -> None:
    await _open(db, "s1", message_id="m1")
    await db.save_user_message("s1", "ada", "Tyre pressure?", "t1", "m1")
    async with db.sessions() as session:
        await repo.save_partial(session, "s1", "t1", "The pressure is")
        await session.commit()
    await db.set_last_seq("s1", 3)
    [unfinished] = await db.unfinished_turns()
    answer = await db.close_unfinished(unfinished, error_code="INTERRUPTED", seq_gap=1000)
    assert await db.unfinished_turns() == []
    assert await db.last_seq("s1") == 1003  # past anything the dead process may have sent
    stored = await db.messages("s1")
    assert stored[-1].id == answer.id
    assert (answer.role, answer.status, answer.error_code, answer.content) == (
        "assistant",
        "failed",
        "INTERRUPTED",
        "The pressure is",
    )
    # A failed turn is not an answer: the same message id runs again.
    opened = await _open(db, "s1", message_id="m1")
    assert opened.prior is not None and opened.prior.answer is not None
    assert opened.prior.answer.status == MessageStatus.failed


async def test_a_turn_answered_before_the_crash_is_not_answered_again(db: Database) -> None:
    await _open(db, "s1")
    await db.save_user_message("s1", "ada", "Tyre pressure?", "t1", None)
    async with db.sessions() as session:
        await repo.save_answer(
            session, "s1", "t1", "2.4 bar", status=MessageStatus.complete, metadata=TurnMetadata()
        )
        await session.commit()
    [unfinished] = await db.unfinished_turns()
    assert unfinished.answered
    answer = await db.close_unfinished(unfinished, error_code="INTERRUPTED", seq_gap=1000)
    assert (answer.status, answer.content) == ("complete", "2.4 bar")
    assert await db.last_seq("s1") == 1000
    assert [m.status for m in await db.messages("s1")] == ["complete", "complete"]


async def _answer(db: Database, turn_id: str, text: str, attempt: int) -> None:
    async with db.sessions() as session:
        await repo.save_answer(
            session, "s1", turn_id, text, status=MessageStatus.complete,
            metadata=TurnMetadata(), attempt=attempt,
        )  # fmt: skip
        await session.commit()


async def test_a_run_that_was_taken_over_stores_nothing(db: Database) -> None:
    """Fencing: run 1 of a turn stalled past its lease and another instance runs it again
    (run 2); whatever run 1 tries to store afterwards is refused, run 2's answer is kept."""
    await _open(db, "s1")
    await db.save_user_message("s1", "ada", "Tyre pressure?", "t1", None)
    assert await db.take_over_turn("s1", "t1", attempt=2)
    async with db.sessions() as session:  # run 1's partial saves do nothing now
        await repo.save_partial(session, "s1", "t1", "The pressure", attempt=1)
        await session.commit()
    with pytest.raises(Fenced):
        await _answer(db, "t1", "run 1's late answer", attempt=1)
    await _answer(db, "t1", "2.4 bar", attempt=2)
    await db.set_last_seq("s1", 9, ended_turn="t1")  # run 2 ended the turn
    with pytest.raises(Fenced):  # run 1, later still
        await _answer(db, "t1", "run 1's late answer", attempt=1)
    assert [(m.role, m.content) for m in await db.messages("s1")] == [
        ("user", "Tyre pressure?"),
        ("assistant", "2.4 bar"),
    ]
    [turn] = [c for c in await db.owner_conversations("ada", 10)]
    assert turn.partial_answer is None


async def test_a_turn_no_longer_under_way_is_not_taken_over(db: Database) -> None:
    await _open(db, "s1")
    await db.save_user_message("s1", "ada", "first", "t1", None)
    await _answer(db, "t1", "answered", attempt=1)  # the run that holds it stores
    await db.set_last_seq("s1", 3, ended_turn="t1")
    assert not await db.take_over_turn("s1", "t1", attempt=2)
    await db.save_user_message("s1", "ada", "second", "t2", None)
    with pytest.raises(Fenced):  # a run of the old turn, after a new one began
        await _answer(db, "t1", "late", attempt=1)


async def test_feedback_only_on_your_own_answers(db: Database) -> None:
    await _open(db, "s1")
    async with db.sessions() as session:
        question = await repo.save_user_message(session, "s1", "ada", "q", "t1", None)
        answer = await repo.save_answer(
            session, "s1", "t1", "a", status=MessageStatus.complete, metadata=TurnMetadata()
        )
        await session.commit()
    assert await db.save_feedback(answer.id, "ada", 1, None) == "s1"
    assert await db.save_feedback(answer.id, "ada", -1, "wrong") == "s1"  # replaces
    with pytest.raises(Refused):
        await db.save_feedback(question.id, "ada", 1, None)
    with pytest.raises(NotFound):
        await db.save_feedback(answer.id, "bob", 1, None)
    metrics = await db.metrics(24)
    assert metrics["totals"]["feedback_count"] == 1


async def test_ping_reaches_the_database(db: Database) -> None:
    await db.ping()


async def test_a_ping_does_not_wait_behind_a_pool_every_turn_is_using(db_url: URL) -> None:
    """Whether the database answers, not whether a pooled connection is free: a crowd's
    admissions keep the pool busy, and a probe that queued behind them read as an outage."""
    engine = create_async_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=30)
    try:
        async with engine.connect() as taken:
            await taken.execute(text("SELECT 1"))
            async with asyncio.timeout(5):
                await Database(session_factory(engine)).ping()
    finally:
        await engine.dispose()
