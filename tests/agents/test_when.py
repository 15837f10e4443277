"""Parsing a customer's "when" relative to a fixed now: Wednesday 18 November 2026, 10:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agents.maintenance.when import When, parse_when

UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def dt(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC_ZONE)


def exact(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> When:
    start = dt(month, day, hour, minute, year)
    return When(start, start, exact=True)


def whole_day(month: int, day: int, year: int = 2026) -> When:
    start = dt(month, day, year=year)
    return When(start, start + timedelta(days=1), exact=False)


def window(month: int, day: int, first: int, last: int) -> When:
    return When(dt(month, day, first), dt(month, day, last), exact=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # exact times
        ("next Monday at 9am", exact(11, 23, 9)),
        ("Monday at 9am", exact(11, 23, 9)),
        ("on the 21st at 8:00", exact(11, 21, 8)),
        ("25 November 14:30", exact(11, 25, 14, 30)),
        ("November 25th at 2:30pm", exact(11, 25, 14, 30)),
        ("today at 3pm", exact(11, 18, 15)),
        ("today at 9am", exact(11, 18, 9)),  # as asked, even though it has passed
        ("tomorrow at 10:30", exact(11, 19, 10, 30)),
        ("tmrw 10am", exact(11, 19, 10)),
        ("Friday at 3", exact(11, 20, 15)),  # a bare 1–7 means the afternoon
        ("Friday at 8", exact(11, 20, 8)),
        ("Friday at 9.", exact(11, 20, 9)),
        ("Thursday at noon", exact(11, 19, 12)),
        ("day after tomorrow at midday", exact(11, 20, 12)),
        ("2026-12-01 10:00", exact(12, 1, 10)),
        ("25/11 at 14.30", exact(11, 25, 14, 30)),
        ("25.11.2026 at 9", exact(11, 25, 9)),
        ("at 14.30 on 1st December", exact(12, 1, 14, 30)),
        ("Mon 23 Nov 9:30", exact(11, 23, 9, 30)),
        ("Jan 5th 8am", exact(1, 5, 8, year=2027)),
        ("3pm", exact(11, 18, 15)),  # a time alone: today while it is ahead
        ("at 9", exact(11, 19, 9)),  # ...else tomorrow
        ("12pm", exact(11, 18, 12)),
        # windows
        ("Friday afternoon", window(11, 20, 12, 18)),
        ("tomorrow morning", window(11, 19, 8, 12)),
        ("this afternoon", window(11, 18, 12, 18)),
        ("tonight", window(11, 18, 17, 21)),
        ("Saturday", whole_day(11, 21)),
        ("on Saturday please", whole_day(11, 21)),
        ("in two days", whole_day(11, 20)),
        ("in 3 days", whole_day(11, 21)),
        ("in a week", whole_day(11, 25)),
        ("today", whole_day(11, 18)),
        ("tomorrow", whole_day(11, 19)),
        ("December 1st", whole_day(12, 1)),
        ("the 5th", whole_day(12, 5)),  # the 5th of this month has passed
        ("on the 31st", whole_day(12, 31)),
        ("18 November", whole_day(11, 18)),  # today is still today
        ("17 November", whole_day(11, 17, year=2027)),  # passed: next year
        ("25 dec 2027", whole_day(12, 25, year=2027)),
        ("next week", When(dt(11, 23), dt(11, 30), exact=False)),
        ("at the weekend", When(dt(11, 21), dt(11, 23), exact=False)),
    ],
)
def test_parse_when(text: str, expected: When) -> None:
    assert parse_when(text, NOW, UTC_ZONE) == expected


@pytest.mark.parametrize(
    ("text", "days_ahead"),
    [
        ("Wednesday", 7),  # today's weekday means a week today; "today" means today
        ("next Wednesday", 7),
        ("this Wednesday", 7),
        ("Thursday", 1),
        ("next Thursday", 1),
        ("Tuesday", 6),
        ("next Tuesday", 6),
        ("coming Friday", 2),
        ("Sunday", 4),
    ],
)
def test_weekdays_mean_the_next_one_strictly_after_today(text: str, days_ahead: int) -> None:
    when = parse_when(text, NOW, UTC_ZONE)
    assert when is not None
    assert when.start == dt(11, 18) + timedelta(days=days_ahead)


def test_next_monday_on_a_monday_is_a_week_later() -> None:
    monday = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    when = parse_when("next Monday at 9am", monday, UTC_ZONE)
    assert when == exact(11, 30, 9)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "I need an oil change",
        "my Ridge 2.5 has 45,000 km on it",
        "the car is at 45000 km",
        "I drove 120 miles at 70 mph",
        "I have 2 cars",
        "the 2 cars",
        "fault code P0A80 on my 2021 Aster",
        "my sat nav and sun roof are broken",
        "is it under warranty for 8 years or 160000 km?",
        "version 3.12 of the software",
        "it shakes at 12 mph",
        "it charges at 11 kW and stops at 20% charge",
    ],
)
def test_unrelated_numbers_are_not_dates(text: str) -> None:
    assert parse_when(text, NOW, UTC_ZONE) is None


def test_times_are_aware_in_the_service_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    when = parse_when("tomorrow at 9:00", NOW, berlin)
    assert when is not None
    assert when.start.tzinfo is berlin
    assert when.start == datetime(2026, 11, 19, 8, 0, tzinfo=UTC)


def test_today_is_the_service_zone_date() -> None:
    late_evening = datetime(2026, 11, 18, 23, 30, tzinfo=UTC)  # already Thursday in Berlin
    berlin = ZoneInfo("Europe/Berlin")
    when = parse_when("tomorrow", late_evening, berlin)
    assert when is not None
    assert when.start == datetime(2026, 11, 20, tzinfo=berlin)


def test_is_deterministic_for_a_given_now() -> None:
    far_past = datetime(2020, 2, 10, 10, 0, tzinfo=UTC)  # a Monday
    assert parse_when("25 November", far_past, UTC_ZONE) == whole_day(11, 25, year=2020)
    assert parse_when("29 February", far_past, UTC_ZONE) == whole_day(2, 29, year=2020)
    assert parse_when("Friday", far_past, UTC_ZONE) == whole_day(2, 14, year=2020)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("tomorrow", datetime(2026, 11, 18, 10), UTC_ZONE)
