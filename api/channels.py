"""Live sessions: one running turn each, numbered events, and the connections watching.

A turn runs in its own task, so it finishes and is saved when the client disconnects; every
connection attached to the session receives its events, and `resume` replays what was missed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from api.coalesce import TokenCoalescer
from api.leases import RENEW_EVERY_S, MemoryLeases, TurnLeases
from api.protocol import CancelledEvent, ServerEventBase, SessionEvent, TokenEvent
from api.pubsub import LiveState, PubSub, Subscriber, session_topic
from api.session.turn import TurnLifecycle
from api.turn_events import TurnTranslator
from orchestrator.events import Progress
from orchestrator.turns import Completed, Failed, Orchestrator

log = logging.getLogger(__name__)


@dataclass(eq=False)
class SessionChannel:
    """A session's running turn; its events go out through the pub/sub topic."""

    session_id: str
    pubsub: LiveState
    task: asyncio.Task[None] | None = None
    translator: TurnTranslator | None = None
    # Done once the turn's last event is out; its task may still be saving and notifying.
    turn: TurnLifecycle = field(default_factory=TurnLifecycle)

    @property
    def topic(self) -> str:
        return session_topic(self.session_id)

    @property
    def busy(self) -> bool:
        return self.turn.busy

    @property
    def turn_id(self) -> str | None:
        return self.turn.turn_id

    @property
    def client_message_id(self) -> str | None:
        return self.turn.client_message_id

    @property
    def last_seq(self) -> int:
        return self.pubsub.last_seq(self.topic)

    def subscribe(self, subscriber: Subscriber) -> None:
        self.pubsub.subscribe(self.topic, subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.pubsub.unsubscribe(self.topic, subscriber)

    def publish(self, event: ServerEventBase) -> ServerEventBase:
        """Number the event, keep it for replay, and hand it to every subscriber."""
        return self.pubsub.publish(self.topic, event)

    def replay(self, after_seq: int) -> list[ServerEventBase]:
        return self.pubsub.replay(self.topic, after_seq)

    def cancel(self) -> bool:
        if self.turn.cancel() and self.task is not None:
            self.task.cancel()
            return True
        return False

    def resume(self, after_seq: int) -> list[ServerEventBase]:
        """What a client that saw events up to `after_seq` gets: the kept events after it, then
        the `session` marker (with the running turn, if any) that ends the replay."""
        marker = SessionEvent(
            session_id=self.session_id,
            created=False,
            last_seq=self.last_seq,
            turn_id=self.turn_id if self.busy else None,
        )
        return [*self.replay(after_seq), marker]


@dataclass
class ChannelRegistry:
    """The live channels of this process."""

    orchestrator: Orchestrator
    pubsub: LiveState = field(default_factory=PubSub)
    on_event: Callable[[str, ServerEventBase], None] = lambda session_id, event: None
    on_turn_start: Callable[[SessionChannel], Awaitable[None]] | None = None
    on_turn_end: Callable[[SessionChannel, str, ServerEventBase], Awaitable[None]] | None = None
    channels: dict[str, SessionChannel] = field(default_factory=dict)
    leases: TurnLeases = field(default_factory=MemoryLeases)

    async def channel(self, session_id: str) -> SessionChannel:
        channel = self.channels.get(session_id)
        if channel is None:
            last_seq = await self.orchestrator.services.db.last_seq(session_id)
            self.pubsub.keep_numbered(session_topic(session_id), last_seq)
            channel = self.channels.setdefault(session_id, SessionChannel(session_id, self.pubsub))
        return channel

    def start_turn(
        self,
        channel: SessionChannel,
        *,
        customer_id: str,
        author_id: str,
        text: str,
        turn_id: str,
        client_message_id: str | None,
    ) -> None:
        """Run a turn in the background; its events go to the channel's subscribers."""
        channel.turn.start(turn_id, client_message_id)
        channel.translator = TurnTranslator(channel.session_id, turn_id)
        channel.task = asyncio.create_task(
            self._drive(channel, customer_id, author_id, text, turn_id, client_message_id),
            name=f"turn-{turn_id}",
        )
        # Even a task cancelled before it ran (so before its own `finally`) ends its turn.
        channel.task.add_done_callback(lambda _: channel.turn.finish(turn_id))

    async def _drive(
        self,
        channel: SessionChannel,
        customer_id: str,
        author_id: str,
        text: str,
        turn_id: str,
        client_message_id: str | None,
    ) -> None:
        translator = channel.translator
        assert translator is not None
        settings = self.orchestrator.services.settings

        def send(event: ServerEventBase) -> None:
            channel.turn.event()
            self.on_event(channel.session_id, channel.publish(event))

        tokens = TokenCoalescer(settings.token_coalesce_ms / 1000, send)
        saved_seq = -1
        renewing = asyncio.create_task(self._keep_lease(channel.session_id, turn_id))
        try:
            async for outcome in self.orchestrator.stream_turn(
                session_id=channel.session_id,
                customer_id=customer_id,
                text=text,
                turn_id=turn_id,
                client_message_id=client_message_id,
                author_id=author_id,
            ):
                event = translator.translate(outcome)
                if event is None:
                    continue
                if isinstance(event, TokenEvent):
                    tokens.add(event)
                    continue
                tokens.flush()
                if isinstance(outcome, Completed | Failed):
                    # Saved before it is sent: a client that saw it may see a restart next.
                    saved_seq = channel.last_seq + 1
                    await self._remember_seq(channel, saved_seq)
                    # Free before it is sent: a client that saw it may send the next message.
                    await self._release(channel.session_id, turn_id, renewing)
                published = channel.publish(event)
                channel.turn.event()
                if isinstance(outcome, Completed | Failed):
                    channel.turn.finish(turn_id)
                self.on_event(channel.session_id, published)
                if self.on_turn_end is not None and isinstance(outcome, Completed | Failed):
                    await self.on_turn_end(channel, text, published)
                elif (
                    self.on_turn_start is not None
                    and isinstance(outcome, Progress)
                    and outcome.step == "starting"
                ):
                    await self.on_turn_start(channel)
        except asyncio.CancelledError:
            tokens.flush()
            await asyncio.shield(self._release(channel.session_id, turn_id, renewing))
            event = CancelledEvent(
                partial_response=translator.partial,
                session_id=channel.session_id,
                turn_id=turn_id,
            )
            self.on_event(channel.session_id, channel.publish(event))
            channel.turn.finish(turn_id)
        except Exception:
            log.exception("turn %s crashed", turn_id)
        finally:
            tokens.flush()
            channel.turn.finish(turn_id)
            await asyncio.shield(self._release(channel.session_id, turn_id, renewing))
            if channel.last_seq != saved_seq:  # events after the answer, or no answer at all
                await asyncio.shield(self._remember_seq(channel, channel.last_seq))

    async def _keep_lease(self, session_id: str, turn_id: str) -> None:
        """Renew the session's lease while the turn runs, so other instances answer BUSY."""
        while True:
            await asyncio.sleep(RENEW_EVERY_S)
            try:
                if not await self.leases.renew(session_id, turn_id, time.time()):
                    log.warning("turn %s lost the lease of session %s", turn_id, session_id)
            except Exception:
                log.exception("could not renew the lease of session %s", session_id)

    async def _release(self, session_id: str, turn_id: str, renewing: asyncio.Task[None]) -> None:
        renewing.cancel()
        try:
            await self.leases.release(session_id, turn_id)
        except Exception:  # it lapses by itself
            log.exception("could not release the lease of session %s", session_id)

    async def _remember_seq(self, channel: SessionChannel, last_seq: int) -> None:
        try:
            await self.orchestrator.services.db.set_last_seq(channel.session_id, last_seq)
        except Exception:
            log.exception("could not save last_seq of session %s", channel.session_id)

    async def drain(self, grace_s: float) -> None:
        """Let running turns finish for `grace_s`, then cancel (and so save) the rest."""
        running = [c.task for c in self.channels.values() if c.busy and c.task is not None]
        if not running:
            return
        _, pending = await asyncio.wait(running, timeout=grace_s)
        for task in pending:
            self.orchestrator.interrupted.add(task.get_name().removeprefix("turn-"))
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=10)
