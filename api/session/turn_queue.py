"""Admission control: how many turns may be before their first token at once, and who waits.

A turn's costly part for this process is before its first token: saving the message, routing,
retrieval, building the prompt, waiting on the model's first token. At most `slots` turns are
in that phase; the others wait in arrival order and are told their position as it moves. A
message whose expected wait is past the bound is refused at once (`OVERLOADED`) rather than
left to wait for nothing: the client resends the same frame after `retry_after`.

The line moves at the slowest of three rates: slots freed (the slots over the mean time a turn
holds one); what the process can serve, one turn per its CPU time per turn (a turn keeps
spending CPU on its tokens after it frees its slot, and most of that work is on the event
loop's one thread); and, once there has been a line, how fast it last moved. Each is measured,
the first two with a prior until then; the expected wait is the position over that rate. A
turn's timeout starts when it leaves the queue.

The CPU per turn is a capacity, so it is learnt only while the process is busy (at least
`BUSY_CORES` of CPU over the sample): a lightly loaded process pays per token what a busy one
shares (a wake-up of the loop, a write, a read for each), and ten turns at once cost twice
what each of a hundred at once did, which would turn away half of a crowd the process serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

__all__ = ["Overloaded", "Ticket", "TurnQueue", "busy", "default_slots", "should_report"]

PRIOR_HOLD_S: Final = 0.5  # a slot's hold before any turn measured one
PRIOR_TURN_CPU_S: Final = 0.1  # the process's CPU time per turn before any was measured
CPU_SAMPLE_TURNS: Final = 8  # turns ended between two measurements of the CPU per turn
LINE_SAMPLE_TURNS: Final = 8  # turns let out of the line between two measurements of its pace
SMOOTHING: Final = 0.2  # weight of the newest measurement in a running mean
BUSY_CORES: Final = 0.7  # CPU over wall time a sample needs for its CPU per turn to count
TICK_S: Final = 0.5  # how often the waiting turns' positions are looked at
REPORT_SHRINK: Final = 0.8  # a position is reported again once it is this fraction of the last
REPORT_EVERY_S: Final = 5.0  # ... or this long after the last report, if it moved at all
SLOTS_PER_CORE: Final = 4


def default_slots() -> int:
    """Slots sized from the cores this process may run on."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return SLOTS_PER_CORE * max(1, cores)


def busy(cpu_s: float, wall_s: float) -> bool:
    """Whether a process that spent `cpu_s` of CPU in `wall_s` was busy enough for its CPU per
    turn to tell its capacity."""
    return cpu_s >= BUSY_CORES * wall_s


def should_report(position: int, last: int | None, since_last_s: float) -> bool:
    """Whether a waiting turn is told its position now: at once, then as it shrinks by a fifth,
    when it is next in line, or every few seconds while it moves."""
    if last is None:
        return True
    if position >= last:
        return False
    return position <= last * REPORT_SHRINK or position == 1 or since_last_s >= REPORT_EVERY_S


@dataclass(frozen=True)
class Overloaded:
    """The message would wait past the bound: refuse it, and say when to come back."""

    expected_wait_s: float
    retry_after: float


GRANTED: Final = -1  # what a waiting ticket's inbox receives when it may run


@dataclass(eq=False)
class Ticket:
    """One turn's place: waiting, then holding a slot until `release`."""

    queue: TurnQueue
    inbox: asyncio.Queue[int] = field(default_factory=asyncio.Queue)
    running_since: float | None = None
    released: bool = False
    finished: bool = False
    reported: int | None = None
    reported_at: float = 0.0
    sample: int = -1  # the queue's CPU sample it was given its slot in

    @property
    def waiting(self) -> bool:
        return self.running_since is None and not self.released

    async def wait(self, report: Callable[[int], None]) -> None:
        """Return when the turn may run; `report(position)` tells the client where it stands
        (1: next). Cancelled while waiting, the ticket leaves the queue."""
        try:
            while self.running_since is None:
                position = await self.inbox.get()
                while not self.inbox.empty():  # only the newest matters; GRANTED comes last
                    position = self.inbox.get_nowait()
                if position != GRANTED:
                    report(position)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """The turn's first token is out, or the turn ended: free the slot or the place."""
        if not self.released:
            self.released = True
            self.queue._left(self)

    def finish(self) -> None:
        """The turn ended: the CPU per turn is measured over the turns ended. Releases the
        slot if that was not done yet."""
        self.release()
        if not self.finished:
            self.finished = True
            self.queue._ended(self)


