"""This process's live sessions: their channels, one running turn each, forgotten when idle.

The registry finds a session's channel, cancels its turn wherever it runs, says which turn runs
where, and starts a turn: its run (`api.session.turn_run.TurnRun`) goes on in a task of its
own, so it finishes and is saved when the client disconnects; every connection attached to the
session receives its events, and `resume` replays what was missed. The turns another process
left are recovered in `api.session.recovery`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from api.live.leases import MemoryLeases, TurnLeases
from api.live.pubsub import Fence, LiveState, PubSub, session_topic
from api.live.takeover import NoTakeover, RunningTurn, TurnRecords
from api.protocol import ServerEventBase
from api.session.channel import SessionChannel
from api.session.coalesce import FrameBudget
from api.session.supervisor import IdleSweep, shutdown_stop
from api.session.turn_log import TurnLog
from api.session.turn_queue import Ticket, TurnQueue, default_slots
from api.session.turn_run import TurnRun
from orchestrator.turns import Orchestrator

log = logging.getLogger(__name__)

CANCEL = "cancel"  # control message: cancel the session's turn if it runs here


@dataclass
class ChannelRegistry:
    """The live channels of this process."""

    orchestrator: Orchestrator
    pubsub: LiveState = field(default_factory=PubSub)
    on_event: Callable[[str, ServerEventBase], None] = lambda session_id, event: None
    on_turn_start: Callable[[SessionChannel], Awaitable[None]] | None = None
    on_turn_end: Callable[[SessionChannel, str, ServerEventBase], Awaitable[None]] | None = None
    # The session is free again after a turn that ended here: the next message in its line
    # starts (`api.session.line.start_next`).
    on_free: Callable[[str], Coroutine[Any, Any, object]] | None = None
    channels: dict[str, SessionChannel] = field(default_factory=dict)
    leases: TurnLeases = field(default_factory=MemoryLeases)
    turns: TurnRecords = field(default_factory=NoTakeover)
    queue: TurnQueue = field(default_factory=lambda: TurnQueue(default_slots(), 120.0))
    # A channel idle this long, that no connection here follows, is dropped with what the live
    # state keeps of it here: memory follows the sessions in use, not every session seen.
    idle_after_s: float = 300.0
    clock: Callable[[], float] = time.monotonic
    sweeping: IdleSweep = field(init=False, repr=False)
    # The token frames of every turn here (no coalescing unless configured).
    frames: FrameBudget = field(default_factory=lambda: FrameBudget(0.0, 0.0))
    # One line in the service log for each turn that ends here.
    turn_log: TurnLog = field(default_factory=TurnLog)

    def __post_init__(self) -> None:
        self._moving: set[asyncio.Task[object]] = set()
        self._stopping = False  # draining: no line moves on here any more
        self.pubsub.on_control(self._on_control)
        self.sweeping = IdleSweep(self.idle_after_s)

    async def channel(self, session_id: str, last_seq: int | None = None) -> SessionChannel:
        """The session's channel here, made if new; its numbering goes on from `last_seq` (the
        conversation's, read from SQL when not given)."""
        now = self.clock()
        if self.sweeping.due(now):
            self.sweep(now)
        channel = self.channels.get(session_id)
        if channel is None:
            if last_seq is None:
                last_seq = await self.orchestrator.services.db.last_seq(session_id)
            await self.pubsub.keep_numbered(session_topic(session_id), last_seq)
            channel = self.channels.setdefault(session_id, SessionChannel(session_id, self.pubsub))
        channel.used = self.clock()
        return channel

    def sweep(self, now: float) -> int:
        """Drop the idle channels nobody here follows; how many were dropped."""
        uses = [(session_id, channel.use) for session_id, channel in self.channels.items()]
        idle = [
            session_id
            for session_id in self.sweeping.sweep(now, uses)
            if self.pubsub.forget(session_topic(session_id))
        ]
        for session_id in idle:
            del self.channels[session_id]
        return len(idle)

    async def sweep_idle(self) -> None:
        """Sweep whenever one is due, whether or not a session arrives; runs for good."""
        while True:
            await asyncio.sleep(max(0.0, self.sweeping.next_at - self.clock()))
            now = self.clock()
            if self.sweeping.due(now):  # else a session's arrival swept meanwhile
                try:
                    self.sweep(now)
                except Exception:
                    log.exception("could not sweep the idle sessions")

    def running_here(self, session_id: str) -> str | None:
        """The turn running in the session in this process, if any."""
        channel = self.channels.get(session_id)
        return channel.turn_id if channel is not None and channel.busy else None

    async def running(self, session_id: str) -> str | None:
        """The turn running in the session, here or on another instance."""
        return self.running_here(session_id) or await self.leases.holder(session_id, time.time())

    async def runs(self, session_id: str, client_message_id: str | None) -> bool:
        """Whether the turn recorded as running in the session (on any instance) answers
        this client message id: a resend of it follows that turn."""
        if not client_message_id:
            return False
        running = await self.turns.running(session_id)
        return running is not None and running.client_message_id == client_message_id

    async def cancel(self, session_id: str) -> None:
        """Cancel the session's running turn, wherever it runs."""
        channel = self.channels.get(session_id)
        if channel is not None and channel.cancel():
            return
        if await self.leases.holder(session_id, time.time()) is not None:
            await self.pubsub.send_control(f"{CANCEL} {session_id}")

    def _on_control(self, message: str) -> None:
        verb, _, session_id = message.partition(" ")
        channel = self.channels.get(session_id)
        if verb == CANCEL and channel is not None:
            channel.cancel()

    def start_turn(
        self,
        channel: SessionChannel,
        *,
        customer_id: str,
        author_id: str,
        text: str,
        turn_id: str,
        client_message_id: str | None,
        ticket: Ticket,
        profile: dict[str, Any] | None = None,
    ) -> None:
        """Run a turn in the background once `ticket` lets it; its events go to the
        channel's subscribers. `profile`: the customer's, if admission read it."""
        running = RunningTurn(
            session_id=channel.session_id,
            turn_id=turn_id,
            customer_id=customer_id,
            author_id=author_id,
            text=text,
            client_message_id=client_message_id,
        )
        self.start_run(channel, running, ticket, profile)

    def start_run(
        self,
        channel: SessionChannel,
        running: RunningTurn,
        ticket: Ticket,
        profile: dict[str, Any] | None = None,
    ) -> None:
        """Run `running` (a new turn, or the next run of one taken over) in the channel, in
        a task of its own (`TurnRun`)."""
        turn_id = running.turn_id
        channel.turn.start(turn_id, running.client_message_id)
        run = TurnRun(self, channel, running, ticket, profile)
        channel.translator, channel.supervision = run.translator, run.supervision
        channel.task = asyncio.create_task(run.drive(), name=f"turn-{turn_id}")
        channel.task.add_done_callback(lambda _: ticket.finish())
        # Even a task cancelled before it ran (so before its own `finally`) ends its turn.
        channel.task.add_done_callback(lambda _: channel.turn.finish(turn_id))
        channel.task.add_done_callback(lambda _: setattr(channel, "used", self.clock()))
        channel.task.add_done_callback(channel.ended)

    async def send(
        self, channel: SessionChannel, event: ServerEventBase, fence: Fence | None = None
    ) -> ServerEventBase:
        """Publish `event` in the channel (see `send_many`)."""
        return (await self.send_many(channel, [event], fence))[0]

    async def send_many(
        self, channel: SessionChannel, events: list[ServerEventBase], fence: Fence | None = None
    ) -> list[ServerEventBase]:
        """Publish a turn's events in the channel (refused once `fence` is another run's),
        counted and logged for the operator; the events as numbered."""
        published = await self.pubsub.publish_many(channel.topic, events, fence)
        channel.turn.event()
        for event in published:
            self.on_event(channel.session_id, event)
            self.turn_log(channel.session_id, event, channel.end_cause)
        return published

    def free(self, session_id: str) -> None:
        """The session is free: its line moves on, in a task of its own (the turn that ended
        is done)."""
        if self.on_free is None or self._stopping:
            return
        moving = asyncio.create_task(self.on_free(session_id), name=f"line-{session_id}")
        self._moving.add(moving)
        moving.add_done_callback(self._moved)

    def _moved(self, task: asyncio.Task[object]) -> None:
        self._moving.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not move the line", exc_info=task.exception())

    async def remember_seq(
        self, channel: SessionChannel, last_seq: int, ended_turn: str | None = None
    ) -> None:
        """Save the session's numbering so far (so it continues after a restart), and with
        `ended_turn` that this turn is no longer under way."""
        grace_s = self.orchestrator.services.settings.turn_end_grace_s
        try:
            async with asyncio.timeout(grace_s):  # the event goes out even if SQL hangs
                await self.orchestrator.services.db.set_last_seq(
                    channel.session_id, last_seq, ended_turn
                )
        except Exception:
            log.exception("could not save last_seq of session %s", channel.session_id)

    async def settle(self, timeout_s: float) -> None:
        """Wait, at most `timeout_s`, until no turn runs here (turns that start meanwhile are
        waited for too); nothing is cancelled."""
        try:
            async with asyncio.timeout(timeout_s):
                while running := self._running():
                    await asyncio.wait(running)
        except TimeoutError:
            return

    async def _stop_moving(self) -> None:
        """No line moves on here any more: the moves under way are cancelled and awaited, so
        none is left pending when the loop closes (the lines stay in SQL, for the next start or
        another instance's sweep)."""
        self._stopping = True
        moving = list(self._moving)
        for task in moving:
            task.cancel()
        if moving:
            await asyncio.wait(moving, timeout=10)

    def _running(self) -> list[asyncio.Task[None]]:
        return [c.task for c in self._running_channels() if c.task is not None]

    def _running_channels(self) -> list[SessionChannel]:
        return [
            c for c in self.channels.values() if c.busy and c.task is not None and not c.task.done()
        ]

    async def drain(self, grace_s: float) -> None:
        """Let running turns finish for `grace_s`, then stop the rest: handed over to another
        instance when the live state is shared, else saved as INTERRUPTED."""
        await self.settle(grace_s)
        await self._stop_moving()
        # With turns recorded where every instance sees them, another instance runs what is
        # left again (`recovery.rescue_orphans`); alone, they end INTERRUPTED.
        survivors = self.pubsub.outlives_process and not isinstance(self.turns, NoTakeover)
        stop = shutdown_stop(shared=survivors)
        pending = self._running_channels()
        for channel in pending:
            channel.stop(stop)
        if pending:
            await asyncio.wait([c.task for c in pending if c.task is not None], timeout=10)
