"""Prometheus metrics: open by default, or for a bearer of `METRICS_TOKEN` when it is set."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import State, bearer

router = APIRouter(tags=["health"])


def scraper(
    state: State, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """With METRICS_TOKEN set, only its bearer reads the metrics."""
    expected = state.settings.metrics_token
    if expected is None:
        return
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise HTTPException(
            401,
            {"code": "AUTH_REQUIRED", "message": "Send Authorization: Bearer <METRICS_TOKEN>"},
            {"WWW-Authenticate": "Bearer"},
        )


@router.get("/metrics", dependencies=[Depends(scraper)])
async def metrics(state: State) -> Response:
    """Turns, errors by code, latency histograms and active connections."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