class TurnQueue:
    def __init__(
        self,
        slots: int,
        max_wait_s: float,
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        self.slots = max(1, slots)
        self.max_wait_s = max_wait_s
        self.clock = clock
        self.cpu_clock = cpu_clock
        self.hold_s = PRIOR_HOLD_S
        self.turn_cpu_s = PRIOR_TURN_CPU_S
        self.running = 0
        self.waiting: deque[Ticket] = deque()
        self._ticker: asyncio.Task[None] | None = None
        self._ended_turns = 0
        self._sample = 0  # the CPU sample under way
        self._fresh = 0  # turns given a slot in this sample and still running
        self._cpu_mark: float | None = None
        self._wall_mark = 0.0  # when the CPU mark was taken
        self._cpu_measured = False
        self.line_place_s = 0.0  # how long the line took to move one place (0: no line yet)
        self._line_mark: float | None = None  # when the line's current measurement began
        self._let_out = 0

    @property
    def place_s(self) -> float:
        """How long the line takes to move by one place: slots freed, or the CPU per turn."""
        return max(self.hold_s / self.slots, self.turn_cpu_s, self.line_place_s)

    def expected_wait_s(self, position: int) -> float:
        """How long the turn at `position` (1: next) should wait for a slot."""
        return position * self.place_s

    def reserve(self, *, force: bool = False) -> Ticket | Overloaded:
        """A place for a new turn, or why not. `force`: a turn already accepted (taken over
        from a dead instance) queues whatever the wait."""
        ticket = Ticket(self)
        if self._cpu_mark is None:  # the first turn: the CPU spent before it was start-up
            self._cpu_mark, self._wall_mark = self.cpu_clock(), self.clock()
        if self.running < self.slots and not self.waiting:
            self._grant(ticket)
            return ticket
        position = len(self.waiting) + 1
        expected = self.expected_wait_s(position)
        if expected > self.max_wait_s and not force:
            allowed = int(self.max_wait_s / self.place_s)
            retry_after = max(1.0, self.expected_wait_s(position - allowed))
            return Overloaded(round(expected, 1), round(retry_after, 1))
        if not self.waiting:  # a line forms: time how fast it moves
            self._line_mark, self._let_out = self.clock(), 0
        self.waiting.append(ticket)
        ticket.inbox.put_nowait(position)
        ticket.reported, ticket.reported_at = position, self.clock()
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick(), name="turn-queue-positions")
        return ticket

    def _grant(self, ticket: Ticket) -> None:
        self.running += 1
        self._fresh += 1
        ticket.sample = self._sample
        ticket.running_since = self.clock()
        ticket.inbox.put_nowait(GRANTED)

    def _left(self, ticket: Ticket) -> None:
        if ticket.running_since is None:  # gave up its place
            with contextlib.suppress(ValueError):  # released twice over is harmless
                self.waiting.remove(ticket)
            return
        held = self.clock() - ticket.running_since
        self.hold_s += SMOOTHING * (held - self.hold_s)
        self.running -= 1
        while self.waiting and self.running < self.slots:
            self._grant(self.waiting.popleft())
            self._moved()

    def _moved(self) -> None:
        """One turn let out of the line: every few, the line's pace is measured."""
        self._let_out += 1
        if self._let_out < LINE_SAMPLE_TURNS or self._line_mark is None:
            return
        now = self.clock()
        per_place = (now - self._line_mark) / self._let_out
        if self.line_place_s:
            self.line_place_s += SMOOTHING * (per_place - self.line_place_s)
        else:
            self.line_place_s = per_place
        self._line_mark, self._let_out = now, 0

    def _ended(self, ticket: Ticket) -> None:
        """CPU per turn: the CPU spent since the last measurement over the turns' worth of
        work done since, the turns ended plus half of those started meanwhile and still
        running (turns overlap; in a steady flow the two counts are the same; once no turn
        starts, as a load ends, the turns ended alone). A sample taken while the process was
        not busy is dropped (see the module's text)."""
        if ticket.running_since is not None and ticket.sample == self._sample:
            self._fresh -= 1
        self._ended_turns += 1
        if self._ended_turns < CPU_SAMPLE_TURNS or self._cpu_mark is None:
            return
        now, wall = self.cpu_clock(), self.clock()
        worth = self._ended_turns + self._fresh / 2
        spent, took = now - self._cpu_mark, wall - self._wall_mark
        if busy(spent, took):
            per_turn = spent / worth
            if self._cpu_measured:
                self.turn_cpu_s += SMOOTHING * (per_turn - self.turn_cpu_s)
            else:  # the first measurement replaces the prior
                self.turn_cpu_s, self._cpu_measured = per_turn, True
        self._cpu_mark, self._wall_mark = now, wall
        self._ended_turns, self._sample, self._fresh = 0, self._sample + 1, 0

    async def _tick(self) -> None:
        """Tell waiting turns their new positions, a few times a second at most."""
        while self.waiting:
            await asyncio.sleep(TICK_S)
            now = self.clock()
            for position, ticket in enumerate(self.waiting, start=1):
                if should_report(position, ticket.reported, now - ticket.reported_at):
                    ticket.reported, ticket.reported_at = position, now
                    ticket.inbox.put_nowait(position)
