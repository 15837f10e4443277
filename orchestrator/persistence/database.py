"""`Database`: the repositories behind one session factory, each call its own transaction.

Callers outside the persistence layer (the API, the CLI) use these methods and never see a
session or a query. Code that must share a transaction with a turn (the orchestrator, the
booking rules) calls the repository modules' functions with its own session.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from orchestrator.models import Conversation, Message, utcnow
from orchestrator.persistence import (
    admissions,
    canned_replies,
    console,
    conversations,
    customer_data,
    customers,
    db_engine,
    gaps,
    line,
    metrics,
    notes,
    ratings,
    retention,
    staff,
    users,
)
from orchestrator.persistence.conversation_rows import Waiting
from orchestrator.persistence.conversations import Opened, UnfinishedTurn
from orchestrator.persistence.customer_record import CustomerExport, Erasure
from orchestrator.persistence.gaps import WeakTurn
from orchestrator.persistence.staff import StaffChange

Person = tuple[str, str, str]  # id, name, role


class Database:
    """Every read and write the API and the CLI make, by aggregate."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._admissions = admissions.Writer(sessions)
        self._probe: AsyncEngine | None = None  # for `ping`, made on first use

    async def ping(self) -> None:
        """Run `SELECT 1` on a connection of its own, outside the pool; raises if the database
        cannot be reached. A pool that every turn of a crowd is using is busy, not down: the
        probe does not wait in line behind them to tell which."""
        if self._probe is None:
            async with self.sessions() as session:
                bind = session.bind
            assert isinstance(bind, AsyncEngine)
            self._probe = db_engine.create_engine(bind.url, pooled=False)
        async with self._probe.connect() as connection:
            await connection.execute(text("SELECT 1"))

    # Conversations and messages

    async def open_for_message(
        self,
        *,
        session_id: str,
        owner_id: str,
        author: Person,
        text: str,
        client_message_id: str | None,
        turn_id: str,
        start_turn: bool = False,
        line: int | None = None,
    ) -> Opened:
        """Open the conversation for a chat message and, with `start_turn`, store it as the
        question of turn `turn_id`, or with `line` at the end of the conversation's line (of
        that bound) when it starts no turn: one transaction (see
        `conversations.open_for_message`).

        A message that starts a turn in the common case is stored with the others waiting, in
        one transaction for them all (`admissions`)."""
        if start_turn:
            async with self.sessions() as session:
                found = await admissions.read(session, session_id, owner_id, client_message_id)
            if found.common:
                admission = admissions.admission(
                    found=found,
                    session_id=session_id,
                    owner_id=owner_id,
                    author=author,
                    text=text,
                    client_message_id=client_message_id,
                    turn_id=turn_id,
                    now=utcnow(),
                )
                try:
                    await self._admissions.write(admission)
                except admissions.GroupConflict:
                    pass  # decided again below, with what is stored now
                else:
                    return Opened(
                        created=not found.exists,
                        forwarded=None,
                        prior=None,
                        started=admission.stored(),
                        last_seq=found.last_seq,
                        profile=found.profile,
                    )
        async with self.sessions() as session:
            return await conversations.open_for_message(
                session,
                session_id=session_id,
                owner_id=owner_id,
                author=author,
                text=text,
                client_message_id=client_message_id,
                turn_id=turn_id,
                start_turn=start_turn,
                line=line,
            )

    async def next_in_line(self, session_id: str) -> str | None:
        """The turn id of the conversation's message first in line, if any (`line.first`)."""
        async with self.sessions() as session:
            return await line.first(session, session_id)

    async def start_in_line(self, session_id: str, turn_id: str) -> Waiting | line.NotStarted:
        """That message out of the line as the question of its turn (`line.start`)."""
        async with self.sessions() as session:
            return await line.start(session, session_id, turn_id)

    async def lines(self) -> list[str]:
        """Conversations with messages in line (`line.lines`)."""
        async with self.sessions() as session:
            return await line.lines(session)

    async def save_user_message(
        self,
        session_id: str,
        author_id: str,
        text: str,
        turn_id: str,
        client_message_id: str | None,
    ) -> Message:
        """Store a message for a turn (idempotent per turn), before it is answered; the
        conversation records the turn as under way."""
        async with self.sessions() as session:
            message = await conversations.save_user_message(
                session,
                session_id,
                author_id,
                text,
                turn_id,
                client_message_id,
                starts_turn=True,
            )
            await session.commit()
            return message

    async def readable_conversation(
        self, session_id: str, user_id: str, *, is_staff: bool
    ) -> Conversation | None:
        """None if there is no such conversation; Forbidden if this user may not read it."""
        async with self.sessions() as session:
            return await conversations.readable_conversation(session, session_id, user_id, is_staff)

    async def owner_conversations(self, owner_id: str, limit: int) -> list[Conversation]:
        async with self.sessions() as session:
            return await conversations.owner_conversations(session, owner_id, limit)

    async def messages(self, session_id: str) -> list[Message]:
        async with self.sessions() as session:
            return await conversations.messages(session, session_id)

    async def save_feedback(
        self, message_id: str, user_id: str, rating: int, comment: str | None
    ) -> str:
        async with self.sessions() as session:
            return await conversations.save_feedback(session, message_id, user_id, rating, comment)

    async def take_over_turn(self, session_id: str, turn_id: str, attempt: int) -> bool:
        """Run `attempt` of the turn under way holds its fence from now on (see
        `conversations.take_over_turn`); False when the turn is no longer under way."""
        async with self.sessions() as session:
            taken = await conversations.take_over_turn(session, session_id, turn_id, attempt)
            await session.commit()
            return taken

    async def holds_fence(self, session_id: str, turn_id: str, attempt: int) -> bool:
        """Whether run `attempt` of the turn still holds its fence: no other run took it over
        (the checkpointer's check before it writes)."""
        async with self.sessions() as session:
            return await conversations.holds_fence(session, session_id, turn_id, attempt)

    async def answer_for_turn(self, session_id: str, turn_id: str) -> Message | None:
        async with self.sessions() as session:
            return await conversations.answer_for_turn(session, session_id, turn_id)

    async def last_seq(self, session_id: str) -> int:
        async with self.sessions() as session:
            return await conversations.last_seq(session, session_id)

    async def set_last_seq(
        self, session_id: str, value: int, ended_turn: str | None = None
    ) -> None:
        async with self.sessions() as session:
            await conversations.set_last_seq(session, session_id, value, ended_turn)
            await session.commit()

    async def unfinished_turns(self) -> list[UnfinishedTurn]:
        async with self.sessions() as session:
            return await conversations.unfinished_turns(session)

    async def close_unfinished(
        self, turn: UnfinishedTurn, *, error_code: str, seq_gap: int
    ) -> Message:
        async with self.sessions() as session:
            answer = await conversations.close_unfinished(
                session, turn, error_code=error_code, seq_gap=seq_gap
            )
            await session.commit()
            return answer

    # Handoff and staff actions

    async def request_person(self, session_id: str, reason: str) -> bool:
        async with self.sessions() as session:
            return await staff.request_person(session, session_id, reason)

    async def unanswered(self, session_id: str) -> list[Message]:
        """The customer's messages since the last answer (see `conversations.unanswered`)."""
        async with self.sessions() as session:
            return await conversations.unanswered(session, session_id)

    async def start_waiting_turn(self, session_id: str) -> Waiting | None:
        """The unanswered messages started as one turn (`conversations.start_waiting_turn`)."""
        async with self.sessions() as session:
            return await conversations.start_waiting_turn(session, session_id)

    async def staff_change(self, session_id: str, person: Person, action: StaffChange) -> None:
        async with self.sessions() as session:
            await staff.change(session, session_id, person, action)

    async def assign(self, session_id: str, person: Person, assignee_id: str) -> None:
        """Hand the conversation to a colleague (see `staff.assign`)."""
        async with self.sessions() as session:
            await staff.assign(session, session_id, person, assignee_id)

    async def ensure_user(self, person: Person) -> None:
        """Record a user who signs in, as they are first seen (a staff member, say)."""
        async with self.sessions() as session:
            await users.ensure_user(session, *person)
            await session.commit()

    async def staff_members(self) -> list[tuple[str, str]]:
        async with self.sessions() as session:
            return await staff.members(session)

    async def staff_write(self, session_id: str, person: Person, text: str) -> Message:
        async with self.sessions() as session:
            return await staff.write(session, session_id, person, text)

    async def add_note(self, session_id: str, person: Person, text: str) -> dict[str, Any]:
        """A staff note on the conversation (NotFound without one), audited."""
        async with self.sessions() as session:
            return await notes.add(session, session_id, person, text)

    async def notes(self, session_id: str) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            return await notes.of(session, session_id)

    async def canned_replies(self) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            return await canned_replies.all_of(session)

    async def add_canned_reply(self, person: Person, title: str, content: str) -> dict[str, Any]:
        """Keep a reply under a title (Refused when the title is taken)."""
        async with self.sessions() as session:
            return await canned_replies.add(session, person, title, content)

    async def remove_canned_reply(self, reply_id: str) -> None:
        async with self.sessions() as session:
            await canned_replies.remove(session, reply_id)

    async def rate(self, session_id: str, user_id: str, score: int, comment: str | None) -> None:
        """The customer's satisfaction with their closed conversation (see `ratings.rate`)."""
        async with self.sessions() as session:
            await ratings.rate(session, session_id, user_id, score, comment)

    async def idle_conversations(self, before: datetime, *, unreduced: bool = False) -> list[str]:
        """Conversations idle since before `before`; with `unreduced`, only those not reduced
        since they last changed (see `retention`)."""
        async with self.sessions() as session:
            return await retention.idle_since(session, before, unreduced=unreduced)

    async def remove_conversations(self, session_ids: list[str], before: datetime) -> int:
        """Remove these conversations, still idle since before `before`; how many went."""
        async with self.sessions() as session:
            return await retention.remove(session, session_ids, before)

    async def mark_reduced(self, session_ids: list[str], before: datetime, at: datetime) -> int:
        """Record these conversations, still idle since before `before`, as reduced to their
        latest checkpoint `at`; how many were."""
        async with self.sessions() as session:
            return await retention.mark_reduced(session, session_ids, before, at)

    async def customer_panel(self, customer_id: str) -> dict[str, Any] | None:
        """The console's panel of one customer (see `customers.panel`)."""
        async with self.sessions() as session:
            return await customers.panel(session, customer_id)

    # One customer's data (GDPR and CCPA requests)

    async def customer_sessions(self, customer_id: str) -> list[str]:
        """The customer's session ids (NotFound; Refused for staff: see `customer_data`)."""
        async with self.sessions() as session:
            return await customer_data.sessions_of(session, customer_id)

    async def export_customer(
        self, customer_id: str, by: Person, *, gap_score_below: float
    ) -> CustomerExport:
        """Everything stored about the customer; the export is recorded (`customer_data`)."""
        async with self.sessions() as session:
            return await customer_data.export(
                session, customer_id, by, gap_score_below=gap_score_below
            )

    async def erase_customer(self, customer_id: str, by: Person) -> Erasure:
        """Remove every row of the customer, checkpoints included; recorded without content."""
        async with self.sessions() as session:
            return await customer_data.erase(session, customer_id, by)

    # What the staff console reads

    async def summary(self, session_id: str) -> dict[str, Any] | None:
        async with self.sessions() as session:
            conversation = await session.get(Conversation, session_id)
            return None if conversation is None else await console.summarize(session, conversation)

    async def conversation_list(
        self,
        *,
        status: str | None,
        route: str | None,
        text: str | None,
        limit: int,
        assigned_to: str | None = None,
    ) -> list[dict[str, Any]]:
        """Summaries, newest first; `assigned_to` a staff id for theirs, "" for nobody's."""
        async with self.sessions() as session:
            return await console.list_conversations(
                session, status=status, route=route, text=text, limit=limit, assigned_to=assigned_to
            )

    async def transcript(self, session_id: str) -> dict[str, Any] | None:
        async with self.sessions() as session:
            conversation = await session.get(Conversation, session_id)
            return None if conversation is None else await console.transcript(session, conversation)

    async def metrics(self, hours: int) -> dict[str, Any]:
        async with self.sessions() as session:
            return await metrics.collect(session, hours=hours)

    async def weak_turns(
        self, *, since: datetime, until: datetime, score_below: float
    ) -> list[WeakTurn]:
        """The questions of [since, until) the knowledge base answered badly, newest first."""
        async with self.sessions() as session:
            return await gaps.weak_turns(session, since=since, until=until, score_below=score_below)
