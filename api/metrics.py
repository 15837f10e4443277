"""Prometheus metrics of this process: turns, errors by code, latencies, connections."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.turns = Counter(
            "orchestrator_turns", "Turns finished", ["agent", "mode", "outcome"], registry=r
        )
        self.errors = Counter("orchestrator_errors", "Errors sent to clients", ["code"], registry=r)
        self.turn_latency = Histogram(
            "orchestrator_turn_latency_seconds",
            "Message to complete",
            ["agent"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.first_token = Histogram(
            "orchestrator_first_token_seconds",
            "Message to first token",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.connections = Gauge(
            "orchestrator_active_connections",
            "Open WebSocket connections",
            ["endpoint"],
            registry=r,
        )
        self.live_sessions = Gauge(
            "orchestrator_live_sessions",
            "Sessions this process holds live state for (in use, or ended within "
            "LIVE_SESSION_IDLE_S and kept for resume)",
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
