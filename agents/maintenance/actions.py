"""Which appointment action a message asks for, decided without a language model. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Action = Literal["book", "cancel", "list", "slots"]

CANCEL = re.compile(
    r"\b(cancel|call off|scrap)\b.*\b(appointment|booking|service|it)\b|"
    r"^\s*cancel\b",
    re.I,
)
LIST = re.compile(
    r"\b(my|upcoming|existing) (appointments?|bookings?)\b|"
    r"\bwhen is my (appointment|booking|service)\b|\bdo i have (an|any) (appointment|booking)",
    re.I,
)
BOOK = re.compile(
    r"\b(book|schedule|reserve|make an appointment|set up an appointment|bring (it|my \w+) in|"
    r"get (it|my \w+) (in|serviced))\b",
    re.I,
)
SLOTS = re.compile(
    r"\bslots?\b|\b(available|free|open) (times?|appointments?)\b|\bwhen can i\b|"
    r"\bwhat times\b|\bavailability\b|\bfree (on|at|this|next)\b",
    re.I,
)
REFERENCE = re.compile(r"\b(?=[A-F0-9]*\d)[A-F0-9]{6}\b", re.I)


@dataclass(frozen=True)
class Requested:
    action: Action
    reference: str | None = None


def requested_action(message: str) -> Requested | None:
    """The appointment action asked for, if any (questions about servicing get None)."""
    if CANCEL.search(message):
        match = REFERENCE.search(message)
        return Requested("cancel", match.group(0).upper() if match else None)
    if LIST.search(message):
        return Requested("list")
    if BOOK.search(message):
        return Requested("book")
    if SLOTS.search(message):
        return Requested("slots")
    return None
