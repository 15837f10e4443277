"""One customer's data exported and erased, on SQLite and PostgreSQL: the export holds all of
theirs and nothing of another's; the erasure leaves no row of theirs in any table of the live
database (the checkpointer's included), and another customer's rows as they were."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from orchestrator.models import Appointment, DataRequest, MessageStatus, Vehicle, utcnow
from orchestrator.persistence import Database, NotFound, Refused, db_engine
from orchestrator.persistence import conversations as repo
from orchestrator.settings import Settings
from orchestrator.turn_metadata import TurnMetadata
from orchestrator.turns import Orchestrator
from tests.orchestrator.test_turns import running, turn
from tests.utils.row_scan import rows_holding

pytestmark = pytest.mark.slow

SAM = ("sam", "Sam", "staff")
OFFICE = ("cli", "command line", "admin")
GAP_SCORE_BELOW = 0.4


@pytest.fixture
def settings(kb_settings: Settings, db_url: URL) -> Settings:
    return kb_settings.model_copy(update={"database_url": db_url.render_as_string(False)})


@dataclass(frozen=True)
class Customer:
    """A customer seeded with a row in every table that can hold one of theirs; `marker` is in
    everything they and staff wrote about them."""

    id: str
    sessions: tuple[str, str]
    marker: str

    @property
    def needles(self) -> list[str]:
        return [self.id, *self.sessions, self.marker]


def customer(name: str) -> Customer:
    tag = uuid.uuid4().hex[:10]
    return Customer(f"{name}-{tag}", (f"{name}-chat-{tag}", f"{name}-book-{tag}"), f"zq{tag}")


async def seed(orchestrator: Orchestrator, who: Customer) -> str:
    """Two real turns (so the checkpointer keeps both sessions), feedback, a staff member's
    takeover, message, note and close, a rating, a vehicle and an appointment; the answer's id."""
    db = orchestrator.services.db
    chat, book = who.sessions
    done, _ = await turn(orchestrator, chat, f"How much can the Ridge tow? ({who.marker})", who.id)
    await turn(orchestrator, book, f"What does P0A80 mean? ({who.marker})", who.id)
    await db.save_feedback(done.message_id, who.id, -1, f"Not what I asked ({who.marker})")
    await db.staff_change(chat, SAM, "takeover")
    await db.staff_write(chat, SAM, f"Hello, I can help ({who.marker})")
    await db.add_note(chat, SAM, f"Called them back ({who.marker})")
    await db.staff_change(chat, SAM, "close")
    await db.rate(chat, who.id, 2, f"Slow ({who.marker})")
    async with orchestrator.services.sessions() as session:
        vehicle = Vehicle(owner_id=who.id, model="Ridge", year=2024, vin=uuid.uuid4().hex[:17])
        session.add(vehicle)
        await session.flush()
        starts = utcnow() + timedelta(days=3)
        session.add(
            Appointment(
                customer_id=who.id,
                vehicle_id=vehicle.id,
                service_type="oil_change",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                notes=f"Bring the spare key ({who.marker})",
            )
        )
        await session.commit()
    return done.message_id


async def write_in(db: Database, session_id: str, author: Customer, owner: str) -> None:
    """A message `author` wrote in another's conversation, and its answer."""
    async with db.sessions() as session:
        said = f"I drive it too ({author.marker})"
        await repo.save_user_message(session, session_id, author.id, said, "t-elsewhere", None)
        await repo.save_answer(
            session,
            session_id,
            "t-elsewhere",
            f"Noted: {said}",
            status=MessageStatus.complete,
            metadata=TurnMetadata(),
        )
        await session.commit()


@dataclass
class Seeded:
    orchestrator: Orchestrator
    ada: Customer
    bob: Customer


@pytest.fixture
async def seeded(settings: Settings, db_url: URL, embedder: Any) -> AsyncIterator[Seeded]:
    """Ada and Bob with a row in every table; Ada also wrote in Bob's conversation."""
    ada, bob = customer("ada"), customer("bob")
    async with running(settings, db_url, embedder) as orchestrator:
        await seed(orchestrator, ada)
        await seed(orchestrator, bob)
        await write_in(orchestrator.services.db, bob.sessions[0], ada, bob.id)
        yield Seeded(orchestrator, ada, bob)


