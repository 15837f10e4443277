"""The staff console's data and actions (staff and admin roles only)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field

from api.console import console_metrics
from api.deps import StaffUser, State
from api.protocol import ConversationSummary
from api.session import handoff

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


class StaffMessageIn(BaseModel):
    message: str = Field(min_length=1, max_length=4000)


def _missing(session_id: str) -> HTTPException:
    return HTTPException(404, {"code": "SESSION_NOT_FOUND", "message": f"No session {session_id}"})


@router.get("/conversations", response_model=list[ConversationSummary])
async def conversations(
    _: StaffUser,
    state: State,
    status: Literal["bot", "waiting", "with_staff", "closed"] | None = None,
    route: str | None = Query(default=None, max_length=64, description="a specialist's name"),
    q: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=100, ge=1, le=500),
) -> list[ConversationSummary]:
    """Conversations, newest first, filtered by status and route, searched by text."""
    specialists = state.orchestrator.services.specialists
    if route is not None and route not in specialists:
        names = ", ".join(specialists.names)
        raise HTTPException(
            422, {"code": "INVALID_ROUTE", "message": f"No route {route!r}; one of: {names}"}
        )
    found = await state.orchestrator.services.db.conversation_list(
        status=status, route=route, text=q, limit=limit
    )
    return [ConversationSummary.model_validate(summary) for summary in found]


@router.get("/conversations/{session_id}")
async def conversation(session_id: str, _: StaffUser, state: State) -> dict[str, Any]:
    """The full transcript with each turn's agent, confidence, sources, latency and feedback."""
    found = await state.orchestrator.services.db.transcript(session_id)
    if found is None:
        raise _missing(session_id)
    return found


async def _after(state: State, session_id: str) -> ConversationSummary:
    found = await handoff.summary(state, session_id)
    assert found is not None
    return found


async def _act(state: State, session_id: str, action: Any) -> ConversationSummary:
    try:
        await action
    except LookupError:
        raise _missing(session_id) from None
    except handoff.HandoffRefused as exc:
        raise HTTPException(409, {"code": "CONFLICT", "message": str(exc)}) from None
    return await _after(state, session_id)


@router.post("/conversations/{session_id}/takeover", response_model=ConversationSummary)
async def take_over(session_id: str, staff: StaffUser, state: State) -> ConversationSummary:
    """Take the conversation over: the assistant stops answering in it."""
    return await _act(state, session_id, handoff.take_over(state, session_id, staff))


@router.post("/conversations/{session_id}/handback", response_model=ConversationSummary)
async def hand_back(session_id: str, staff: StaffUser, state: State) -> ConversationSummary:
    """Hand the conversation back to the assistant."""
    return await _act(state, session_id, handoff.hand_back(state, session_id, staff))


@router.post("/conversations/{session_id}/close", response_model=ConversationSummary)
async def close(session_id: str, staff: StaffUser, state: State) -> ConversationSummary:
    """Close the conversation."""
    return await _act(state, session_id, handoff.close(state, session_id, staff))


@router.post("/conversations/{session_id}/messages")
async def write(
    session_id: str, body: StaffMessageIn, staff: StaffUser, state: State
) -> dict[str, Any]:
    """Write to the customer (after taking the conversation over)."""
    try:
        message = await handoff.staff_write(state, session_id, staff, body.message)
    except LookupError:
        raise _missing(session_id) from None
    except handoff.HandoffRefused as exc:
        raise HTTPException(409, {"code": "CONFLICT", "message": str(exc)}) from None
    return {
        "id": message.id,
        "role": message.role,
        "content": message.content,
        "author": {"id": staff.id, "name": staff.name},
    }


@router.get("/metrics")
async def metrics(
    _: StaffUser, state: State, hours: int = Query(default=24, ge=1, le=24 * 30)
) -> dict[str, Any]:
    """Totals for the metrics panel: volumes, latency, error, feedback and handoff rates."""
    data = await state.orchestrator.services.db.metrics(hours)
    return {
        "hours": hours,
        "totals": data["totals"],
        "routes": data["routes"],
        "errors": data["errors"],
    }


@router.get("/charts/{name}.svg")
async def chart(
    name: str, _: StaffUser, state: State, hours: int = Query(default=24, ge=1, le=24 * 30)
) -> Response:
    """One chart of the metrics panel as SVG."""
    if name not in console_metrics.CHARTS:
        raise HTTPException(404, {"code": "NOT_FOUND", "message": f"No chart {name}"})
    data = await state.orchestrator.services.db.metrics(hours)
    return Response(
        console_metrics.chart(name, data),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store"},
    )
