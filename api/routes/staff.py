"""The staff console's data and actions (staff and admin roles only)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field

from agents.maintenance.booking import reference
from api.console import console_metrics
from api.console.customer_panel import CustomerPanel, panel_of
from api.deps import StaffUser, State
from api.protocol import ConversationSummary
from api.session import handoff
from orchestrator.persistence import NotFound, Refused
from orchestrator.turns import classify_failure

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


class StaffMessageIn(BaseModel):
    message: str = Field(min_length=1, max_length=4000)


class NoteIn(BaseModel):
    note: str = Field(min_length=1, max_length=4000, description="Seen by staff only")


class CannedReplyIn(BaseModel):
    title: str = Field(min_length=1, max_length=80)
    content: str = Field(min_length=1, max_length=4000)


class Note(BaseModel):
    id: str
    content: str
    author: dict[str, str]
    created_at: str


class CannedReply(BaseModel):
    id: str
    title: str
    content: str
    created_by: str | None
    created_at: str


def _missing(session_id: str) -> HTTPException:
    return HTTPException(404, {"code": "SESSION_NOT_FOUND", "message": f"No session {session_id}"})


@router.get("/conversations", response_model=list[ConversationSummary])
async def conversations(
    staff: StaffUser,
    state: State,
    status: Literal["bot", "waiting", "with_staff", "closed"] | None = None,
    route: str | None = Query(default=None, max_length=64, description="a specialist's name"),
    q: str | None = Query(default=None, max_length=200),
    assigned: Literal["mine", "unassigned"] | None = Query(
        default=None, description="mine: the asking staff member's; unassigned: nobody's"
    ),
    limit: int = Query(default=100, ge=1, le=500),
) -> list[ConversationSummary]:
    """Conversations, newest first, filtered by status, route and assignee, searched by text."""
    specialists = state.orchestrator.services.specialists
    if route is not None and route not in specialists:
        names = ", ".join(specialists.names)
        raise HTTPException(
            422, {"code": "INVALID_ROUTE", "message": f"No route {route!r}; one of: {names}"}
        )
    assigned_to = {"mine": staff.id, "unassigned": "", None: None}[assigned]
    found = await state.orchestrator.services.db.conversation_list(
        status=status, route=route, text=q, limit=limit, assigned_to=assigned_to
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


class AssignIn(BaseModel):
    staff_id: str = Field(min_length=1, max_length=64, description="A staff member's or admin's id")


class StaffMember(BaseModel):
    id: str
    name: str


@router.get("/members", response_model=list[StaffMember])
async def members(_: StaffUser, state: State) -> list[StaffMember]:
    """The staff members and admins known (who have signed in or acted), by name."""
    found = await state.orchestrator.services.db.staff_members()
    return [StaffMember(id=i, name=n) for i, n in found]


@router.post("/conversations/{session_id}/assign", response_model=ConversationSummary)
async def assign(
    session_id: str, body: AssignIn, staff: StaffUser, state: State
) -> ConversationSummary:
    """Hand the conversation to a colleague (or to yourself): they have it as if they had
    taken it over. 409 CONFLICT when it is closed or the id is no staff member's."""
    return await _act(state, session_id, handoff.assign(state, session_id, staff, body.staff_id))


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


@router.get("/conversations/{session_id}/notes", response_model=list[Note])
async def notes(session_id: str, _: StaffUser, state: State) -> list[dict[str, Any]]:
    """The conversation's staff notes, oldest first (the customer never sees them)."""
    db = state.orchestrator.services.db
    if await db.summary(session_id) is None:
        raise _missing(session_id)
    return await db.notes(session_id)


@router.post("/conversations/{session_id}/notes", response_model=Note, status_code=201)
async def add_note(session_id: str, body: NoteIn, staff: StaffUser, state: State) -> dict[str, Any]:
    """Leave a note on the conversation for other staff; recorded in its staff actions."""
    try:
        note = await state.orchestrator.services.db.add_note(
            session_id, (staff.id, staff.name, staff.role), body.note
        )
    except NotFound:
        raise _missing(session_id) from None
    await handoff.announce(state, session_id)  # consoles watching it read it again
    return note


class DraftOut(BaseModel):
    """A reply the assistant would give now, for the agent to edit and send."""

    text: str
    sources: list[dict[str, Any]] = Field(description="The passages it cites, in [n] order")
    agents: list[str]
    tools: list[dict[str, Any]] = Field(description="What it looked up; nothing is done")
    mode: str | None


@router.post("/conversations/{session_id}/draft", response_model=DraftOut)
async def draft(session_id: str, _: StaffUser, state: State) -> DraftOut:
    """Draft a reply to the customer's messages that wait for an answer, by the assistant's
    own path (routing, retrieval, the answer mode), with its citations; nothing is stored,
    sent or booked. 409 CONFLICT when nothing of the customer's waits for an answer."""
    found = await handoff.summary(state, session_id)
    if found is None:
        raise _missing(session_id)
    try:
        drafted = await state.orchestrator.draft(session_id, found.customer.id)
    except Exception as exc:
        code, message = classify_failure(exc)
        log.warning("draft for %s failed with %s: %r", session_id, code, exc)
        raise HTTPException(503, {"code": code, "message": message}) from None
    if drafted is None:
        raise HTTPException(
            409, {"code": "CONFLICT", "message": "No message of the customer waits for an answer"}
        )
    return DraftOut(
        text=drafted.text,
        sources=drafted.sources,
        agents=drafted.agents,
        tools=drafted.tools,
        mode=drafted.mode,
    )


@router.get("/customers/{customer_id}", response_model=CustomerPanel)
async def customer(customer_id: str, _: StaffUser, state: State) -> CustomerPanel:
    """One customer's panel: the vehicles they named and registered, their bookings (with the
    reference they were given) and their conversations, newest first."""
    services = state.orchestrator.services
    found = await services.db.customer_panel(customer_id)
    if found is None:
        raise HTTPException(404, {"code": "NOT_FOUND", "message": f"No customer {customer_id}"})
    snapshot = await asyncio.to_thread(services.retriever.current)
    return panel_of(found, snapshot.catalogue, reference)


@router.get("/canned-replies", response_model=list[CannedReply])
async def canned_replies(_: StaffUser, state: State) -> list[dict[str, Any]]:
    """The replies staff keep to put into a message, by title."""
    return await state.orchestrator.services.db.canned_replies()


@router.post("/canned-replies", response_model=CannedReply, status_code=201)
async def add_canned_reply(body: CannedReplyIn, staff: StaffUser, state: State) -> dict[str, Any]:
    """Keep a reply under a title (409 CONFLICT when the title is taken)."""
    try:
        return await state.orchestrator.services.db.add_canned_reply(
            (staff.id, staff.name, staff.role), body.title.strip(), body.content
        )
    except Refused as exc:
        raise HTTPException(409, {"code": "CONFLICT", "message": str(exc)}) from None


@router.delete("/canned-replies/{reply_id}", status_code=204)
async def remove_canned_reply(reply_id: str, staff: StaffUser, state: State) -> Response:
    """Remove a canned reply."""
    try:
        await state.orchestrator.services.db.remove_canned_reply(reply_id)
    except NotFound:
        raise HTTPException(
            404, {"code": "NOT_FOUND", "message": f"No canned reply {reply_id}"}
        ) from None
    log.info("canned reply %s removed by %s", reply_id, staff.id)
    return Response(status_code=204)


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
