"""Free times offered to a customer, worded one way, read back, and the one a reply picks. Pure.

Every offer of free times is written by `offer_text`: "General service (2 h): Monday 23
November: 08:00, 08:30; Tuesday 24 November: 09:00". The answer that carried it is the last
answer of the conversation a specialist is handed, and offered times reach the customer exactly
as written, so `offer_in` finds the offer there again, whoever worded the answer around it, and
"09:00 please" or "the first one" books that day's time for the service that was offered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from itertools import groupby
from zoneinfo import ZoneInfo

from agents.maintenance.actions import ABOUT_THE_RULES
from agents.maintenance.schedule import (
    DAY_NAMES,
    MONTH_NAMES,
    SERVICE_TYPES,
    format_day,
    format_duration,
    format_time,
    service_type_from_text,
)
from agents.maintenance.when import clock_time, days_named, parse_when

_CLOCK = r"\d{2}:\d{2}"
_DAY = rf"(?:{'|'.join(DAY_NAMES)}) \d{{1,2}} (?:{'|'.join(MONTH_NAMES)})"
_DAY_TIMES = rf"{_DAY}: {_CLOCK}(?:, {_CLOCK})*"
_SERVICE = "|".join(re.escape(s.name) for s in SERVICE_TYPES.values())
OFFER = re.compile(
    rf"(?P<service>{_SERVICE}) \(\d+(?:\.\d+)? h\): (?P<times>{_DAY_TIMES}(?:; {_DAY_TIMES})*)"
)
DAY_TIMES = re.compile(rf"(?P<day>{_DAY}): (?P<times>{_CLOCK}(?:, {_CLOCK})*)")
ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "earliest": 0}
LAST = ("last", "latest")
PICK_BY_PLACE = re.compile(
    rf"\b(?:the )?(?P<place>{'|'.join([*ORDINALS, *LAST])})(?: one| slot| time| option)?\b", re.I
)
# "Yes" to the one time offered books it.
ASSENT = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|ok|okay|sure|great|perfect|fine|please do|go ahead|book it|"
    r"that works|that's fine|that is fine|sounds good)\b(?:[\s,.!]*(?:please|thanks|thank you|"
    r"book it|do it|that works|go ahead|that one))*\W*$",
    re.I,
)
# How an offer of times for moving an appointment names it (`moving_text`).
MOVING = re.compile(
    r"\bmov\w* (?:your |the )?(?:appointment|booking) (?:reference )?(?P<reference>[A-F0-9]{6})\b",
    re.I,
)
# A message that picks a time says little else: longer ones, questions about the centre's hours
# or the rules, and requests of another kind are read as what they are.
MAX_PICK_WORDS = 10
NOT_A_PICK = re.compile(
    r"\b(?:open|opens|opening|close|closes|closed|closing|hours|why|how)\b|"
    r"^\s*(?:is|are|does|do|when|where|which)\b",
    re.I,
)


@dataclass(frozen=True)
class Offer:
    """Free start times offered for one service, in the order they were offered."""

    service: str  # a `SERVICE_TYPES` key
    times: tuple[datetime, ...]


@dataclass(frozen=True)
class Pick:
    """What a reply to an offer asks to book: an offered time, or another time on the day
    offered (booking then says whether it is free); or, when it names a time offered on
    several days, the question which day."""

    service: str
    start: datetime | None = None
    which_day: str | None = None
    moves: str | None = None  # the reference of the appointment the offer was to move


def offer_text(service_key: str, times: list[datetime], tz: tzinfo) -> str:
    """'General service (2 h): Friday 20 November: 12:00, 12:30; Monday 23 November: 08:00'."""
    service = SERVICE_TYPES[service_key]
    local = [t.astimezone(tz) for t in times]
    days = "; ".join(
        f"{format_day(day)}: {', '.join(format_time(t) for t in group)}"
        for day, group in groupby(local, key=lambda t: t.date())
    )
    return f"{service.name} ({format_duration(service.duration)}): {days}"


def moving_text(reference: str) -> str:
    """What follows times offered for a move: "I'll move your appointment A1B2C3 to it"."""
    return f"Tell me which one you'd like and I'll move your appointment {reference} to it."


def moving_in(answer: str) -> str | None:
    """The reference of the appointment `answer` offered times to move, if it did."""
    found = MOVING.search(answer)
    return found["reference"].upper() if found else None


def offer_in(answer: str, now: datetime, tz: ZoneInfo) -> Offer | None:
    """The last offer `answer` makes, its times resolved to their next occurrence from `now`."""
    found = list(OFFER.finditer(answer))
    if not found:
        return None
    last = found[-1]
    service = next(s.key for s in SERVICE_TYPES.values() if s.name == last["service"])
    times: list[datetime] = []
    for day in DAY_TIMES.finditer(last["times"]):
        for clock in day["times"].split(", "):
            when = parse_when(f"{day['day']} {clock}", now, tz)
            if when is not None and when.exact:
                times.append(when.start)
    return Offer(service, tuple(times)) if times else None


def picked(message: str, offer: Offer, now: datetime, tz: ZoneInfo) -> Pick | None:
    """What `message` picks from `offer`: "09:00 please", "the 10:30 one", "Monday at 9",
    "the first one"; None when it picks nothing (or asks something else)."""
    named = service_type_from_text(message)
    if (
        not offer.times
        or (named is not None and named != offer.service)
        or len(message.split()) > MAX_PICK_WORDS
        or NOT_A_PICK.search(message)
        or ABOUT_THE_RULES.search(message)
    ):
        return None
    clock = clock_time(message)
    days = days_named(message, now, tz)
    candidates = [
        t for t in offer.times if days is None or days[0] <= t.astimezone(tz).date() < days[1]
    ]
    if clock is None:
        if ASSENT.match(message) and len(candidates) == 1:
            return Pick(offer.service, candidates[0])
        place = PICK_BY_PLACE.search(message)
        if place is None or not candidates:
            return None
        word = place["place"].lower()
        index = -1 if word in LAST else ORDINALS[word]
        if index >= len(candidates):
            return None
        return Pick(offer.service, candidates[index])
    matching = [t for t in candidates if _clock_of(t, tz) == clock]
    if len(matching) == 1:
        return Pick(offer.service, matching[0])
    if matching:
        listed = " or ".join(format_day(t.astimezone(tz).date()) for t in matching)
        question = f"Which day would you like {format_time(clock)}: {listed}?"
        return Pick(offer.service, which_day=question)
    offered_days = sorted({t.astimezone(tz).date() for t in candidates})
    if len(offered_days) != 1:
        return None
    start = datetime.combine(offered_days[0], clock, tzinfo=tz)
    return Pick(offer.service, start)


def _clock_of(moment: datetime, tz: tzinfo) -> time:
    local = moment.astimezone(tz)
    return time(local.hour, local.minute)
