"""The live state on Redis: every worker and instance sees every session's events.

A kept topic (a session) is numbered by one Redis counter and kept in a Redis Stream with a
TTL, so `resume` works on any instance and after a restart with `seq` continuous; each event is
also PUBLISHed on the topic's channel, and each instance holds one subscription per topic its
connections watch and hands what arrives to them. Numbering, keeping and publishing are one
script, so every subscriber sees a topic's events in `seq` order.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from redis.exceptions import NoScriptError, RedisError

from api.live.pubsub import Fence, LiveState, Subscriber
from api.live.replay import decode, encode
from api.live.takeover import claim_key
from api.protocol import ServerEventBase, TokenEvent
from orchestrator.persistence import Fenced

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub as RedisPubSub

log = logging.getLogger(__name__)

KEEP_S = 24 * 3600  # a session's events and counter outlive a day of silence
KEEP_EVENTS = 1000  # per session, roughly (the stream is trimmed approximately)
CONTROL = "control"  # a channel every instance listens on, for requests between instances
CONFIRM_TIMEOUT_S = 30.0  # a busy instance's reader may take a while to see the confirmation
RETRY_AFTER_S = 1.0  # after Redis failed, events go to this instance's watchers only this long

# KEYS: counter, stream[, fence]. ARGV: channel, floor, ttl ms (0: leave the expiry), max
# length, then the events' JSON, in order: numbered together (one INCRBY), each kept and
# published; the first seq back.
# The counter never gives a number at or below the floor: not after Redis lost it (a restart),
# nor after this instance numbered events itself while Redis was away. With a fence key (the
# claim of the publishing run, `api.live.takeover.claim_key`) that exists, -1: another instance
# runs the turn now, and nothing is numbered, kept or published.
_PUBLISH_NUMBERED = """
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then
  return -1
end
local n = #ARGV - 4
local floor = tonumber(ARGV[2])
local first = redis.call('INCRBY', KEYS[1], n) - n + 1
if first <= floor then
  first = floor + 1
  redis.call('SET', KEYS[1], first + n - 1)
end
for i = 1, n do
  local seq = first + i - 1
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], seq .. '-1', 'e', ARGV[4 + i])
  redis.call('PUBLISH', ARGV[1], seq .. ' ' .. ARGV[4 + i])
