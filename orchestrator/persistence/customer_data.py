"""One customer's data: exported whole, or erased from every table, each time audited.

What is theirs: their user row, vehicles and appointments; their conversations with every row
that hangs on one (messages, whoever wrote them, the feedback on those, the rating, staff notes
and actions) and the graph's checkpoints of it, in the checkpointer's own tables (keyed by
thread id, the session id); and, in conversations not theirs, the messages they wrote, the
answers to those, and the feedback they gave. Deleting the user row alone would leave messages
they wrote elsewhere behind under a NULL author (the foreign key says SET NULL), and the
checkpoints have no foreign key at all: so each table is deleted from here, by name.

The checkpointer's tables are found in the live database (every table the models do not
describe that has a `thread_id` column), so that a table a newer LangGraph adds is erased too,
in the same transaction as the rest: an erasure removes all of it or nothing.

An erasure keeps one row that names the customer: its record in `data_requests` (who, when,
rows per table), which is what shows it was done.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Delete,
    Select,
    TableClause,
    and_,
    column,
    delete,
    exists,
    func,
    inspect,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from orchestrator.models import (
    Appointment,
    Base,
    Conversation,
    DataRequest,
    DataRequestKind,
    Feedback,
    Message,
    MessageRole,
    Rating,
    Role,
    StaffAction,
    StaffNote,
    User,
    Vehicle,
    utcnow,
)
from orchestrator.persistence import gaps
from orchestrator.persistence.customer_record import (
    AppointmentRecord,
    CheckpointRecord,
    ConversationRecord,
    CustomerExport,
    Erasure,
    FeedbackRecord,
    GapRecord,
    MessageRecord,
    NoteRecord,
    PersonRecord,
    RatingRecord,
    RequestRecord,
    StaffActionRecord,
    VehicleRecord,
)
from orchestrator.persistence.refusals import NotFound, Refused

THREAD = "thread_id"  # the column by which LangGraph's checkpointer keys a session's rows
SINCE_EVER = datetime(1970, 1, 1, tzinfo=UTC)


async def _customer(session: AsyncSession, customer_id: str) -> User:
    """The customer's user row: NotFound without one, Refused for a staff member or admin
    (their rows are other customers' audit trail)."""
    user = await session.get(User, customer_id)
    if user is None:
        raise NotFound(customer_id)
    if user.role != Role.customer:
        raise Refused(f"{customer_id} is a {user.role}, not a customer")
    return user


def _conversations(customer_id: str) -> Select[str]:
    """The ids of the customer's conversations (their session ids)."""
    return select(Conversation.id).where(Conversation.owner_id == customer_id)


def _messages(customer_id: str) -> Select[str]:
    """The ids of every message of theirs: all of their conversations', those they wrote in
    another's, and the answers to those."""
    asked = aliased(Message)
    answers_them = exists().where(
        asked.author_id == customer_id,
        asked.conversation_id == Message.conversation_id,
        asked.turn_id == Message.turn_id,
    )
    # Not correlated with a statement on messages it is put in: a set of its own, read whole
    # before a DELETE begins (so that a question deleted first still finds its answer).
    return (
        select(Message.id)
        .where(
            or_(
                Message.conversation_id.in_(_conversations(customer_id)),
                Message.author_id == customer_id,
                and_(Message.role == MessageRole.assistant, answers_them),
            )
        )
        .correlate(None)
    )


async def checkpoint_tables(session: AsyncSession) -> list[TableClause]:
    """The checkpointer's tables in the live database: those with a thread id that no model
    describes (none before the checkpointer first ran)."""

    def find(sync_connection: Any) -> list[str]:
        inspector = inspect(sync_connection)
        return [
            name
            for name in inspector.get_table_names()
            if name not in Base.metadata.tables
            and any(c["name"] == THREAD for c in inspector.get_columns(name))
        ]

    names = await (await session.connection()).run_sync(find)
    return [table(name, column(THREAD)) for name in sorted(names)]


async def sessions_of(session: AsyncSession, customer_id: str) -> list[str]:
    """The customer's session ids (NotFound, Refused: see `_customer`)."""
    await _customer(session, customer_id)
    return list(await session.scalars(_conversations(customer_id).order_by(Conversation.id)))


def _person(person: tuple[str, str, str]) -> PersonRecord:
    person_id, name, role = person
    return PersonRecord(id=person_id, name=name, role=role)


def _audit(
    kind: DataRequestKind,
    customer_id: str,
    by: tuple[str, str, str],
    counts: dict[str, int],
    at: datetime,
) -> DataRequest:
    by_id, by_name, by_role = by
    return DataRequest(
        kind=kind,
        customer_id=customer_id,
        by_id=by_id,
        by_name=by_name,
        by_role=by_role,
        counts=counts,
        created_at=at,
    )


# Export


def _feedback(row: Feedback) -> FeedbackRecord:
    return FeedbackRecord.model_validate(row, from_attributes=True)


def _message(row: Message, feedback: Iterable[Feedback]) -> MessageRecord:
    record = MessageRecord.model_validate(row, from_attributes=True)
    record.feedback = [_feedback(f) for f in feedback]
    return record


async def _checkpoint_rows(session: AsyncSession, customer_id: str) -> dict[str, dict[str, int]]:
    """Rows per checkpointer table, by session."""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for kept in await checkpoint_tables(session):
        thread = kept.c[THREAD]
        rows = await session.execute(
            select(thread, func.count())
            .where(thread.in_(_conversations(customer_id)))
            .group_by(thread)
        )
        for session_id, count in rows:
            found[str(session_id)][kept.name] = int(count)
    return found


async def _gaps(
    session: AsyncSession, customer_id: str, score_below: float, now: datetime
) -> list[GapRecord]:
    weak = await gaps.weak_turns(
        session,
        since=SINCE_EVER,
        until=now,
        score_below=score_below,
        conversations=_conversations(customer_id),
    )
    return [
        GapRecord(
            conversation_id=turn.conversation_id,
            question=turn.question,
            asked_at=turn.asked_at,
            reasons=list(turn.reasons),
            best_score=turn.best_score,
            rephrased_as=turn.rephrased_as,
        )
        for turn in weak
    ]


async def export(
    session: AsyncSession,
    customer_id: str,
    by: tuple[str, str, str],
    *,
    gap_score_below: float,
) -> CustomerExport:
    """Everything stored about the customer, and the export recorded (NotFound, Refused: see
    `_customer`)."""
    now = utcnow()
    user = await _customer(session, customer_id)
    vehicles = await session.scalars(
        select(Vehicle).where(Vehicle.owner_id == customer_id).order_by(Vehicle.created_at)
    )
    appointments = await session.scalars(
        select(Appointment)
        .where(Appointment.customer_id == customer_id)
        .order_by(Appointment.starts_at, Appointment.id)
    )
    conversations = list(
        await session.scalars(
            select(Conversation)
            .where(Conversation.owner_id == customer_id)
            .order_by(Conversation.created_at, Conversation.id)
        )
    )
    messages = await session.scalars(
        select(Message)
        .where(Message.id.in_(_messages(customer_id)))
        .order_by(Message.created_at, Message.id)
    )
    feedback = await session.scalars(
        select(Feedback)
        .where(
            or_(Feedback.message_id.in_(_messages(customer_id)), Feedback.user_id == customer_id)
        )
        .order_by(Feedback.created_at, Feedback.id)
    )
    on_message: dict[str, list[Feedback]] = defaultdict(list)
    for given in feedback:
        on_message[given.message_id].append(given)
    theirs = {c.id for c in conversations}
    in_conversation: dict[str, list[MessageRecord]] = defaultdict(list)
    elsewhere: list[MessageRecord] = []
    for message in messages:
        said = _message(message, on_message.pop(message.id, ()))
        if message.conversation_id in theirs:
            in_conversation[message.conversation_id].append(said)
        else:
            elsewhere.append(said)
    ratings = {
        r.conversation_id: r
        for r in await session.scalars(select(Rating).where(Rating.conversation_id.in_(theirs)))
    }
    notes: dict[str, list[NoteRecord]] = defaultdict(list)
    for note in await session.scalars(
        select(StaffNote)
        .where(StaffNote.conversation_id.in_(_conversations(customer_id)))
        .order_by(StaffNote.created_at, StaffNote.id)
    ):
        notes[note.conversation_id].append(NoteRecord.model_validate(note, from_attributes=True))
    actions: dict[str, list[StaffActionRecord]] = defaultdict(list)
    for action in await session.scalars(
        select(StaffAction)
        .where(StaffAction.conversation_id.in_(_conversations(customer_id)))
        .order_by(StaffAction.created_at, StaffAction.id)
    ):
        actions[action.conversation_id].append(
            StaffActionRecord.model_validate(action, from_attributes=True)
        )
    checkpoints = await _checkpoint_rows(session, customer_id)
    requests = await session.scalars(
        select(DataRequest)
        .where(DataRequest.customer_id == customer_id)
        .order_by(DataRequest.created_at)
    )
    record = CustomerExport(
        customer_id=customer_id,
        exported_at=now,
        customer=PersonRecord(id=user.id, name=user.name, role=user.role),
        registered_at=user.created_at,
        vehicles=[VehicleRecord.model_validate(v, from_attributes=True) for v in vehicles],
        appointments=[
            AppointmentRecord.model_validate(a, from_attributes=True) for a in appointments
        ],
        conversations=[
            ConversationRecord(
                id=c.id,
                title=c.title,
                status=c.status,
                assigned_staff_id=c.assigned_staff_id,
                last_route=c.last_route,
                last_confidence=c.last_confidence,
                partial_answer=c.partial_answer,
                created_at=c.created_at,
                updated_at=c.updated_at,
                messages=in_conversation[c.id],
                rating=(
                    RatingRecord.model_validate(ratings[c.id], from_attributes=True)
                    if c.id in ratings
                    else None
                ),
                notes=notes[c.id],
                staff_actions=actions[c.id],
                checkpoints=CheckpointRecord(rows=checkpoints.get(c.id, {})),
            )
            for c in conversations
        ],
        messages_elsewhere=elsewhere,
        feedback_elsewhere=[_feedback(f) for given in on_message.values() for f in given],
        knowledge_gaps=await _gaps(session, customer_id, gap_score_below, now),
        requests=[
            RequestRecord(
                kind=r.kind,
                by=PersonRecord(id=r.by_id, name=r.by_name, role=r.by_role),
                created_at=r.created_at,
                counts=r.counts,
            )
            for r in requests
        ],
    )
    session.add(_audit(DataRequestKind.export, customer_id, by, record.counts(), now))
    await session.commit()
    return record


# Erasure


async def _lock(session: AsyncSession, customer_id: str) -> None:
    """Hold the customer still until the transaction ends: no conversation of theirs can be
    created meanwhile (and left behind without its checkpoints). SQLite: the database's write
    lock, taken by a write first, before anything is read; PostgreSQL: the row lock that a new
    conversation's foreign key check waits for (FOR UPDATE; SQLite has none, and leaves it
    out)."""
    await session.execute(
        update(User)
        .where(User.id == customer_id)
        .values(name=User.name)
        .execution_options(synchronize_session=False)
    )
    await session.execute(select(User.id).where(User.id == customer_id).with_for_update())


async def _deleted(session: AsyncSession, statement: Delete) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def erase(session: AsyncSession, customer_id: str, by: tuple[str, str, str]) -> Erasure:
    """Remove every row of the customer (see the module's doc), in one transaction, and record
    the erasure: rows per table, never their content (NotFound, Refused: see `_customer`)."""
    await _lock(session, customer_id)
    await _customer(session, customer_id)
    session_ids = list(await session.scalars(_conversations(customer_id)))
    theirs, messages = _conversations(customer_id), _messages(customer_id)
    counts = {
        "feedback": await _deleted(
            session,
            delete(Feedback).where(
                or_(Feedback.message_id.in_(messages), Feedback.user_id == customer_id)
            ),
        ),
        "ratings": await _deleted(
            session,
            delete(Rating).where(
                or_(Rating.conversation_id.in_(theirs), Rating.user_id == customer_id)
            ),
        ),
        "staff_notes": await _deleted(
            session, delete(StaffNote).where(StaffNote.conversation_id.in_(theirs))
        ),
        "staff_actions": await _deleted(
            session, delete(StaffAction).where(StaffAction.conversation_id.in_(theirs))
        ),
    }
    for kept in await checkpoint_tables(session):
        counts[kept.name] = await _deleted(session, delete(kept).where(kept.c[THREAD].in_(theirs)))
    # Every message of theirs before their conversations: those they wrote elsewhere would
    # otherwise outlive them under a NULL author.
    counts["messages"] = await _deleted(session, delete(Message).where(Message.id.in_(messages)))
    counts["conversations"] = await _deleted(
        session, delete(Conversation).where(Conversation.owner_id == customer_id)
    )
    counts["appointments"] = await _deleted(
        session, delete(Appointment).where(Appointment.customer_id == customer_id)
    )
    counts["vehicles"] = await _deleted(
        session, delete(Vehicle).where(Vehicle.owner_id == customer_id)
    )
    counts["users"] = await _deleted(session, delete(User).where(User.id == customer_id))
    now = utcnow()
    session.add(_audit(DataRequestKind.erasure, customer_id, by, counts, now))
    await session.commit()
    return Erasure(
        customer_id=customer_id,
        erased_at=now,
        by=_person(by),
        counts=counts,
        session_ids=session_ids,
    )
