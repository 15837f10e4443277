"""Turn events counted into metrics, as they are published."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from api.metrics import Metrics
from api.protocol import (
    CancelledEvent,
    CompleteEvent,
    ErrorEvent,
    ProgressEvent,
    ServerEventBase,
    TokenEvent,
)


@dataclass
class TurnObserver:
    metrics: Metrics
    _started: dict[str, float] = field(default_factory=dict)
    _first_token_seen: set[str] = field(default_factory=set)

    def __call__(self, session_id: str, event: ServerEventBase) -> None:
        turn = event.turn_id or ""
        match event:
            case ProgressEvent(step="starting"):
                self._started[turn] = time.perf_counter()
            case TokenEvent() if turn not in self._first_token_seen and turn in self._started:
                self._first_token_seen.add(turn)
                self.metrics.first_token.observe(time.perf_counter() - self._started[turn])
            case CompleteEvent(metadata=metadata):
                self.metrics.turns.labels(metadata.agent, metadata.mode, "complete").inc()
                self.metrics.turn_latency.labels(metadata.agent).observe(metadata.latency_ms / 1000)
                self._forget(turn)
            case CancelledEvent():
                self.metrics.turns.labels("", "", "cancelled").inc()
                self._forget(turn)
            case ErrorEvent(code=code):
                self.metrics.errors.labels(code.value).inc()
                self.metrics.turns.labels("", "", "failed").inc()
                self._forget(turn)

    def _forget(self, turn: str) -> None:
        self._started.pop(turn, None)
        self._first_token_seen.discard(turn)
