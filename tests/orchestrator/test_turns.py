"""Whole turns through the graph in offline mode, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from agents.registry import default_registry
from agents.wiring import build_orchestrator, build_router, build_services
from orchestrator.checkpointer import open_checkpointer
from orchestrator.events import Progress, Routed, Sources, Token
from orchestrator.knowledge import knowledge_store
from orchestrator.models import Appointment, Message
from orchestrator.nodes import IN_SCOPE_PASSAGE
from orchestrator.persistence import conversations, db_engine
from orchestrator.routing import split_clauses
from orchestrator.settings import Settings
from orchestrator.turns import Completed, Failed, Orchestrator
from rag.ingest import ingest
from rag.off_subject import in_scope_floor
from rag.retriever import Retriever
from rag.store import KnowledgeStore
from tests.utils.embedding import remembering
from tests.utils.turns import asked

# A Wednesday morning: "next Monday" is 23 November 2026.
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


@asynccontextmanager
async def running(settings: Settings, url: URL, embedder: Any) -> AsyncIterator[Orchestrator]:
    """An orchestrator as the server holds one, closed on exit (a 'server restart')."""
    engine = db_engine.create_engine(url)
    sessions = db_engine.session_factory(engine)
    try:
        async with open_checkpointer(url) as saver:
            services = build_services(settings, sessions, remembering(embedder))
            services.clock = lambda: NOW
            try:
                yield build_orchestrator(services, saver)
            finally:
                await services.aclose()
    finally:
        await engine.dispose()


@pytest.fixture
def settings(kb_settings: Settings, db_url: URL) -> Settings:
    return kb_settings.model_copy(update={"database_url": db_url.render_as_string(False)})


async def turn(
    orchestrator: Orchestrator, session_id: str, text: str, customer: str = "cust-1"
) -> tuple[Completed, list[Any]]:
    events = await asked(orchestrator, session_id, text, customer)
    done = events[-1]
    assert isinstance(done, Completed), done
    return done, events


async def test_a_specs_question_streams_progress_sources_and_tokens(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        done, events = await turn(
            orchestrator, "s-specs", "What is the towing capacity of the Ridge Tow Pack?"
        )
    steps = [e.step for e in events if isinstance(e, Progress)]
    assert steps == ["starting", "agent_routing", "rag_retrieval", "generating"]
    assert any(isinstance(e, Routed) for e in events)
    (sources,) = [e for e in events if isinstance(e, Sources)]
    assert sources.sources[0]["source"] == "specs/ridge.md"
    assert "".join(e.text for e in events if isinstance(e, Token)) == done.response
    assert "3,500 kg" in done.response
    assert done.metadata.agent == "specs" and done.metadata.mode == "offline"
    assert done.metadata.sources


async def test_a_named_model_gets_only_its_own_figures(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        done, _ = await turn(
            orchestrator, "s-focus", "What is the combined power of the Sable 2.0T GT?"
        )
    assert "150 kW" in done.response
    assert "310 kW" not in done.response and "210 kW" not in done.response


async def test_troubleshooting_puts_safety_first(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        done, _ = await turn(
            orchestrator, "s-safety", "My Aster shows code P0AA6, what should I do?"
        )
    assert done.metadata.agent == "troubleshooting"
    first_line = done.response.splitlines()[0].lower()
    assert (
        "stop safely" in first_line or "do not drive" in first_line or "do not charge" in first_line
    )


async def test_an_unanswerable_question_says_so_plainly(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        done, _ = await turn(orchestrator, "s-none", "How many cupholders does the Sable have?")
    assert done.response.startswith(
        "I couldn't find an answer to that in the Kestrel knowledge base"
    )


async def test_general_messages_say_what_the_assistant_can_do(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        done, events = await turn(orchestrator, "s-hello", "Hi there!")
    assert done.metadata.agent == "general"
    assert "specifications" in done.response and "troubleshooting" in done.response
    assert not [e for e in events if isinstance(e, Sources)]


async def test_a_follow_up_answers_for_the_same_model(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        await turn(orchestrator, "s-follow", "What's the towing capacity of the Ridge?")
        done, _ = await turn(orchestrator, "s-follow", "And what about its payload?")
    assert done.metadata.agent == "specs"
    assert "960 kg" in done.response
    assert "Ridge" in done.metadata.query


async def test_a_follow_up_like_no_example_stays_with_the_specialist_not_out_of_scope(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        await turn(orchestrator, "s-scope", "What does warning code P0300 mean?")
        done, _ = await turn(orchestrator, "s-scope", "and what about Zorbex then?")
    assert done.metadata.agent == "troubleshooting"
    assert "outside what I can help with" not in done.response


async def test_a_message_like_no_example_mid_conversation_stays_with_the_specialist(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        alone, _ = await turn(orchestrator, "s-unlike-1", "what's the lowest reading still okay?")
        await turn(orchestrator, "s-unlike-2", "What does warning code P0300 mean?")
        done, _ = await turn(orchestrator, "s-unlike-2", "what's the lowest reading still okay?")
    assert alone.metadata.agent == "general"  # like no example, said first: out of scope
    assert done.metadata.agent == "troubleshooting"
    assert "P0300" in done.metadata.query  # … and about the question before's subject


def _one_document(
    settings: Settings, embedder: Any, tmp_path: Path, text: str
) -> tuple[Settings, KnowledgeStore]:
    """Settings whose knowledge base holds one maintenance document, `text`, ingested."""
    docs = tmp_path / "kb" / "maintenance"
    docs.mkdir(parents=True)
    (docs / "document.md").write_text(text)
    own = settings.model_copy(update={"data_dir": tmp_path / "data"})
    store, domains = knowledge_store(own), default_registry().domains
    ingest([docs.parent], store, lambda: embedder, embedding_model=embedder.name, domains=domains)
    return own, store


async def test_a_message_like_no_example_that_a_passage_answers_closely_is_on_the_subject(
    settings: Settings, db_url: URL, embedder: Any, tmp_path: Path
) -> None:
    own, _ = _one_document(
        settings,
        embedder,
        tmp_path,
        "# Spark plugs\n\nA brand-new NGK ILTR5A13G plug is gapped to 1.25-1.35 mm.\n",
    )
    asked = "What gap should a brand-new NGK ILTR5A13G plug have?"
    async with running(own, db_url, embedder) as orchestrator:
        done, _ = await turn(orchestrator, "s-close", asked)
        off, _ = await turn(orchestrator, "s-off", "How do I get red wine out of a carpet?")
    assert done.metadata.agent != "general"  # like no routing example, but a passage's subject
    assert "1.25-1.35 mm" in done.response
    assert off.metadata.agent == "general"  # like no example, and no passage near it


async def test_how_near_is_near_enough_depends_on_how_near_everyday_requests_come(
    settings: Settings, db_url: URL, embedder: Any, tmp_path: Path
) -> None:
    """Workshop figures meet everyday requests hardly at all, so a question about them that
    is like no routing example and comes nearer than those requests, though not within the
    fixed ceiling, is on the subject."""
    own, store = _one_document(
        settings,
        embedder,
        tmp_path,
        "# Suspension\n\n## Ball joints\n\nLower ball joint: maximum axial play 0.5 mm.\n",
    )
    question = "What's the wear limit for the ball joints?"
    loaded = Retriever(store, embedder).current()
    closest = loaded.closest(embedder.encode([question])[0])
    assert in_scope_floor(loaded.off_subject, IN_SCOPE_PASSAGE) < closest < IN_SCOPE_PASSAGE
    async with running(own, db_url, embedder) as orchestrator:
        done, _ = await turn(orchestrator, "s-near", question)
        off, _ = await turn(orchestrator, "s-off", "How do I get red wine out of a carpet?")
    assert done.metadata.agent != "general"
    assert "0.5 mm" in done.response
    assert off.metadata.agent == "general"


async def test_a_warning_quoted_as_the_display_shows_it_goes_to_troubleshooting(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    """Like a fault code, a warning quoted as the display reads is about a fault, though its
    words ("Performance") are nearer the specifications' examples."""
    question = "What does EPS Performance Reduced mean exactly?"
    assert build_router(embedder).classify(embedder.encode([question])[0]).route == "specs"
    async with running(settings, db_url, embedder) as orchestrator:
        done, _ = await turn(orchestrator, "s-warning", question)
        plain, _ = await turn(orchestrator, "s-plain", "How much power does the Aster make?")
    assert done.metadata.agent == "troubleshooting"
    assert plain.metadata.agent == "specs"


