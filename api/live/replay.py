"""A session's numbered events, kept for `resume`. Pure bookkeeping, no I/O.

An ended session stays kept for `LIVE_SESSION_IDLE_S` (minutes), so what it keeps is what a
server holds per session seen lately: its events are kept as their JSON (the form they go out
in and Redis keeps them in), not as models, and a turn whose end is in is packed with zlib (its
`sources` passages come again in `complete`, and each `token` carries the answer so far):
a short answer's turn keeps under 2 KiB, where its models took about 20. A replay, which is
rare, reads them back.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from api.protocol import (
    SERVER_EVENT,
    CancelledEvent,
    CompleteEvent,
    ErrorEvent,
    ServerEventBase,
)

KEPT_TURNS = 2
_ENDS = (CompleteEvent, CancelledEvent, ErrorEvent)


def encode(event: ServerEventBase) -> str:
    """The event as kept: its JSON without its number (kept beside it)."""
    return event.model_dump_json(exclude_none=True, exclude={"seq"})


def decode(seq: int | None, raw: str | bytes) -> ServerEventBase:
    """A kept event read back, numbered `seq`."""
    event: ServerEventBase = SERVER_EVENT.validate_json(raw)
    return event if seq is None else event.model_copy(update={"seq": seq})


@dataclass(slots=True)
class _KeptTurn:
    """One turn's events, each a line `seq json`; the lines up to its end packed."""

    turn_id: str | None
    packed: list[bytes] = field(default_factory=list)  # zlib blocks of lines
    lines: list[bytes] = field(default_factory=list)  # not packed yet

    def add(self, seq: int, event: ServerEventBase) -> None:
        self.lines.append(b"%d %s" % (seq, encode(event).encode()))

    def pack(self) -> None:
        self.packed.append(zlib.compress(b"\n".join(self.lines)))
        self.lines = []

    def events(self) -> Iterator[tuple[int, bytes]]:
        blocks = [zlib.decompress(block).split(b"\n") for block in self.packed]
        for line in [*(line for block in blocks for line in block), *self.lines]:
            seq, _, raw = line.partition(b" ")
            yield int(seq), raw


@dataclass
class EventLog:
    """Numbers events with an increasing `seq` and keeps the current and previous turn's."""

    last_seq: int = 0
    _turns: list[_KeptTurn] = field(default_factory=list)  # a deque would take ten times more

    def append(self, event: ServerEventBase) -> ServerEventBase:
        """The event with the session's next seq, remembered for replay."""
        self.last_seq += 1
        if not self._turns or self._turns[-1].turn_id != event.turn_id:
            self._turns = [*self._turns[1 - KEPT_TURNS :], _KeptTurn(event.turn_id)]
        turn = self._turns[-1]
        turn.add(self.last_seq, event)
        if event.turn_id is not None and isinstance(event, _ENDS):
            turn.pack()  # its turn has ended: what follows (rarely anything) stays unpacked
        return event.model_copy(update={"seq": self.last_seq})

    def after(self, seq: int) -> list[ServerEventBase]:
        """Every kept event numbered above `seq`, oldest first."""
        return [
            decode(number, raw)
            for turn in self._turns
            for number, raw in turn.events()
            if number > seq
        ]
