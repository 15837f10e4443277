"""The graph: classify → specialists (fanned out in parallel) → compose. Wiring only."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from orchestrator.nodes import classify, compose
from orchestrator.state import SpecialistInput, TurnState
from orchestrator.turn_context import TurnContext

if TYPE_CHECKING:  # the specialists sit above the graph: they are handed in (`agents.wiring`)
    from agents.registry import Node, Registry


def citing(node: Node) -> Node:
    """The specialist's node, which tells the turn's citations when it is over, whether it
    cited, answered without sources, or failed (`Citations.cite` waits for it otherwise)."""

    @functools.wraps(node)
    async def run(inp: SpecialistInput, runtime: Runtime[TurnContext]) -> dict[str, Any]:
        try:
            return await node(inp, runtime)
        finally:
            runtime.context.citations.done(inp["agent"])

    return run


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None,
    specialists: Registry,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """One node per specialist of the registry (the service's, `Services.specialists`)."""
    builder = StateGraph(TurnState, context_schema=TurnContext)
    builder.add_node("classify", classify, destinations=specialists.names)
    for specialist in specialists:
        builder.add_node(specialist.name, citing(specialist.node))
        builder.add_edge(specialist.name, "compose")
    builder.add_node("compose", compose)
    builder.add_edge(START, "classify")
    builder.add_edge("compose", END)
    return builder.compile(checkpointer=checkpointer)
