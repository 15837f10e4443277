"""SQL tables: users, their vehicles, conversations, messages, appointments and feedback, and
the record of customers' data exported and erased."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

TITLE_LENGTH = 200  # characters of a conversation's title


class Role(StrEnum):
    customer = "customer"
    staff = "staff"
    admin = "admin"


class ConversationStatus(StrEnum):
    bot = "bot"
    handoff = "handoff"
    closed = "closed"


class MessageRole(StrEnum):
    user = "user"
    assistant = "assistant"
    staff = "staff"
    system = "system"


class MessageStatus(StrEnum):
    complete = "complete"
    cancelled = "cancelled"
    failed = "failed"


class AppointmentStatus(StrEnum):
    booked = "booked"
    cancelled = "cancelled"
    completed = "completed"


class DataRequestKind(StrEnum):
    export = "export"
    erasure = "erasure"


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    """A stored time as the API writes it: ISO 8601, UTC as `Z`."""
    return value.isoformat().replace("+00:00", "Z")


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _one_of(column: str, enum: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_valid")


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class User(Base):
    __tablename__ = "users"
    __table_args__ = (_one_of("role", Role),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default=Role.customer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="owner")


class Vehicle(Base):
    __tablename__ = "vehicles"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    model: Mapped[str] = mapped_column(String(64))
    variant: Mapped[str | None] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    vin: Mapped[str] = mapped_column(String(17), unique=True)
    mileage_km: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship(back_populates="vehicles")


class Conversation(Base):
    """One chat session; its id is the session id clients use (they may choose it)."""

    __tablename__ = "conversations"
    __table_args__ = (
        _one_of("status", ConversationStatus),
        Index("ix_conversations_owner_id_updated_at", "owner_id", "updated_at"),
        Index("ix_conversations_status_updated_at", "status", "updated_at"),
        Index("ix_conversations_queued", "queued"),
        Index("ix_conversations_reduced_at_updated_at", "reduced_at", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.bot)
    # The first message's start, until staff give it another (`conversation_rows.titled`).
    title: Mapped[str | None] = mapped_column(String(TITLE_LENGTH))
    # The newest event number sent in this session, so numbering continues after a restart.
    last_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The turn under way, from its admission until its last event's seq is saved, and the answer
    # it had streamed when last saved: what a restart after a crash closes as INTERRUPTED.
    running_turn_id: Mapped[str | None] = mapped_column(String(32))
    partial_answer: Mapped[str | None] = mapped_column(Text)
    # The fencing token ("<turn id>:<attempt>") of the run that owns the newest turn: set when
    # the turn starts, replaced when another instance runs it again. An answer is stored only
    # by the run holding it, so a stalled instance that was taken over stores nothing.
    turn_fence: Mapped[str | None] = mapped_column(String(48))
    # Set while a staff member has taken the conversation over (status handoff).
    assigned_staff_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    last_route: Mapped[str | None] = mapped_column(String(32))
    last_confidence: Mapped[float | None] = mapped_column(Float)
    # How many of its messages wait for the turn under way to end (`Message.queued`): read with
    # the row, so a message sees the line without another query.
    queued: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When the retention (strategy keep_latest) reduced its graph checkpoints to the latest.
    # Any change clears it, as it sets `updated_at`: a conversation that went on is reduced
    # again once it is idle again, and one that did not is passed by.
    reduced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, onupdate=lambda: None)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    assigned_staff: Mapped[User | None] = relationship(foreign_keys=[assigned_staff_id])
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.created_at"
    )


class Message(Base):
    """A user message, an assistant answer, a staff message or a system notice."""

    __tablename__ = "messages"
    __table_args__ = (
        _one_of("role", MessageRole),
        _one_of("status", MessageStatus),
        Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at"),
        UniqueConstraint("conversation_id", "role", "client_message_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    turn_id: Mapped[str | None] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.complete)
    error_code: Mapped[str | None] = mapped_column(String(32))
    agents: Mapped[list[str] | None] = mapped_column(JSON)
    confidence: Mapped[float | None] = mapped_column(Float)
    sources: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # The tools the answer used: call_id, name, arguments, agent, ok, summary (see events.py).
    tools: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    mode: Mapped[str | None] = mapped_column(String(16))
    client_message_id: Mapped[str | None] = mapped_column(String(128))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A user message sent while a turn was under way, waiting in line for its own turn (its
    # `turn_id`); its `created_at` becomes the time that turn starts, so the transcript reads
    # question, answer, question, answer.
    queued: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        _one_of("status", AppointmentStatus),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_appointments_status_starts_at", "status", "starts_at"),
        Index("ix_appointments_customer_id_starts_at", "customer_id", "starts_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    vehicle_id: Mapped[str | None] = mapped_column(ForeignKey("vehicles.id", ondelete="SET NULL"))
    service_type: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=AppointmentStatus.booked)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[User] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship()


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("rating IN (-1, 1)", name="rating_valid"),
        UniqueConstraint("message_id", "user_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[Message] = relationship()
    user: Mapped[User] = relationship()


class StaffAction(Base):
    """Who did what to a conversation: take over, write, hand back, close."""

    __tablename__ = "staff_actions"
    __table_args__ = (
        Index("ix_staff_actions_conversation_id_created_at", "conversation_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    staff_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff: Mapped[User] = relationship()


class StaffNote(Base):
    """A note staff leave on a conversation for each other; the customer never sees it."""

    __tablename__ = "staff_notes"
    __table_args__ = (
        Index("ix_staff_notes_conversation_id_created_at", "conversation_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class CannedReply(Base):
    """A reply staff keep to put into a message: a title to find it by, and its text."""

    __tablename__ = "canned_replies"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(80), unique=True)
    content: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rating(Base):
    """How satisfied the customer was with a conversation, asked when it is closed: 1 to 5."""

    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score_valid"),
        Index("ix_ratings_created_at", "created_at"),
    )

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DataRequest(Base):
    """A customer's data exported or erased: who did it, when, and how many rows of each table,
    never what they held. No foreign key: the record outlives the customer it names (it is what
    shows that an erasure was done) and the person who did it."""

    __tablename__ = "data_requests"
    __table_args__ = (
        _one_of("kind", DataRequestKind),
        Index("ix_data_requests_customer_id_created_at", "customer_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[str] = mapped_column(String(64))
    by_id: Mapped[str] = mapped_column(String(64))
    by_name: Mapped[str] = mapped_column(String(200))
    by_role: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
