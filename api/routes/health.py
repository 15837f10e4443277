"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """Readiness: the database answers; reports the answer mode in use."""
    runtime = request.app.state.runtime
    checks: dict[str, Any] = {}
    ok = True
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
        ok = False
    body = {
        "status": "ready" if ok else "not ready",
        "checks": checks,
        "mode": runtime.settings.answer_mode,
    }
    return JSONResponse(body, status_code=200 if ok else 503)
