"""A session's channel: its turn's state, cancel, and what a resuming client is sent."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import AsyncIterator
from types import SimpleNamespace

from api.live import ratelimit
from api.live.pubsub import PubSub, Subscriber, session_topic
from api.live.ratelimit import SlidingWindow
from api.protocol import ProgressEvent, ServerEventBase, SessionEvent, TokenEvent
from api.session import TurnPhase
from api.session.channel import SessionChannel
from api.session.channels import ChannelRegistry
from api.session.turn_queue import Ticket, TurnQueue
from orchestrator.events import Progress
from orchestrator.turn_metadata import TurnMetadata
from orchestrator.turns import Completed


async def channel() -> SessionChannel:
    pubsub = PubSub()
    await pubsub.keep_numbered(session_topic("s1"), 5)
    return SessionChannel("s1", pubsub)


def event() -> ProgressEvent:
    return ProgressEvent(step="starting", message="…", session_id="s1", turn_id="t1")


async def test_resume_sends_the_missed_events_then_the_session_marker() -> None:
    live = await channel()
    live.turn.start("t1", "m1")
    for _ in range(3):
        await live.publish(event())
    *missed, marker = await live.resume(after_seq=6)
    assert [e.seq for e in missed] == [7, 8]
    assert isinstance(marker, SessionEvent)
    assert (marker.last_seq, marker.turn_id, marker.created) == (8, "t1", False)
    live.turn.finish()
    assert (await live.resume(after_seq=8))[-1].turn_id is None  # type: ignore[attr-defined]


async def test_the_marker_names_a_turn_running_on_another_instance() -> None:
    live = await channel()
    marker = (await live.resume(after_seq=5, running="t9"))[-1]
    assert isinstance(marker, SessionEvent) and marker.turn_id == "t9"


async def test_subscribers_receive_the_numbered_events() -> None:
    live = await channel()
    subscriber = Subscriber()
    await live.subscribe(subscriber)
    await live.publish(event())
    assert subscriber.queue.get_nowait().seq == 6  # type: ignore[attr-defined]
    await live.unsubscribe(subscriber)
    await live.publish(event())
    assert subscriber.queue.empty()


async def test_cancel_stops_the_running_task_once() -> None:
    live = await channel()
    live.turn.start("t1", None)
    live.task = asyncio.create_task(asyncio.sleep(60))
    assert live.busy
    assert live.cancel()
    assert live.turn.phase is TurnPhase.CANCELLING and live.busy
    assert not live.cancel()
    await asyncio.sleep(0)
    assert live.task.cancelled()
    live.turn.finish()
    assert not live.busy and not live.cancel()


async def test_a_turn_whose_task_never_ran_is_not_left_busy() -> None:
    """Cancelled before its task first ran (a shutdown, say), the turn still ends."""
    registry = ChannelRegistry(orchestrator=None)  # type: ignore[arg-type]  # never reached
    live = await channel()
    registry.start_turn(
        live, customer_id="c", author_id="c", text="hi", turn_id="t1", client_message_id=None,
        ticket=place(registry),
    )  # fmt: skip
    task = live.task
    assert task is not None and live.busy and live.cancel()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert task.cancelled()
    assert not live.busy
    assert live.task is None and live.translator is None  # nothing of the ended turn kept


async def test_a_drain_ends_the_line_moves_under_way_and_starts_no_more() -> None:
    """A line move left pending when the loop closes is destroyed later, in whatever runs
    then: the drain cancels and awaits the moves under way, and a session freed after it
    moves nothing (its line stays in SQL for the next start)."""
    moving, ended = asyncio.Event(), []

    async def move(session_id: str) -> None:
        moving.set()
        try:
            await asyncio.sleep(60)
        finally:
            ended.append(session_id)

    registry = ChannelRegistry(orchestrator=None, on_free=move)  # type: ignore[arg-type]  # never reached
    registry.free("s1")
    await moving.wait()
    await registry.drain(grace_s=0.1)
    assert ended == ["s1"]
    moving.clear()
    registry.free("s2")
    await asyncio.sleep(0)
    assert not moving.is_set() and ended == ["s1"]


async def watched_turn(registry: ChannelRegistry) -> tuple[SessionChannel, Subscriber]:
    """Turn t1 started in session s1, and a subscriber that receives its events."""
    live = await registry.channel("s1")
    watcher = Subscriber()
    await live.subscribe(watcher)
    registry.start_turn(
        live, customer_id="c", author_id="c", text="hi", turn_id="t1", client_message_id=None,
        ticket=place(registry),
    )  # fmt: skip
    return live, watcher


def place(registry: ChannelRegistry) -> Ticket:
    """A place in the registry's admission queue, as admission would have taken."""
    ticket = registry.queue.reserve()
    assert isinstance(ticket, Ticket)
    return ticket


