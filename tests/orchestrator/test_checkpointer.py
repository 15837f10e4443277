"""LangGraph's checkpointer keeps a thread's state in the product database."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from psycopg import errors
from sqlalchemy.engine import URL

from orchestrator.checkpointer import fenced_config, keep_latest, open_checkpointer
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


def _nested():  # type: ignore[no-untyped-def]
    """A graph whose subgraph keeps its own checkpoints, in a namespace of the thread."""
    inner = StateGraph(Counter)
    inner.add_node("count", lambda state: {"notes": [f"inner {len(state['notes'])}"]})
    inner.add_edge(START, "count")
    inner.add_edge("count", END)
    builder = StateGraph(Counter)
    builder.add_node("echo", lambda state: {"notes": [f"seen {len(state['notes'])}"]})
    builder.add_node("inner", inner.compile(checkpointer=True))
    builder.add_edge(START, "echo")
    builder.add_edge("echo", "inner")
    builder.add_edge("inner", END)
    return builder


async def test_keep_latest_leaves_a_thread_its_latest_checkpoint_of_each_namespace(
    db_url: URL,
) -> None:
    """The thread reduced reads the same state, and goes on as the one left whole does."""
    reduced, whole = {"configurable": {"thread_id": "a"}}, {"configurable": {"thread_id": "b"}}
    async with open_checkpointer(db_url) as saver:
        graph = _nested().compile(checkpointer=saver)
        for text in ("hello", "again"):
            for config in (reduced, whole):
                await graph.ainvoke({"notes": [text]}, config)
        kept = [c async for c in saver.alist(whole)]
        state = (await graph.aget_state(reduced)).values

        assert await keep_latest(saver, "a")

        left = [c async for c in saver.alist(reduced)]
        assert sorted(c.config["configurable"]["checkpoint_ns"] for c in left) == ["", "inner"]
        assert all(c.parent_config is None and not c.pending_writes for c in left)
        assert len([c async for c in saver.alist(whole)]) == len(kept) > len(left)
        assert (await graph.aget_state(reduced)).values == state
        for config in (reduced, whole):
            await graph.ainvoke({"notes": ["later"]}, config)
        after = [(await graph.aget_state(c)).values for c in (reduced, whole)]
        assert after[0] == after[1]
        assert await keep_latest(saver, "a")  # nothing more to remove: it does nothing


class Conflicting:
    """A saver whose prune another transaction gets in the way of (PostgreSQL's)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def aprune(self, thread_ids: object, *, strategy: str = "keep_latest") -> None:
        raise self.error


@pytest.mark.parametrize("error", [errors.SerializationFailure(), errors.DeadlockDetected()])
async def test_a_thread_another_instance_is_reducing_is_left_for_later(error: Exception) -> None:
    assert not await keep_latest(Conflicting(error), "a")


async def test_any_other_failure_to_reduce_is_raised() -> None:
    with pytest.raises(NotImplementedError):
        await keep_latest(Conflicting(NotImplementedError("DeltaChannel")), "a")
