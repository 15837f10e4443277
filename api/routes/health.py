"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import State

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(state: State) -> JSONResponse:
    """Readiness: database, vector store and model; reports the answer mode in use."""
    services = state.orchestrator.services
    checks: dict[str, Any] = {}
    try:
        await services.db.ping()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        chunks = await asyncio.to_thread(services.retriever.store.count)
        checks["vector_store"] = "ok" if chunks else "empty: run orchestrator ingest knowledge_base"
        checks["chunks"] = chunks
    except Exception as exc:
        checks["vector_store"] = f"error: {type(exc).__name__}"
    checks["embedding_model"] = services.embedder.name
    ok = checks["database"] == "ok" and checks["vector_store"] == "ok"
    body = {
        "status": "ready" if ok else "not ready",
        "mode": state.settings.answer_mode,
        "llm_model": state.settings.llm_model if state.settings.answer_mode == "llm" else None,
        "checks": checks,
    }
    return JSONResponse(body, status_code=200 if ok else 503)