class _Seqs:
    """The part of the database a channel registry uses: each session's last seq."""

    def __init__(self) -> None:
        self.saved: dict[str, int] = {}

    async def last_seq(self, session_id: str) -> int:
        return self.saved.get(session_id, 0)

    async def set_last_seq(
        self, session_id: str, value: int, ended_turn: str | None = None
    ) -> None:
        self.saved[session_id] = max(value, self.saved.get(session_id, 0))


class _CrashingOrchestrator:
    """A turn whose work raises something no failure classification expected."""

    def __init__(self) -> None:
        self.services = SimpleNamespace(settings=SETTINGS, db=_Seqs())
        self.ends: list[tuple[str, str, str | None]] = []  # stored: turn, status, code

    async def store_end(
        self,
        session_id: str,
        turn_id: str,
        delivered: str,
        status: str,
        code: str | None,
        **_: object,
    ) -> None:
        if not any(end[0] == turn_id for end in self.ends):
            self.ends.append((turn_id, str(status), code))

    async def stream_turn(self, **_: object) -> AsyncIterator[object]:
        yield Progress("starting", "Working on your question…")
        raise RuntimeError("an unexpected bug")


SETTINGS = SimpleNamespace(turn_timeout_s=0.2, turn_end_grace_s=0.1)


class _StuckOrchestrator(_CrashingOrchestrator):
    """A turn stuck past its timeout (a database that stopped answering, say): it cannot be
    cancelled out of its wait, and answers once the wait is over."""

    def __init__(self) -> None:
        super().__init__()
        self.unstuck = asyncio.Event()
        self.stopped = False

    async def stream_turn(self, **_: object) -> AsyncIterator[object]:
        yield Progress("starting", "Working on your question…")
        try:
            await asyncio.shield(self.unstuck.wait())
        except asyncio.CancelledError:
            self.stopped = True
            await asyncio.shield(self.unstuck.wait())  # as a save that still hangs
            raise
        yield Completed("late", TurnMetadata(), "m1")


def published(watcher: Subscriber) -> list[object]:
    got = []
    while not watcher.queue.empty():
        got.append(watcher.queue.get_nowait())
    return got


async def test_a_stuck_turn_is_ended_by_the_watchdog_with_one_timeout() -> None:
    orchestrator = _StuckOrchestrator()
    registry = ChannelRegistry(orchestrator=orchestrator)  # type: ignore[arg-type]
    live, watcher = await watched_turn(registry)
    await asyncio.sleep(SETTINGS.turn_timeout_s + SETTINGS.turn_end_grace_s + 0.2)
    got = published(watcher)
    assert [e.type for e in got] == ["progress", "error"]  # type: ignore[attr-defined]
    assert got[-1].code == "TIMEOUT" and got[-1].turn_id == "t1"  # type: ignore[attr-defined]
    assert not live.busy and orchestrator.stopped  # the session is free; its work was stopped
    assert await registry.leases.acquire("s1", "t2", time.time()) is None

    orchestrator.unstuck.set()  # the wait ends at last: nothing more of the turn goes out
    await asyncio.wait_for(asyncio.gather(live.task, return_exceptions=True), 5)  # type: ignore[arg-type]
    assert published(watcher) == []
    assert orchestrator.ends == [("t1", "failed", "TIMEOUT")]  # stored as what was sent


async def test_a_turn_that_crashes_still_ends_with_one_error_and_frees_the_session() -> None:
    registry = ChannelRegistry(orchestrator=_CrashingOrchestrator())  # type: ignore[arg-type]
    live, watcher = await watched_turn(registry)
    assert live.task is not None
    await live.task
    got = []
    while not watcher.queue.empty():
        got.append(watcher.queue.get_nowait())
    assert [e.type for e in got] == ["progress", "error"]  # type: ignore[attr-defined]
    assert got[-1].code == "PROCESSING_ERROR" and got[-1].turn_id == "t1"  # type: ignore[attr-defined]
    assert registry.orchestrator.ends == [("t1", "failed", "PROCESSING_ERROR")]  # type: ignore[attr-defined]
    assert not live.busy
    assert registry.frames.streams == 0  # its share of the token frames went with it
    assert await registry.leases.acquire("s1", "t2", time.time()) is None  # the lease went too


