"""What route handlers share: the service state and the authenticated user."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import InvalidToken, Principal, verify
from api.body_guard import principal_of
from api.live.ratelimit import RateLimiter
from api.metrics import Metrics
from api.session.channels import ChannelRegistry
from api.stopping import Stopping
from orchestrator.runtime import Runtime
from orchestrator.settings import Settings
from orchestrator.turns import Orchestrator


@dataclass
class AppState:
    settings: Settings
    runtime: Runtime
    orchestrator: Orchestrator
    channels: ChannelRegistry
    metrics: Metrics
    secret: str
    limiter: RateLimiter
    stopping: Stopping  # SIGTERM received: not ready, the running turns' grace under way
    # One ingest at a time through this process (another process's is refused at publish).
    ingesting: asyncio.Lock = field(default_factory=asyncio.Lock)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.app
    return state


State = Annotated[AppState, Depends(app_state)]
bearer = HTTPBearer(auto_error=False)


def current_user(
    request: Request,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller: authenticated by `api.body_guard` before its body was read, or here."""
    checked = principal_of(request.scope.get("state", {}))
    if checked is not None:
        return checked
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail={"code": "AUTH_REQUIRED", "message": "Send Authorization: Bearer <token>"},
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return verify(state.secret, credentials.credentials)
    except InvalidToken as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail={"code": "AUTH_FAILED", "message": str(exc)},
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


CurrentUser = Annotated[Principal, Depends(current_user)]


def staff_user(user: CurrentUser) -> Principal:
    if not user.is_staff:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail={"code": "FORBIDDEN", "message": "Staff only"}
        )
    return user


StaffUser = Annotated[Principal, Depends(staff_user)]


def admin_user(user: CurrentUser) -> Principal:
    if user.role != "admin":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail={"code": "FORBIDDEN", "message": "Admins only"}
        )
    return user


AdminUser = Annotated[Principal, Depends(admin_user)]
