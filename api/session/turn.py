"""A session's turn lifecycle, without I/O: idle → queued → running → (cancelling →) done.

`SessionChannel` (api/session/channel.py) owns one and asks it every question about the turn: may a
message start one, does a repeated message id join the running one, is a cancel due, is the
session busy. The task that runs the turn is the adapter's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["TurnLifecycle", "TurnPhase", "TurnStateError"]


class TurnPhase(StrEnum):
    IDLE = "idle"  # no turn yet in this process
    QUEUED = "queued"  # accepted, its first event not out yet
    RUNNING = "running"
    CANCELLING = "cancelling"  # a cancel was asked; its `cancelled` event not out yet
    DONE = "done"  # the turn's last event is out


class TurnStateError(RuntimeError):
    """A transition the lifecycle does not allow (a bug in the caller)."""


ACTIVE = frozenset({TurnPhase.QUEUED, TurnPhase.RUNNING, TurnPhase.CANCELLING})


@dataclass
class TurnLifecycle:
    phase: TurnPhase = TurnPhase.IDLE
    turn_id: str | None = None
    client_message_id: str | None = None
    ended: str | None = None  # the turn whose one terminal event has been claimed

    @property
    def busy(self) -> bool:
        """A turn is under way: another message is refused with BUSY."""
        return self.phase in ACTIVE

    def joins(self, client_message_id: str | None) -> bool:
        """A message sent again while its own turn runs follows that turn."""
        return bool(client_message_id) and self.busy and client_message_id == self.client_message_id

    def start(self, turn_id: str, client_message_id: str | None) -> None:
        if self.busy:
            raise TurnStateError(f"turn {self.turn_id} is still {self.phase}")
        self.phase = TurnPhase.QUEUED
        self.turn_id = turn_id
        self.client_message_id = client_message_id

    def event(self) -> None:
        """One of the turn's events went out."""
        if self.phase is TurnPhase.QUEUED:
            self.phase = TurnPhase.RUNNING

    def claim_end(self, turn_id: str) -> bool:
        """Whoever ends the turn (its answer, a cancel, a crash, the watchdog) asks first:
        True once per turn, to the first caller, while that turn is the current one; every
        later caller must send nothing. So a turn ends with exactly one terminal event."""
        if turn_id != self.turn_id or self.ended == turn_id or not self.busy:
            return False
        self.ended = turn_id
        return True

    def cancel(self) -> bool:
        """A cancel was asked: True when the running work must be stopped now."""
        if self.phase not in (TurnPhase.QUEUED, TurnPhase.RUNNING):
            return False
        self.phase = TurnPhase.CANCELLING
        return True

    def finish(self, turn_id: str | None = None) -> None:
        """The turn's last event (answer, cancel or error) is out, or its work ended.

        With `turn_id`, only if that turn is still the current one: the work of a turn that
        already answered may end after the next turn has started.
        """
        if turn_id is not None and turn_id != self.turn_id:
            return
        if self.phase is not TurnPhase.IDLE:
            self.phase = TurnPhase.DONE
