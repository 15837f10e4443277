"""The operator's log: one line for each turn, written as its end (complete, cancelled, or a
turn-ending error) is published, which happens once per turn (`api.session.channels`).

A line holds ids, the route, the answer mode, the latency, the outcome and, for an error, its
code and cause; never a message's text, an answer, or a token. `LOG_FORMAT=json` writes it as
JSON (`api.log_format`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.protocol import (
    TURN_ENDING_ERRORS,
    CancelledEvent,
    CompleteEvent,
    ErrorEvent,
    ProgressEvent,
    ServerEventBase,
)

log = logging.getLogger(__name__)


def turn_fields(
    session_id: str,
    event: ServerEventBase,
    *,
    route: str | None = None,
    mode: str | None = None,
    latency_ms: int | None = None,
    cause: str | None = None,
) -> dict[str, Any] | None:
    """The line's fields when `event` ends a turn, else None. A complete event's own route,
    mode and latency win over those given (what was seen of the turn before its end)."""
    match event:
        case CompleteEvent(metadata=metadata):
            fields: dict[str, Any] = {
                "outcome": "complete",
                "route": metadata.agent,
                "agents": metadata.agents if len(metadata.agents) > 1 else None,
                "mode": metadata.mode,
                "latency_ms": metadata.latency_ms,
                "degraded": metadata.degraded,
                "truncated": metadata.truncated,
            }
        case CancelledEvent():
            fields = {
                "outcome": "cancelled",
                "route": route,
                "mode": mode,
                "latency_ms": latency_ms,
            }
        case ErrorEvent(code=code) if event.turn_id and code in TURN_ENDING_ERRORS:
            fields = {
                "outcome": "error",
                "route": route,
                "mode": mode,
                "latency_ms": latency_ms,
                "code": code.value,
                "cause": cause,
            }
        case _:
            return None
    ids = {"session_id": session_id, "turn_id": event.turn_id}
    return {key: value for key, value in (ids | fields).items() if value is not None}


@dataclass
class _Seen:
    started: float
    route: str | None = None


@dataclass
class TurnLog:
    """Follows the events published here and writes one line per ended turn. `mode` is the
    process's answer mode, for turns that end without an answer saying its own."""

    mode: str | None = None
    clock: Callable[[], float] = time.perf_counter
    limit: int = 10_000  # turns followed at once: one handed elsewhere never ends here
    _seen: dict[str, _Seen] = field(default_factory=dict)

    def __call__(
        self,
        session_id: str,
        event: ServerEventBase,
        cause: Callable[[str | None], str | None] = lambda turn_id: None,
    ) -> None:
        """`cause(turn_id)`: why the turn failed, as its channel knows, asked only at its end."""
        turn_id = event.turn_id
        if turn_id is None:
            return
        now = self.clock()
        seen = self._seen.get(turn_id)
        first = seen is None  # its end alone (a turn a previous process left): no time known
        if seen is None:
            seen = self._seen[turn_id] = _Seen(now)
            if len(self._seen) > self.limit:
                del self._seen[next(iter(self._seen))]
        elif isinstance(event, ProgressEvent) and event.step == "starting":
            seen.started = now  # its time runs from leaving the line, as its timeout does
        seen.route = getattr(event, "agent", None) or seen.route
        if not isinstance(event, CompleteEvent | CancelledEvent | ErrorEvent):
            return
        fields = turn_fields(
            session_id,
            event,
            route=seen.route,
            mode=self.mode,
            latency_ms=None if first else round((now - seen.started) * 1000),
            cause=cause(turn_id) if isinstance(event, ErrorEvent) else None,
        )
        if fields is None:
            return
        del self._seen[turn_id]
        level = logging.WARNING if fields["outcome"] == "error" else logging.INFO
        log.log(level, "turn ended", extra={"fields": fields})
