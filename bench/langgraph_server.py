"""Not yet measured: the product side by side with the same graph on LangGraph's own server.

Planned: serve `orchestrator.graph.build_graph` with the LangGraph server and the product's
WebSocket API on the same machine, same `FakeOpenAI`, same conversations; figures are turn
p50/p95 and time to first token, one as the other's baseline. Fill in `run` when the
WebSocket API lands.
"""

from __future__ import annotations

from bench.common import Scenario

SCENARIO = Scenario(
    name="langgraph_server",
    title="LangGraph server side by side",
    run=None,
    summary="The same graph and conversations on the LangGraph server and on the product's API.",
    waiting_for="the WebSocket API",
)
