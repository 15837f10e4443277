"""Both ways of running a turn's graph (STREAM_MODE events | messages) stream the same turn."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from orchestrator import turns
from orchestrator.events import Progress, Routed, Sources, Token, TurnEvent, TurnStream
from orchestrator.models import Message
from orchestrator.persistence import conversations
from orchestrator.settings import Settings
from orchestrator.turns import Completed, Orchestrator
from tests.orchestrator.test_llm_path import llm_settings
from tests.orchestrator.test_turns import running, turn
from tests.utils.fake_openai import FakeOpenAI, Reply, Stall

MODES = ("events", "messages")
TWO_SPECIALISTS = "my Ridge shows P0A80 and when is its next service due?"


def use(orchestrator: Orchestrator, mode: str) -> None:
    settings = orchestrator.services.settings
    orchestrator.services.settings = settings.model_copy(update={"stream_mode": mode})


def agent_of(event: Any) -> str | None:
    return getattr(event, "agent", None)


def comparable(events: list[Any]) -> dict[str, Any]:
    """What must not depend on the loop.

    Parallel specialists interleave their progress as the scheduler pleases, so non-token
    events are compared per agent, in order; the tokens are compared as one sequence.
    """
    done = events[-1]
    assert isinstance(done, Completed), done
    per_agent: dict[str | None, list[Any]] = {}
    for e in events[:-1]:
        if isinstance(e, Progress | Sources | Routed):
            per_agent.setdefault(agent_of(e), []).append(e)
    tokens = [e.text for e in events if isinstance(e, Token)]
    assert "".join(tokens) == done.response
    metadata = done.metadata.model_dump(exclude={"latency_ms"})
    return {
        "per_agent": per_agent,
        "tokens": tokens,
        "response": done.response,
        "metadata": metadata,
    }


def without_completion(events: list[Any]) -> list[Any]:
    assert isinstance(events[-1], Completed)
    return events[:-1]


async def test_offline_turns_stream_the_same_in_both_modes(
    kb_settings: Settings, db_url: URL, embedder: Any
) -> None:
    settings = kb_settings.model_copy(update={"database_url": db_url.render_as_string(False)})
    seen: dict[str, dict[str, list[Any]]] = {}
    async with running(settings, db_url, embedder) as orchestrator:
        for mode in MODES:
            use(orchestrator, mode)
            seen[mode] = {}
            for n, text in enumerate(
                [
                    "What is the towing capacity of the Ridge Tow Pack?",
                    "Hi there!",
                    TWO_SPECIALISTS,
                ]
            ):
                _, events = await turn(orchestrator, f"s-{mode}-{n}", text)
                seen[mode][text] = events
    events_mode, messages_mode = seen["events"], seen["messages"]
    for text in events_mode:
        assert comparable(messages_mode[text]) == comparable(events_mode[text]), text

    # One specialist runs alone: everything, in order, is the same.
    specs = "What is the towing capacity of the Ridge Tow Pack?"
    assert without_completion(messages_mode[specs]) == without_completion(events_mode[specs])
    steps = [e.step for e in messages_mode[specs] if isinstance(e, Progress)]
    assert steps == ["starting", "agent_routing", "rag_retrieval", "generating"]

    # Two specialists: one answer after the other, whatever order they finish in.
    two = comparable(messages_mode[TWO_SPECIALISTS])
    assert two["metadata"]["agents"] == ["troubleshooting", "maintenance"]
    assert two["response"].count("\n\n") >= 1 and "P0A80" in two["response"]
    assert [e.step for e in two["per_agent"]["maintenance"] if isinstance(e, Progress)] == [
        "rag_retrieval",
        "generating",
    ]


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


DIAGNOSIS = "P0A80 means the hybrid battery needs replacing [1]. Book a check soon."
SERVICE = "The Ridge's next service is due at 20,000 km or 12 months [1]."


def slow_first_specialist(request: dict[str, Any]) -> Stall | Reply:
    """Maintenance (it has tools) answers at once; troubleshooting, first in order, later."""
    if request.get("tools"):
        return Reply(SERVICE)
    return Stall(0.3, then=Reply(DIAGNOSIS))


class RecordingStream(TurnStream):
    """Records what was still held back when the graph ended."""

    left_over: ClassVar[list[TurnEvent]] = []

    def finish(self) -> list[TurnEvent]:
        released = super().finish()
        RecordingStream.left_over.extend(released)
        return released


async def test_llm_tokens_of_a_later_specialist_wait_for_the_earlier_one(
    kb_settings: Settings,
    db_url: URL,
    embedder: Any,
    llm: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = llm_settings(kb_settings, db_url, llm, timeout_s=5.0)
    monkeypatch.setattr(turns, "TurnStream", RecordingStream)
    seen: dict[str, list[Any]] = {}
    async with running(settings, db_url, embedder) as orchestrator:
        for mode in MODES:
            use(orchestrator, mode)
            llm.script(slow_first_specialist, slow_first_specialist)
            monkeypatch.setattr(RecordingStream, "left_over", [])
            done, events = await turn(orchestrator, f"llm-two-{mode}", TWO_SPECIALISTS)
            seen[mode] = events
            assert done.metadata.agents == ["troubleshooting", "maintenance"]
            assert done.metadata.mode == "llm"
            # Maintenance finished before troubleshooting said a word: it was all held back,
            # and released as troubleshooting finished, not only when the graph had ended.
            assert done.response == f"{DIAGNOSIS}\n\n{SERVICE}", mode
            assert RecordingStream.left_over == [], mode
            tokens = [e.text for e in events if isinstance(e, Token)]
            assert len(tokens) > 10 and tokens[0].startswith("P0A80"), mode
            steps = [(e.step, e.agent) for e in events if isinstance(e, Progress)]
            assert steps.count(("generating", "maintenance")) == 1, mode
            assert steps.count(("generating", "troubleshooting")) == 1, mode
    assert comparable(seen["messages"]) == comparable(seen["events"])


FOUND_NONE = "I couldn't find anything about that code in the manuals."


def first_specialist_finds_nothing(request: dict[str, Any]) -> Stall | Reply:
    """Troubleshooting, first in order, says (later) it found nothing; maintenance answers."""
    if request.get("tools"):
        return Reply(SERVICE)
    return Stall(0.3, then=Reply(FOUND_NONE))


async def test_where_one_specialist_answers_the_one_that_found_nothing_is_not_said(
    kb_settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    settings = llm_settings(kb_settings, db_url, llm, timeout_s=5.0)
    async with running(settings, db_url, embedder) as orchestrator:
        for mode in MODES:
            use(orchestrator, mode)
            llm.script(first_specialist_finds_nothing, first_specialist_finds_nothing)
            done, events = await turn(orchestrator, f"llm-none-{mode}", TWO_SPECIALISTS)
            assert done.metadata.agents == ["troubleshooting", "maintenance"]
            assert done.response == SERVICE, mode
            assert "".join(e.text for e in events if isinstance(e, Token)) == SERVICE, mode
            async with orchestrator.services.sessions() as session:
                said = list(
                    await session.scalars(
                        select(Message.content).where(
                            Message.conversation_id == f"llm-none-{mode}",
                            Message.role == "assistant",
                        )
                    )
                )
            assert said == [SERVICE], mode


@pytest.fixture(scope="module")
def paced_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(tokens_per_s=50, answer_tokens=200) as server:
        yield server


@pytest.mark.parametrize("mode", MODES)
async def test_a_cancelled_turn_saves_what_was_streamed(
    kb_settings: Settings, db_url: URL, embedder: Any, paced_llm: FakeOpenAI, mode: str
) -> None:
    settings = llm_settings(kb_settings, db_url, paced_llm, timeout_s=5.0)
    async with running(settings, db_url, embedder) as orchestrator:
        use(orchestrator, mode)
        async with orchestrator.services.sessions() as session:
            await conversations.ensure_user(session, "cust-1", "c")
            await conversations.open_conversation(session, "s-cancel", "cust-1")
            await session.commit()
        question = "How much can the Ridge tow?"
        await orchestrator.services.db.save_user_message("s-cancel", "cust-1", question, "t1", None)
        seen: list[Any] = []
        streaming = asyncio.Event()

        async def consume() -> None:
            async for e in orchestrator.stream_turn(
                session_id="s-cancel", customer_id="cust-1", text=question, turn_id="t1"
            ):
                seen.append(e)
                if len([t for t in seen if isinstance(t, Token)]) >= 3:
                    streaming.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(streaming.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        history = await orchestrator.history("s-cancel")
        async with orchestrator.services.sessions() as session:
            rows = list(
                await session.scalars(select(Message).where(Message.conversation_id == "s-cancel"))
            )
    delivered = "".join(e.text for e in seen if isinstance(e, Token))
    assert delivered.startswith("word0 word1 word2")
    assert not any(isinstance(e, Completed) for e in seen)
    assert [m.type for m in history] == ["human", "ai"]
    assert history[-1].content == delivered
    (answer,) = [m for m in rows if m.role == "assistant"]
    assert answer.status == "cancelled" and answer.content == delivered
