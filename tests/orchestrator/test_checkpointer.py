"""LangGraph's checkpointer keeps a thread's state in the product database."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from sqlalchemy.engine import URL

from orchestrator.checkpointer import fenced_config, open_checkpointer
from orchestrator.persistence import Database, db_engine


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


async def test_a_run_that_was_taken_over_writes_no_checkpoint(db_url: URL) -> None:
    """Run 1 of a turn stalled past its lease and another instance took the turn over (run 2).
    LangGraph writes a run's checkpoint when it ends, even cancelled: run 1, back, must not
    write its state over run 2's, or the next turn would read a history without the answer."""
    engine = db_engine.create_engine(db_url)
    try:
        db = Database(db_engine.session_factory(engine))
        await db.open_for_message(
            session_id="s1", owner_id="ada", author=("ada", "Ada", "customer"), text="hello",
            client_message_id=None, turn_id="t0",
        )  # fmt: skip
        await db.save_user_message("s1", "ada", "Tyre pressure?", "t1", None)
        assert await db.take_over_turn("s1", "t1", attempt=2)
        async with open_checkpointer(db_url, fence_check=db.holds_fence) as saver:
            graph = _graph().compile(checkpointer=saver)
            await graph.ainvoke({"notes": ["run 2"]}, fenced_config("s1", "t1", 2))
            await graph.ainvoke({"notes": ["run 1, late"]}, fenced_config("s1", "t1", 1))
            state = await graph.aget_state({"configurable": {"thread_id": "s1"}})
        assert state.values["notes"] == ["run 2", "seen 1"]
    finally:
        await engine.dispose()
