"""LangChain tools the maintenance specialist's LLM calls to find, book, list, cancel and move
appointments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field

from agents.maintenance.booking import resolve_service
from agents.maintenance.desk import AppointmentDesk
from agents.maintenance.schedule import (
    SERVICE_TYPES,
    BookingRefusal,
    format_duration,
    refusal_message,
)
from agents.maintenance.when import parse_when

_SERVICE_HELP = (
    "The service wanted: one of "
    + ", ".join(
        f"{key} ({s.name}, {format_duration(s.duration)})" for key, s in SERVICE_TYPES.items()
    )
    + "; the customer's own words also work."
)


class AvailableSlotsArgs(BaseModel):
    date_text: str = Field(
        description="When the customer would like to come, in their words: "
        "'Friday afternoon', 'next Monday', 'tomorrow morning', '25 November'."
    )
    service_type: str = Field(description=_SERVICE_HELP)


class BookAppointmentArgs(BaseModel):
    start_text: str = Field(
        description="The exact day and start time to book, e.g. 'Monday 23 November at 09:00'."
    )
    service_type: str = Field(description=_SERVICE_HELP)
    notes: str | None = Field(
        default=None,
        description="Warning lights, fault codes or other details for the technician.",
    )


class ListAppointmentsArgs(BaseModel):
    pass


class CancelAppointmentArgs(BaseModel):
    reference: str = Field(
        description="The 6-character booking reference (e.g. 'A1B2C3') or the full appointment id."
    )


class MoveAppointmentArgs(BaseModel):
    reference: str | None = Field(
        default=None,
        description="The booking reference of the appointment to move; leave it out when the "
        "customer has only one upcoming appointment.",
    )
    start_text: str = Field(
        description="Where to move it: an exact day and time ('Thursday at 10:00') books it; "
        "a day alone ('Thursday') lists that day's free times for it."
    )


_SPECS: dict[tuple[str, str, object], dict[str, Any]] = {}


def openai_tools(tools: Sequence[BaseTool]) -> list[dict[str, Any]]:
    """The tools as the OpenAI API lists them. Each turn makes its own tools (over its
    customer's desk), but their specs depend only on name, description and arguments: converted
    once, not per turn (1% of the server's CPU under load, py-spy)."""
    specs = []
    for tool in tools:
        key = (tool.name, tool.description, tool.args_schema)
        spec = _SPECS.get(key)
        if spec is None:
            spec = _SPECS[key] = convert_to_openai_tool(tool)
        specs.append(spec)
    return specs


def _no_date(text: str) -> str:
    return (
        f"I couldn't tell which day or time '{text}' means. Please give a day and time, "
        "such as 'Friday at 10:00', 'tomorrow morning' or '25 November 14:30'."
    )


def make_tools(desk: AppointmentDesk) -> list[BaseTool]:
    """The five appointment tools over one customer's desk; their results are customer messages."""
    settings, now, tz = desk.settings, desk.now, desk.tz

    async def available_slots(date_text: str, service_type: str) -> str:
        service = resolve_service(service_type)
        if service is None:
            return refusal_message(BookingRefusal.unknown_service, settings.opening_hours)
        when = parse_when(date_text, now(), tz)
        return _no_date(date_text) if when is None else await desk.free_times(when, service.key)

    async def book_appointment(start_text: str, service_type: str, notes: str | None = None) -> str:
        service = resolve_service(service_type)
        if service is None:
            return refusal_message(BookingRefusal.unknown_service, settings.opening_hours)
        when = parse_when(start_text, now(), tz)
        return _no_date(start_text) if when is None else await desk.book(when, service.key, notes)

    async def list_my_appointments() -> str:
        return await desk.upcoming()

    async def cancel_appointment(reference: str) -> str:
        return await desk.cancel(reference)

    async def move_appointment(start_text: str, reference: str | None = None) -> str:
        when = parse_when(start_text, now(), tz)
        return _no_date(start_text) if when is None else await desk.move(reference, when)

    return [
        StructuredTool.from_function(
            coroutine=available_slots,
            name="available_slots",
            description="List free workshop start times for a service on a day or part of a day.",
            args_schema=AvailableSlotsArgs,
        ),
        StructuredTool.from_function(
            coroutine=book_appointment,
            name="book_appointment",
            description="Book a workshop appointment for the customer at an exact day and time. "
            "Only call this after the customer has confirmed the time and service.",
            args_schema=BookAppointmentArgs,
        ),
        StructuredTool.from_function(
            coroutine=list_my_appointments,
            name="list_my_appointments",
            description="List the customer's upcoming workshop appointments with their references.",
            args_schema=ListAppointmentsArgs,
        ),
        StructuredTool.from_function(
            coroutine=cancel_appointment,
            name="cancel_appointment",
            description="Cancel one of the customer's appointments by its booking reference. "
            f"Free up to {settings.free_cancellation_hours} hours before; "
            "later a late-cancellation fee may apply.",
            args_schema=CancelAppointmentArgs,
        ),
        StructuredTool.from_function(
            coroutine=move_appointment,
            name="move_appointment",
            description="Move one of the customer's appointments to another time: the new time "
            "is booked first, then the old one cancelled. Only call this with an exact time "
            "after the customer has confirmed it.",
            args_schema=MoveAppointmentArgs,
        ),
    ]
