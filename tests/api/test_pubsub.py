"""Live fan-out: every subscriber of a topic gets each event once, numbered where kept."""

from __future__ import annotations

from api.protocol import PongEvent, ProgressEvent
from api.pubsub import STAFF_TOPIC, PubSub, Subscriber, session_topic


def event(turn: str = "t1") -> ProgressEvent:
    return ProgressEvent(step="starting", message="…", session_id="s1", turn_id=turn)


def test_each_subscriber_of_the_topic_receives_the_event() -> None:
    pubsub = PubSub()
    a, b, other = Subscriber(), Subscriber(), Subscriber()
    pubsub.subscribe(session_topic("s1"), a)
    pubsub.subscribe(session_topic("s1"), b)
    pubsub.subscribe(STAFF_TOPIC, other)
    pubsub.publish(session_topic("s1"), event())
    assert (a.queue.qsize(), b.queue.qsize(), other.queue.qsize()) == (1, 1, 0)


def test_a_kept_topic_numbers_its_events_from_the_stored_seq_and_replays_them() -> None:
    pubsub = PubSub()
    topic = session_topic("s1")
    pubsub.keep_numbered(topic, 10)
    pubsub.keep_numbered(topic, 0)  # a second call does not restart the numbering
    assert pubsub.publish(topic, event()).seq == 11
    assert pubsub.publish(topic, event()).seq == 12
    assert [e.seq for e in pubsub.replay(topic, 11)] == [12]
    assert pubsub.last_seq(topic) == 12


def test_an_unkept_topic_is_not_numbered() -> None:
    pubsub = PubSub()
    assert pubsub.publish(STAFF_TOPIC, PongEvent(timestamp=1)).seq is None
    assert pubsub.replay(STAFF_TOPIC, 0) == []
    assert pubsub.last_seq(STAFF_TOPIC) == 0


def test_an_unsubscribed_receiver_gets_nothing_more() -> None:
    pubsub = PubSub()
    subscriber = Subscriber()
    topic = session_topic("s1")
    pubsub.subscribe(topic, subscriber)
    assert pubsub.has_subscribers(topic)
    pubsub.unsubscribe(topic, subscriber)
    pubsub.unsubscribe(topic, subscriber)  # twice is harmless
    pubsub.publish(topic, event())
    assert subscriber.queue.empty() and not pubsub.has_subscribers(topic)
