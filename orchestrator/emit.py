"""How nodes report progress, routes and sources to the turn's stream, whichever loop runs it.

`astream_events` v2 sees LangChain's custom callback events and nothing a node writes to
LangGraph's stream writer (that writer is a no-op unless the run streams mode "custom").
`astream(stream_mode=[..., "custom", ...])` sees the stream writer's chunks and no callback
event (no LangGraph stream mode listens to them). So a node does both, and each loop sees it
exactly once.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks.manager import adispatch_custom_event
from langgraph.config import get_stream_writer


async def emit(name: str, data: dict[str, Any]) -> None:
    """Send one custom event (`progress`, `routes`, `sources`, `tool_call`, `tool_result`)
    from inside a graph node."""
    get_stream_writer()({"name": name, "data": data})
    await adispatch_custom_event(name, data)
