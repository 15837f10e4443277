"""Your conversations and their messages, and feedback on answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field

from api.deps import CurrentUser, State
from api.protocol import SourceRef, ToolUse
from api.session import handoff, handoff_rules
from orchestrator.persistence import Forbidden, NotFound, Refused

router = APIRouter(prefix="/api/v1", tags=["sessions"])


class SessionSummary(BaseModel):
    session_id: str
    title: str | None
    status: str
    created_at: datetime
    updated_at: datetime


class MessageOut(BaseModel):
    id: str
    role: str
    content: str
    status: str
    turn_id: str | None
    agents: list[str] | None
    confidence: float | None
    sources: list[SourceRef] | None = Field(
        description="The passages an answer is grounded in (assistant only): "
        "`complete.metadata.context.passages`, with pages and snippets."
    )
    tools: list[ToolUse] | None = Field(description="The tools an answer used (assistant only).")
    latency_ms: int | None
    error_code: str | None
    queued: bool = Field(
        default=False,
        description="A user message waiting in the session's line for its turn (sent while "
        "another was answered); its `created_at` becomes the time that turn starts.",
    )
    created_at: datetime


class FeedbackIn(BaseModel):
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=2000)


class FeedbackOut(BaseModel):
    message_id: str
    rating: Literal["up", "down"]
    comment: str | None


def _not_found(session_id: str) -> HTTPException:
    """The answer for a session that does not exist and for one that is someone else's alike
    (as the socket's `resume` and `message` give it)."""
    return HTTPException(404, {"code": "SESSION_NOT_FOUND", "message": f"No session {session_id}"})


@router.get("/sessions", response_model=list[SessionSummary])
async def list_sessions(user: CurrentUser, state: State, limit: int = 50) -> list[SessionSummary]:
    """Your own sessions, newest first."""
    rows = await state.orchestrator.services.db.owner_conversations(
        user.id, min(max(limit, 1), 200)
    )
    return [
        SessionSummary(
            session_id=c.id,
            title=c.title,
            status=c.status,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in rows
    ]


@router.get("/sessions/{session_id}/messages", response_model=list[MessageOut])
async def list_messages(session_id: str, user: CurrentUser, state: State) -> list[MessageOut]:
    """Every message of one of your sessions, oldest first (staff may read any)."""
    db = state.orchestrator.services.db
    try:
        conversation = await db.readable_conversation(session_id, user.id, is_staff=user.is_staff)
    except Forbidden:
        conversation = None
    if conversation is None:
        raise _not_found(session_id)
    rows = await db.messages(session_id)
    return [MessageOut.model_validate(m, from_attributes=True) for m in rows]


class RatingIn(BaseModel):
    score: int = Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy)")
    comment: str | None = Field(default=None, max_length=2000)


@router.post("/sessions/{session_id}/rating", status_code=204)
async def rate(session_id: str, body: RatingIn, user: CurrentUser, state: State) -> Response:
    """How satisfied you were with one of your conversations once it is closed (asked in its
    `handoff` event `closed`); sending again replaces it. 409 CONFLICT while it is open."""
    try:
        await state.orchestrator.services.db.rate(session_id, user.id, body.score, body.comment)
    except NotFound:
        raise _not_found(session_id) from None
    except Refused as exc:
        raise HTTPException(409, {"code": "CONFLICT", "message": str(exc)}) from None
    return Response(status_code=204)


@router.post("/messages/{message_id}/feedback", response_model=FeedbackOut)
async def give_feedback(
    message_id: str, body: FeedbackIn, user: CurrentUser, state: State
) -> FeedbackOut:
    """Thumbs up or down on an answer in your own session; sending again replaces it."""
    rating = 1 if body.rating == "up" else -1
    try:
        conversation_id = await state.orchestrator.services.db.save_feedback(
            message_id, user.id, rating, body.comment
        )
    except NotFound:
        raise HTTPException(404, {"code": "NOT_FOUND", "message": "No such message"}) from None
    except Refused as exc:
        raise HTTPException(422, {"code": "INVALID_MESSAGE", "message": str(exc)}) from None
    if rating < 0:
        await handoff.request_person(state, conversation_id, handoff_rules.NEGATIVE_FEEDBACK)
    else:
        await handoff.announce(state, conversation_id)
    return FeedbackOut(message_id=message_id, rating=body.rating, comment=body.comment)
