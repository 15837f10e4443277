"""Pure scheduling rules: service types, slots, occupancy, booking checks and wording."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from agents.maintenance.schedule import (
    SERVICE_TYPES,
    BookingRefusal,
    check_booking,
    format_opening_hours,
    format_slot,
    is_late_cancellation,
    overlaps,
    peak_occupancy,
    refusal_message,
    service_type_from_text,
    slots_for_day,
)
from orchestrator.settings import Settings

HOURS = Settings(_env_file=None).opening_hours
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
MONDAY = date(2026, 11, 23)
SATURDAY = date(2026, 11, 21)
SUNDAY = date(2026, 11, 22)
H = timedelta(hours=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def test_service_durations_follow_the_knowledge_base() -> None:
    durations = {key: s.duration for key, s in SERVICE_TYPES.items()}
    assert durations == {
        "annual_service": 2 * H,
        "oil_change": H,
        "tyre_change": H,
        "diagnostic_check": 1.5 * H,
        "battery_health_check": H,
        "brake_service": 2 * H,
        "general_service": 2 * H,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I need an oil change", "oil_change"),
        ("oil_change", "oil_change"),
        ("Oil & filter please", "oil_change"),
        ("new winter tyres for my Ridge", "tyre_change"),
        ("Can you swap my tires?", "tyre_change"),
        ("Brake service please", "brake_service"),
        ("my brakes squeal", "brake_service"),
        ("Annual service for the Aster", "annual_service"),
        ("it's due its yearly service", "annual_service"),
        ("Diagnostic check", "diagnostic_check"),
        ("the oil warning light is on", "diagnostic_check"),
        ("fault code P0A80", "diagnostic_check"),
        ("battery health check for the warranty claim", "battery_health_check"),
        ("can I book a service?", "general_service"),
        ("general maintenance", "general_service"),
        ("hello there", None),
        ("", None),
        ("soil", None),
    ],
)
def test_service_type_from_text(text: str, expected: str | None) -> None:
    assert service_type_from_text(text) == expected


def test_weekday_slots_leave_room_to_finish_before_closing() -> None:
    two_hours = slots_for_day(MONDAY, 2 * H, HOURS, UTC)
    assert two_hours[0] == at(MONDAY, 8)
    assert two_hours[-1] == at(MONDAY, 16)
    assert len(two_hours) == 17
    assert slots_for_day(MONDAY, H, HOURS, UTC)[-1] == at(MONDAY, 17)
    assert slots_for_day(MONDAY, 1.5 * H, HOURS, UTC)[-1] == at(MONDAY, 16, 30)


def test_saturday_and_sunday_slots() -> None:
    assert slots_for_day(SATURDAY, 2 * H, HOURS, UTC) == [
        at(SATURDAY, 9),
        at(SATURDAY, 9, 30),
        at(SATURDAY, 10),
        at(SATURDAY, 10, 30),
        at(SATURDAY, 11),
    ]
    assert slots_for_day(SUNDAY, H, HOURS, UTC) == []


def test_slots_are_aware_in_the_service_zone_and_honour_the_step() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    slots = slots_for_day(MONDAY, H, HOURS, berlin, step=H)
    assert slots[0] == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 CET
    assert all(s.tzinfo is berlin for s in slots)
    assert len(slots) == 10


def test_a_service_longer_than_the_day_has_no_slots() -> None:
    assert slots_for_day(SATURDAY, 5 * H, HOURS, UTC) == []


def test_peak_occupancy_counts_bookings_in_progress_together() -> None:
    monday = [(at(MONDAY, 8), at(MONDAY, 10)), (at(MONDAY, 10), at(MONDAY, 12))]
    assert peak_occupancy(monday, at(MONDAY, 9), at(MONDAY, 11)) == 1  # back to back
    assert peak_occupancy(monday, at(MONDAY, 12), at(MONDAY, 13)) == 0  # touching ends
    monday.append((at(MONDAY, 9), at(MONDAY, 11)))
    assert peak_occupancy(monday, at(MONDAY, 9), at(MONDAY, 11)) == 2
    assert peak_occupancy([], at(MONDAY, 9), at(MONDAY, 11)) == 0


def test_overlaps() -> None:
    booked = [(at(MONDAY, 9), at(MONDAY, 10))]
    assert overlaps(booked, at(MONDAY, 9, 30), at(MONDAY, 10, 30))
    assert not overlaps(booked, at(MONDAY, 10), at(MONDAY, 11))


def check(
    start: datetime,
    duration: timedelta = H,
    *,
    busy: int = 0,
    mine: bool = False,
    tz: ZoneInfo | None = None,
) -> BookingRefusal | None:
    return check_booking(start, duration, NOW, HOURS, tz or ZoneInfo("UTC"), busy, 2, mine)


def test_check_booking_accepts_a_free_slot_in_opening_hours() -> None:
    assert check(at(MONDAY, 9)) is None
    assert check(at(MONDAY, 16), 2 * H) is None
    assert check(at(MONDAY, 9, 15)) is None  # off the half-hour grid is fine
    assert check(at(MONDAY, 9), busy=1) is None


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (NOW - H, H, BookingRefusal.in_the_past),
        (NOW, H, BookingRefusal.in_the_past),
        (NOW + timedelta(weeks=13), H, BookingRefusal.too_far_ahead),
        (at(SUNDAY, 10), H, BookingRefusal.closed),
        (at(MONDAY, 17, 30), 2 * H, BookingRefusal.closed),
        (at(MONDAY, 16, 30), 2 * H, BookingRefusal.closed),
        (at(MONDAY, 7, 30), H, BookingRefusal.closed),
        (at(MONDAY, 18), H, BookingRefusal.closed),
        (at(SATURDAY, 12), 2 * H, BookingRefusal.closed),
    ],
)
def test_check_booking_refusals(
    start: datetime, duration: timedelta, expected: BookingRefusal
) -> None:
    assert check(start, duration) is expected


def test_check_booking_capacity_and_customer_overlap() -> None:
    assert check(at(MONDAY, 9), busy=2) is BookingRefusal.fully_booked
    assert check(at(MONDAY, 9), busy=1, mine=True) is BookingRefusal.customer_overlap
    assert check(at(MONDAY, 9), busy=2, mine=True) is BookingRefusal.customer_overlap


def test_check_booking_reads_opening_hours_in_the_service_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert check(at(MONDAY, 7), tz=berlin) is None  # 08:00 in Berlin
    assert check(at(MONDAY, 16, 30), tz=berlin) is BookingRefusal.closed  # 17:30–18:30 there


def test_check_booking_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check(datetime(2026, 11, 23, 9))


def test_every_refusal_has_a_message() -> None:
    for refusal in BookingRefusal:
        assert refusal_message(refusal, HOURS).endswith(".")


def test_closed_message_states_the_opening_hours() -> None:
    message = refusal_message(BookingRefusal.closed, HOURS)
    assert "Monday to Friday 08:00–18:00, Saturday 09:00–13:00; closed on Sunday" in message


def test_late_cancellation_message_names_the_fee() -> None:
    message = refusal_message(BookingRefusal.late_cancellation, HOURS, 24)
    assert "24 hours" in message
    assert "€35" in message


def test_format_opening_hours_variants() -> None:
    assert format_opening_hours({}) == "closed every day"
    assert format_opening_hours({1: (time(8), time(12)), 2: (time(8), time(12))}) == (
        "Monday and Tuesday 08:00–12:00; closed on Wednesday to Sunday"
    )


def test_is_late_cancellation() -> None:
    assert is_late_cancellation(NOW + timedelta(hours=23), NOW, 24)
    assert not is_late_cancellation(NOW + timedelta(hours=24), NOW, 24)


def test_format_slot_uses_the_service_zone() -> None:
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert format_slot(start, start + H, UTC) == "Monday 23 November at 08:00–09:00"
    assert format_slot(start, start + H, ZoneInfo("Europe/Berlin")) == (
        "Monday 23 November at 09:00–10:00"
    )
