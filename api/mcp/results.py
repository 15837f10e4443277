"""What the MCP tools answer: each result a pydantic model (the tool's structured content and
output schema) with the text a model reads beside it. Pure: no I/O, no server."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Literal

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from agents.maintenance.booking import AppointmentView
from agents.maintenance.offers import offer_text
from agents.maintenance.schedule import SERVICE_TYPES, format_day
from api.protocol import CancelledEvent, CompleteEvent, SourceRef
from api.routes.openai_compat import footnote, footnotes

FORWARDED = "A person from the service team has this conversation; they will reply in it."


class Answer(BaseModel):
    """One customer turn: the answer, the session it belongs to, and the passages it cites."""

    answer: str = Field(description="The answer; its [n] cite `passages`.")
    session_id: str = Field(description="Give it again as `session_id` to continue.")
    status: Literal["complete", "cancelled", "forwarded_to_staff"] = Field(
        description="cancelled: `answer` is what had been written; forwarded_to_staff: a "
        "person has the conversation and no answer comes from the assistant."
    )
    agent: str | None = Field(default=None, description="The specialist that answered.")
    passages: list[SourceRef] = Field(
        default_factory=list, description="The passages the answer cites, with their pages."
    )
    message_id: str | None = Field(
        default=None, description="The answer's id (for feedback over REST)."
    )


class Passages(BaseModel):
    """Knowledge-base passages for a query, best first."""

    query: str
    passages: list[SourceRef] = Field(description="`n` is the passage's rank.")


class FreeTimes(BaseModel):
    """The start times still free for a service on a day."""

    service_type: str = Field(description="The service's key, as `book_appointment` takes it.")
    service: str = Field(description="Its name.")
    duration_minutes: int
    day: date
    starts: list[datetime] = Field(description="Free start times, with their UTC offset.")


class Appointments(BaseModel):
    """The caller's appointments by start time."""

    appointments: list[AppointmentView]


def result(structured: BaseModel, text: str) -> CallToolResult:
    """A tool's result: `structured` as its structured content, `text` for a model to read."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=structured.model_dump(mode="json"),
    )


def answer_of(session_id: str, end: CompleteEvent | CancelledEvent) -> Answer:
    """The answer a turn's last event gives."""
    if isinstance(end, CancelledEvent):
        return Answer(answer=end.partial_response, session_id=session_id, status="cancelled")
    meta = end.metadata
    return Answer(
        answer=end.response,
        session_id=session_id,
        status="complete",
        agent=meta.agent,
        passages=meta.context.passages,
        message_id=meta.message_id,
    )


def answer_text(answer: Answer) -> str:
    """The answer with its passages as footnotes (as the OpenAI-compatible route writes it)."""
    if answer.status == "forwarded_to_staff":
        return FORWARDED
    return answer.answer + footnotes(answer.passages)


def passages_text(found: Passages) -> str:
    """Each passage's footnote line with its snippet below."""
    if not found.passages:
        return f"No passage of the knowledge base matches {found.query!r}."
    return "\n\n".join(f"{footnote(p)}\n{p.snippet or ''}".rstrip() for p in found.passages)


def free_times(service_type: str, day: date, starts: list[datetime]) -> FreeTimes:
    service = SERVICE_TYPES[service_type]
    return FreeTimes(
        service_type=service.key,
        service=service.name,
        duration_minutes=int(service.duration.total_seconds() // 60),
        day=day,
        starts=starts,
    )


def free_times_text(free: FreeTimes, tz: tzinfo) -> str:
    if not free.starts:
        return f"No free start times for {free.service} on {format_day(free.day)}."
    return f"Free start times for {offer_text(free.service_type, free.starts, tz)}."


def appointments_text(found: Appointments, tz: tzinfo) -> str:
    """One line per appointment with its reference, as the assistant lists them."""
    if not found.appointments:
        return "You have no appointments."
    return "Your appointments:\n" + "\n".join(f"- {a.describe(tz)}" for a in found.appointments)


def in_zone(moment: datetime, tz: tzinfo) -> datetime:
    """`moment` as given when it names its offset; a time without one is the service's own."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)
