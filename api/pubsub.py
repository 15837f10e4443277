"""Live fan-out: topics, subscribers, and numbered replay buffers. In-process for now.

Every live path goes through one interface, `LiveState`: a session's events to its customer
and staff watchers (`session:<id>`, numbered and kept for `resume`) and the staff console's
conversation list (`staff`). `PubSub` is the in-process backend; a Redis one (several
instances) implements the same protocol, and nothing above it changes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

from api.protocol import ServerEventBase
from api.session.replay import EventLog

STAFF_TOPIC = "staff"


def session_topic(session_id: str) -> str:
    return f"session:{session_id}"


@dataclass(eq=False)
class Subscriber:
    """One receiver: a connection's outgoing queue and how it likes its token events."""

    queue: asyncio.Queue[object] = field(default_factory=asyncio.Queue)
    partial_response: bool = True


class LiveState(Protocol):
    """What the channels and the connections need of the live state."""

    def subscribe(self, topic: str, subscriber: Subscriber) -> None: ...
    def unsubscribe(self, topic: str, subscriber: Subscriber) -> None: ...
    def has_subscribers(self, topic: str) -> bool: ...
    def keep_numbered(self, topic: str, last_seq: int) -> None: ...
    def publish(self, topic: str, event: ServerEventBase) -> ServerEventBase: ...
    def replay(self, topic: str, after_seq: int) -> list[ServerEventBase]: ...
    def last_seq(self, topic: str) -> int: ...


@dataclass
class PubSub:
    """The in-process `LiveState`: one worker, nothing shared."""

    _subscribers: dict[str, set[Subscriber]] = field(default_factory=dict)
    _logs: dict[str, EventLog] = field(default_factory=dict)

    def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        self._subscribers.setdefault(topic, set()).add(subscriber)

    def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get(topic)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[topic]

    def has_subscribers(self, topic: str) -> bool:
        """Whether anyone listens: a publisher may skip building an event nobody receives."""
        return bool(self._subscribers.get(topic))

    def keep_numbered(self, topic: str, last_seq: int) -> None:
        """Number this topic's events from `last_seq` on and keep them for replay."""
        self._logs.setdefault(topic, EventLog(last_seq=last_seq))

    def publish(self, topic: str, event: ServerEventBase) -> ServerEventBase:
        """Deliver to every subscriber; numbered first if the topic keeps a log."""
        log = self._logs.get(topic)
        delivered = log.append(event) if log is not None else event
        for subscriber in self._subscribers.get(topic, ()):
            subscriber.queue.put_nowait(delivered)
        return delivered

    def replay(self, topic: str, after_seq: int) -> list[ServerEventBase]:
        log = self._logs.get(topic)
        return log.after(after_seq) if log is not None else []

    def last_seq(self, topic: str) -> int:
        log = self._logs.get(topic)
        return log.last_seq if log is not None else 0
