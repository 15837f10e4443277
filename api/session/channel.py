"""A session's channel here: its numbered events on the pub/sub topic, the connections watching,
and what runs of its turn (the task, its translator and supervision)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from api.live.pubsub import LiveState, Subscriber, session_topic
from api.protocol import ServerEventBase, SessionEvent
from api.session.supervisor import ChannelUse, TurnSupervision
from api.session.turn import TurnLifecycle
from api.session.turn_events import TurnTranslator
from orchestrator.turn_stop import Stop

__all__ = ["SessionChannel"]


@dataclass(eq=False)
class SessionChannel:
    """A session's running turn; its events go out through the pub/sub topic."""

    session_id: str
    pubsub: LiveState
    task: asyncio.Task[None] | None = None
    translator: TurnTranslator | None = None
    supervision: TurnSupervision | None = None  # of the turn running here
    # Done once the turn's last event is out; its task may still be saving and notifying.
    turn: TurnLifecycle = field(default_factory=TurnLifecycle)
    used: float = 0.0  # when it was last asked for or last ended a turn (monotonic)

    @property
    def topic(self) -> str:
        return session_topic(self.session_id)

    @property
    def busy(self) -> bool:
        return self.turn.busy

    @property
    def use(self) -> ChannelUse:
        """What the idle sweep reads of it."""
        working = self.busy or (self.task is not None and not self.task.done())
        return ChannelUse(working=working, used=self.used)

    @property
    def turn_id(self) -> str | None:
        return self.turn.turn_id

    @property
    def delivered(self) -> str:
        """The answer its turn has sent so far."""
        return self.translator.partial if self.translator is not None else ""

    @property
    def client_message_id(self) -> str | None:
        return self.turn.client_message_id

    def end_cause(self, turn_id: str | None) -> str | None:
        """Why its turn `turn_id` ended without an answer, as known here: the reason it was
        stopped, or the failure its run named (for the operator's log, never sent)."""
        supervision, translator = self.supervision, self.translator
        if supervision is not None and supervision.turn_id == turn_id and supervision.stop:
            return str(supervision.stop)
        if translator is not None and translator.turn_id == turn_id:
            return translator.cause
        return None

    async def last_seq(self) -> int:
        return await self.pubsub.last_seq(self.topic)

    async def subscribe(self, subscriber: Subscriber) -> None:
        await self.pubsub.subscribe(self.topic, subscriber)

    async def unsubscribe(self, subscriber: Subscriber) -> None:
        await self.pubsub.unsubscribe(self.topic, subscriber)

    async def publish(self, event: ServerEventBase) -> ServerEventBase:
        """Number the event, keep it for replay, and hand it to every subscriber."""
        return await self.pubsub.publish(self.topic, event)

    async def replay(self, after_seq: int) -> list[ServerEventBase]:
        return await self.pubsub.replay(self.topic, after_seq)

    def ended(self, task: asyncio.Task[None]) -> None:
        """Its turn's task is done: what only a running turn needs goes with it (the channel
        may be kept minutes for `resume`, and holds its numbered events for that)."""
        if self.task is task:  # else a newer turn's task runs already
            self.task = self.translator = self.supervision = None

    def cancel(self) -> bool:
        """Stop the turn running here, if any: True when one was."""
        if self.turn.cancel() and self.task is not None:
            self.stop(Stop.CANCELLED)
            return True
        return False

    def stop(self, reason: Stop) -> None:
        """Stop the turn running here for `reason` (its first reason is the one it keeps)."""
        if self.supervision is not None:
            self.supervision.request(reason)
        if self.task is not None:
            self.task.cancel()

    async def resume(self, after_seq: int, running: str | None = None) -> list[ServerEventBase]:
        """What a client that saw events up to `after_seq` gets: the kept events after it, then
        the `session` marker (with the running turn, here or on another instance as `running`
        says) that ends the replay."""
        events = await self.replay(after_seq)
        marker = SessionEvent(
            session_id=self.session_id,
            created=False,
            last_seq=await self.last_seq(),
            turn_id=self.turn_id if self.busy else running,
        )
        return [*events, marker]
