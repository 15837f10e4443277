"""Pure workshop scheduling rules: service types, slots, booking checks and human wording."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

OpeningHours = Mapping[int, tuple[time, time]]

SLOT_STEP = timedelta(minutes=30)
BOOKING_HORIZON = timedelta(weeks=12)  # the KB: "Appointments can be booked up to 12 weeks ahead"
LATE_CANCELLATION_FEE_EUR = 35

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class ServiceType:
    """A bookable kind of workshop appointment and the words customers use for it."""

    key: str
    name: str
    duration: timedelta
    aliases: tuple[str, ...]


def _service(key: str, name: str, hours: float, *aliases: str) -> ServiceType:
    return ServiceType(key, name, timedelta(hours=hours), aliases)


SERVICE_TYPES: dict[str, ServiceType] = {
    service.key: service
    for service in (
        _service(
            "annual_service",
            "Annual service",
            2,
            "annual service",
            "annual",
            "yearly service",
            "yearly",
            "scheduled service",
            "interval service",
            "full service",
            "major service",
        ),
        _service(
            "oil_change",
            "Oil change",
            1,
            "oil change",
            "oil and filter",
            "oil service",
            "change the oil",
            "oil",
        ),
        _service(
            "tyre_change",
            "Tyre change",
            1,
            "tyre change",
            "tire change",
            "change tyres",
            "change tires",
            "winter tyres",
            "summer tyres",
            "tyres",
            "tires",
            "tyre",
            "tire",
        ),
        _service(
            "diagnostic_check",
            "Diagnostic check",
            1.5,
            "diagnostic check",
            "diagnostic",
            "diagnostics",
            "diagnosis",
            "warning light",
            "fault code",
            "error code",
            "engine light",
        ),
        _service(
            "battery_health_check",
            "Battery health check",
            1,
            "battery health check",
            "battery health",
            "battery check",
            "battery test",
            "hybrid battery",
            "battery",
        ),
        _service(
            "brake_service",
            "Brake service",
            2,
            "brake service",
            "brake pads",
            "brake discs",
            "brake fluid",
            "brakes",
            "brake",
        ),
        _service(
            "general_service",
            "General service",
            2,
            "general service",
            "service",
            "servicing",
            "maintenance",
            "check up",
            "checkup",
            "inspection",
        ),
    )
}


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def service_type_from_text(text: str) -> str | None:
    """The key of the service type named in `text` (longest matching alias wins), or None."""
    words = f" {_normalise(text)} "
    best: tuple[int, str] | None = None
    for service in SERVICE_TYPES.values():
        for alias in (service.key.replace("_", " "), service.name.lower(), *service.aliases):
            if f" {_normalise(alias)} " in words and (best is None or len(alias) > best[0]):
                best = (len(alias), service.key)
    return best[1] if best else None


def opening_window(day: date, opening_hours: OpeningHours, tz: tzinfo) -> tuple[datetime, datetime]:
    """The aware (open, close) datetimes of `day`; raises KeyError if the centre is closed."""
    opens, closes = opening_hours[day.isoweekday()]
    return datetime.combine(day, opens, tzinfo=tz), datetime.combine(day, closes, tzinfo=tz)


def slots_for_day(
    day: date,
    duration: timedelta,
    opening_hours: OpeningHours,
    tz: tzinfo,
    step: timedelta = SLOT_STEP,
) -> list[datetime]:
    """Start times on `day` (aware, in `tz`) every `step` where the whole duration fits in hours."""
    if day.isoweekday() not in opening_hours:
        return []
    start, close = opening_window(day, opening_hours, tz)
    slots = []
    while start + duration <= close:
        slots.append(start)
        start += step
    return slots


def peak_occupancy(
    booked: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
) -> int:
    """The most bookings in progress at any one moment of [start, end): the bays in use then."""
    overlapping = [(max(s, start), min(e, end)) for s, e in booked if s < end and e > start]
    peak = 0
    for moment, _ in overlapping:  # occupancy only rises at a booking's start
        peak = max(peak, sum(1 for s, e in overlapping if s <= moment < e))
    return peak


def overlaps(booked: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Whether any interval in `booked` shares time with [start, end)."""
    return any(s < end and e > start for s, e in booked)


class BookingRefusal(StrEnum):
    """Why a booking or cancellation cannot go ahead (`late_cancellation` is a warning only)."""

    in_the_past = "in_the_past"
    too_far_ahead = "too_far_ahead"
    closed = "closed"
    fully_booked = "fully_booked"
    customer_overlap = "customer_overlap"
    unknown_service = "unknown_service"
    not_found = "not_found"
    already_cancelled = "already_cancelled"
    late_cancellation = "late_cancellation"


