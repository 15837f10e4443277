"""Live fan-out: one spec over the in-process `PubSub` and Redis.

Every subscriber of a topic gets each event once and in order, numbered where the topic is
kept; kept events replay after any seq. On Redis, two `RedisLiveState`s with one key prefix are
two instances: what one publishes reaches the other's subscribers, and either replays it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from api.live.live_redis import RedisLiveState
from api.live.pubsub import STAFF_TOPIC, LiveState, PubSub, Subscriber, session_topic
from api.live.takeover import RedisTurns, RunningTurn
from api.protocol import PongEvent, ProgressEvent, ServerEventBase, TokenEvent
from orchestrator.persistence import Fenced
from tests.utils.live import BACKENDS, redis_prefix

Instances = Callable[[], Awaitable[LiveState]]


@pytest.fixture(params=BACKENDS)
async def instance(request: pytest.FixtureRequest) -> AsyncIterator[Instances]:
    """Makes "instances" of one live state: one shared PubSub, or Redis states on one prefix."""
    if request.param == "memory":
        shared = PubSub()

        async def same() -> LiveState:
            return shared

        yield same
        return
    async with redis_prefix() as (client, prefix):
        opened: list[RedisLiveState] = []

        async def another() -> LiveState:
            live = RedisLiveState(client, prefix)
            await live.start()
            opened.append(live)
            return live

        try:
            yield another
        finally:
            for live in opened:
                await live.close()


def event(turn: str = "t1", step: str = "starting") -> ProgressEvent:
    return ProgressEvent(step=step, message="…", session_id="s1", turn_id=turn)  # type: ignore[arg-type]


async def received(subscriber: Subscriber, count: int) -> list[ServerEventBase]:
    """The next `count` events the subscriber gets (Redis delivers them a moment later)."""
    got = []
    for _ in range(count):
        item = await asyncio.wait_for(subscriber.queue.get(), timeout=5)
        assert isinstance(item, ServerEventBase)
        got.append(item)
    return got


async def nothing_more(subscriber: Subscriber) -> bool:
    await asyncio.sleep(0.2)
    return subscriber.queue.empty()


async def test_each_subscriber_of_the_topic_receives_the_event(instance: Instances) -> None:
    here, there = await instance(), await instance()
    a, b, other = Subscriber(), Subscriber(), Subscriber()
    await here.subscribe(session_topic("s1"), a)
    await there.subscribe(session_topic("s1"), b)
    await there.subscribe(STAFF_TOPIC, other)
    await here.publish(session_topic("s1"), event())
    assert len(await received(a, 1)) == len(await received(b, 1)) == 1
    assert await nothing_more(a) and await nothing_more(other)


async def test_a_kept_topic_numbers_its_events_from_the_stored_seq_and_replays_them(
    instance: Instances,
) -> None:
    here, there = await instance(), await instance()
    topic = session_topic("s1")
    await here.keep_numbered(topic, 10)
    await there.keep_numbered(topic, 0)  # a second call does not restart the numbering
    assert (await here.publish(topic, event())).seq == 11
    assert (await there.publish(topic, event())).seq == 12
    assert [e.seq for e in await there.replay(topic, 11)] == [12]
    assert [e.seq for e in await here.replay(topic, 0)] == [11, 12]
    assert await here.last_seq(topic) == await there.last_seq(topic) == 12


async def test_events_arrive_in_seq_order_from_every_publisher(instance: Instances) -> None:
    here, there = await instance(), await instance()
    topic = session_topic("s1")
    for live in (here, there):
        await live.keep_numbered(topic, 0)
    watcher = Subscriber()
    await there.subscribe(topic, watcher)
    await asyncio.gather(
        *(live.publish(topic, event(step="agent_routing")) for live in (here, there) * 10)
    )
    assert [e.seq for e in await received(watcher, 20)] == list(range(1, 21))


async def test_an_unkept_topic_is_not_numbered(instance: Instances) -> None:
    live = await instance()
    assert (await live.publish(STAFF_TOPIC, PongEvent(timestamp=1))).seq is None
    assert await live.replay(STAFF_TOPIC, 0) == []
    assert await live.last_seq(STAFF_TOPIC) == 0


async def test_anyone_listening_anywhere_counts_as_a_subscriber(instance: Instances) -> None:
    here, there = await instance(), await instance()
    subscriber = Subscriber()
    assert not await here.has_subscribers(STAFF_TOPIC)
    await there.subscribe(STAFF_TOPIC, subscriber)
    assert await here.has_subscribers(STAFF_TOPIC)
    await there.unsubscribe(STAFF_TOPIC, subscriber)
    assert not await here.has_subscribers(STAFF_TOPIC)


async def test_an_unsubscribed_receiver_gets_nothing_more(instance: Instances) -> None:
    live = await instance()
    subscriber = Subscriber()
    topic = session_topic("s1")
    await live.subscribe(topic, subscriber)
    assert await live.has_subscribers(topic)
    await live.unsubscribe(topic, subscriber)
    await live.unsubscribe(topic, subscriber)  # twice is harmless
    await live.publish(topic, event())
    assert await nothing_more(subscriber) and not await live.has_subscribers(topic)


async def test_a_control_message_reaches_every_instance(instance: Instances) -> None:
    here, there = await instance(), await instance()
    heard: asyncio.Queue[str] = asyncio.Queue()
    there.on_control(heard.put_nowait)
    await here.send_control("cancel s1")
    assert await asyncio.wait_for(heard.get(), timeout=5) == "cancel s1"


async def test_the_numbering_survives_the_instance_that_kept_it(instance: Instances) -> None:
    """On Redis the events outlive the process: a restarted instance replays them all. In one
    process a restart is a new `PubSub`: it numbers on from the database's last_seq and has
    nothing of before to replay."""
    first = await instance()
    topic = session_topic("s1")
    await first.keep_numbered(topic, 0)
    for _ in range(3):
        await first.publish(topic, event())
    on_redis = isinstance(first, RedisLiveState)
    restarted = await instance() if on_redis else PubSub()
    await restarted.keep_numbered(topic, 3)  # the last seq the database stored
    assert [e.seq for e in await restarted.replay(topic, 1)] == ([2, 3] if on_redis else [])
    assert (await restarted.publish(topic, event())).seq == 4


def test_a_subscriber_gets_each_numbered_event_once_and_the_held_ones_after_the_replay() -> None:
    subscriber = Subscriber()
    subscriber.hold()
    subscriber.deliver(event().model_copy(update={"seq": 3}))  # live, while replaying
    subscriber.deliver(event().model_copy(update={"seq": 4}))
    replayed = [event().model_copy(update={"seq": n}) for n in (2, 3)]
    subscriber.catch_up(replayed)
    subscriber.deliver(event().model_copy(update={"seq": 4}))  # a duplicate, late
    seqs = []
    while not subscriber.queue.empty():
        item = subscriber.queue.get_nowait()
        assert isinstance(item, ServerEventBase)
        seqs.append(item.seq)
    assert seqs == [2, 3, 4]


def test_what_is_announced_while_holding_is_numbered_below_the_held_events() -> None:
    subscriber = Subscriber()
    subscriber.hold()
    assert subscriber.before_held(7) == 7  # nothing held yet
    subscriber.deliver(event().model_copy(update={"seq": 6}))
    subscriber.deliver(event().model_copy(update={"seq": 7}))
    assert subscriber.before_held(7) == 5  # 6 and 7 reach the receiver after it


async def test_a_batch_is_numbered_and_delivered_in_order(instance: Instances) -> None:
    here, there = await instance(), await instance()
    topic = session_topic("s1")
    await here.keep_numbered(topic, 4)
    watcher = Subscriber()
    await there.subscribe(topic, watcher)
    sent = await here.publish_many(topic, [event(step="agent_routing") for _ in range(5)])
    assert [e.seq for e in sent] == [5, 6, 7, 8, 9]
    assert [e.seq for e in await received(watcher, 5)] == [5, 6, 7, 8, 9]


@dataclass
class TwoInstances:
    """Two instances' live states on one Redis prefix, a session topic numbered on both and a
    subscriber on the second."""

    client: Redis
    prefix: str
    here: RedisLiveState
    there: RedisLiveState
    topic: str
    watcher: Subscriber


@asynccontextmanager
async def two_instances() -> AsyncIterator[TwoInstances]:
    async with redis_prefix() as (client, prefix):
        here, there = RedisLiveState(client, prefix), RedisLiveState(client, prefix)
        await here.start()
        await there.start()
        try:
            topic, watcher = session_topic("s1"), Subscriber()
            for live in (here, there):
                await live.keep_numbered(topic, 0)
            await there.subscribe(topic, watcher)
            yield TwoInstances(client, prefix, here, there, topic, watcher)
        finally:
            await here.close()
            await there.close()


async def test_a_run_claimed_by_another_instance_publishes_nothing_more() -> None:
    """Fencing on Redis: once another instance has claimed run 1 of a turn (its instance
    stalled past its lease), run 1's events are refused in the same script that numbers them;
    run 2's go out, numbered on."""
    async with two_instances() as two:
        here, there, topic = two.here, two.there, two.topic
        assert [e.seq for e in await here.publish_many(topic, [event()], ("t1", 1))] == [1]
        assert await RedisTurns(two.client, two.prefix).claim(
            RunningTurn(session_id="s1", turn_id="t1", customer_id="c", author_id="c", text="?")
        )
        with pytest.raises(Fenced):
            await here.publish_many(topic, [event(step="agent_routing")] * 2, ("t1", 1))
        assert [e.seq for e in await there.publish_many(topic, [event()], ("t1", 2))] == [2]
        assert [e.seq for e in await received(two.watcher, 2)] == [1, 2]
        assert two.watcher.queue.empty() and await here.last_seq(topic) == 2


