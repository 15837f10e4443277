"""Live fan-out: topics, subscribers, and numbered replay buffers.

Every live path goes through one interface, `LiveState`: a session's events to its customer
and staff watchers (`session:<id>`, numbered and kept for `resume`) and the staff console's
conversation list (`staff`). `PubSub` is the in-process backend;
`api.live.live_redis.RedisLiveState` shares the same protocol across workers and instances, and
nothing above it changes.
`tests/api/live/test_pubsub.py` runs one spec over both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from api.live.replay import EventLog
from api.protocol import ServerEventBase

# One run of a turn: (turn id, attempt). See `LiveState.publish_many`.
Fence = tuple[str, int]

STAFF_TOPIC = "staff"


def session_topic(session_id: str) -> str:
    return f"session:{session_id}"


OUTGOING_LIMIT = 5000  # events queued for one connection (a long answer is a few hundred)
OVERFLOW = "overflow"  # queued once when a subscriber overflows


@dataclass(eq=False)
class Subscriber:
    """One receiver: a connection's outgoing queue and how it likes its token events.

    Numbered events reach it once each and in order: one already delivered (a replayed event
    that also arrives live) is dropped, and while it catches up (`hold`) live events wait
    behind the replay (`catch_up`).
    """

    queue: asyncio.Queue[object] = field(default_factory=asyncio.Queue)
    partial_response: bool = True
    last_seq: int = 0
    # Events waiting to be sent, at most: past it the receiver is not keeping up, gets nothing
    # more, and `overflowed` tells its connection to close (it may resume from its last seq).
    limit: int = OUTGOING_LIMIT
    overflowed: bool = False
    _held: list[ServerEventBase] | None = None

    def deliver(self, event: ServerEventBase) -> None:
        if self._held is not None:
            self._held.append(event)
            return
        if event.seq is not None:
            if event.seq <= self.last_seq:
                return
            self.last_seq = event.seq
        self.put(event)

    def put(self, item: object) -> None:
        """Queue an item to send, unless `limit` are waiting already (then `overflowed`)."""
        if self.overflowed:
            return
        if self.queue.qsize() >= self.limit:
            self.overflowed = True
            self.queue.put_nowait(OVERFLOW)  # wakes a sender waiting for an event
            return
        self.queue.put_nowait(item)

    def hold(self) -> None:
        """Keep live events back until `catch_up`."""
        self._held = []

    def before_held(self, last_seq: int) -> int:
        """`last_seq` to announce while holding: below the first numbered event held back,
        which reaches the receiver after the announcement (and a receiver drops what is
        numbered at or below the seq it was told)."""
        held = [event.seq for event in self._held or () if event.seq is not None]
        return min([last_seq, *(seq - 1 for seq in held)])

    def catch_up(self, replayed: list[ServerEventBase]) -> None:
        """Deliver the replay, then what arrived live meanwhile, each numbered event once."""
        held, self._held = self._held or [], None
        for event in [*replayed, *held]:
            self.deliver(event)


class LiveState(Protocol):
    """What the channels and the connections need of the live state."""

    # Whether kept events outlive this process (a restarted instance can replay them).
    outlives_process: ClassVar[bool]

    async def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        """From when this returns, `subscriber` receives every event published to `topic`."""
        ...

    async def unsubscribe(self, topic: str, subscriber: Subscriber) -> None: ...

    async def has_subscribers(self, topic: str) -> bool:
        """Whether anyone (on any instance) listens: a publisher may skip building an event."""
        ...

    async def keep_numbered(self, topic: str, last_seq: int) -> None:
        """Number this topic's events from `last_seq` on (unless already numbered) and keep
        them for replay."""
        ...

    async def ping(self) -> None:
        """Raise if the live state cannot be reached (readiness)."""
        ...

    def forget(self, topic: str) -> bool:
        """Drop what this process keeps of a topic nobody here follows (its numbering and, in
        process, its kept events): True when dropped, False while a subscriber here follows
        it. `keep_numbered` takes it up again from the numbering saved in SQL."""
        ...

    async def erase(self, topic: str) -> None:
        """Drop what is kept of the topic for every instance, its events and numbering (a
        session erased with its customer's data), whoever follows it; `keep_numbered` takes
        it up afresh. Those who follow it stay subscribed."""
        ...

    async def publish(self, topic: str, event: ServerEventBase) -> ServerEventBase:
        """Deliver to every subscriber, numbered first if the topic is kept; the event as sent."""
        ...

    async def publish_many(
        self, topic: str, events: list[ServerEventBase], fence: Fence | None = None
    ) -> list[ServerEventBase]:
        """`publish` each, in order (on Redis in one round trip). With `fence` (a run of a
        turn), `Fenced` once another instance has claimed that run: nothing more goes out."""
        ...

    async def replay(self, topic: str, after_seq: int) -> list[ServerEventBase]:
        """The kept events numbered above `after_seq`, oldest first."""
        ...

    async def last_seq(self, topic: str) -> int: ...

    def on_control(self, handler: Callable[[str], None]) -> None:
        """Have `handler` receive what any instance sends with `send_control`."""
        ...

    async def send_control(self, message: str) -> None:
        """Hand `message` to the control handler of every instance, this one included."""
        ...


@dataclass
class PubSub:
    """The in-process `LiveState`: one worker, nothing shared."""

    outlives_process: ClassVar[bool] = False

    _subscribers: dict[str, set[Subscriber]] = field(default_factory=dict)
    _logs: dict[str, EventLog] = field(default_factory=dict)
    _control: Callable[[str], None] = field(default=lambda message: None)

    async def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        self._subscribers.setdefault(topic, set()).add(subscriber)

    async def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get(topic)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[topic]

    async def has_subscribers(self, topic: str) -> bool:
        return bool(self._subscribers.get(topic))

    async def keep_numbered(self, topic: str, last_seq: int) -> None:
        self._logs.setdefault(topic, EventLog(last_seq=last_seq))

    async def ping(self) -> None:
        """In process: always there."""

    def forget(self, topic: str) -> bool:
        if self._subscribers.get(topic):
            return False
        self._logs.pop(topic, None)
        return True

    async def erase(self, topic: str) -> None:
        self._logs.pop(topic, None)

    async def publish(self, topic: str, event: ServerEventBase) -> ServerEventBase:
        log = self._logs.get(topic)
        delivered = log.append(event) if log is not None else event
        for subscriber in list(self._subscribers.get(topic, ())):
            subscriber.deliver(delivered)
        return delivered

    async def publish_many(
        self, topic: str, events: list[ServerEventBase], fence: Fence | None = None
    ) -> list[ServerEventBase]:
        # One process: no other instance takes a run over, so no fence is ever closed.
        return [await self.publish(topic, event) for event in events]

    async def replay(self, topic: str, after_seq: int) -> list[ServerEventBase]:
        log = self._logs.get(topic)
        return log.after(after_seq) if log is not None else []

    async def last_seq(self, topic: str) -> int:
        log = self._logs.get(topic)
        return log.last_seq if log is not None else 0

    def on_control(self, handler: Callable[[str], None]) -> None:
        self._control = handler

    async def send_control(self, message: str) -> None:
        self._control(message)
