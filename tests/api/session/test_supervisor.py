"""A turn's supervision: one reason to stop, and an end that stores what it sends, never I/O."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.live.takeover import RunningTurn
from api.protocol import ErrorCode
from api.session.supervisor import (
    ChannelUse,
    IdleSweep,
    Rescue,
    Stop,
    TurnSupervision,
    after_fence,
    next_run,
    rescue_here,
    shutdown_stop,
)
from orchestrator.models import MessageStatus

ELSEWHERE = {Stop.HANDED_OVER, Stop.TAKEN_OVER}  # another run of the turn ends it


def test_a_turn_nobody_stopped_has_no_early_end() -> None:
    assert TurnSupervision("t1").ending(stream_outlives_process=True) is None


def test_the_first_reason_is_the_turns() -> None:
    supervision = TurnSupervision("t1")
    assert supervision.request(Stop.INTERRUPTED)
    assert not supervision.request(Stop.CANCELLED)  # its client's cancel came too late
    assert not supervision.request(Stop.TIMED_OUT)
    assert supervision.stop is Stop.INTERRUPTED


def test_a_takeover_overrides_any_reason_since_this_run_may_store_nothing() -> None:
    supervision = TurnSupervision("t1")
    supervision.request(Stop.CANCELLED)
    assert supervision.request(Stop.TAKEN_OVER)
    assert not supervision.request(Stop.TAKEN_OVER)
    ending = supervision.ending(stream_outlives_process=True)
    assert ending is not None
    assert ending.stored is None and not ending.terminal and not ending.flush
    assert not ending.releases_lease and not ending.forgets_record


def test_a_turn_handed_over_at_shutdown_streams_what_it_has_and_leaves_its_record() -> None:
    supervision = TurnSupervision("t1")
    supervision.request(shutdown_stop(shared=True))
    ending = supervision.ending(stream_outlives_process=True)
    assert ending is not None and ending.stop is Stop.HANDED_OVER
    assert ending.flush and ending.releases_lease  # a survivor finds it at its next scan
    assert not ending.forgets_record and not ending.terminal and ending.stored is None


def test_a_turn_stopped_by_a_shutdown_alone_stays_under_way_if_its_stream_dies_too() -> None:
    supervision = TurnSupervision("t1")
    supervision.request(shutdown_stop(shared=False))
    alone = supervision.ending(stream_outlives_process=False)
    shared_stream = supervision.ending(stream_outlives_process=True)
    assert alone is not None and shared_stream is not None
    assert alone.code is ErrorCode.INTERRUPTED and alone.stored == (
        MessageStatus.failed,
        "INTERRUPTED",
    )
    assert not alone.closes  # the next start sends its end again, in its stream
    assert shared_stream.closes


@given(st.lists(st.sampled_from(list(Stop)), max_size=6), st.booleans())
def test_every_stop_ends_the_turn_once_as_its_reason_says(
    requests: list[Stop], outlives: bool
) -> None:
    supervision = TurnSupervision("t1")
    changes = [supervision.request(stop) for stop in requests]
    ending = supervision.ending(stream_outlives_process=outlives)
    if not requests:
        assert ending is None
        return
    # The reason is the first asked, or a takeover asked at any point.
    expected = Stop.TAKEN_OVER if Stop.TAKEN_OVER in requests else requests[0]
    assert supervision.stop is expected
    assert changes[0] and sum(changes) == 1 + (
        Stop.TAKEN_OVER in requests and requests[0] is not Stop.TAKEN_OVER
    )
    assert ending is not None and ending.stop is expected
    # A turn another run ends sends and stores nothing here; any other sends one terminal
    # event and stores the same end: cancelled without a code, else failed with its code.
    assert ending.terminal is (expected not in ELSEWHERE)
    if not ending.terminal:
        assert ending.stored is None and not ending.forgets_record and not ending.closes
        return
    assert ending.stored is not None and ending.forgets_record and ending.releases_lease
    status, code = ending.stored
    if ending.code is None:
        assert status is MessageStatus.cancelled and code is None
    else:
        assert status is MessageStatus.failed and code == ending.code.value
    assert ending.closes is (outlives or expected is not Stop.INTERRUPTED)


def _recorded(**update: object) -> RunningTurn:
    turn = RunningTurn(session_id="s1", turn_id="t1", customer_id="c", author_id="c", text="hi")
    return turn.model_copy(update=update)


def test_a_survivor_leaves_a_turn_that_runs_here_or_was_followed_by_a_newer_one() -> None:
    assert rescue_here("t1", "t1") is Rescue.TAKE_BACK  # a late renewal, not a death
    assert rescue_here("t2", "t1") is Rescue.FORGET
    assert rescue_here(None, "t1") is None


def test_a_turn_lost_with_its_instance_runs_again_once() -> None:
    second = next_run(_recorded())
    assert second is not None and second.attempt == 2 and second.lost == 1
    assert next_run(second) is None  # lost twice: it is not retried for ever


def test_a_turn_handed_over_at_each_shutdown_of_a_rolling_restart_keeps_running() -> None:
    run = _recorded()
    for attempt in range(2, 6):  # every instance restarted in turn, mid-answer
        handed = next_run(run.model_copy(update={"handed_over": True}))
        assert handed is not None and handed.attempt == attempt and handed.lost == 0
        assert not handed.handed_over
        run = handed
    lost = next_run(run)  # then its instance dies: one more run, as for any turn
    assert lost is not None and lost.lost == 1


@given(st.booleans(), st.booleans())
def test_a_stored_answer_ends_a_rescued_turn_whatever_the_fence_says(
    taken: bool, answered: bool
) -> None:
    decision = after_fence(taken=taken, answered=answered)
    if answered:
        assert decision is Rescue.SEND_ANSWER
    else:
        assert decision is (Rescue.RUN_AGAIN if taken else Rescue.GIVE_UP)


def test_a_session_is_forgotten_once_idle_for_the_resume_window_and_not_before() -> None:
    sweep = IdleSweep(idle_after_s=60)
    channels = [
        ("recent", ChannelUse(working=False, used=1000.0)),
        ("idle", ChannelUse(working=False, used=941.0)),
        ("running", ChannelUse(working=True, used=0.0)),  # a long turn: never idle
    ]
    assert sweep.sweep(1000.5, channels) == []
    assert sweep.sweep(1001.0, channels) == ["idle"]
    assert sweep.sweep(1060.0, channels) == ["recent", "idle"]


def test_sweeps_come_every_quarter_of_the_window_from_the_last_one() -> None:
    sweep = IdleSweep(idle_after_s=60)
    assert sweep.due(0.0)  # the first at once
    sweep.sweep(100.0, [])
    assert sweep.every_s == 15 and sweep.next_at == 115
    assert not sweep.due(114.9) and sweep.due(115.0)


# One step of the clock, then whether the session was used at that moment (a message, a resume)
# and whether a turn of it is under way.
STEPS = st.lists(st.tuples(st.floats(0, 40), st.booleans(), st.booleans()), max_size=60)


@given(STEPS, st.sampled_from([1.0, 20.0, 60.0, 300.0]))
def test_on_its_timer_an_idle_session_goes_within_a_quarter_window_after_its_window(
    steps: list[tuple[float, bool, bool]], window: float
) -> None:
    """The adapter sweeps whenever `next_at` comes (its timer), with nothing arriving: a
    session is never forgotten while in use or within its window, one idle past its window is
    forgotten at the next sweep, and sweeps come `every_s` apart, so none is kept longer than
    `window + every_s` after its last use."""
    sweep = IdleSweep(idle_after_s=window)
    now, used, working, kept = 0.0, 0.0, False, True
    last_sweep: float | None = None
    for advance, use, busy in steps:
        target = now + advance * window / 10
        while sweep.next_at <= target:  # the timer fires, in order, up to the target time
            at = max(now, sweep.next_at)
            assert last_sweep is None or at - last_sweep <= sweep.every_s + 1e-9
            forgotten = sweep.sweep(at, [("s", ChannelUse(working=working, used=used))])
            if forgotten:
                assert not working and at - used >= window
                kept = False
            elif kept:
                assert working or at - used < window
            now = last_sweep = at
        now = target
        if use or busy or working:  # used now, or its turn ended now (a new one made anew)
            used, kept = now, True
        working = busy
