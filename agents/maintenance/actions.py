"""Which appointment action a message asks for, decided without a language model. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Action = Literal["book", "cancel", "list", "slots", "move"]

CANCEL = re.compile(
    r"\b(cancel|call off|scrap)\b.*\b(appointment|booking|service|it)\b|"
    r"^\s*cancel\b",
    re.I,
)
# "move it to Thursday", "reschedule my booking": the verb on the appointment itself ("move
# the seat forward" is not one).
MOVE = re.compile(
    r"\b(?:move|reschedule|rebook|push back|bring forward)\s+(?:it|my (?:\w+ )?"
    r"(?:appointment|booking|service)|the (?:appointment|booking)|(?:appointment|booking) "
    r"[A-F0-9]{6})\b|\bchange (?:my|the) (?:appointment|booking)\b|"
    r"^\s*(?:please\s+)?(?:reschedule|rebook)\b",
    re.I,
)
LIST = re.compile(
    r"\b(my|upcoming|existing) (appointments?|bookings?)\b|"
    r"\bwhen is my (appointment|booking|service)\b|\bdo i have (an|any) (appointment|booking)|"
    r"\b(what|which) (appointments?|bookings?) (do|have) i (have|got|made)\b",
    re.I,
)
# "Schedule" books only as a verb ("schedule a service", "can I schedule"): "per the
# schedule", "the maintenance schedule for ..." ask what the schedule says.
BOOK = re.compile(
    r"\b(book|reserve|make an appointment|set up an appointment|bring (it|my \w+) in|"
    r"get (it|my \w+) (in|serviced))\b|"
    r"\bschedule (?:a|an|my|me|it|one|the (?:service|appointment|visit))\b|"
    r"(?:^\s*|\b(?:can|could|would|will|please|to|i'd|i|we|you)\s+)schedule\b",
    re.I,
)
SLOTS = re.compile(
    r"\bslots?\b|\b(available|free|open) (times?|appointments?)\b|\bwhen can i\b|"
    r"\bwhat times\b|\bavailability\b|\bfree (on|at|this|next)\b|"
    r"\b(times?|days?|dates?|appointments?) (are|is) (still )?(free|available|open)\b",
    re.I,
)
REFERENCE = re.compile(r"\b(?=[A-F0-9]*\d)[A-F0-9]{6}\b", re.I)
# "Please cancel it", "can you book me in": the customer asks us to act, whatever else they ask.
ASKED_TO_ACT = re.compile(
    r"^\s*(?:please\s+|pls\s+)?(?:cancel|book|reschedule|move|schedule|reserve)\b|"
    r"\b(?:please|pls|can you|could you|would you|will you|i want to|i wanna|i'd like to|"
    r"i would like to|i need to|help me)\s+(?:to\s+)?(?:cancel|book|reschedule|move|change|"
    r"schedule|reserve|list|show)\b",
    re.I,
)
# A question about the rules ("Can I cancel without paying?", "what happens if I miss it?"):
# answered from the policy documents, never by acting.
ABOUT_THE_RULES = re.compile(
    r"\b(?:without (?:paying|a fee|a charge|being charged|charge|penalty|cost)|free of charge|"
    r"for free|fees?|charged?|charges|costs?|pay|paying|penalt(?:y|ies)|refunds?|"
    r"polic(?:y|ies)|rules?|deadline|notice|in advance|how (?:late|early|long before|far ahead)|"
    r"until when|what happens|no[- ]shows?|"
    r"miss(?:ed|ing)? (?:my|an|the) (?:appointment|booking|slot)|allowed to|am i able)\b|"
    r"^\s*(?:how (?:do|can|would|should|could) (?:i|we|you)|"
    r"what(?:'s| is) the (?:process|procedure)|where (?:do|can) i)\b",
    re.I,
)


@dataclass(frozen=True)
class Requested:
    action: Action
    reference: str | None = None


def requested_action(message: str) -> Requested | None:
    """The appointment action asked for, if any.

    Questions about servicing, and questions about the booking rules themselves ("Can I cancel
    without paying?", "How do I move my booking?"), get None: they are answered from the
    documents.
    """
    if ABOUT_THE_RULES.search(message) and not ASKED_TO_ACT.search(message):
        return None
    if CANCEL.search(message):
        match = REFERENCE.search(message)
        return Requested("cancel", match.group(0).upper() if match else None)
    if MOVE.search(message):
        match = REFERENCE.search(message)
        return Requested("move", match.group(0).upper() if match else None)
    if LIST.search(message):
        return Requested("list")
    if BOOK.search(message):
        return Requested("book")
    if SLOTS.search(message):
        return Requested("slots")
    return None
