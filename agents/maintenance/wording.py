"""Whether the model's wording of a tool's result keeps what the tool said. Pure.

Where the model does not call tools, the specialist's rules call them and the model only words
the answer. The wording is said only if it gives every day, time and booking reference of the
result exactly as the tool wrote them, adds none, and claims no booking or cancellation that
the result does not report; otherwise the result itself is said.
"""

from __future__ import annotations

import re

from agents.maintenance.schedule import DAY_NAMES, MONTH_NAMES

# Why the tool's result, not the model's wording of it, is the answer (`degraded`).
CHANGED = "answer changed the tool's result"
UNWORDED = "model could not word the tool's result"

TIME = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?![\d:])")
DAY = re.compile(rf"\b(?:{'|'.join(DAY_NAMES)}),? \d{{1,2}} (?:{'|'.join(MONTH_NAMES)})\b")
# As the desk writes references: six capitals and digits, at least one digit.
REFERENCE = re.compile(r"\b(?=[A-Z]*\d)[A-Z0-9]{6}\b")
BOOKING_CLAIM = re.compile(r"\b(?:booked|reserved|confirmed|scheduled)\b", re.I)
CANCELLING_CLAIM = re.compile(r"\bcancell?ed\b", re.I)


def keeps(wording: str, result: str) -> bool:
    """Whether `wording` may be said in place of the tool's `result`."""
    for fact in (TIME, DAY, REFERENCE):
        if set(fact.findall(wording)) != set(fact.findall(result)):
            return False
    # A booking is reported with its reference (booked, listed, cancelled): none, no claim.
    if BOOKING_CLAIM.search(wording) and not REFERENCE.search(result):
        return False
    return not (CANCELLING_CLAIM.search(wording) and not CANCELLING_CLAIM.search(result))
