"""Turn outcomes become protocol events: each kind, with the answer so far kept."""

from __future__ import annotations

from api.protocol import (
    CancelledEvent,
    CompleteEvent,
    ErrorCode,
    ErrorEvent,
    ProgressEvent,
    SourcesEvent,
    TokenEvent,
)
from api.session.turn_events import TurnTranslator, stored_answer
from orchestrator.events import Progress, Routed, Sources, Token
from orchestrator.models import Message, MessageStatus
from orchestrator.turn_metadata import TurnMetadata
from orchestrator.turns import Completed, Failed


def test_every_outcome_becomes_its_event_with_the_turns_ids() -> None:
    translate = TurnTranslator("s1", "t1").translate
    progress = translate(Progress("rag_retrieval", "Searching…", "specs"))
    assert isinstance(progress, ProgressEvent) and progress.agent == "specs"
    sources = translate(
        Sources("specs", [{"n": 1, "source": "a.md", "title": "A", "heading": "A", "score": 0.5}])
    )
    assert isinstance(sources, SourcesEvent) and sources.sources[0].source == "a.md"
    answer = translate(Completed("Done [1]", TurnMetadata(agents=["specs"], confidence=0.9), "m1"))
    assert isinstance(answer, CompleteEvent)
    assert (answer.metadata.agent, answer.metadata.message_id) == ("specs", "m1")
    failed = translate(Failed("TIMEOUT", "too slow", ""))
    assert isinstance(failed, ErrorEvent) and failed.code is ErrorCode.TIMEOUT
    for event in (progress, sources, answer, failed):
        assert (event.session_id, event.turn_id) == ("s1", "t1")


def test_tokens_carry_the_answer_so_far() -> None:
    translator = TurnTranslator("s1", "t1")
    first = translator.translate(Token("Hello"))
    second = translator.translate(Token(", world"))
    assert isinstance(second, TokenEvent) and isinstance(first, TokenEvent)
    assert (first.partial_response, second.partial_response) == ("Hello", "Hello, world")
    assert translator.partial == "Hello, world"


def test_internal_outcomes_and_unknown_steps_are_not_sent() -> None:
    translate = TurnTranslator("s1", "t1").translate
    assert translate(Routed(routes=[], query="q")) is None
    assert translate(Progress("internal_step", "…")) is None


def test_a_stored_end_is_sent_again_as_what_it_was() -> None:
    def stored(status: MessageStatus, code: str | None = None) -> Message:
        return Message(
            turn_id="t1", role="assistant", content="The Aster", status=status, error_code=code
        )

    complete = stored_answer(stored(MessageStatus.complete), "s1")
    assert isinstance(complete, CompleteEvent) and complete.response == "The Aster"
    cancelled = stored_answer(stored(MessageStatus.cancelled), "s1")
    assert isinstance(cancelled, CancelledEvent) and cancelled.partial_response == "The Aster"
    for code, sent in [
        ("INTERRUPTED", ErrorCode.INTERRUPTED),
        ("LLM_UNAVAILABLE", ErrorCode.LLM_UNAVAILABLE),
        (None, ErrorCode.PROCESSING_ERROR),
    ]:
        failed = stored_answer(stored(MessageStatus.failed, code), "s1")
        assert isinstance(failed, ErrorEvent) and failed.code is sent
        assert (failed.session_id, failed.turn_id) == ("s1", "t1")


def test_an_answer_sent_again_names_the_tools_it_used() -> None:
    use = {"call_id": "c1", "name": "book_appointment", "arguments": {"service_type": "oil_change"},
           "agent": "maintenance", "ok": True, "summary": "Booked"}  # fmt: skip
    answer = Message(turn_id="t1", role="assistant", content="Booked.", status="complete",
                     tools=[use])  # fmt: skip
    complete = stored_answer(answer, "s1")
    assert isinstance(complete, CompleteEvent)
    assert [t.model_dump() for t in complete.metadata.tools] == [use]
    fresh = TurnTranslator("s1", "t2").translate(
        Completed("Hi", TurnMetadata(agents=["general"]), "m2")
    )
    assert isinstance(fresh, CompleteEvent) and fresh.metadata.tools == []


PASSAGES = [
    {"n": 2, "source": "manual.pdf", "title": "Manual", "heading": "Tyres", "page": 128,
     "page_end": 129, "score": 0.7, "snippet": "Rotate the tyres every 10,000 km."},
    {"n": 1, "source": "schedule.md", "title": "Schedule", "heading": "Tyres", "score": 0.9,
     "snippet": "| Tyre rotation | Every 10,000 km |"},
    {"n": 3, "source": "manual.pdf", "title": "Manual", "heading": "Brakes", "page": 140,
     "score": 0.5},
]  # fmt: skip


def test_a_sources_event_keeps_each_passages_pages_and_snippet() -> None:
    event = TurnTranslator("s1", "t1").translate(Sources("maintenance", PASSAGES))
    assert isinstance(event, SourcesEvent)
    assert [s.model_dump(exclude_none=True) for s in event.sources] == PASSAGES
    assert "page" not in event.model_dump(exclude_none=True)["sources"][1]


def test_complete_names_the_documents_in_citation_order_and_keeps_the_passages() -> None:
    metadata = TurnMetadata(agents=["maintenance"], sources=PASSAGES)
    event = TurnTranslator("s1", "t1").translate(
        Completed("Every 10,000 km [1][2].", metadata, "m1")
    )
    assert isinstance(event, CompleteEvent)
    context = event.metadata.context
    assert context.sources == ["schedule.md", "manual.pdf"]  # [1] first, each document once
    assert [p.model_dump(exclude_none=True) for p in context.passages] == PASSAGES
    assert (context.passages[0].page, context.passages[0].page_end) == (128, 129)


def test_a_stored_answer_sent_again_has_the_same_context_as_the_live_one() -> None:
    answer = Message(turn_id="t1", role="assistant", content="Every 10,000 km [1][2].",
                     status="complete", agents=["maintenance"], sources=PASSAGES)  # fmt: skip
    stored = stored_answer(answer, "s1")
    live = TurnTranslator("s1", "t1").translate(
        Completed(answer.content, TurnMetadata(agents=["maintenance"], sources=PASSAGES), "")
    )
    assert isinstance(stored, CompleteEvent) and isinstance(live, CompleteEvent)
    assert stored.metadata.context == live.metadata.context
    assert stored.metadata.context.sources == ["schedule.md", "manual.pdf"]


def test_an_answer_without_passages_has_empty_sources_and_passages() -> None:
    event = stored_answer(
        Message(turn_id="t1", role="assistant", content="Hi", status="complete"), "s1"
    )
    assert isinstance(event, CompleteEvent)
    assert event.model_dump(exclude_none=True)["metadata"]["context"] == {
        "sources": [],
        "passages": [],
    }
