"""Start uvicorn after checking the environment, so that problems end in one clear line."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from orchestrator.runtime import open_runtime
from orchestrator.settings import Settings

log = logging.getLogger("orchestrator")


async def _preflight(settings: Settings) -> None:
    async with open_runtime(settings):
        pass


def run(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Check the database and data dir, print where to go, then serve until stopped."""
    asyncio.run(_preflight(settings))
    base = f"http://{host}:{port}"
    print(f"Kestrel support orchestrator ({settings.answer_mode} answer mode)")
    print(f"  API docs:  {base}/docs")
    print(f"  Health:    {base}/health   Ready: {base}/ready")
    uvicorn.run(
        "api.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        ws_max_size=settings.max_frame_bytes,
    )