async def test_an_export_holds_every_row_of_the_customer_and_none_of_another(
    seeded: Seeded,
) -> None:
    db, ada, bob = seeded.orchestrator.services.db, seeded.ada, seeded.bob

    export = await db.export_customer(ada.id, SAM, gap_score_below=GAP_SCORE_BELOW)

    dumped = export.model_dump_json()
    assert ada.marker in dumped and bob.marker not in dumped and bob.id not in dumped
    assert export.customer.id == ada.id and export.customer.role == "customer"
    assert [v.model for v in export.vehicles] == ["Ridge"]
    assert [a.notes for a in export.appointments] == [f"Bring the spare key ({ada.marker})"]
    chat = next(c for c in export.conversations if c.id == ada.sessions[0])
    assert {c.id for c in export.conversations} == set(ada.sessions)
    assert [m.role for m in chat.messages] == ["user", "assistant", "system", "staff", "system"]
    [feedback] = chat.messages[1].feedback
    assert (feedback.rating, feedback.comment) == (-1, f"Not what I asked ({ada.marker})")
    assert chat.rating is not None and chat.rating.score == 2
    assert [n.content for n in chat.notes] == [f"Called them back ({ada.marker})"]
    assert [a.action for a in chat.staff_actions] == ["takeover", "message", "note", "close"]
    assert set(chat.checkpoints.rows) and all(n > 0 for n in chat.checkpoints.rows.values())
    assert [m.content for m in export.messages_elsewhere] == [
        f"I drive it too ({ada.marker})",
        f"Noted: I drive it too ({ada.marker})",
    ]
    gap = next(g for g in export.knowledge_gaps if g.conversation_id == ada.sessions[0])
    assert "thumbs_down" in gap.reasons and ada.marker in gap.question
    assert all(g.conversation_id in ada.sessions for g in export.knowledge_gaps)

    async with seeded.orchestrator.services.sessions() as session:
        [audit] = await session.scalars(select(DataRequest))
    assert (audit.kind, audit.customer_id, audit.by_id) == ("export", ada.id, "sam")
    assert audit.counts == export.counts() and audit.counts["messages"] == 9
    again = await db.export_customer(ada.id, SAM, gap_score_below=GAP_SCORE_BELOW)
    assert [r.kind for r in again.requests] == ["export"]


async def test_an_erasure_leaves_no_row_of_the_customer_in_any_table(
    seeded: Seeded, db_url: URL
) -> None:
    db, ada, bob = seeded.orchestrator.services.db, seeded.ada, seeded.bob
    held = rows_holding(db_url, ada.needles)
    assert {"users", "conversations", "messages", "feedback", "ratings", "staff_notes"} <= set(held)
    assert {"staff_actions", "vehicles", "appointments"} <= set(held)
    assert held["checkpoints"][ada.marker], "the scan reads the checkpointer's blobs"
    bobs = rows_holding(db_url, bob.needles)

    erased = await db.erase_customer(ada.id, OFFICE)

    assert rows_holding(db_url, ada.needles) == {"data_requests": {ada.id: 1}}
    untouched = rows_holding(db_url, bob.needles)
    bobs["messages"][bob.sessions[0]] -= 2  # Ada's message in his conversation, and its answer
    assert untouched == bobs
    assert await seeded.orchestrator.graph.checkpointer.aget_tuple(
        seeded.orchestrator.config(bob.sessions[0])
    )
    assert sorted(erased.session_ids) == sorted(ada.sessions)
    assert erased.counts["users"] == 1 and erased.counts["conversations"] == 2
    assert erased.counts["messages"] == 9 and erased.counts["checkpoints"] > 0
    async with seeded.orchestrator.services.sessions() as session:
        [audit] = await session.scalars(select(DataRequest))
    assert (audit.kind, audit.by_id, audit.by_role) == ("erasure", "cli", "admin")
    assert audit.counts == erased.counts
    with pytest.raises(NotFound):
        await db.export_customer(ada.id, SAM, gap_score_below=GAP_SCORE_BELOW)


@pytest.fixture
async def db(db_url: URL) -> AsyncIterator[Database]:
    engine = db_engine.create_engine(db_url)
    try:
        yield Database(db_engine.session_factory(engine))
    finally:
        await engine.dispose()


async def test_an_unknown_customer_is_not_found_and_staff_are_no_customers(db: Database) -> None:
    with pytest.raises(NotFound):
        await db.erase_customer("nobody", OFFICE)
    with pytest.raises(NotFound):
        await db.export_customer("nobody", OFFICE, gap_score_below=GAP_SCORE_BELOW)
    await db.ensure_user(SAM)
    with pytest.raises(Refused):
        await db.erase_customer("sam", OFFICE)
    assert await db.staff_members() == [("sam", "Sam")]


async def test_a_customer_with_nothing_but_a_name_is_erased_before_any_checkpoint_table(
    db: Database, db_url: URL
) -> None:
    await db.ensure_user(("quiet", "Quiet", "customer"))
    erased = await db.erase_customer("quiet", OFFICE)
    assert erased.counts["users"] == 1 and erased.session_ids == []
    assert rows_holding(db_url, ["quiet", "Quiet"]) == {"data_requests": {"quiet": 1}}