def refusal_message(
    refusal: BookingRefusal, opening_hours: OpeningHours, free_cancellation_hours: int = 24
) -> str:
    """A sentence a customer can read explaining `refusal`."""
    weeks = BOOKING_HORIZON.days // 7
    messages = {
        BookingRefusal.in_the_past: "That time has already passed; please choose a future time.",
        BookingRefusal.too_far_ahead: f"Appointments can be booked up to {weeks} weeks ahead.",
        BookingRefusal.closed: (
            "The service centre is closed then, or the work would not finish before closing. "
            f"Opening hours: {format_opening_hours(opening_hours)}."
        ),
        BookingRefusal.fully_booked: "All service bays are booked at that time.",
        BookingRefusal.customer_overlap: "You already have an appointment at that time.",
        BookingRefusal.unknown_service: "I don't know that type of service. We offer: "
        + ", ".join(s.name for s in SERVICE_TYPES.values())
        + ".",
        BookingRefusal.not_found: (
            "I can't find an appointment with that reference on your account."
        ),
        BookingRefusal.already_cancelled: "That appointment is already cancelled.",
        BookingRefusal.late_cancellation: (
            f"This is less than {free_cancellation_hours} hours before the appointment, so a "
            f"late cancellation fee of €{LATE_CANCELLATION_FEE_EUR} may apply (waived after an "
            "accident, breakdown, illness or severe weather)."
        ),
    }
    return messages[refusal]


def check_booking(
    start: datetime,
    duration: timedelta,
    now: datetime,
    opening_hours: OpeningHours,
    tz: tzinfo,
    overlapping_count: int,
    bays: int,
    customer_has_overlap: bool,
    horizon: timedelta = BOOKING_HORIZON,
) -> BookingRefusal | None:
    """The first reason a booking at `start` is refused, or None if it may go ahead.

    `overlapping_count` is the number of bays already in use at the busiest moment of the slot.
    """
    if start.tzinfo is None or now.tzinfo is None:
        raise ValueError("check_booking needs timezone-aware datetimes")
    if start <= now:
        return BookingRefusal.in_the_past
    if start - now > horizon:
        return BookingRefusal.too_far_ahead
    local = start.astimezone(tz)
    if local.isoweekday() not in opening_hours:
        return BookingRefusal.closed
    opens, closes = opening_window(local.date(), opening_hours, tz)
    if local < opens or local + duration > closes:
        return BookingRefusal.closed
    if customer_has_overlap:
        return BookingRefusal.customer_overlap
    if overlapping_count >= bays:
        return BookingRefusal.fully_booked
    return None


def is_late_cancellation(starts_at: datetime, now: datetime, free_cancellation_hours: int) -> bool:
    """Whether cancelling now falls inside the window where a late-cancellation fee may apply."""
    return starts_at - now < timedelta(hours=free_cancellation_hours)


def format_day(day: date) -> str:
    """'Monday 23 November'."""
    return f"{DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]}"


def format_time(moment: datetime | time) -> str:
    """'09:30'."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def format_slot(start: datetime, end: datetime, tz: tzinfo) -> str:
    """'Monday 23 November at 09:00–10:00', in the service centre's time zone."""
    start, end = start.astimezone(tz), end.astimezone(tz)
    return f"{format_day(start.date())} at {format_time(start)}–{format_time(end)}"


def format_duration(duration: timedelta) -> str:
    """'1 h', '1.5 h', '2 h'."""
    hours = duration.total_seconds() / 3600
    return f"{hours:g} h"


def format_opening_hours(opening_hours: OpeningHours) -> str:
    """'Monday to Friday 08:00–18:00, Saturday 09:00–13:00; closed on Sunday'."""
    groups: list[tuple[int, int, tuple[time, time] | None]] = []
    for weekday in range(1, 8):
        hours = opening_hours.get(weekday)
        if groups and groups[-1][2] == hours:
            groups[-1] = (groups[-1][0], weekday, hours)
        else:
            groups.append((weekday, weekday, hours))

    def days(first: int, last: int) -> str:
        if first == last:
            return DAY_NAMES[first - 1]
        joiner = " and " if last == first + 1 else " to "
        return f"{DAY_NAMES[first - 1]}{joiner}{DAY_NAMES[last - 1]}"

    open_parts = [
        f"{days(a, b)} {format_time(h[0])}–{format_time(h[1])}" for a, b, h in groups if h
    ]
    closed_parts = [days(a, b) for a, b, h in groups if h is None]
    text = ", ".join(open_parts) or "closed every day"
    if open_parts and closed_parts:
        text += "; closed on " + " and ".join(closed_parts)
    return text
