"""The connection to Redis, where the live state every worker and instance shares is kept
(`REDIS_URL`; unset, each process keeps its own)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from orchestrator.errors import StartupError

MAX_CONNECTIONS = 512  # per process and client; the pub/sub reader holds one more of its own
POOL_WAIT_S = 30.0


def describe(url: str) -> str:
    """Where Redis is, for messages; never the password."""
    from redis.connection import parse_url

    parts = parse_url(url)
    host, port, db = parts.get("host", "localhost"), parts.get("port", 6379), parts.get("db", 0)
    return f"redis://{host}:{port}/{db}"


@asynccontextmanager
async def open_redis(url: str, max_connections: int = MAX_CONNECTIONS) -> AsyncIterator[Redis]:
    """A checked client, closed on exit; StartupError (one line and its fix) if unreachable."""
    try:
        pool = BlockingConnectionPool.from_url(
            url,
            # Busy moments wait for a free connection instead of failing ("Too many connections").
            max_connections=max_connections,
            timeout=POOL_WAIT_S,
            decode_responses=True,
            socket_connect_timeout=5,
            socket_timeout=5,
            # redis-py's default retries a failing command for seconds; a turn publishing while
            # Redis is away must not wait that long per event (the live state falls back).
            retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), retries=2),
        )
        client = Redis(connection_pool=pool)
        await client.ping()
    except (RedisError, OSError, ValueError) as exc:
        raise StartupError(
            f"cannot reach Redis at {describe(url)} ({exc})",
            "Start Redis, correct REDIS_URL, or unset it to keep live state in one process",
        ) from None
    try:
        yield client
    finally:
        await client.aclose()
        await pool.disconnect()
