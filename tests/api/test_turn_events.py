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
from api.turn_events import TurnTranslator, stored_answer
from orchestrator.events import Progress, Routed, Sources, Token
from orchestrator.models import Message, MessageStatus
from orchestrator.turns import Completed, Failed


def test_every_outcome_becomes_its_event_with_the_turns_ids() -> None:
    translate = TurnTranslator("s1", "t1").translate
    progress = translate(Progress("rag_retrieval", "Searching…", "specs"))
    assert isinstance(progress, ProgressEvent) and progress.agent == "specs"
    sources = translate(
        Sources("specs", [{"n": 1, "source": "a.md", "title": "A", "heading": "A", "score": 0.5}])
    )
    assert isinstance(sources, SourcesEvent) and sources.sources[0].source == "a.md"
    answer = translate(Completed("Done [1]", {"agents": ["specs"], "confidence": 0.9}, "m1"))
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
    fresh = TurnTranslator("s1", "t2").translate(Completed("Hi", {"agents": ["general"]}, "m2"))
    assert isinstance(fresh, CompleteEvent) and fresh.metadata.tools == []
