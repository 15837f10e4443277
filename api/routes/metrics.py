"""Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import State

router = APIRouter(tags=["health"])


@router.get("/metrics")
async def metrics(state: State) -> Response:
    """Turns, errors by code, latency histograms and active connections."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
