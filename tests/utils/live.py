"""The live-state backends the spec suites run over: in this process, and on Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

REDIS_URL = "redis://127.0.0.1:6379/0"
BACKENDS = ["memory", "redis"]


@asynccontextmanager
async def redis_prefix() -> AsyncIterator[tuple[Redis, str]]:
    """A Redis client and a key prefix no other run uses; its keys are removed afterwards."""
    client: Redis = Redis.from_url(REDIS_URL, decode_responses=True)
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
