"""A session's numbered events, kept for `resume`. Pure bookkeeping, no I/O."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from api.protocol import ServerEventBase

KEPT_TURNS = 2


@dataclass
class EventLog:
    """Numbers events with an increasing `seq` and keeps the current and previous turn's."""

    last_seq: int = 0
    _turns: deque[tuple[str | None, list[ServerEventBase]]] = field(
        default_factory=lambda: deque(maxlen=KEPT_TURNS)
    )

    def append(self, event: ServerEventBase) -> ServerEventBase:
        """The event with the session's next seq, remembered for replay."""
        self.last_seq += 1
        numbered = event.model_copy(update={"seq": self.last_seq})
        if not self._turns or self._turns[-1][0] != event.turn_id:
            self._turns.append((event.turn_id, []))
        self._turns[-1][1].append(numbered)
        return numbered

    def after(self, seq: int) -> list[ServerEventBase]:
        """Every kept event numbered above `seq`, oldest first."""
        return [e for _, events in self._turns for e in events if (e.seq or 0) > seq]
