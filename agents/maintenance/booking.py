"""Workshop appointments: free slots, booking without double booking, cancelling.

The rules are here; the queries, and the lock that keeps two bookings from taking one bay, are in
`orchestrator.persistence.appointments` (see its module doc). Every function runs in the caller's
session, so a booking's checks and its insert share one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from agents.maintenance.schedule import (
    SERVICE_TYPES,
    BookingRefusal,
    ServiceType,
    check_booking,
    format_duration,
    format_slot,
    is_late_cancellation,
    overlaps,
    peak_occupancy,
    refusal_message,
    service_type_from_text,
    slots_for_day,
)
from agents.maintenance.when import When
from orchestrator.models import Appointment, AppointmentStatus
from orchestrator.persistence import appointments, users
from orchestrator.settings import Settings

SEARCH_DAYS = 28  # how far `find_slots` looks for alternatives

Interval = tuple[datetime, datetime]


class Booked(BaseModel):
    """A booking that was made."""

    model_config = ConfigDict(frozen=True)

    appointment_id: str
    reference: str
    service_type: str
    starts_at: datetime
    ends_at: datetime
    message: str


class Refused(BaseModel):
    """A booking or cancellation that was not made, and why."""

    model_config = ConfigDict(frozen=True)

    code: BookingRefusal
    message: str


class Cancelled(BaseModel):
    """A cancellation that was made; `late` means a late-cancellation fee may apply."""

    model_config = ConfigDict(frozen=True)

    appointment_id: str
    reference: str
    late: bool
    message: str


class AppointmentView(BaseModel):
    """One of a customer's appointments, as shown to them."""

    model_config = ConfigDict(frozen=True)

    id: str
    reference: str
    service_type: str
    starts_at: datetime
    ends_at: datetime
    status: str
    notes: str | None

    def describe(self, tz: tzinfo) -> str:
        """'A1B2C3: Oil change on Monday 23 November at 09:00–10:00' (+ status if not booked)."""
        service = SERVICE_TYPES.get(self.service_type)
        name = service.name if service else self.service_type
        line = f"{self.reference}: {name} on {format_slot(self.starts_at, self.ends_at, tz)}"
        return line if self.status == AppointmentStatus.booked else f"{line} ({self.status})"


@dataclass(frozen=True)
class SlotSearch:
    """Free start times; `in_window` is False when they are alternatives outside the request."""

    slots: list[datetime]
    in_window: bool


def reference(appointment_id: str) -> str:
    """The short reference customers see: the id's first 6 characters, upper-cased."""
    return appointment_id[:6].upper()


def resolve_service(service_type: str) -> ServiceType | None:
    """The service type for a key ("oil_change") or free text ("new tyres"), or None."""
    key = service_type if service_type in SERVICE_TYPES else service_type_from_text(service_type)
    return SERVICE_TYPES[key] if key else None


def service_timezone(settings: Settings) -> ZoneInfo:
    """The zone opening hours and customer-facing times are in."""
    return ZoneInfo(settings.service_timezone)


async def ensure_customer(session: AsyncSession, user_id: str, name: str) -> None:
    """Add the customer to `users` unless present (in the session's transaction; no commit)."""
    await users.ensure_user(session, user_id, name)


def _refusal(
    start: datetime,
    service: ServiceType,
    now: datetime,
    settings: Settings,
    booked: list[Appointment],
    customer_id: str | None,
) -> BookingRefusal | None:
    end = start + service.duration
    intervals = [(a.starts_at, a.ends_at) for a in booked]
    mine = [(a.starts_at, a.ends_at) for a in booked if a.customer_id == customer_id]
    return check_booking(
        start,
        service.duration,
        now,
        settings.opening_hours,
        service_timezone(settings),
        peak_occupancy(intervals, start, end),
        settings.service_bays,
        overlaps(mine, start, end),
    )


async def _free_slots(
    session: AsyncSession,
    settings: Settings,
    service: ServiceType,
    days: list[date],
    now: datetime,
    customer_id: str | None,
) -> list[datetime]:
    tz = service_timezone(settings)
    candidates = [
        s for day in days for s in slots_for_day(day, service.duration, settings.opening_hours, tz)
    ]
    if not candidates:
        return []
    booked = await appointments.booked_between(
        session, candidates[0], candidates[-1] + service.duration
    )
    return [
        s for s in candidates if _refusal(s, service, now, settings, booked, customer_id) is None
    ]


async def available_slots(
    session: AsyncSession,
    settings: Settings,
    *,
    day: date,
    service_type: str,
    now: datetime,
    customer_id: str | None = None,
) -> list[datetime]:
    """Bookable start times on `day` (future, in hours, a bay free; not clashing with the customer).

    Raises ValueError for an unknown service type.
    """
    service = resolve_service(service_type)
    if service is None:
        raise ValueError(f"unknown service type {service_type!r}")
    return await _free_slots(session, settings, service, [day], now, customer_id)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


async def find_slots(
    session: AsyncSession,
    settings: Settings,
    when: When,
    service_type: str,
    now: datetime,
    limit: int = 5,
    customer_id: str | None = None,
) -> SlotSearch:
    """Up to `limit` free slots matching `when`; else the nearest ones that day or the next days.

    Raises ValueError for an unknown service type.
    """
    service = resolve_service(service_type)
    if service is None:
        raise ValueError(f"unknown service type {service_type!r}")
    tz = service_timezone(settings)
    first = max(when.start.astimezone(tz).date(), now.astimezone(tz).date())
    free = await _free_slots(
        session, settings, service, _days(first, first + timedelta(SEARCH_DAYS)), now, customer_id
    )
    if when.exact:
        if when.start in free:
            return SlotSearch([when.start], in_window=True)
        same_day = [s for s in free if s.date() == when.start.astimezone(tz).date()]
        nearest = sorted(same_day, key=lambda s: abs(s - when.start))[:limit]
        later = [s for s in free if s.date() > when.start.astimezone(tz).date()]
        return SlotSearch(sorted(nearest) or later[:limit], in_window=False)
    inside = [s for s in free if when.start <= s < when.end]
    if inside:
        return SlotSearch(inside[:limit], in_window=True)
    return SlotSearch([s for s in free if s >= when.end][:limit], in_window=False)


