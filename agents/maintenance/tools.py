"""LangChain tools the maintenance specialist's LLM calls to find, book, list and cancel slots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from itertools import groupby

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agents.maintenance.booking import (
    SEARCH_DAYS,
    Refused,
    SlotSearch,
    book,
    cancel,
    ensure_customer,
    find_slots,
    list_appointments,
    resolve_service,
    service_timezone,
)
from agents.maintenance.schedule import (
    SERVICE_TYPES,
    BookingRefusal,
    format_day,
    format_duration,
    format_time,
    refusal_message,
)
from agents.maintenance.when import When, parse_when
from orchestrator.settings import Settings

_SERVICE_HELP = (
    "The service wanted: one of "
    + ", ".join(
        f"{key} ({s.name}, {format_duration(s.duration)})" for key, s in SERVICE_TYPES.items()
    )
    + "; the customer's own words also work."
)
_SUGGEST_ON = {
    BookingRefusal.fully_booked,
    BookingRefusal.closed,
    BookingRefusal.customer_overlap,
}


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


def format_slots(slots: list[datetime], tz: tzinfo) -> str:
    """'Friday 20 November: 12:00, 12:30; Monday 23 November: 08:00'."""
    local = [s.astimezone(tz) for s in slots]
    return "; ".join(
        f"{format_day(day)}: {', '.join(format_time(s) for s in group)}"
        for day, group in groupby(local, key=lambda s: s.date())
    )


def _describe_search(found: SlotSearch, service_key: str, tz: tzinfo) -> str:
    service = SERVICE_TYPES[service_key]
    label = f"{service.name} ({format_duration(service.duration)})"
    if not found.slots:
        return f"There are no free times for {label} in the next {SEARCH_DAYS} days."
    if found.in_window:
        return f"Free start times for {label}: {format_slots(found.slots, tz)}."
    return (
        f"There are no free times for {label} then. "
        f"The nearest free start times are: {format_slots(found.slots, tz)}."
    )


def _no_date(text: str) -> str:
    return (
        f"I couldn't tell which day or time '{text}' means. Please give a day and time, "
        "such as 'Friday at 10:00', 'tomorrow morning' or '25 November 14:30'."
    )


def make_tools(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    customer_id: str,
    now: Callable[[], datetime],
    *,
    customer_name: str | None = None,
) -> list[BaseTool]:
    """The four appointment tools, bound to one customer; their results are customer messages.

    With `customer_name`, booking first inserts the customer into `users` if missing.
    """
    tz = service_timezone(settings)

    async def search(session: AsyncSession, when: When, service_key: str, at: datetime) -> str:
        found = await find_slots(session, settings, when, service_key, at, customer_id=customer_id)
        return _describe_search(found, service_key, tz)

    async def available_slots(date_text: str, service_type: str) -> str:
        service = resolve_service(service_type)
        if service is None:
            return refusal_message(BookingRefusal.unknown_service, settings.opening_hours)
        at = now()
        when = parse_when(date_text, at, tz)
        if when is None:
            return _no_date(date_text)
        async with sessions() as session:
            return await search(session, when, service.key, at)

    async def book_appointment(start_text: str, service_type: str, notes: str | None = None) -> str:
        service = resolve_service(service_type)
        if service is None:
            return refusal_message(BookingRefusal.unknown_service, settings.opening_hours)
        at = now()
        when = parse_when(start_text, at, tz)
        if when is None:
            return _no_date(start_text)
        async with sessions() as session:
            if not when.exact:
                free = await search(session, when, service.key, at)
                return f"Please choose an exact start time. {free}"
            if customer_name is not None:
                await ensure_customer(session, customer_id, customer_name)
            result = await book(
                session,
                settings,
                customer_id=customer_id,
                service_type=service.key,
                start=when.start,
                now=at,
                notes=notes,
            )
            if isinstance(result, Refused) and result.code in _SUGGEST_ON:
                found = await find_slots(
                    session, settings, when, service.key, at, customer_id=customer_id
                )
                if found.slots:
                    nearby = format_slots(found.slots, tz)
                    return f"{result.message} Free start times nearby: {nearby}."
            return result.message

    async def list_my_appointments() -> str:
        async with sessions() as session:
            views = await list_appointments(session, customer_id, now())
        if not views:
            return "You have no upcoming appointments."
        return "Your upcoming appointments:\n" + "\n".join(f"- {v.describe(tz)}" for v in views)

    async def cancel_appointment(reference: str) -> str:
        async with sessions() as session:
            result = await cancel(
                session, settings, customer_id=customer_id, appointment_id=reference, now=now()
            )
        return result.message

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
    ]
