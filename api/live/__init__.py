"""The state every worker and instance shares, each part in memory (one process) and on Redis.

- `pubsub`: `LiveState`, the one interface of the live path (topics, subscribers, numbered
  events kept for `resume`, control messages between instances), and `PubSub`, its memory
  backend, which numbers and keeps with `replay.EventLog`; `live_redis.RedisLiveState` is the
  Redis backend.
- `leases`: one running turn per session across instances (`MemoryLeases`, `RedisLeases`).
- `takeover`: running turns recorded, and run again by a survivor (`NoTakeover`, `RedisTurns`).
- `ratelimit`: messages per user over a sliding window (`SlidingWindow`, `RedisSlidingWindow`).
- `shared_state`: the connection to Redis (`REDIS_URL`).

A new backend implements the interfaces here and runs the same spec (`tests/api/live/`).
Nothing here imports the session logic or the adapters.
"""

from api.live.leases import MemoryLeases, RedisLeases, TurnLeases
from api.live.live_redis import RedisLiveState, open_live_state
from api.live.pubsub import STAFF_TOPIC, Fence, LiveState, PubSub, Subscriber, session_topic
from api.live.ratelimit import RateLimiter, RedisSlidingWindow, SlidingWindow
from api.live.replay import EventLog
from api.live.shared_state import open_redis
from api.live.takeover import NoTakeover, RedisTurns, RunningTurn, TurnRecords

__all__ = [
    "STAFF_TOPIC",
    "EventLog",
    "Fence",
    "LiveState",
    "MemoryLeases",
    "NoTakeover",
    "PubSub",
    "RateLimiter",
    "RedisLeases",
    "RedisLiveState",
    "RedisSlidingWindow",
    "RedisTurns",
    "RunningTurn",
    "SlidingWindow",
    "Subscriber",
    "TurnLeases",
    "TurnRecords",
    "open_live_state",
    "open_redis",
    "session_topic",
]
