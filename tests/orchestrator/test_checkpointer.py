"""LangGraph's checkpointer keeps a thread's state in the product database."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from sqlalchemy.engine import URL

from orchestrator.checkpointer import open_checkpointer


class Counter(TypedDict):
    notes: Annotated[list[str], operator.add]


def _graph():  # type: ignore[no-untyped-def]
    builder = StateGraph(Counter)
    builder.add_node("echo", lambda state: {"notes": [f"seen {len(state['notes'])}"]})
    builder.add_edge(START, "echo")
    builder.add_edge("echo", END)
    return builder


async def test_a_thread_is_saved_and_reloaded_after_reopening(db_url: URL) -> None:
    config = {"configurable": {"thread_id": "session-42"}}
    async with open_checkpointer(db_url) as saver:
        graph = _graph().compile(checkpointer=saver)
        await graph.ainvoke({"notes": ["hello"]}, config)

    async with open_checkpointer(db_url) as saver:
        graph = _graph().compile(checkpointer=saver)
        state = await graph.aget_state(config)
        assert state.values["notes"] == ["hello", "seen 1"]
        await graph.ainvoke({"notes": ["again"]}, config)
        state = await graph.aget_state(config)
        assert state.values["notes"] == ["hello", "seen 1", "again", "seen 3"]
