"""A session's turn lifecycle: one turn at a time, cancel once, done whatever happens."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from api.session import TurnLifecycle, TurnPhase, TurnStateError


def test_a_turn_goes_from_queued_to_running_to_done() -> None:
    turn = TurnLifecycle()
    assert not turn.busy
    turn.start("t1", "m1")
    assert (turn.phase, turn.busy) == (TurnPhase.QUEUED, True)
    turn.event()
    assert turn.phase is TurnPhase.RUNNING
    turn.finish()
    assert (turn.phase, turn.busy) == (TurnPhase.DONE, False)


def test_a_second_turn_cannot_start_while_one_runs() -> None:
    turn = TurnLifecycle()
    turn.start("t1", None)
    with pytest.raises(TurnStateError):
        turn.start("t2", None)


def test_the_same_message_id_joins_the_running_turn() -> None:
    turn = TurnLifecycle()
    turn.start("t1", "m1")
    assert turn.joins("m1")
    assert not turn.joins("m2") and not turn.joins(None)
    turn.finish()
    assert not turn.joins("m1")


def test_cancel_stops_the_work_once() -> None:
    turn = TurnLifecycle()
    assert not turn.cancel()  # nothing to cancel
    turn.start("t1", None)
    assert turn.cancel()
    assert turn.phase is TurnPhase.CANCELLING and turn.busy
    assert not turn.cancel()  # asked already
    turn.finish()
    assert not turn.busy


class Lifecycle(RuleBasedStateMachine):
    """Any order of starts, events, cancels and finishes keeps the lifecycle consistent."""

    def __init__(self) -> None:
        super().__init__()
        self.turn = TurnLifecycle()
        self.started = 0

    @precondition(lambda self: not self.turn.busy)
    @rule(message_id=st.sampled_from([None, "m1", "m2"]))
    def start(self, message_id: str | None) -> None:
        self.started += 1
        self.turn.start(f"t{self.started}", message_id)
        assert self.turn.phase is TurnPhase.QUEUED

    @rule()
    def event(self) -> None:
        before = self.turn.phase
        self.turn.event()
        if before is TurnPhase.QUEUED:
            assert self.turn.phase is TurnPhase.RUNNING
        else:
            assert self.turn.phase is before

    @rule()
    def cancel(self) -> None:
        before = self.turn.phase
        stops = self.turn.cancel()
        assert stops == (before in (TurnPhase.QUEUED, TurnPhase.RUNNING))
        if not stops:
            assert self.turn.phase is before

    @rule()
    def finish(self) -> None:
        before = self.turn.phase
        self.turn.finish()
        assert self.turn.phase is (TurnPhase.IDLE if before is TurnPhase.IDLE else TurnPhase.DONE)

    @precondition(lambda self: self.turn.busy)
    @rule()
    def no_second_turn(self) -> None:
        with pytest.raises(TurnStateError):
            self.turn.start("other", None)

    @invariant()
    def busy_means_a_turn(self) -> None:
        assert self.turn.busy == (self.turn.phase in (
            TurnPhase.QUEUED, TurnPhase.RUNNING, TurnPhase.CANCELLING
        ))  # fmt: skip
        if self.turn.busy:
            assert self.turn.turn_id == f"t{self.started}"


Lifecycle.TestCase.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
test_any_order_of_events_keeps_the_lifecycle_consistent = Lifecycle.TestCase


def test_the_end_of_an_earlier_turns_work_leaves_the_next_turn_running() -> None:
    """Turn 1 answered, turn 2 started, then turn 1's task ended: turn 2 is still busy."""
    turn = TurnLifecycle()
    turn.start("t1", None)
    turn.finish("t1")
    turn.start("t2", None)
    turn.finish("t1")
    assert turn.busy and turn.turn_id == "t2"
    turn.finish("t2")
    assert not turn.busy