def _refused(
    code: BookingRefusal, settings: Settings, service: ServiceType | None = None
) -> Refused:
    message = refusal_message(code, settings.opening_hours, settings.free_cancellation_hours)
    if code is BookingRefusal.closed and service is not None:
        message = f"{service.name} takes {format_duration(service.duration)}. {message}"
    return Refused(code=code, message=message)


async def book(
    session: AsyncSession,
    settings: Settings,
    *,
    customer_id: str,
    service_type: str,
    start: datetime,
    now: datetime,
    vehicle_id: str | None = None,
    notes: str | None = None,
) -> Booked | Refused:
    """Book `start` for the customer if every rule allows it, never double booking (module doc).

    Commits the session once availability was checked. The customer must exist in `users`.
    """
    service = resolve_service(service_type)
    if service is None:
        return _refused(BookingRefusal.unknown_service, settings)
    if start.tzinfo is None:
        raise ValueError("book needs a timezone-aware start")
    if vehicle_id is not None and await users.vehicle_owner(session, vehicle_id) != customer_id:
        return Refused(
            code=BookingRefusal.not_found,
            message="I can't find that vehicle on your account.",
        )
    end = start + service.duration
    await appointments.lock_bookings(session)
    refusal = _refusal(
        start,
        service,
        now,
        settings,
        await appointments.booked_between(session, start, end),
        customer_id,
    )
    if refusal is not None:
        await session.commit()
        return _refused(refusal, settings, service)
    appointment = await appointments.add(
        session,
        Appointment(
            customer_id=customer_id,
            vehicle_id=vehicle_id,
            service_type=service.key,
            starts_at=start,
            ends_at=end,
            status=AppointmentStatus.booked,
            notes=notes,
        ),
    )
    ref = reference(appointment.id)
    when = format_slot(start, end, service_timezone(settings))
    return Booked(
        appointment_id=appointment.id,
        reference=ref,
        service_type=service.key,
        starts_at=start,
        ends_at=end,
        message=(
            f"Booked: {service.name} on {when}. Reference {ref}. "
            f"Free cancellation up to {settings.free_cancellation_hours} hours before."
        ),
    )


def _view(appointment: Appointment) -> AppointmentView:
    return AppointmentView(
        id=appointment.id,
        reference=reference(appointment.id),
        service_type=appointment.service_type,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        status=appointment.status,
        notes=appointment.notes,
    )


async def list_appointments(
    session: AsyncSession, customer_id: str, now: datetime, include_past: bool = False
) -> list[AppointmentView]:
    """The customer's own appointments by start time: booked and not yet over, or all of them."""
    rows = await appointments.of_customer(session, customer_id, now, include_past)
    return [_view(a) for a in rows]


async def _own_appointment(
    session: AsyncSession, customer_id: str, appointment_id: str
) -> Appointment | None:
    """The customer's appointment with this id or reference (id prefix, any case), if unique."""
    wanted = appointment_id.strip().lstrip("#").lower()
    if len(wanted) < 6:
        return None
    rows = await appointments.by_reference(session, customer_id, wanted)
    if len(rows) > 1:  # a reference shared by two of the customer's appointments
        rows = [a for a in rows if a.status == AppointmentStatus.booked]
    return rows[0] if len(rows) == 1 else None


async def cancel(
    session: AsyncSession,
    settings: Settings,
    *,
    customer_id: str,
    appointment_id: str,
    now: datetime,
) -> Cancelled | Refused:
    """Cancel the customer's own upcoming appointment (full id or reference); commits.

    Allowed inside the free-cancellation window too, with `late=True` and the fee in the message.
    """
    appointment = await _own_appointment(session, customer_id, appointment_id)
    if appointment is None:
        return _refused(BookingRefusal.not_found, settings)
    if appointment.status == AppointmentStatus.cancelled:
        return _refused(BookingRefusal.already_cancelled, settings)
    if appointment.status != AppointmentStatus.booked or appointment.starts_at <= now:
        return Refused(
            code=BookingRefusal.in_the_past,
            message="That appointment has already started or taken place, "
            "so it can't be cancelled.",
        )
    if not await appointments.mark_cancelled(session, appointment.id, now):
        # cancelled by a concurrent request since we read it
        return _refused(BookingRefusal.already_cancelled, settings)
    ref = reference(appointment.id)
    service = SERVICE_TYPES.get(appointment.service_type)
    name = service.name if service else appointment.service_type
    when = format_slot(appointment.starts_at, appointment.ends_at, service_timezone(settings))
    late = is_late_cancellation(appointment.starts_at, now, settings.free_cancellation_hours)
    fee = (
        refusal_message(
            BookingRefusal.late_cancellation,
            settings.opening_hours,
            settings.free_cancellation_hours,
        )
        if late
        else "No cancellation fee applies."
    )
    return Cancelled(
        appointment_id=appointment.id,
        reference=ref,
        late=late,
        message=f"Cancelled: {name} on {when} (reference {ref}). {fee}",
    )