end
if ARGV[3] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return first
"""


@asynccontextmanager
async def open_live_state(redis: Redis, prefix: str) -> AsyncIterator[LiveState]:
    """A started `RedisLiveState`, closed on exit."""
    live = RedisLiveState(redis, prefix)
    await live.start()
    try:
        yield live
    finally:
        await live.close()


@dataclass
class RedisLiveState:
    """`LiveState` shared through Redis. `start()` opens the subscription reader; `close()`
    ends it."""

    outlives_process: ClassVar[bool] = True
    redis: Redis
    prefix: str
    keep_s: float = KEEP_S
    _control: Callable[[str], None] = field(default=lambda message: None)
    _local: dict[str, set[Subscriber]] = field(default_factory=dict)
    _floors: dict[str, int] = field(default_factory=dict)  # highest seq known here, per topic
    _down_until: float = 0.0  # after a failure, publish here only for a moment
    _confirmations: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    _pubsub: RedisPubSub | None = None
    _sha: str = field(init=False)
    _reader: asyncio.Task[None] | None = None

    def _channel(self, topic: str) -> str:
        return f"{self.prefix}live:{topic}"

    def _keys(self, topic: str) -> tuple[str, str]:
        return f"{self.prefix}seq:{topic}", f"{self.prefix}events:{topic}"

    def __post_init__(self) -> None:
        self._sha = hashlib.sha1(_PUBLISH_NUMBERED.encode()).hexdigest()  # EVALSHA, not EVAL

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        self._pubsub = self.redis.pubsub()
        control = self._channel(CONTROL)
        confirmed = self._expect(control)
        await self._pubsub.subscribe(control)
        self._reader = asyncio.create_task(self._read(), name="live-state-reader")
        await self._confirmed(control, confirmed)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()

    def on_control(self, handler: Callable[[str], None]) -> None:
        self._control = handler

    async def send_control(self, message: str) -> None:
        """Hand `message` to `on_control` of every instance, this one included."""
        await self.redis.publish(self._channel(CONTROL), message)

    # -- subscriptions --------------------------------------------------------------------
    async def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        """One Redis subscription per topic for all of this instance's subscribers; the
        first subscriber's call (and any made meanwhile) returns once Redis confirms it."""
        channel = self._channel(topic)
        local = self._local.setdefault(topic, set())
        first = not local
        local.add(subscriber)
        pending = self._confirmations.get(channel)
        try:
            if first:
                pending = self._expect(channel)
                assert self._pubsub is not None
                await self._pubsub.subscribe(channel)
            if pending is not None:
                await self._confirmed(channel, pending)
        except BaseException:
            local.discard(subscriber)
            if not local:
                self._local.pop(topic, None)
            raise

    async def ping(self) -> None:
        await self.redis.ping()

    def forget(self, topic: str) -> bool:
        """The events stay in Redis for their time to live; only this instance's floor goes."""
        if self._local.get(topic):
            return False
        self._floors.pop(topic, None)
        return True

    async def erase(self, topic: str) -> None:
        """The kept events and the counter go from Redis; another instance's floor for the
        topic (a number) stays until it forgets the topic."""
        self._floors.pop(topic, None)
        await self.redis.delete(*self._keys(topic))

    async def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        local = self._local.get(topic)
        if local is None or subscriber not in local:
            return
        local.discard(subscriber)
        if not local:
            del self._local[topic]
            assert self._pubsub is not None
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(self._channel(topic))
            if topic in self._local:  # subscribed again meanwhile: keep Redis's subscription
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.subscribe(self._channel(topic))

    def _expect(self, channel: str) -> asyncio.Future[None]:
        """A future the reader completes when Redis confirms a subscription to `channel`."""
        confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirmations[channel] = confirmed
        return confirmed

    async def _confirmed(self, channel: str, confirmed: asyncio.Future[None]) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(confirmed), timeout=CONFIRM_TIMEOUT_S)
        finally:
            if self._confirmations.get(channel) is confirmed:
                del self._confirmations[channel]

    async def has_subscribers(self, topic: str) -> bool:
        if self._local.get(topic):
            return True
        if self._is_down():
            return False
        try:
            counts = await self.redis.pubsub_numsub(self._channel(topic))
        except (RedisError, OSError):
            self._went_down()
            return False
        return any(int(count) > 0 for _, count in counts)

    # -- events ---------------------------------------------------------------------------
    async def keep_numbered(self, topic: str, last_seq: int) -> None:
        self._floors[topic] = max(last_seq, self._floors.get(topic, 0))
        counter, _ = self._keys(topic)
        await self.redis.set(counter, last_seq, nx=True, px=int(self.keep_s * 1000))

    async def publish(self, topic: str, event: ServerEventBase) -> ServerEventBase:
        return (await self.publish_many(topic, [event]))[0]

    async def publish_many(
        self, topic: str, events: list[ServerEventBase], fence: Fence | None = None
    ) -> list[ServerEventBase]:
        if not self._is_down():
            try:
                return await self._publish(topic, events, fence)
            except (RedisError, OSError) as exc:
                log.warning("live state: publishing on %s failed (%s)", topic, exc)
                self._went_down()
        # Redis away: this instance's own watchers still get the turn, numbered on from the
        # highest seq known here (the turn runs here, so nobody else numbers it meanwhile);
        # these events are not kept for `resume`, the answer is saved in SQL either way.
        if topic in self._floors:
            first = self._floors[topic] + 1
            events = [e.model_copy(update={"seq": first + i}) for i, e in enumerate(events)]
            self._floors[topic] = first + len(events) - 1
        for event in events:
            for subscriber in list(self._local.get(topic, ())):
                subscriber.deliver(event)
        return events

    def _is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _went_down(self) -> None:
        self._down_until = time.monotonic() + RETRY_AFTER_S

    async def _publish(
        self, topic: str, events: list[ServerEventBase], fence: Fence | None
    ) -> list[ServerEventBase]:
        """Number, keep and PUBLISH `events` in order, in one round trip (`Fenced`, after
        those that went out, when the fence closed)."""
        channel = self._channel(topic)
        if topic not in self._floors:
            async with self.redis.pipeline(transaction=False) as pipe:
                for event in events:
                    pipe.publish(channel, f"- {encode(event)}")
                await pipe.execute()
            return events
        try:
            seqs = await self._numbered_batch(topic, events, fence)
        except NoScriptError:  # Redis restarted (or flushed its scripts): load it, once more
            await self.redis.script_load(_PUBLISH_NUMBERED)
            seqs = await self._numbered_batch(topic, events, fence)
        sent = [seq for seq in seqs if seq > 0]
        self._floors[topic] = max([self._floors[topic], *sent])
        if len(sent) < len(seqs):
            assert fence is not None
            raise Fenced(f"turn {fence[0]}: run {fence[1]} was taken over by another instance")
        return [e.model_copy(update={"seq": n}) for e, n in zip(events, seqs, strict=True)]

    async def _numbered_batch(
        self, topic: str, events: list[ServerEventBase], fence: Fence | None
    ) -> list[int]:
        keys: tuple[str, ...] = self._keys(topic)
        if fence is not None:
            keys = (*keys, claim_key(self.prefix, *fence))
        # One script for the whole batch: numbered, kept and published in order, the fence
        # looked at once (a run taken over sends none of it). The keys' expiry is pushed back
        # by a batch with any event but tokens: a turn starts and ends with one, and a turn's
        # tokens, most of its events, then cost two commands each besides the batch's three.
        tokens_only = all(isinstance(event, TokenEvent) for event in events)
        ttl_ms = 0 if tokens_only else int(self.keep_s * 1000)
        args = (self._channel(topic), self._floors[topic], ttl_ms, KEEP_EVENTS)
        first = int(
            await self.redis.evalsha(
                self._sha, len(keys), *keys, *args, *(encode(event) for event in events)
            )
        )
        return [-1] * len(events) if first < 0 else list(range(first, first + len(events)))

    async def replay(self, topic: str, after_seq: int) -> list[ServerEventBase]:
        _, stream = self._keys(topic)
        entries: list[tuple[str, dict[str, str]]] = await self.redis.xrange(  # type: ignore[assignment]
            stream, min=f"{after_seq + 1}-0", max="+"
        )
        return [decode(int(entry_id.split("-")[0]), fields["e"]) for entry_id, fields in entries]

    async def last_seq(self, topic: str) -> int:
        known = self._floors.get(topic, 0)
        if self._is_down():
            return known
        counter, _ = self._keys(topic)
        try:
            value = await self.redis.get(counter)
        except (RedisError, OSError):
            self._went_down()
            return known
        return max(int(value), known) if value is not None else known

    # -- the reader -----------------------------------------------------------------------
    async def _read(self) -> None:
        assert self._pubsub is not None
        control = self._channel(CONTROL)
        live = self._channel("")
        lost = False
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
                if lost:  # what was published while the subscription was away is replayed
                    await self._catch_up()
                    lost = False
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away: redis-py reconnects and resubscribes on the next read
                log.warning("live state: lost the Redis subscription; retrying", exc_info=True)
                lost = True
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            channel = message["channel"]
            if message["type"] == "subscribe":
                confirmed = self._confirmations.get(channel)
                if confirmed is not None and not confirmed.done():
                    confirmed.set_result(None)
                continue
            if message["type"] != "message":
                continue
            data: str = message["data"]
            if channel == control:
                self._safely(self._control, data)
                continue
            topic = channel.removeprefix(live)
            subscribers = self._local.get(topic)
            if not subscribers:
                continue
            head, _, raw = data.partition(" ")
            try:
                event = decode(None if head == "-" else int(head), raw)
            except ValueError:
                log.exception("live state: an event on %s could not be read", topic)
                continue
            if event.seq is not None and topic in self._floors:
                self._floors[topic] = max(self._floors[topic], event.seq)
            for subscriber in list(subscribers):
                subscriber.deliver(event)

    async def _catch_up(self) -> None:
        """After the subscription was lost: every kept event a subscriber here has not had,
        from the stream (`deliver` drops what it had), so an event published before the
        subscription was back still arrives."""
        for topic, subscribers in list(self._local.items()):
            if topic not in self._floors or not subscribers:
                continue
            for event in await self.replay(topic, min(s.last_seq for s in subscribers)):
                for subscriber in list(subscribers):
                    subscriber.deliver(event)

    @staticmethod
    def _safely(handler: Callable[[str], None], data: str) -> None:
        try:
            handler(data)
        except Exception:
            log.exception("live state: a control message failed")
