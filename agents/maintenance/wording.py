"""Whether the model's wording of a tool's result keeps what the tool said. Pure.

Where the model does not call tools, the specialist's rules call them and the model only words
the answer. The wording is said only if it gives every day, time and booking reference of the
result exactly as the tool wrote them, adds none, and claims no booking or cancellation that
the result does not report; otherwise the result itself is said.

The wording streams a sentence at a time (`WordingScreen`): each sentence goes out once what
was said up to its end adds no day, time or reference and claims nothing the result does not
report. A sentence that would stops the wording there; a wording that ended without all of the
result's facts is followed by the result itself. A sentence that runs on past `LONG_RUN` words
goes out a word at a time, `LAG` words behind what was checked (a day is three words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


FACTS = (TIME, DAY, REFERENCE)
# Where a sentence ends (the spaces after it go with it).
SENTENCE_END = re.compile(r"(?:[.!?](?=\s)|\n)\s*")
WORD_START = re.compile(r"(?<!\S)\S")
LONG_RUN = 24  # words of a sentence held at most before it goes out word by word
# The complete words of a run-on sentence held back behind the word begun last: any day
# (three words) in what goes out is whole in what was checked.
LAG = 2


def keeps(wording: str, result: str) -> bool:
    """Whether `wording` may be said in place of the tool's `result`."""
    return sayable(wording, result) and all(
        set(fact.findall(result)) <= set(fact.findall(wording)) for fact in FACTS
    )


def sayable(wording: str, result: str) -> bool:
    """Whether `wording` may go out as (the start of) the wording of `result`: no day, time
    or reference the result does not give, no claim it does not make."""
    for fact in FACTS:
        if not set(fact.findall(wording)) <= set(fact.findall(result)):
            return False
    # A booking is reported with its reference (booked, listed, cancelled): none, no claim.
    if BOOKING_CLAIM.search(wording) and not REFERENCE.search(result):
        return False
    return not (CANCELLING_CLAIM.search(wording) and not CANCELLING_CLAIM.search(result))


@dataclass
class WordingScreen:
    """The model's wording of `result` as it streams, let through a sentence at a time while
    it is `sayable`; `changed` once it is not (nothing more goes out)."""

    result: str
    text: str = ""
    sent: int = 0
    sentence: int = 0  # where the sentence under way began
    changed: bool = False

    @property
    def stopped(self) -> bool:
        return self.changed

    @property
    def echoed(self) -> bool:
        return False

    def feed(self, piece: str) -> str:
        if self.changed:
            return ""
        self.text += piece
        ends = [m.end() for m in SENTENCE_END.finditer(self.text, self.sent)]
        if ends:
            self.sentence = ends[-1]
            return self._through(ends[-1])
        starts = [m.start() for m in WORD_START.finditer(self.text, self.sentence)]
        if len(starts) <= LONG_RUN or starts[-1 - LAG] <= self.sent:
            return ""
        # A run-on sentence: the words before the last one begun are checked, all but the
        # last `LAG` of them go out.
        return self._through(starts[-1 - LAG], checked=starts[-1])

    def flush(self) -> str:
        return "" if self.changed else self._through(len(self.text))

    def _through(self, end: int, checked: int | None = None) -> str:
        if not sayable(self.text[: checked or end], self.result):
            self.changed = True
            return ""
        out, self.sent = self.text[self.sent : end], end
        return out
