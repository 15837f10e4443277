"""The graph: classify → specialists (fanned out in parallel) → compose. Wiring only."""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.general.node import general
from agents.maintenance.node import maintenance
from agents.specs.node import specs
from agents.troubleshooting.node import troubleshooting
from orchestrator.context import TurnContext
from orchestrator.nodes import classify, compose
from orchestrator.state import TurnState

SPECIALISTS = {
    "specs": specs,
    "maintenance": maintenance,
    "troubleshooting": troubleshooting,
    "general": general,
}


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    builder = StateGraph(TurnState, context_schema=TurnContext)
    builder.add_node("classify", classify, destinations=tuple(SPECIALISTS))
    for name, node in SPECIALISTS.items():
        builder.add_node(name, node)  # type: ignore[call-overload]
        builder.add_edge(name, "compose")
    builder.add_node("compose", compose)
    builder.add_edge(START, "classify")
    builder.add_edge("compose", END)
    return builder.compile(checkpointer=checkpointer)
