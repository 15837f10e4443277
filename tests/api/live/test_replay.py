"""A session's numbered events: one seq after another, the last two turns kept for resume."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.live import EventLog
from api.protocol import ProgressEvent, ServerEventBase


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
