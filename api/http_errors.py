"""REST errors nobody raised on purpose, as JSON with a stable code like every other error.

A database that is away answers 503 `UNAVAILABLE` with `Retry-After` (the request may be sent
again); any other unexpected failure answers 500 `PROCESSING_ERROR`. Both carry
`{"detail": {"code", "message"}}` as the routes' own errors do, never Starlette's plain-text
"Internal Server Error".
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.protocol import ErrorCode
from orchestrator.persistence import UNAVAILABLE

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5


def _body(message: str, code: ErrorCode = ErrorCode.PROCESSING_ERROR) -> dict[str, object]:
    return {"detail": {"code": code.value, "message": message}}


async def _unavailable(request: Request, exc: Exception) -> JSONResponse | None:
    if request.scope["type"] != "http":  # a WebSocket ends its own way (see api/ws.py)
        return None
    log.warning("%s %s: the database is unavailable: %r", request.method, request.url.path, exc)
    return JSONResponse(
        _body(
            "The service cannot reach its database right now; please try again shortly",
            ErrorCode.UNAVAILABLE,
        ),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse | None:
    if request.scope["type"] != "http":
        return None
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(_body("Something went wrong on the server"), status_code=500)


def install(app: FastAPI) -> None:
    # (Starlette's types have one handler for HTTP or WebSocket; these take both.)
    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, _unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)  # type: ignore[arg-type]
