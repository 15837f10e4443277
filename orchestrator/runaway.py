"""Whether an answer has fallen into a loop, writing the same text over and over. Pure: no I/O.

A small model may fall into a loop ("Service Service Service …", one sentence again and again)
and write until its `max_tokens`, a minute of the customer's time on a slow server. `looping`
reads the end of an answer: it loops when its last `MIN_SPAN` characters or more repeat one
piece of text (`MAX_UNIT` characters at most, a letter or digit in it) at least `MIN_REPEATS`
times in a row, the last time perhaps unfinished. `LoopWatch` reads an answer as it streams.

No answer worth giving does that: a list or a table repeats its shape, not its text, and a
table's rule (`|---|---|`) has no letter in it.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_REPEATS = 3
MIN_SPAN = 80
MAX_UNIT = 300
TAIL = MIN_REPEATS * MAX_UNIT  # the end of an answer that is read
EVERY = 16  # characters written between two readings
NEEDLE = 8  # the last characters looked for again further back


def looping(text: str) -> bool:
    """Whether the end of `text` repeats one piece of text over and over."""
    tail = text[-TAIL:]
    for unit in _periods(tail):
        span = _periodic_end(tail, unit)
        if span >= max(MIN_SPAN, MIN_REPEATS * unit) and _wordy(tail[-unit:]):
            return True
    return False


def _periods(tail: str) -> list[int]:
    """The periods a loop at the end of `tail` could have: how far back its last characters
    are found again (up to `MAX_UNIT`); found by `str.rfind`, not tried one by one."""
    size = len(tail)
    if size < MIN_SPAN:
        return []
    needle = tail[-NEEDLE:]
    periods, end = [], size - 1
    while (at := tail.rfind(needle, max(0, size - MAX_UNIT - NEEDLE), end)) >= 0:
        periods.append(size - NEEDLE - at)
        end = at + NEEDLE - 1
    return periods


def _periodic_end(text: str, unit: int) -> int:
    """How many characters at the end of `text` repeat with period `unit`."""
    at = len(text) - 1 - unit
    while at >= 0 and text[at] == text[at + unit]:
        at -= 1
    return len(text) - 1 - at


def _wordy(piece: str) -> bool:
    return any(c.isalnum() for c in piece)


@dataclass
class LoopWatch:
    """Reads an answer piece by piece as it streams; `looped` once its end loops."""

    looped: bool = False
    _tail: str = ""
    _unread: int = 0

    def feed(self, piece: str) -> bool:
        """Add `piece`; whether the answer now loops (read every `EVERY` characters)."""
        self._tail = (self._tail + piece)[-TAIL:]
        self._unread += len(piece)
        if not self.looped and self._unread >= EVERY:
            self._unread = 0
            self.looped = looping(self._tail)
        return self.looped
