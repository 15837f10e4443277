"""Pure parsing of a customer's "when" ("Friday afternoon", "25 November 14:30") into times.

Rules: weekday names mean the next such day strictly after today ("next Monday" on a Monday is in
7 days; use "today" for today); a bare hour 1–7 ("at 3") means the afternoon; dates without a
year mean their next occurrence. Only date-shaped spans found by the patterns below are handed
to `dateparser`, so numbers such as "Model 2.5" or "45,000 km" never become dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

from agents.maintenance.schedule import DAY_NAMES, MONTH_NAMES


@dataclass(frozen=True)
class When:
    """A requested time: an exact start (`end == start`) or a window [start, end) to choose in."""

    start: datetime
    end: datetime
    exact: bool


PARTS_OF_DAY: dict[str, tuple[time, time]] = {
    "morning": (time(8), time(12)),
    "afternoon": (time(12), time(18)),
    "evening": (time(17), time(21)),
}

_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "couple of": 2,
    "a couple of": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_NUMBER = r"(\d{1,2}|" + "|".join(sorted(map(re.escape, _NUMBERS), key=len, reverse=True)) + ")"
_WEEKDAY = {name.lower(): i for i, name in enumerate(DAY_NAMES)} | {
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thurs": 3,
    "fri": 4,
}  # no "sat"/"sun": "sat nav", "sun roof"
_WEEKDAY_RE = "(" + "|".join(sorted(_WEEKDAY, key=len, reverse=True)) + ")"
_MONTH = (
    r"(?:"
    + "|".join(m.lower() for m in MONTH_NAMES)
    + r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_ORD = r"(?:st|nd|rd|th)?"

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}}){_ORD}(?:\s+of)?\s+({_MONTH})\.?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE
)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}}){_ORD}(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE)
_NUMERIC_DATE = re.compile(
    r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?\b|\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"
)
_ORDINAL_DAY = re.compile(
    r"(?:^|\bon\s+|\bthe\s+)(\d{1,2})(?:st|nd|rd|th)\b|\bon\s+the\s+(\d{1,2})\b"
)

_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\s*(am|pm|a\.m\.|p\.m\.)?(?!\w)")
_AT_DOT = re.compile(r"\bat\s+(\d{1,2})[.h](\d{2})\b")
_AM_PM = re.compile(r"\b(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)(?!\w)")
_AT_HOUR = re.compile(
    r"\bat\s+(\d{1,2})(?:\s*o'?clock)?(?!\d|[:.,]\d|\s*%|\s*(?:km|kph|mph|mi|miles|k|kw|v|degrees)\b)"
)
_NOON = re.compile(r"\b(noon|midday|lunchtime|lunch time)\b")
_PART = re.compile(r"\b(morning|afternoon|evening|tonight)\b")

_TODAY = re.compile(r"\b(today|tonight|this (?:morning|afternoon|evening))\b")
_TOMORROW = re.compile(r"\b(tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr)\b")
_DAY_AFTER = re.compile(r"\bday after (?:tomorrow|tomorow|tommorow|tmrw)\b")
_IN_N = re.compile(rf"\bin\s+{_NUMBER}\s+(days?|weeks?)\b")
_NEXT_WEEK = re.compile(r"\bnext week\b")
_WEEKEND = re.compile(r"\bweekend\b")
_WEEKDAY_WORD = re.compile(rf"\b(?:(next|this|coming|on)\s+)?{_WEEKDAY_RE}\b")


def _dateparse(span: str, base: datetime) -> date | None:
    parsed = dateparser.parse(
        span,
        languages=["en"],
        settings={
            "RELATIVE_BASE": base.replace(tzinfo=None),
            "PREFER_DATES_FROM": "future",
            "DATE_ORDER": "DMY",
            "REQUIRE_PARTS": ["day", "month"],
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    return parsed.date() if parsed else None


def _next_occurrence(month: int, day: int, today: date) -> date | None:
    for year in range(today.year, today.year + 5):  # 29 February waits for a leap year
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _explicit_date(text: str, today: date, base: datetime) -> date | None:
    """A calendar date written out: ISO, day-month, month-day, 25/11(/2026), 25.11.2026."""
    if match := _ISO_DATE.search(text):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    for pattern in (_DAY_MONTH, _MONTH_DAY, _NUMERIC_DATE):
        match = pattern.search(text)
        if not match:
            continue
        parsed = _dateparse(match[0], base)
        if parsed is None:
            return None
        has_year = bool(match[3] or (pattern is _NUMERIC_DATE and match[6]))
        return parsed if has_year else _next_occurrence(parsed.month, parsed.day, today)
    if match := _ORDINAL_DAY.search(text):
        day = int(match[1] or match[2])
        for offset in range(0, 13):  # the next month that has this day
            month_index = today.month - 1 + offset
            year, month = today.year + month_index // 12, month_index % 12 + 1
            try:
                candidate = date(year, month, day)
            except ValueError:
                continue
            if candidate >= today:
                return candidate
    return None


def _relative_day(text: str, today: date) -> tuple[date, date] | None:
    """(first day, day after last) named relative to today, e.g. 'tomorrow' or 'next week'."""
    one = timedelta(days=1)
    if _DAY_AFTER.search(text):
        return today + 2 * one, today + 3 * one
    if _TODAY.search(text):
        return today, today + one
    if _TOMORROW.search(text):
        return today + one, today + 2 * one
    if match := _IN_N.search(text):
        count = int(match[1]) if match[1].isdigit() else _NUMBERS[match[1]]
        day = today + (timedelta(weeks=count) if match[2].startswith("week") else count * one)
        return day, day + one
    if match := _WEEKDAY_WORD.search(text):
        wanted = _WEEKDAY[match[2]]
        ahead = (wanted - today.weekday()) % 7 or 7  # strictly after today
        day = today + ahead * one
        return day, day + one
    if _NEXT_WEEK.search(text):
        monday = today + (7 - today.weekday()) * one
        return monday, monday + 7 * one
    if _WEEKEND.search(text):
        saturday = today + ((5 - today.weekday()) % 7 or 7) * one
        if today.weekday() == 6:  # on Sunday, "the weekend" is the coming one
            saturday = today + 6 * one
        return saturday, saturday + 2 * one
    return None


def _hour(hour: int, suffix: str | None) -> int | None:
    if suffix:
        if not 1 <= hour <= 12:
            return None
        return hour % 12 + (12 if suffix.startswith("p") else 0)
    return hour if hour < 24 else None


def _time_of_day(text: str) -> time | tuple[time, time] | None:
    """An exact clock time, or a (start, end) part of the day, or None."""
    if match := _CLOCK.search(text):
        hour, minute = _hour(int(match[1]), match[3]), int(match[2])
        if hour is not None and minute < 60:
            return time(hour, minute)
    if match := _AT_DOT.search(text):
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    if match := _AM_PM.search(text):
        hour_or_none = _hour(int(match[1]), match[2])
        if hour_or_none is not None:
            return time(hour_or_none)
    if _NOON.search(text):
        return time(12)
    if match := _AT_HOUR.search(text):
        hour = int(match[1])
        if 1 <= hour <= 7:  # "at 3" at a workshop means 15:00
            hour += 12
        if hour < 24:
            return time(hour)
    if match := _PART.search(text):
        part = "evening" if match[1] == "tonight" else match[1]
        return PARTS_OF_DAY[part]
    return None


def _lowered(text: str) -> str:
    return " ".join(text.lower().split())


def clock_time(text: str) -> time | None:
    """The exact time of day `text` names ("09:00", "9am", "at 3": 15:00), if it names one."""
    found = _time_of_day(_lowered(text))
    return found if isinstance(found, time) else None


def days_named(text: str, now: datetime, tz: ZoneInfo) -> tuple[date, date] | None:
    """(first day, day after the last) that `text` names, read as `parse_when` reads it."""
    lowered = _lowered(text)
    local_now = now.astimezone(tz)
    today = local_now.date()
    explicit = _explicit_date(lowered, today, local_now)
    return (explicit, explicit + timedelta(days=1)) if explicit else _relative_day(lowered, today)


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> When | None:
    """The time `text` asks for, in `tz`, relative to the aware `now`; None if it names none."""
    if now.tzinfo is None:
        raise ValueError("parse_when needs a timezone-aware `now`")
    local_now = now.astimezone(tz)
    today = local_now.date()
    days = days_named(text, now, tz)
    clock = _time_of_day(_lowered(text))
    if days is None and clock is None:
        return None
    if days is None:  # a time alone: today if it is still ahead, else tomorrow
        assert clock is not None
        until = clock if isinstance(clock, time) else clock[1]
        ahead = datetime.combine(today, until, tzinfo=tz) > local_now
        first = today if ahead else today + timedelta(days=1)
        days = (first, first + timedelta(days=1))
    first_day, after_last = days
    if isinstance(clock, time):
        start = datetime.combine(first_day, clock, tzinfo=tz)
        return When(start, start, exact=True)
    if clock is not None:  # a part of the day: on the first day named
        opens, closes = clock
        return When(
            datetime.combine(first_day, opens, tzinfo=tz),
            datetime.combine(first_day, closes, tzinfo=tz),
            exact=False,
        )
    return When(
        datetime.combine(first_day, time(), tzinfo=tz),
        datetime.combine(after_last, time(), tzinfo=tz),
        exact=False,
    )
