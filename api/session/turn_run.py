"""One run of a turn, in a task of its own, carrying out what its supervision decides.

A run waits for its place in the admission queue, streams the turn's outcomes through its
outbox (tokens merged by its coalescer), renews the session's lease while it runs, and is ended
by the first of: its answer, its client's cancel, its watchdog, a shutdown (handing it over to
another instance), a crash, or another instance's takeover (its fence refused). The registry
that starts it (`api.session.channels.ChannelRegistry`) is its `TurnHost`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from api.live.leases import RENEW_EVERY_S, TurnLeases
from api.live.pubsub import Fence, LiveState
from api.live.takeover import RunningTurn, TurnRecords
from api.protocol import (
    CancelledEvent,
    ErrorCode,
    ErrorEvent,
    ProgressEvent,
    ServerEventBase,
    TokenEvent,
)
from api.session.channel import SessionChannel
from api.session.coalesce import FrameBudget, TokenCoalescer
from api.session.outbox import Outbox
from api.session.supervisor import Ending, TurnSupervision
from api.session.turn_events import TurnTranslator
from api.session.turn_queue import Ticket
from orchestrator.events import Progress
from orchestrator.models import MessageStatus
from orchestrator.persistence import Fenced
from orchestrator.turn_stop import Stop
from orchestrator.turns import Completed, Failed, Orchestrator

__all__ = ["TurnHost", "TurnRun"]

log = logging.getLogger(__name__)

# What a customer reads when a turn ends early with an error, by its code.
EARLY_END_MESSAGES = {
    ErrorCode.INTERRUPTED: "The server restarted while answering; please send your message again",
    ErrorCode.TIMEOUT: "The answer could not be finished in time; please send your message again",
    ErrorCode.PROCESSING_ERROR: "Something went wrong while answering; please send your message "
    "again",
}


def early_end(ending: Ending, session_id: str, turn_id: str, partial: str) -> ServerEventBase:
    """The terminal event of a turn stopped before its answer."""
    if ending.code is None:
        return CancelledEvent(partial_response=partial, session_id=session_id, turn_id=turn_id)
    return ErrorEvent(
        code=ending.code,
        error=EARLY_END_MESSAGES[ending.code],
        session_id=session_id,
        turn_id=turn_id,
    )


class TurnHost(Protocol):
    """What a run uses of the process that runs it (`ChannelRegistry`)."""

    orchestrator: Orchestrator
    pubsub: LiveState
    leases: TurnLeases
    turns: TurnRecords
    frames: FrameBudget
    on_turn_start: Callable[[SessionChannel], Awaitable[None]] | None
    on_turn_end: Callable[[SessionChannel, str, ServerEventBase], Awaitable[None]] | None

    async def send(
        self, channel: SessionChannel, event: ServerEventBase, fence: Fence | None = None
    ) -> ServerEventBase: ...

    async def send_many(
        self, channel: SessionChannel, events: list[ServerEventBase], fence: Fence | None = None
    ) -> list[ServerEventBase]: ...

    async def remember_seq(
        self, channel: SessionChannel, last_seq: int, ended_turn: str | None = None
    ) -> None: ...

    def free(self, session_id: str) -> None: ...


class TurnRun:
    """One run of `running` in `channel`: `drive` is its task. Its outbox, token coalescer and
    lease renewal are made when the task first runs (a task cancelled before that has none)."""

    outbox: Outbox
    tokens: TokenCoalescer
    renewing: asyncio.Task[None]

    def __init__(
        self,
        host: TurnHost,
        channel: SessionChannel,
        running: RunningTurn,
        ticket: Ticket,
        profile: dict[str, Any] | None = None,
    ) -> None:
        self.host = host
        self.channel = channel
        self.running = running
        self.ticket = ticket
        self.profile = profile  # the customer's, if admission read it
        self.translator = TurnTranslator(channel.session_id, running.turn_id)
        self.supervision = TurnSupervision(running.turn_id)
        # The run's claim on the turn: what it stores and publishes is refused once another
        # run of the turn has taken it.
        self.fence: Fence = (running.turn_id, running.attempt)

    async def drive(self) -> None:
        """Run the turn once `ticket` lets it; its events go to the channel's subscribers."""
        host, channel, running = self.host, self.channel, self.running
        ticket, supervision, translator = self.ticket, self.supervision, self.translator
        turn_id, text = running.turn_id, running.text
        fence = self.fence
        me = asyncio.current_task()

        def taken_over(stop: bool = True) -> None:
            """Another instance claimed this run (it stalled past its lease): stop, storing
            and sending nothing; that instance runs the turn and ends it."""
            if not supervision.request(Stop.TAKEN_OVER):
                return
            log.warning("turn %s (run %d) was taken over elsewhere: stopping", *fence)
            if stop and me is not None:
                me.cancel()

        outbox = self.outbox = Outbox(
            lambda events: host.send_many(channel, events, fence), taken_over
        )
        saved_seq = -1
        self.renewing = asyncio.create_task(self._keep_lease())
        try:
            await host.turns.record(running)
        except Exception:  # not run again if this instance dies; it still runs here
            log.exception("could not record turn %s", turn_id)

        def queued(position: int) -> None:
            outbox.put(
                ProgressEvent(
                    step="queued",
                    message=f"Many customers are asking right now: you are number {position} "
                    "in line.",
                    position=position,
                    session_id=channel.session_id,
                    turn_id=turn_id,
                )
            )

        watchdog: asyncio.Task[None] | None = None
        tokens = self.tokens = TokenCoalescer(host.frames.floor_s, outbox.put, host.frames)
        try:
            await ticket.wait(queued)  # the turn's timeout starts after this
            watchdog = asyncio.create_task(
                self._watch(asyncio.current_task()), name=f"watchdog-{turn_id}"
            )
            async for outcome in host.orchestrator.stream_turn(
                session_id=channel.session_id,
                customer_id=running.customer_id,
                text=text,
                # its message stored by `api.session.admission.take` before it was taken
                turn_id=turn_id,
                attempt=running.attempt,
                stop=lambda: supervision.stop,
                profile=self.profile,
            ):
                event = translator.translate(outcome)
                if event is None:
                    continue
                if isinstance(event, TokenEvent):
                    ticket.release()  # past its first token: the next turn may start
                    tokens.add(event)
                    continue
                tokens.flush()
                if not isinstance(outcome, Completed | Failed):
                    outbox.put(event)
                    if (
                        host.on_turn_start is not None
                        and isinstance(outcome, Progress)
                        and outcome.step == "starting"
                    ):
                        await host.on_turn_start(channel)
                    continue
                await outbox.drain()
                # Saved before it is sent: a client that saw it may see a restart next.
                saved_seq = await channel.last_seq() + 1
                await host.remember_seq(channel, saved_seq, ended_turn=turn_id)
                # Free before it is sent: a client that saw it may send the next message.
                await self._release()
                if not channel.turn.claim_end(turn_id):
                    return  # the watchdog ended it meanwhile
                published = await host.send(channel, event, fence)
                channel.turn.finish(turn_id)
                if host.on_turn_end is not None:
                    await host.on_turn_end(channel, text, published)
        except Fenced:  # its answer was refused: another run holds the turn
            taken_over(stop=False)
        except asyncio.CancelledError:
            supervision.request(Stop.CANCELLED)  # no other reason given: its client's
            await asyncio.shield(self._stopped())
        except Exception:
            log.exception("turn %s crashed", turn_id)
            supervision.request(Stop.CRASHED)
            await asyncio.shield(self._stopped())
        finally:
            tokens.close()  # its share of the token frames goes to the streams still running
            if watchdog is not None:
                watchdog.cancel()
            ticket.release()
            ending = self._ending()
            if ending is not None and not ending.releases_lease:
                # Taken over: its lease, record and numbering are the other run's.
                channel.turn.finish(turn_id)
                self.renewing.cancel()
                outbox.discard()
            else:
                tokens.flush()
                channel.turn.finish(turn_id)
                await asyncio.shield(self._finished(saved_seq))

    def _ending(self) -> Ending | None:
        return self.supervision.ending(stream_outlives_process=self.host.pubsub.outlives_process)

    async def _stopped(self) -> None:
        """End a turn whose work was stopped, as its supervision says."""
        channel, running = self.channel, self.running
        ending = self._ending()
        assert ending is not None
        if not ending.flush:
            return
        self.tokens.flush()
        if not ending.terminal:
            # What it streamed goes out (and is kept for `resume`); no end: the instance that
            # takes it over runs it again and ends it.
            await self.outbox.drain()
            return
        if ending.stored is not None:
            await self._store_end(*ending.stored)
        event = early_end(ending, channel.session_id, running.turn_id, channel.delivered)
        await self._end_early(event)

    async def _store_end(self, status: MessageStatus, code: str | None) -> None:
        """The turn's end in SQL if its own handler did not store one, within the grace (not
        when another run of it holds the turn)."""
        session_id, running = self.channel.session_id, self.running
        delivered, orchestrator = self.channel.delivered, self.host.orchestrator
        grace_s = orchestrator.services.settings.turn_end_grace_s
        turn_id = running.turn_id
        try:
            async with asyncio.timeout(grace_s):
                await orchestrator.store_end(
                    session_id, turn_id, delivered, status, code, attempt=running.attempt
                )
        except Fenced:
            log.warning("turn %s was taken over elsewhere: its end is stored there", turn_id)
        except Exception:
            log.exception("could not store the end of turn %s", turn_id)

    async def _end_early(self, ending: ServerEventBase) -> None:
        """End a turn that will not answer (cancelled, or crashed) with `ending`, once what it
        sent so far is out and the session is free."""
        channel, turn_id = self.channel, self.running.turn_id
        await self.outbox.drain()
        await self._release()
        if channel.turn.claim_end(turn_id):  # else it has ended already: nothing more goes out
            try:
                await self.host.send(channel, ending)
            except Exception:
                log.exception("could not publish the end of turn %s", turn_id)
        channel.turn.finish(turn_id)

    async def _watch(self, task: asyncio.Task[object] | None) -> None:
        """The turn's last resort: if it has not ended `turn_timeout_s` plus a grace after it
        started (a database that stopped answering, a bug), end it (with TIMEOUT, unless it was
        stopped for another reason already) and stop its work; what it still sends after that
        is not sent."""
        channel, supervision = self.channel, self.supervision
        settings = self.host.orchestrator.services.settings
        await asyncio.sleep(settings.turn_timeout_s + settings.turn_end_grace_s)
        turn_id = supervision.turn_id
        log.error("turn %s has not ended in time: ending it", turn_id)
        supervision.request(Stop.TIMED_OUT)
        ending = self._ending()
        assert ending is not None
        if ending.terminal:
            overdue = early_end(ending, channel.session_id, turn_id, channel.delivered)
            await asyncio.shield(self._end_early(overdue))
        if task is not None:
            task.cancel()

    async def _finished(self, saved_seq: int) -> None:
        """The run's work is over (`saved_seq`: the numbering saved with its answer, -1 when
        none): its lease and record go, or are handed over, and its line moves on."""
        channel = self.channel
        await self.outbox.close()
        turn_id = self.supervision.turn_id
        ending = self._ending()
        if ending is not None and not ending.forgets_record:
            await self._hand_over()
            return
        await self._release()
        try:
            last_seq = await channel.last_seq()
        except Exception:
            log.exception("could not read last_seq of session %s", channel.session_id)
        else:
            # A turn stopped by a shutdown, whose stream goes with this process, stays under
            # way in SQL: the next start sends its end again in its stream
            # (`recovery.close_unfinished`).
            ended = turn_id if ending is None or ending.closes else None
            if last_seq != saved_seq:  # events after the answer, or no answer at all
                await self.host.remember_seq(channel, last_seq, ended_turn=ended)
        if ending is None or ending.closes:  # not at shutdown: another instance moves the line
            self.host.free(channel.session_id)

    async def _hand_over(self) -> None:
        """A shutdown stopped the turn for another instance to run: its record stays, marked
        handed over (a run handed on is not a run lost), its lease goes now (so a survivor
        finds it an orphan at its next scan, not when the lease would lapse), and the
        session's numbering so far is saved."""
        host, channel, running = self.host, self.channel, self.running
        self.renewing.cancel()
        turn_id = running.turn_id
        try:
            await host.turns.record(running.model_copy(update={"handed_over": True}))
            await host.leases.release(channel.session_id, turn_id)
            await host.remember_seq(channel, await channel.last_seq())
        except Exception:  # the lease lapses by itself; the survivor numbers from Redis
            log.exception("could not hand turn %s over", turn_id)
        log.warning("turn %s handed over to another instance", turn_id)

    async def _keep_lease(self) -> None:
        """Renew the session's lease while the turn runs, so other instances answer BUSY."""
        session_id, turn_id = self.channel.session_id, self.running.turn_id
        while True:
            await asyncio.sleep(RENEW_EVERY_S)
            try:
                if not await self.host.leases.renew(session_id, turn_id, time.time()):
                    log.warning("turn %s lost the lease of session %s", turn_id, session_id)
            except Exception:
                log.exception("could not renew the lease of session %s", session_id)

    async def _release(self) -> None:
        """The turn is over: forgotten first (so nobody takes it over), then the lease freed."""
        session_id, turn_id = self.channel.session_id, self.running.turn_id
        self.renewing.cancel()
        try:
            await self.host.turns.forget(session_id, turn_id)
            await self.host.leases.release(session_id, turn_id)
        except Exception:  # it lapses by itself
            log.exception("could not release the lease of session %s", session_id)
