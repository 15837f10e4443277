"""What an export of one customer holds, and what their erasure removed: typed, JSON-ready.

An export is everything stored about the customer, grouped as they would read it: who they
are, their vehicles and bookings, each conversation with its messages (the assistant's answers
and staff messages included), the feedback on them, its rating, the notes staff left and what
staff did in it, and whether the graph keeps checkpoints of it. Rows of theirs that hang
elsewhere (a message they wrote in another's conversation, feedback they gave there) are
listed apart. No I/O here: `customer_data` fills these in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class PersonRecord(BaseModel):
    """Who a row names: a staff member, the command line, the customer."""

    id: str
    name: str
    role: str


class VehicleRecord(BaseModel):
    id: str
    model: str
    variant: str | None
    year: int
    vin: str
    mileage_km: int
    created_at: datetime


class AppointmentRecord(BaseModel):
    id: str
    vehicle_id: str | None
    service_type: str
    starts_at: datetime
    ends_at: datetime
    status: str
    notes: str | None
    created_at: datetime
    cancelled_at: datetime | None


class FeedbackRecord(BaseModel):
    id: str
    message_id: str
    user_id: str
    rating: int = Field(description="1 up, -1 down")
    comment: str | None
    created_at: datetime


class MessageRecord(BaseModel):
    id: str
    conversation_id: str
    turn_id: str | None
    role: str
    content: str
    status: str
    error_code: str | None
    author_id: str | None
    agents: list[str] | None
    confidence: float | None
    sources: list[dict[str, Any]] | None
    tools: list[dict[str, Any]] | None
    latency_ms: int | None
    mode: str | None
    client_message_id: str | None
    created_at: datetime
    feedback: list[FeedbackRecord] = Field(default_factory=list)


class RatingRecord(BaseModel):
    score: int
    comment: str | None
    created_at: datetime


class NoteRecord(BaseModel):
    """A note staff left on the conversation (the customer never saw it)."""

    id: str
    author_id: str
    content: str
    created_at: datetime


class StaffActionRecord(BaseModel):
    id: str
    staff_id: str
    action: str
    detail: str | None
    created_at: datetime


class CheckpointRecord(BaseModel):
    """The graph's working state of a conversation, kept by LangGraph's checkpointer: its rows
    per table. They hold the same messages, in the checkpointer's binary form."""

    rows: dict[str, int] = Field(description="Rows of the session per checkpointer table")


class ConversationRecord(BaseModel):
    id: str = Field(description="The session id")
    title: str | None
    status: str
    assigned_staff_id: str | None
    last_route: str | None
    last_confidence: float | None
    partial_answer: str | None
    created_at: datetime
    updated_at: datetime
    messages: list[MessageRecord]
    rating: RatingRecord | None
    notes: list[NoteRecord]
    staff_actions: list[StaffActionRecord]
    checkpoints: CheckpointRecord


class GapRecord(BaseModel):
    """One of their questions as the knowledge gaps report reads it (the report is worked out
    from the messages when asked for, and keeps nothing of its own)."""

    conversation_id: str
    question: str
    asked_at: datetime
    reasons: list[str]
    best_score: float | None
    rephrased_as: str | None


class RequestRecord(BaseModel):
    """An earlier export or erasure of the customer's data."""

    kind: str
    by: PersonRecord
    created_at: datetime
    counts: dict[str, int]


class CustomerExport(BaseModel):
    """Everything stored about one customer."""

    customer_id: str
    exported_at: datetime
    customer: PersonRecord
    registered_at: datetime
    vehicles: list[VehicleRecord]
    appointments: list[AppointmentRecord]
    conversations: list[ConversationRecord]
    messages_elsewhere: list[MessageRecord] = Field(
        description="Messages they wrote in conversations that are not theirs"
    )
    feedback_elsewhere: list[FeedbackRecord] = Field(
        description="Feedback they gave on answers in conversations that are not theirs"
    )
    knowledge_gaps: list[GapRecord]
    requests: list[RequestRecord] = Field(description="Earlier exports of their data")

    def counts(self) -> dict[str, int]:
        """How many rows of each table the export holds (what its audit record keeps)."""
        conversations = self.conversations
        messages = [m for c in conversations for m in c.messages] + self.messages_elsewhere
        counted = {
            "users": 1,
            "vehicles": len(self.vehicles),
            "appointments": len(self.appointments),
            "conversations": len(conversations),
            "messages": len(messages),
            "feedback": sum(len(m.feedback) for m in messages) + len(self.feedback_elsewhere),
            "ratings": sum(c.rating is not None for c in conversations),
            "staff_notes": sum(len(c.notes) for c in conversations),
            "staff_actions": sum(len(c.staff_actions) for c in conversations),
        }
        for conversation in conversations:
            for table, rows in conversation.checkpoints.rows.items():
                counted[table] = counted.get(table, 0) + rows
        return counted


class Erasure(BaseModel):
    """What an erasure removed: rows per table, never their content."""

    customer_id: str
    erased_at: datetime
    by: PersonRecord
    counts: dict[str, int] = Field(description="Rows removed, per table")
    session_ids: list[str] = Field(
        exclude=True, description="Their sessions, for the live state to drop (not reported)"
    )
