"""What a turn's answer carries beside its text: typed from the graph's compose step to the
stored message and the `complete` event (`api.session.turn_events.complete_event`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class TurnMetadata(BaseModel):
    """A turn's route, the passages it cites and how it ran. Fields a stopped turn does not
    know (its route, its confidence) stay None."""

    agent: str | None = None  # the route that answered: the first specialist in routing order
    agents: list[str] = Field(default_factory=list)  # every specialist that took part, in order
    confidence: float | None = None
    sources: list[dict[str, Any]] = Field(default_factory=list)  # the passages cited, [n] order
    tools: list[dict[str, Any]] = Field(default_factory=list)  # what the bot did, in call order
    mode: str | None = None  # offline | llm
    truncated: bool | None = None  # True: the model was stopped at its max_tokens
    degraded: str | None = None  # why the offline answer stands in for the model's
    query: str | None = None  # what was searched (the message made standalone)
    latency_ms: int | None = None

    @classmethod
    def of_graph(cls, output: dict[str, Any]) -> TurnMetadata:
        """From the compose step's `metadata` (a plain dict in the graph's checkpointed state)."""
        context = output.get("context") or {}
        return cls(
            agent=output.get("agent"),
            agents=list(output.get("agents") or []),
            confidence=output.get("confidence"),
            sources=list(context.get("sources") or []) if isinstance(context, dict) else [],
            mode=output.get("mode"),
            truncated=output.get("truncated"),
            degraded=output.get("degraded"),
            query=output.get("query"),
        )