async def test_a_turn_cancelled_while_it_waits_in_line_ends_once_and_is_stored() -> None:
    """Found by the socket fuzz: a cancel that lands before the turn's own work began (in
    line, say) sent `cancelled` but stored no end for the message."""
    orchestrator = _CrashingOrchestrator()
    registry = ChannelRegistry(orchestrator=orchestrator)  # type: ignore[arg-type]
    registry.queue = TurnQueue(slots=1, max_wait_s=120)
    busy = registry.queue.reserve()  # the only slot is taken: the turn waits in line
    assert isinstance(busy, Ticket)
    live, watcher = await watched_turn(registry)
    await asyncio.sleep(0.05)
    assert live.cancel()
    await asyncio.wait_for(asyncio.gather(live.task, return_exceptions=True), 5)  # type: ignore[arg-type]
    kinds = [e.type for e in published(watcher)]  # type: ignore[attr-defined]
    assert kinds[-1] == "cancelled" and kinds.count("cancelled") == 1
    assert orchestrator.ends == [("t1", "cancelled", None)]
    assert not live.busy
    assert registry.frames.streams == 0


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _answer(session_id: str, turn_id: str, words: int) -> list[ServerEventBase]:
    """A turn's worth of events, as a short answer publishes them."""
    tokens = [
        TokenEvent(token=f"w{i} ", session_id=session_id, turn_id=turn_id) for i in range(words)
    ]
    return [
        ProgressEvent(step="starting", message="…", session_id=session_id, turn_id=turn_id),
        *tokens,
    ]


async def test_an_idle_session_nobody_follows_is_forgotten_and_its_numbering_goes_on() -> None:
    clock = _Clock()
    orchestrator = _CrashingOrchestrator()
    registry = ChannelRegistry(orchestrator=orchestrator, clock=clock, idle_after_s=60)  # type: ignore[arg-type]
    pubsub = registry.pubsub
    followed, idle, working = [await registry.channel(s) for s in ("s1", "s2", "s3")]
    await followed.subscribe(Subscriber())
    for live in (followed, idle, working):
        for e in _answer(live.session_id, "t1", 3):
            await live.publish(e)
    working.turn.start("t2", None)  # still running
    orchestrator.services.db.saved["s2"] = await idle.last_seq()  # saved at turn end

    clock.now += 59
    assert registry.sweep(clock.now) == 0  # not idle long enough
    clock.now += 1
    assert registry.sweep(clock.now) == 1
    assert set(registry.channels) == {"s1", "s3"}
    assert await pubsub.replay(idle.topic, 0) == []  # its kept events went with it

    again = await registry.channel("s2")  # the client is back: numbering goes on from SQL
    assert again is not idle
    [marker] = await again.resume(after_seq=2)  # the marker alone, its last_seq above 2:
    assert isinstance(marker, SessionEvent) and marker.last_seq == 4  # the client reloads
    assert (await again.publish(_answer("s2", "t2", 1)[0])).seq == 5


async def test_ten_thousand_short_sessions_leave_memory_where_the_live_ones_put_it() -> None:
    """Memory follows the sessions in use, not every session seen: the same after 10,000
    sessions as after 2,000, one a second, each answered and left."""
    clock = _Clock()
    registry = ChannelRegistry(orchestrator=_CrashingOrchestrator(), clock=clock, idle_after_s=60)  # type: ignore[arg-type]
    limiter = SlidingWindow(limit=20, window_s=60)
    pubsub = registry.pubsub
    assert isinstance(pubsub, PubSub)

    async def session(n: int) -> None:
        clock.now += 1
        assert await limiter.check(users[n], clock.now) is None
        live = await registry.channel(f"s-{n}")
        for e in _answer(live.session_id, "t1", 40):
            await live.publish(e)

    def held() -> int:
        """What is traced right after a sweep (between sweeps it rises and falls by the
        sessions of one period), less the rate limiter's users (bounded on their own, below:
        they rise and are pruned in a saw-tooth as large as what the sessions hold)."""
        registry.sweep(clock.now)
        limiter_users = tracemalloc.Filter(False, ratelimit.__file__)
        snapshot = tracemalloc.take_snapshot().filter_traces([limiter_users])
        return sum(stat.size for stat in snapshot.statistics("filename"))

    users = [f"user-{n}" for n in range(10_000)]  # made before tracing: the limiter's keys
    tracemalloc.start()
    try:
        for n in range(2_000):
            await session(n)
        warm = held()
        for n in range(2_000, 10_000):
            await session(n)
        after = held()
    finally:
        tracemalloc.stop()
    live_sessions = 60 + 15  # idle for a minute, swept every quarter minute
    assert len(registry.channels) <= live_sessions
    assert len(pubsub._logs) <= live_sessions
    assert len(limiter._hits) <= 2 * 1024
    assert after < warm * 1.1, (warm, after)
