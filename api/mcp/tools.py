"""The MCP tools, each a thin adapter acting as the authenticated caller over what the REST API
and the assistant already use: a customer turn through the chat's admission (`ask`), the
knowledge base's retrieval (`search_manuals`), and the appointment rules the assistant books by
(`available_slots`, `book_appointment`, `list_appointments`)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field
from starlette.requests import Request

from agents.maintenance import booking
from agents.maintenance.schedule import SERVICE_TYPES, BookingRefusal, refusal_message
from agents.specialist import source_ref
from api.auth import Principal
from api.body_guard import principal_of
from api.deps import AppState, app_state
from api.mcp import results
from api.mcp.results import Answer, Appointments, FreeTimes, Passages
from api.protocol import (
    CancelledEvent,
    ChatFrame,
    CompleteEvent,
    ErrorEvent,
    Identifier,
    SourceRef,
)
from api.protocol.asyncapi import APP_TITLE, APP_VERSION
from api.routes.chat import Rejected, admitted

INSTRUCTIONS = (
    "Customer support for a vehicle maker's service network, acting as the signed-in customer. "
    "`ask` puts a question to the support assistant, as the chat does, and answers with the "
    "passages of the manuals it cites; give its `session_id` back to continue the conversation. "
    "`search_manuals` finds passages of the manuals and service documents with their pages. "
    "`available_slots`, `book_appointment` and `list_appointments` are the customer's workshop "
    "appointments."
)
MAX_PASSAGES = 20
MAX_QUERY_CHARS = 1000
MAX_NOTES_CHARS = 1000
READ_ONLY = ToolAnnotations(read_only_hint=True)
SERVICE_HELP = "The service: one of " + ", ".join(SERVICE_TYPES) + " (or in words: 'new tyres')."


def caller(ctx: Context) -> tuple[AppState, Principal]:
    """The service and the caller the body guard authenticated for the HTTP request that
    carries this call."""
    request = ctx.request_context.request
    if isinstance(request, Request):
        principal = principal_of(request.scope.get("state", {}))
        if principal is not None:
            return app_state(request), principal
    # Not reached over `/mcp`, whose endpoint refuses a request without a caller first.
    raise ToolError("AUTH_REQUIRED: send Authorization: Bearer <token>")


async def ask(
    question: str,
    ctx: Context,
    session_id: Annotated[
        Identifier | None, Field(description="A session `ask` named before, to continue it.")
    ] = None,
) -> Annotated[CallToolResult, Answer]:
    """Ask the support assistant as the customer: the chat's own turn (routing, specialists,
    manuals, appointments, limits). The answer cites passages by [n], with their pages."""
    state, user = caller(ctx)
    frame = ChatFrame(type="message", message=question, session_id=session_id)
    try:
        async with admitted(state, user, frame) as turn:
            if turn.forwarded:
                held = Answer(answer="", session_id=turn.session_id, status="forwarded_to_staff")
                return results.result(held, results.answer_text(held))
            end = await turn.end(state)
    except Rejected as exc:
        raise ToolError(f"{exc.code.value}: {exc.message}") from None
    if isinstance(end, ErrorEvent):
        raise ToolError(f"{end.code.value}: {end.error}")
    if not isinstance(end, CompleteEvent | CancelledEvent):
        raise ToolError("PROCESSING_ERROR: the turn ended without an answer")
    answer = results.answer_of(turn.session_id, end)
    return results.result(answer, results.answer_text(answer))


async def search_manuals(
    query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS)],
    ctx: Context,
    k: Annotated[int, Field(ge=1, le=MAX_PASSAGES, description="How many passages.")] = 5,
) -> Annotated[CallToolResult, Passages]:
    """Search the knowledge base (owner's manuals, service documents) as the assistant does:
    the best passages first, each with its document, section, page and a snippet."""
    state, _ = caller(ctx)
    services = state.orchestrator.services
    (vector,) = await services.encoder.encode([query])
    chunks = await asyncio.to_thread(  # the live version may be reloaded first
        services.retriever.search,
        query,
        k=k,
        min_score=services.settings.retrieval_min_score,
        query_embedding=vector,
    )
    refs = [SourceRef.model_validate(source_ref(c, n)) for n, c in enumerate(chunks, 1)]
    found = Passages(query=query, passages=refs)
    return results.result(found, results.passages_text(found))


def _service(state: AppState, service_type: str) -> str:
    """The service's key; a ToolError naming the services for one that is not."""
    service = booking.resolve_service(service_type)
    if service is None:
        message = refusal_message(BookingRefusal.unknown_service, state.settings.opening_hours)
        raise ToolError(f"{BookingRefusal.unknown_service}: {message}")
    return service.key


async def available_slots(
    day: Annotated[date, Field(description="The day, in the service centre's time zone.")],
    service_type: Annotated[str, Field(description=SERVICE_HELP)],
    ctx: Context,
) -> Annotated[CallToolResult, FreeTimes]:
    """The workshop's free start times for a service on a day, for the caller (opening hours,
    free bays, none overlapping the caller's own appointments)."""
    state, user = caller(ctx)
    services, key = state.orchestrator.services, _service(state, service_type)
    async with services.sessions() as session:
        starts = await booking.available_slots(
            session,
            state.settings,
            day=day,
            service_type=key,
            now=services.clock(),
            customer_id=user.id,
        )
    found = results.free_times(key, day, starts)
    tz = booking.service_timezone(state.settings)
    return results.result(found, results.free_times_text(found, tz))


async def book_appointment(
    start: Annotated[
        datetime,
        Field(
            description="The exact start, e.g. one of `available_slots`; without a UTC "
            "offset, in the service centre's time zone."
        ),
    ],
    service_type: Annotated[str, Field(description=SERVICE_HELP)],
    ctx: Context,
    notes: Annotated[
        str | None,
        Field(max_length=MAX_NOTES_CHARS, description="Warning lights, codes, details."),
    ] = None,
) -> Annotated[CallToolResult, booking.Booked]:
    """Book a workshop appointment for the caller by the assistant's own rules: within
    opening hours, a bay free, not overlapping the caller's appointments."""
    state, user = caller(ctx)
    services, key = state.orchestrator.services, _service(state, service_type)
    at = results.in_zone(start, booking.service_timezone(state.settings))
    async with services.sessions() as session:
        await booking.ensure_customer(session, user.id, user.name)
        outcome = await booking.book(
            session,
            state.settings,
            customer_id=user.id,
            service_type=key,
            start=at,
            now=services.clock(),
            notes=notes,
        )
    if isinstance(outcome, booking.Refused):
        raise ToolError(f"{outcome.code}: {outcome.message}")
    return results.result(outcome, outcome.message)


async def list_appointments(
    ctx: Context,
    include_past: Annotated[
        bool, Field(description="Also those over or cancelled; else the upcoming ones.")
    ] = False,
) -> Annotated[CallToolResult, Appointments]:
    """The caller's workshop appointments by start time, each with its booking reference."""
    state, user = caller(ctx)
    services = state.orchestrator.services
    async with services.sessions() as session:
        views = await booking.list_appointments(
            session, user.id, services.clock(), include_past=include_past
        )
    found = Appointments(appointments=views)
    tz = booking.service_timezone(state.settings)
    return results.result(found, results.appointments_text(found, tz))


def build_server() -> MCPServer:
    """The MCP server with its tools (its transport is `api.mcp.endpoint`'s)."""
    # The SDK sets up the root logger where nothing has (`logging.basicConfig`): at WARNING, as
    # Python's own default, in a process whose logging is not uvicorn's (`api.log_format`).
    server: MCPServer = MCPServer(
        APP_TITLE, instructions=INSTRUCTIONS, version=APP_VERSION, log_level="WARNING"
    )
    server.add_tool(ask)
    server.add_tool(search_manuals, annotations=READ_ONLY)
    server.add_tool(available_slots, annotations=READ_ONLY)
    server.add_tool(book_appointment)
    server.add_tool(list_appointments, annotations=READ_ONLY)
    return server
