"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import State
from orchestrator import checkpointer

router = APIRouter(tags=["health"])

PING_TIMEOUT_S = 5.0


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(state: State) -> JSONResponse:
    """Readiness: database, checkpoints, vector store, live state (Redis when shared), and not
    stopping (SIGTERM: 503 at once, see `api.stopping`); reports the answer mode, whether the
    language model can be reached (`checks.model`) and whether it calls tools
    (`checks.model_tools`), which readiness does not wait for."""
    services = state.orchestrator.services
    checks: dict[str, Any] = {}
    try:
        async with asyncio.timeout(PING_TIMEOUT_S):  # a database that hangs is not ready
            await services.db.ping()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:  # turns write their checkpoints through a pool of its own
        async with asyncio.timeout(PING_TIMEOUT_S):
            await checkpointer.ping(state.runtime.checkpointer)
        checks["checkpointer"] = "ok"
    except Exception as exc:
        checks["checkpointer"] = f"error: {type(exc).__name__}"
    try:
        chunks = await asyncio.to_thread(services.retriever.store.count)
        checks["vector_store"] = "ok" if chunks else "empty: run orchestrator ingest knowledge_base"
        checks["chunks"] = chunks
    except Exception as exc:
        checks["vector_store"] = f"error: {type(exc).__name__}"
    try:  # shared by the instances (Redis): without it no message can be admitted
        async with asyncio.timeout(PING_TIMEOUT_S):
            await state.channels.pubsub.ping()
        checks["live_state"] = "ok"
    except Exception as exc:
        checks["live_state"] = f"error: {type(exc).__name__}"
    checks["embedding_model"] = services.embedder.name
    if services.llm:  # while it is unreachable, turns are answered offline: still ready
        checks["model"] = services.model_health.state
        # Where it does not call tools, the specialists' rules do the tool work: still ready.
        abilities = services.model_abilities
        checks["model_tools"] = abilities.tools
        if abilities.reason:
            checks["model_tools_reason"] = abilities.reason
        # The window prompts are fitted to, and the requests it is sent at once.
        budget, gate = services.model_budget, services.model_gate
        checks["model_window"] = budget.window
        checks["model_window_from"] = budget.source
        checks["model_chars_per_token"] = budget.chars_per_token  # where its server counts
        checks["model_requests_at_once"] = gate.limit
    # Told to stop: the balancer is to send new connections elsewhere from now on.
    checks["stopping"] = "draining" if state.stopping.stopping else "no"
    needed = ("database", "checkpointer", "vector_store", "live_state")
    ok = all(checks[name] == "ok" for name in needed) and not state.stopping.stopping
    body = {
        "status": "ready" if ok else "not ready",
        "mode": state.settings.answer_mode,
        "llm_model": state.settings.llm_model if state.settings.answer_mode == "llm" else None,
        "checks": checks,
    }
    return JSONResponse(body, status_code=200 if ok else 503)
