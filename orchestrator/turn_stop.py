"""Why a turn stopped before its answer, and what that leaves in SQL: plain code, no I/O.

The reason travels with the turn (the API's supervisor holds it and the turn reads it when it
is stopped), never through sets shared by every turn of the process.
"""

from __future__ import annotations

from enum import StrEnum

from orchestrator.models import MessageStatus

__all__ = ["INTERRUPTED", "PROCESSING_ERROR", "TIMEOUT", "Stop", "stored_as"]

INTERRUPTED = "INTERRUPTED"  # the turn's process stopped (a shutdown, or a crash) mid-answer
TIMEOUT = "TIMEOUT"
PROCESSING_ERROR = "PROCESSING_ERROR"


class Stop(StrEnum):
    CANCELLED = "cancelled"  # its client asked
    TIMED_OUT = "timed_out"  # it had not ended in time: the watchdog stopped it
    INTERRUPTED = "interrupted"  # a shutdown, with no other instance to run it again
    CRASHED = "crashed"  # an error outside the graph (the graph's own failures are answers)
    HANDED_OVER = "handed_over"  # a shutdown; another instance runs it again and ends it
    TAKEN_OVER = "taken_over"  # another instance claimed this run (it stalled past its lease)


# A stopped turn's end in SQL: its status and error code. Handed over or taken over, the turn
# is another run's to end: this run stores nothing.
STORED: dict[Stop, tuple[MessageStatus, str | None] | None] = {
    Stop.CANCELLED: (MessageStatus.cancelled, None),
    Stop.TIMED_OUT: (MessageStatus.failed, TIMEOUT),
    Stop.INTERRUPTED: (MessageStatus.failed, INTERRUPTED),
    Stop.CRASHED: (MessageStatus.failed, PROCESSING_ERROR),
    Stop.HANDED_OVER: None,
    Stop.TAKEN_OVER: None,
}


def stored_as(stop: Stop) -> tuple[MessageStatus, str | None] | None:
    """How a turn stopped for `stop` is stored (status, error code), or None: not here."""
    return STORED[stop]
