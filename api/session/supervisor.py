"""A running turn's supervision, without I/O: why it stops, and what its stopping leaves.

`api.session.turn_run.TurnRun` is the adapter: it runs the turn in a task beside a watchdog and
a lease renewal and carries out what this decides. Whoever stops the turn (its client's
cancel, the watchdog, a shutdown, another instance's takeover, a crash) asks `request`; the
first reason is the turn's (a takeover overrides any other: that run may store nothing). When
the turn's work has stopped, `ending` says everything its end does — what SQL stores, the one
terminal event, whether what it streamed still goes out, what it leaves to another instance —
so the reason is part of the turn's result, never a set shared by the process.

Beside it, the process's periodic decision (`IdleSweep`): which sessions' channels it forgets,
so that its memory follows the sessions in use, not every session seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from api.live.takeover import MAX_LOST_RUNS, RunningTurn
from api.protocol import ErrorCode
from orchestrator.models import MessageStatus
from orchestrator.turn_stop import Stop, stored_as

__all__ = [
    "ChannelUse",
    "Ending",
    "IdleSweep",
    "Rescue",
    "Stop",
    "TurnSupervision",
    "after_fence",
    "next_run",
    "rescue_here",
    "shutdown_stop",
]


@dataclass(frozen=True)
class Ending:
    """What a stopped turn's end does."""

    stop: Stop
    # Stored in SQL (status, error code) unless an end is stored already; None: another run
    # of the turn ends it.
    stored: tuple[MessageStatus, str | None] | None
    # The terminal event it sends: `cancelled` (code None) or an error with this code; none
    # when another run of the turn ends it.
    terminal: bool
    code: ErrorCode | None
    # What it streamed before it stopped still goes out (and is kept for `resume`): False only
    # when another instance has taken the turn's stream over.
    flush: bool
    # Its lease goes (False: another run holds the turn now).
    releases_lease: bool
    # Its record for takeovers goes (False: a survivor is to run it again, or already does).
    forgets_record: bool
    # SQL notes the turn is no longer under way. False when a shutdown stops it and its
    # stream dies with this process: the next start sends its end again in the stream.
    closes: bool


CODES: dict[Stop, ErrorCode | None] = {
    Stop.CANCELLED: None,
    Stop.TIMED_OUT: ErrorCode.TIMEOUT,
    Stop.INTERRUPTED: ErrorCode.INTERRUPTED,
    Stop.CRASHED: ErrorCode.PROCESSING_ERROR,
    Stop.HANDED_OVER: None,
    Stop.TAKEN_OVER: None,
}


def shutdown_stop(*, shared: bool) -> Stop:
    """How a shutdown stops the turns still running past its grace: handed to another
    instance when the live state and the turn records are shared, else interrupted."""
    return Stop.HANDED_OVER if shared else Stop.INTERRUPTED


@dataclass
class TurnSupervision:
    turn_id: str
    stop: Stop | None = None

    def request(self, stop: Stop) -> bool:
        """Ask the turn to stop for `stop`: True when this is now the turn's reason (so its
        work must be stopped); False when it already had one."""
        if self.stop is None or (stop is Stop.TAKEN_OVER and self.stop is not stop):
            self.stop = stop
            return True
        return False

    def ending(self, *, stream_outlives_process: bool) -> Ending | None:
        """The end of the turn once its work has stopped; None while nobody stopped it (it
        answered, or failed, on its own)."""
        if self.stop is None:
            return None
        stop = self.stop
        elsewhere = stop in (Stop.HANDED_OVER, Stop.TAKEN_OVER)
        return Ending(
            stop=stop,
            stored=stored_as(stop),
            terminal=not elsewhere,
            code=CODES[stop],
            flush=stop is not Stop.TAKEN_OVER,
            releases_lease=stop is not Stop.TAKEN_OVER,
            forgets_record=not elsewhere,
            closes=not elsewhere and not (stop is Stop.INTERRUPTED and not stream_outlives_process),
        )


class Rescue(StrEnum):
    """What a survivor does with a recorded turn whose lease lapsed
    (`api.session.recovery.rescue_orphans`)."""

    TAKE_BACK = "take_back"  # it runs here: its renewal was late, not a death; lease it again
    FORGET = "forget"  # a newer turn runs in the session: the record is stale
    SEND_ANSWER = "send_answer"  # it answered before its instance went: the answer ends it
    GIVE_UP = "give_up"  # lost too often, or ended unanswered: PROCESSING_ERROR ends it
    RUN_AGAIN = "run_again"  # run it here, as the next attempt


def rescue_here(running_here: str | None, turn_id: str) -> Rescue | None:
    """Decided by what runs in the session here (`running_here`), before anything else."""
    if running_here is None:
        return None
    return Rescue.TAKE_BACK if running_here == turn_id else Rescue.FORGET


def next_run(turn: RunningTurn) -> RunningTurn | None:
    """The run that replaces `turn`'s, or None when the turn is given up: each run lost with
    its instance counts, a run handed over at a shutdown does not (a rolling restart of every
    instance in turn hands a long answer on as often as it needs)."""
    lost = turn.lost + (0 if turn.handed_over else 1)
    if lost > MAX_LOST_RUNS:
        return None
    return turn.model_copy(update={"attempt": turn.attempt + 1, "lost": lost, "handed_over": False})


def after_fence(*, taken: bool, answered: bool) -> Rescue:
    """Once the next run has asked for the turn's fence (`taken`: it holds it now; False: the
    turn may not run again, or is no longer under way in SQL) and looked for a stored answer,
    which is final from then on."""
    if answered:
        return Rescue.SEND_ANSWER
    return Rescue.RUN_AGAIN if taken else Rescue.GIVE_UP


# Sweeps per resume window: an ended session is kept `idle_after_s`, and gone at most a
# quarter of that later.
SWEEPS_PER_WINDOW = 4


@dataclass(frozen=True)
class ChannelUse:
    """What the sweep reads of a session's channel here."""

    working: bool  # a turn of it runs here, or is still being saved
    used: float  # when it was last asked for or last ended a turn (monotonic)


@dataclass
class IdleSweep:
    """When this process forgets the sessions nobody uses, and which: one idle for
    `idle_after_s` (kept that long for `resume`) goes at the next sweep. Sweeps come every
    `every_s` on a timer, and on a session's arrival when one is due, so an idle server gives
    its memory back without a new session arriving."""

    idle_after_s: float
    swept_at: float = float("-inf")

    @property
    def every_s(self) -> float:
        return self.idle_after_s / SWEEPS_PER_WINDOW

    @property
    def next_at(self) -> float:
        """When the next sweep is due (the timer sleeps until then)."""
        return self.swept_at + self.every_s

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def sweep(self, now: float, channels: Iterable[tuple[str, ChannelUse]]) -> list[str]:
        """The sessions to forget now (unless a connection here still follows one): those
        with no turn under way here and unused for `idle_after_s`."""
        self.swept_at = now
        return [
            session_id
            for session_id, use in channels
            if not use.working and now - use.used >= self.idle_after_s
        ]
