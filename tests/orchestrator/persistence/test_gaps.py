"""The questions the knowledge base answered badly, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.models import Message, MessageStatus, utcnow
from orchestrator.persistence import Database
from orchestrator.persistence.db_engine import session_factory
from orchestrator.persistence.gaps import Passage, answer_reasons, says_it_cannot_answer
from tests.utils.turns import passage, stored_turn

SAM = ("sam", "Sam", "staff")
NOT_FOUND = "I couldn't find an answer to that in the Kestrel knowledge base. Try rephrasing."
OUT_OF_SCOPE = "Sorry, that's outside what I can help with. I can help with vehicle specs."
GOOD = [passage("Ridge specifications", 0.71, "Towing"), passage("Ridge brochure", 0.52, n=2)]
WEAK = [passage("Accessories", 0.31, "Roof"), passage("Ridge specifications", 0.27, n=2)]


@pytest.fixture
def db(engine: AsyncEngine) -> Database:
    return Database(session_factory(engine))


async def weak(db: Database, hours: int = 1) -> dict[str, tuple[str, ...]]:
    now = utcnow()
    found = await db.weak_turns(since=now - timedelta(hours=hours), until=now, score_below=0.4)
    return {turn.question: turn.reasons for turn in found if turn.reasons}


async def test_each_kind_of_weak_answer_is_found_and_good_ones_are_not(db: Database) -> None:
    await stored_turn(db, "good", "How much can the Ridge tow?", "3,500 kg [1].", sources=GOOD)
    await stored_turn(db, "none", "Does the Ridge have a heat pump?", NOT_FOUND, sources=WEAK)
    await stored_turn(db, "bare", "Can the Sable wade?", "It can.", agents=["specs"])
    await stored_turn(db, "low", "Is there a roof rack for the Ridge?", "See [1].", sources=WEAK)
    await stored_turn(db, "off", "Do you offer financing?", OUT_OF_SCOPE, agents=["general"])
    await stored_turn(db, "hi", "Hello there", "Hello, how can I help?", agents=["general"])
    booked = [{"name": "book_appointment", "ok": True}]
    await stored_turn(
        db, "tool", "Book me in Monday", "Booked.", agents=["maintenance"], tools=booked
    )
    await stored_turn(db, "fail", "Why is it slow?", "", sources=[], status=MessageStatus.failed)

    assert await weak(db) == {
        "Does the Ridge have a heat pump?": ("no_answer", "low_score"),
        "Can the Sable wade?": ("no_answer",),
        "Is there a roof rack for the Ridge?": ("low_score",),
        "Do you offer financing?": ("no_answer",),
    }


async def test_a_thumbs_down_and_a_hand_off_are_charged_to_the_question_answered(
    db: Database,
) -> None:
    rated = await stored_turn(db, "down", "What is the Aster's range?", "400 km [1].", sources=GOOD)
    await db.save_feedback(rated, "ada", -1, "Wrong")
    await stored_turn(db, "handoff", "Why does my Sable shake?", "Check [1].", sources=GOOD)
    await stored_turn(db, "handoff", "I want a person", "I'll fetch one.", agents=["general"])
    await db.request_person("handoff", "The customer asked for a person.")
    await stored_turn(db, "taken", "Can I tow with the Aster?", "Yes [1].", sources=GOOD)
    await db.staff_change("taken", SAM, "takeover")
    # Asking for a person straight away is not a gap: no question was answered before it.
    await stored_turn(db, "asked", "Talk to a human", "I'll fetch one.", agents=["general"])
    await db.request_person("asked", "The customer asked for a person.")

    assert await weak(db) == {
        "What is the Aster's range?": ("thumbs_down",),
        "Why does my Sable shake?": ("handoff",),
        "Can I tow with the Aster?": ("handoff",),
    }


async def test_every_reason_of_one_question_comes_together_with_its_passages(
    db: Database,
) -> None:
    rated = await stored_turn(db, "s1", "Roof rack for the Ridge?", NOT_FOUND, sources=WEAK)
    await db.save_feedback(rated, "ada", -1, None)
    await db.request_person("s1", "The customer gave negative feedback.")

    [turn] = await db.weak_turns(
        since=utcnow() - timedelta(hours=1), until=utcnow(), score_below=0.4
    )
    assert turn.reasons == ("no_answer", "low_score", "thumbs_down", "handoff")
    assert turn.conversation_id == "s1" and turn.answer_id == rated
    assert turn.best_score == 0.31
    assert turn.passages[0] == Passage("accessories.md", "Accessories", "Roof", 0.31)


async def test_only_the_window_is_read_newest_first(db: Database) -> None:
    await stored_turn(db, "old", "An old question?", NOT_FOUND, sources=[])
    await stored_turn(db, "s2", "First question?", NOT_FOUND, sources=[])
    await stored_turn(db, "s3", "Second question?", NOT_FOUND, sources=[])
    async with db.sessions() as session:
        await session.execute(
            update(Message)
            .where(Message.conversation_id == "old")
            .values(created_at=utcnow() - timedelta(hours=30))
        )
        await session.commit()
    assert list(await weak(db, hours=24)) == ["Second question?", "First question?"]
    assert "An old question?" in await weak(db, hours=48)


@pytest.mark.parametrize(
    "text",
    [
        NOT_FOUND,
        OUT_OF_SCOPE,
        "I couldn’t find anything about roof racks in the documents.",
        "The provided sources don't mention a heat pump.",
        "I don't have information about financing.",
    ],
)
def test_answers_that_say_they_found_nothing(text: str) -> None:
    assert says_it_cannot_answer(text)


@pytest.mark.parametrize(
    "text",
    [
        "The Ridge tows 3,500 kg [1].",
        "If the car cannot find your phone, switch Bluetooth off and on again [2].",
    ],
)
def test_answers_that_quote_the_documents_are_no_admission(text: str) -> None:
    assert not says_it_cannot_answer(text)


def test_a_failed_turn_is_no_gap_unless_rated_down() -> None:
    failed = {
        "status": MessageStatus.failed,
        "agents": ["specs"],
        "passages": [],
        "used_tools": False,
        "score_below": 0.4,
    }
    assert answer_reasons(NOT_FOUND, rated_down=False, **failed) == set()  # type: ignore[arg-type]
    assert answer_reasons("", rated_down=True, **failed) == {"thumbs_down"}  # type: ignore[arg-type]


async def test_a_question_asked_again_at_once_comes_with_the_one_that_followed(
    db: Database,
) -> None:
    await stored_turn(db, "again", "How far does the Aster go?", "It has wheels [1].", sources=GOOD)
    await stored_turn(db, "again", "What is the Aster's range?", "430 km [1].", sources=GOOD)
    await stored_turn(db, "later", "How far does the Aster go?", "430 km [1].", sources=GOOD)
    async with db.sessions() as session:  # a day later, the next question is no rephrase
        await session.execute(
            update(Message)
            .where(Message.conversation_id == "later")
            .values(created_at=utcnow() - timedelta(minutes=30))
        )
        await session.commit()
    await stored_turn(db, "later", "What is the Aster's range?", "430 km [1].", sources=GOOD)
    now = utcnow()
    found = await db.weak_turns(since=now - timedelta(hours=1), until=now, score_below=0.4)
    followed = {(t.conversation_id, t.question): t.rephrased_as for t in found}
    assert followed == {("again", "How far does the Aster go?"): "What is the Aster's range?"}
    assert all(not t.reasons for t in found)  # a candidate only: the report judges it