async def test_a_batch_is_numbered_kept_and_published_by_one_script_call() -> None:
    """Redis is the first shared service a crowd fills (docs/capacity.md): a turn's batch of
    events costs one call, not one per event."""
    async with two_instances() as two:
        calls: list[object] = []
        call = two.client.evalsha

        async def counted(*args: object) -> object:
            calls.append(args[0])
            return await call(*args)  # type: ignore[arg-type]

        two.client.evalsha = counted  # type: ignore[method-assign]
        sent = await two.here.publish_many(two.topic, [event(step="generating")] * 5, ("t1", 1))
        assert len(calls) == 1
        assert [e.seq for e in sent] == [1, 2, 3, 4, 5]
        assert [e.seq for e in await received(two.watcher, 5)] == [1, 2, 3, 4, 5]
        assert [e.seq for e in await two.there.replay(two.topic, 2)] == [3, 4, 5]
        counter, stream = two.here._keys(two.topic)
        kept_ms = [await two.client.pttl(key) for key in (counter, stream)]
        assert all(0 < ttl <= two.here.keep_s * 1000 for ttl in kept_ms)
        await two.client.persist(counter)  # a batch of tokens alone leaves the expiry be
        await two.here.publish_many(two.topic, [TokenEvent(token="a")] * 3, ("t1", 1))
        assert await two.client.pttl(counter) == -1


