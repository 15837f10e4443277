"""A session's numbered events: one seq after another, the last two turns kept for resume."""

from __future__ import annotations

import tracemalloc

from hypothesis import given
from hypothesis import strategies as st

from api.live import EventLog
from api.protocol import (
    CompleteContext,
    CompleteEvent,
    CompleteMetadata,
    HandoffEvent,
    ProgressEvent,
    ServerEventBase,
    SourceRef,
    SourcesEvent,
    TokenEvent,
)


def event(turn: str) -> ServerEventBase:
    return ProgressEvent(step="starting", message="…", session_id="s", turn_id=turn)


def test_events_are_numbered_from_the_stored_last_seq() -> None:
    log = EventLog(last_seq=41)
    assert [log.append(event("t1")).seq for _ in range(3)] == [42, 43, 44]
    assert log.last_seq == 44


def test_resume_gets_what_came_after_the_seq_seen() -> None:
    log = EventLog()
    for _ in range(4):
        log.append(event("t1"))
    assert [e.seq for e in log.after(2)] == [3, 4]
    assert log.after(4) == []


def test_only_the_current_and_previous_turns_are_kept() -> None:
    log = EventLog()
    for turn in ("t1", "t2", "t3"):
        log.append(event(turn))
    assert [e.turn_id for e in log.after(0)] == ["t2", "t3"]


@given(st.lists(st.sampled_from(["a", "b", "c"]), max_size=40), st.integers(0, 45))
def test_a_replay_is_in_order_without_gaps_and_after_the_seq(turns: list[str], seen: int) -> None:
    log = EventLog()
    for turn in turns:
        log.append(event(turn))
    replayed = [e.seq or 0 for e in log.after(seen)]
    assert replayed == sorted(replayed)
    assert all(s > seen for s in replayed)
    assert replayed == list(range(replayed[0], replayed[0] + len(replayed))) if replayed else True
    if replayed:
        assert replayed[-1] == log.last_seq


def answer(turn: str, words: int) -> list[ServerEventBase]:
    """A turn as a real answer publishes it: progress, four passages, one token event a word
    (each with the answer so far), `complete` with the passages again, a handoff after it."""
    ids = {"session_id": "s", "turn_id": turn}
    passages = [
        SourceRef(
            n=n,
            source=f"manuals/kestrel-{n}.md",
            title="Owner's manual",
            heading="Maintenance › Brake fluid",
            snippet=" ".join(f"brake{n} fluid{i} interval…" for i in range(12)),
            score=0.7,
        )
        for n in range(1, 5)
    ]
    text = ""
    tokens: list[ServerEventBase] = []
    for i in range(words):
        text += f"word{i} "
        tokens.append(TokenEvent(token=f"word{i} ", partial_response=text, **ids))
    metadata = CompleteMetadata(
        agent="maintenance",
        agents=["maintenance"],
        confidence=0.8,
        context=CompleteContext(sources=[p.source for p in passages], passages=passages),
        latency_ms=900,
        mode="llm",
        message_id="m1",
    )
    return [
        ProgressEvent(step="starting", message="…", **ids),
        SourcesEvent(sources=passages, agent="maintenance", **ids),
        *tokens,
        CompleteEvent(response=text, metadata=metadata, **ids),
        HandoffEvent(status="waiting", message="A person will join", **ids),
    ]


def test_a_replay_gives_back_the_events_as_they_went_out() -> None:
    log = EventLog()
    sent = [log.append(e) for turn in ("t1", "t2") for e in answer(turn, 5)]
    assert log.after(0) == sent
    assert log.after(len(sent) - 3) == sent[-3:]  # within a turn, its end included


def test_a_kept_turn_costs_a_few_kib_however_many_tokens_repeated_the_answer() -> None:
    """An ended session is kept minutes for `resume`: what it keeps is what a server holds
    per session seen lately. Two hundred token events each carry the answer so far."""
    events = answer("t1", 200)
    log = EventLog()
    tracemalloc.start()
    try:
        for e in events:
            log.append(e)
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 8 * 1024, kept
    assert [e.seq for e in log.after(0)] == list(range(1, len(events) + 1))
