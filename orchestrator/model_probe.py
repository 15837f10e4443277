"""Asks the model's server, now and then, whether it is there: `GET {base}/models`.

Any HTTP answer counts (a server that lists no models, or wants another key, is still there);
a connection refused or not made within `PROBE_TIMEOUT_S` does not. While the model is
unreachable (found so by the probe or by a turn) it is asked every `llm_recheck_s`, so that
answers come from it again soon after it is back, without a restart and without a customer's
turn paying for the attempt; while it answers, every `REACHABLE_PROBE_S`, so that `/ready`
notices it going before a turn does.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from orchestrator.model_gate import ModelGate
from orchestrator.model_health import ModelHealth, unreachable

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 2.0
REACHABLE_PROBE_S = 30.0
OPENAI_BASE_URL = "https://api.openai.com/v1"


async def probe(
    client: httpx.AsyncClient,
    base_url: str | None,
    health: ModelHealth,
    gate: ModelGate | None = None,
) -> None:
    """Ask once, and record what was found. A server that took the connection but has not
    answered in time (busy with its answers, perhaps) is there: nothing changes. Not asked
    while a model request is under way (`gate`): that request tells, and llama-cpp-python's
    server ends the answer it is streaming when any other request comes, this one included."""
    if gate is not None and gate.in_flight:
        return
    url = f"{(base_url or OPENAI_BASE_URL).rstrip('/')}/models"
    was = health.state
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S * 2):  # whatever the transport does
            response = await client.get(url, timeout=PROBE_TIMEOUT_S)
            await response.aclose()
    except (httpx.HTTPError, TimeoutError) as exc:
        if not unreachable(exc):
            return
        health.failed(time.monotonic())
        if was != "unreachable":
            log.warning("the language model at %s cannot be reached: %r", url, exc)
        return
    health.reached()
    if was == "unreachable":
        log.info("the language model at %s answers again", url)


async def watch(
    client: httpx.AsyncClient,
    base_url: str | None,
    health: ModelHealth,
    gate: ModelGate | None = None,
) -> None:
    """Probe for as long as the service runs (cancel the task to stop it); turns then leave
    trying an unreachable model again to the probe."""
    health.watched = True
    last = -REACHABLE_PROBE_S
    try:
        while True:
            if health.state != "ok" or time.monotonic() - last >= REACHABLE_PROBE_S:
                await probe(client, base_url, health, gate)
                last = time.monotonic()
            await asyncio.sleep(health.recheck_s)
    finally:
        health.watched = False
