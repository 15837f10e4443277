"""The graph: classify → specialists (fanned out in parallel) → compose. Wiring only."""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.registry import Registry, default_registry
from orchestrator.context import TurnContext
from orchestrator.nodes import classify, compose
from orchestrator.state import TurnState


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    specialists: Registry | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """One node per specialist of the registry (the product's own by default)."""
    specialists = specialists or default_registry()
    builder = StateGraph(TurnState, context_schema=TurnContext)
    builder.add_node("classify", classify, destinations=specialists.names)
    for specialist in specialists:
        builder.add_node(specialist.name, specialist.node)
        builder.add_edge(specialist.name, "compose")
    builder.add_node("compose", compose)
    builder.add_edge(START, "classify")
    builder.add_edge("compose", END)
    return builder.compile(checkpointer=checkpointer)
