"""What the MCP tools answer, made from a turn's last event, passages and times: the pure
part, without a server (`tests/api/test_mcp.py` asks a real one)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from api.mcp import results
from api.mcp.results import Passages
from api.protocol import (
    CancelledEvent,
    CompleteContext,
    CompleteEvent,
    CompleteMetadata,
    SourceRef,
)

PAGED = SourceRef(
    n=1,
    source="specs/dog-guard-guide.md",
    title="Kestrel dog guard guide",
    heading="Kestrel dog guard guide > Fitting the dog guard",
    page=41,
    page_end=42,
    score=0.71,
    snippet="Stand the dog guard behind the rear seat backs…",
)
BERLIN = ZoneInfo("Europe/Berlin")


def _complete(response: str, passages: list[SourceRef]) -> CompleteEvent:
    metadata = CompleteMetadata(
        agent="specs",
        agents=["specs"],
        confidence=0.8,
        context=CompleteContext(sources=[p.source for p in passages], passages=passages),
        latency_ms=300,
        mode="offline",
        message_id="m1",
    )
    return CompleteEvent(response=response, metadata=metadata)


def test_a_complete_turn_answers_with_its_passages_and_cites_them_by_page() -> None:
    answer = results.answer_of("s1", _complete("The knob slips at 6 Nm [1].", [PAGED]))
    assert (answer.status, answer.session_id, answer.agent) == ("complete", "s1", "specs")
    assert answer.passages == [PAGED] and answer.message_id == "m1"
    assert results.answer_text(answer) == (
        "The knob slips at 6 Nm [1].\n\n"
        "[1]: Kestrel dog guard guide, Fitting the dog guard, p. 41 (specs/dog-guard-guide.md)"
    )


def test_a_cancelled_turn_answers_with_what_had_been_written() -> None:
    answer = results.answer_of("s1", CancelledEvent(partial_response="The knob"))
    assert (answer.status, answer.answer, answer.passages) == ("cancelled", "The knob", [])
    assert results.answer_text(answer) == "The knob"


def test_a_conversation_a_person_has_says_so_instead_of_an_answer() -> None:
    held = results.Answer(answer="", session_id="s1", status="forwarded_to_staff")
    assert results.answer_text(held) == results.FORWARDED


def test_passages_read_as_their_footnote_with_the_snippet_below() -> None:
    text = results.passages_text(Passages(query="dog guard", passages=[PAGED]))
    first, snippet = text.split("\n")
    assert first.startswith("[1]: Kestrel dog guard guide") and "p. 41" in first
    assert snippet == PAGED.snippet
    assert "No passage" in results.passages_text(Passages(query="x", passages=[]))


def test_a_start_without_an_offset_is_in_the_service_centres_zone() -> None:
    naive = datetime(2031, 3, 3, 9, 0)
    assert results.in_zone(naive, BERLIN) == datetime(2031, 3, 3, 9, 0, tzinfo=BERLIN)
    aware = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
    assert results.in_zone(aware, BERLIN) is aware


def test_free_times_name_the_service_and_read_in_local_time() -> None:
    starts = [datetime(2031, 3, 3, 8, 0, tzinfo=UTC), datetime(2031, 3, 3, 8, 30, tzinfo=UTC)]
    free = results.free_times("oil_change", date(2031, 3, 3), starts)
    assert (free.service, free.duration_minutes) == ("Oil change", 60)
    assert "09:00, 09:30" in results.free_times_text(free, BERLIN)
    none = results.free_times("oil_change", date(2031, 3, 3), [])
    assert results.free_times_text(none, BERLIN).startswith("No free start times for Oil change")
