"""Prometheus metrics of this process: turns, errors by code, latencies, connections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from orchestrator.model_abilities import TOOL_CALLING
from orchestrator.turn_context import Services

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
        self.model_tools = Gauge(
            "orchestrator_model_tools",
            "Whether the language model calls tools: 1 on the state known now (yes, no, "
            "unknown); without a language model, none",
            ["state"],
            registry=r,
        )

    def follow_model_tools(self, services: Services) -> None:
        """`model_tools` reads what the services know, in LLM mode."""
        if not services.llm:
            return
        abilities = services.model_abilities

        def reads(state: str) -> Callable[[], float]:
            return lambda: float(abilities.tools == state)

        for state in TOOL_CALLING:
            self.model_tools.labels(state=state).set_function(reads(state))

    def render(self) -> bytes:
        return generate_latest(self.registry)