async def test_events_published_while_the_subscription_was_away_still_arrive() -> None:
    """Redis drops an instance's subscription (a restart, a network cut): what others publish
    before it is back is replayed from the kept stream once it is, so a turn's `complete`
    is not lost in the gap."""
    async with two_instances() as two:
        await two.here.publish(two.topic, event())
        assert [e.seq for e in await received(two.watcher, 1)] == [1]
        await two.client.client_kill_filter(_type="pubsub")  # both instances' subscriptions
        await two.here.publish_many(two.topic, [event(step="agent_routing")] * 2)  # the gap
        assert [e.seq for e in await received(two.watcher, 2)] == [2, 3]


async def test_redis_that_forgot_the_script_is_taught_it_again() -> None:
    """A restarted Redis has no scripts: the first publish loads it and goes on."""
    async with redis_prefix() as (client, prefix):
        live = RedisLiveState(client, prefix)
        await live.start()
        try:
            await live.keep_numbered(session_topic("s1"), 0)
            await client.script_flush()
            assert (await live.publish(session_topic("s1"), event())).seq == 1
        finally:
            await live.close()


async def test_a_topic_followed_here_is_kept_and_an_idle_one_numbered_on_from_sql(
    instance: Instances,
) -> None:
    live = await instance()
    topic = session_topic("s1")
    await live.keep_numbered(topic, 0)
    for _ in range(3):
        await live.publish(topic, event())
    follower = Subscriber()
    await live.subscribe(topic, follower)
    assert not live.forget(topic)  # a connection here follows it
    await live.unsubscribe(topic, follower)
    assert live.forget(topic)
    await live.keep_numbered(topic, 3)  # taken up again with the seq saved in SQL
    assert (await live.publish(topic, event())).seq == 4


async def test_an_erased_topic_keeps_nothing_anywhere_and_is_numbered_afresh(
    instance: Instances,
) -> None:
    here, there = await instance(), await instance()
    topic, other = session_topic("s1"), session_topic("s2")
    for kept in (topic, other):
        await here.keep_numbered(kept, 0)
        for _ in range(3):
            await here.publish(kept, event())
    follower = Subscriber()
    await there.subscribe(topic, follower)

    await here.erase(topic)  # followed or not

    assert await there.replay(topic, 0) == [] and await there.last_seq(topic) == 0
    assert [e.seq for e in await there.replay(other, 0)] == [1, 2, 3]
    await here.publish(topic, event(step="generating"))  # still followed, no longer kept
    assert [e.seq for e in await received(follower, 1)] == [None]
    await here.keep_numbered(topic, 0)
    assert (await here.publish(topic, event())).seq == 1