async def test_a_fault_described_and_one_question_asked_of_it_goes_to_troubleshooting_alone(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    """The question alone is like the specifications' examples, but it is asked to diagnose
    the fault the message describes: one request, not a fault and a second question."""
    message = "My Ridge shudders when I brake hard. What thickness should the front discs be?"
    router = build_router(embedder)
    whole, *clauses = embedder.encode([message, *split_clauses(message)])
    assert router.classify(whole).route == "troubleshooting"
    assert [router.classify(c).route for c in clauses] == ["troubleshooting", "specs"]
    async with running(settings, db_url, embedder) as orchestrator:
        done, _ = await turn(orchestrator, "s-described", message)
    assert done.metadata.agents == ["troubleshooting"]


async def test_two_intents_fan_out_and_merge_into_one_answer(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        done, events = await turn(
            orchestrator,
            "s-multi",
            "my Ridge shows P0A80 and I'd like to book a service next Monday at 9am",
        )
        async with orchestrator.services.sessions() as session:
            booked = list(await session.scalars(select(Appointment)))
    assert done.metadata.agents == ["troubleshooting", "maintenance"]
    assert {e.agent for e in events if isinstance(e, Sources)} == {"troubleshooting", "maintenance"}
    assert "P0A80" in done.response and "Booked" in done.response
    assert done.response.index("P0A80") < done.response.index("Booked")
    assert "".join(e.text for e in events if isinstance(e, Token)) == done.response
    assert len(booked) == 1 and booked[0].starts_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_a_booking_conversation_ends_in_the_appointments_table(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        slots, _ = await turn(
            orchestrator, "s-book", "Which slots are free for an oil change on Friday afternoon?"
        )
        assert "Friday 20 November" in slots.response
        booked, _ = await turn(orchestrator, "s-book", "Please book an oil change on Friday at 2pm")
        assert "Booked" in booked.response
        [used] = booked.metadata.tools  # what the bot did travels with its answer
        assert (used["name"], used["ok"]) == ("book_appointment", True)
        assert used["arguments"]["service_type"] == "oil_change"
        assert used["summary"].startswith("Booked")
        clash, _ = await turn(orchestrator, "s-book", "Book an oil change on Sunday at 10am")
        assert "closed" in clash.response.lower()
        listed, _ = await turn(orchestrator, "s-book", "What are my upcoming appointments?")
        assert "Oil change on Friday 20 November at 14:00" in listed.response
        cancelled, _ = await turn(orchestrator, "s-book", "Cancel my appointment please")
        assert "ancelled" in cancelled.response
        async with orchestrator.services.sessions() as session:
            rows = list(await session.scalars(select(Appointment)))
            answers = list(
                await session.scalars(
                    select(Message)
                    .where(Message.conversation_id == "s-book", Message.role == "assistant")
                    .order_by(Message.created_at)
                )
            )
    assert [(a.service_type, a.status) for a in rows] == [("oil_change", "cancelled")]
    assert [[t["name"] for t in a.tools or []] for a in answers] == [
        ["available_slots"],
        ["book_appointment"],
        ["book_appointment"],
        ["list_my_appointments"],
        ["cancel_appointment"],
    ]
    assert answers[1].tools == booked.metadata.tools
    assert rows[0].starts_at == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


async def test_the_conversation_continues_after_a_restart(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        await turn(orchestrator, "s-restart", "How much can the Ridge tow?")
    async with running(settings, db_url, embedder) as restarted:
        history = await restarted.history("s-restart")
        assert [m.type for m in history] == ["human", "ai"]
        done, _ = await turn(restarted, "s-restart", "And what about its payload?")
        assert "960 kg" in done.response
        async with restarted.services.sessions() as session:
            stored = list(
                await session.scalars(
                    select(Message)
                    .where(Message.conversation_id == "s-restart")
                    .order_by(Message.created_at)
                )
            )
    assert [m.role for m in stored] == ["user", "assistant", "user", "assistant"]
    assert stored[-1].content == done.response
    assert stored[-1].agents == ["specs"]


async def test_a_failed_turn_is_saved_and_leaves_history_consistent(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("vector store down")

        orchestrator.services.retriever.search = broken  # type: ignore[method-assign]
        async with orchestrator.services.sessions() as session:
            await conversations.ensure_user(session, "cust-1", "c")
            await conversations.open_conversation(session, "s-fail", "cust-1")
            await session.commit()
        question = "How far does the Aster go?"
        await orchestrator.services.db.save_user_message("s-fail", "cust-1", question, "t1", None)
        events = [
            e
            async for e in orchestrator.stream_turn(
                session_id="s-fail", customer_id="cust-1", text=question, turn_id="t1"
            )
        ]
        assert isinstance(events[-1], Failed) and events[-1].code == "PROCESSING_ERROR"
        history = await orchestrator.history("s-fail")
        async with orchestrator.services.sessions() as session:
            stored = list(
                await session.scalars(select(Message).where(Message.conversation_id == "s-fail"))
            )
    assert [m.type for m in history] == ["human", "ai"]
    assert sorted((m.role, m.status) for m in stored) == [
        ("assistant", "failed"),
        ("user", "complete"),
    ]
