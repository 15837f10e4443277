"""Request bodies bounded before anyone reads them, and their senders authenticated first.

An ASGI middleware in front of every HTTP route. Before the route sees a byte of the body:
- a request to the authenticated API (`/api/`, and the MCP endpoint `/mcp`) without a valid
  bearer token is answered 401 from its headers alone, its body never read;
- a declared `Content-Length` over the route's cap is answered 413 `BODY_TOO_LARGE` at once;
- a body that arrives without a length (chunked) or with more bytes than it declared is
  counted as it arrives and refused 413 the moment it passes the cap.
A refused body is never read: the answer says `Connection: close` and the server drops the
rest with the connection. What a body may hold is decided here (`BodyLimits`, pure) and the
middleware only applies it, so the rules are tested without a socket.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import InvalidToken, Principal

# The part of the API that needs a bearer token on every route: decided before the body.
AUTHENTICATED_PREFIXES = ("/api/", "/mcp")
PRINCIPAL_KEY = "principal"  # where an authenticated caller is left in the scope's state


@dataclass(frozen=True)
class BodyLimits:
    """The largest body each route takes: the first prefix that matches, else the default."""

    default_bytes: int
    routes: Sequence[tuple[str, int]] = ()

    def for_path(self, path: str) -> int:
        for prefix, limit in self.routes:
            if under(path, prefix):
                return limit
        return self.default_bytes


def under(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or below it (`/mcp`, `/mcp/x`; not `/mcpx`)."""
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def declared_length(headers: Sequence[tuple[bytes, bytes]]) -> int | None:
    """The `Content-Length` a request declares; None without one; ValueError if it is not a
    number (or there are two that disagree)."""
    values = {value.strip() for name, value in headers if name.lower() == b"content-length"}
    if not values:
        return None
    if len(values) > 1:
        raise ValueError("conflicting Content-Length headers")
    (value,) = values
    if not value.isdigit():
        raise ValueError("Content-Length is not a number")
    return int(value)


def bearer_token(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The token of an `Authorization: Bearer …` header, if the request has one."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


def needs_token(path: str) -> bool:
    return any(under(path, prefix) for prefix in AUTHENTICATED_PREFIXES)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str
    headers: tuple[tuple[bytes, bytes], ...] = ()


AUTH_REQUIRED = Refusal(
    401,
    "AUTH_REQUIRED",
    "Send Authorization: Bearer <token>",
    ((b"www-authenticate", b"Bearer"),),
)


def too_large(limit: int) -> Refusal:
    return Refusal(
        413, "BODY_TOO_LARGE", f"The request body is larger than this route takes ({limit} bytes)"
    )


class BodyTooLarge(HTTPException):
    """More bytes arrived than the route takes. An HTTPException, so that the route's own body
    reading (FastAPI turns other errors there into a 400) answers it as the 413 it is."""

    def __init__(self, limit: int) -> None:
        refusal = too_large(limit)
        super().__init__(
            refusal.status,
            {"code": refusal.code, "message": refusal.message},
            {"Connection": "close"},
        )
        self.limit = limit


def check_request(
    path: str,
    headers: Sequence[tuple[bytes, bytes]],
    limits: BodyLimits,
    verify: Callable[[str], Principal] | None,
) -> Refusal | Principal | None:
    """What to do with a request from its headers alone: a refusal, or go on (with the
    authenticated caller where the route needs one). `verify` is None while the service has no
    secret to check tokens with (before start-up)."""
    principal: Principal | None = None
    if needs_token(path):
        token = bearer_token(headers)
        if token is None:
            return AUTH_REQUIRED
        if verify is None:
            return Refusal(503, "UNAVAILABLE", "The service is starting; try again shortly")
        try:
            principal = verify(token)
        except InvalidToken as exc:
            return Refusal(401, "AUTH_FAILED", str(exc), AUTH_REQUIRED.headers)
    try:
        length = declared_length(headers)
    except ValueError as exc:
        return Refusal(400, "INVALID_MESSAGE", f"Bad request: {exc}")
    limit = limits.for_path(path)
    if length is not None and length > limit:
        return too_large(limit)
    return principal


class BodyGuard:
    """The middleware: `verifier` gives the token check once the app has started (its secret
    is read at start-up), None before."""

    def __init__(
        self,
        app: ASGIApp,
        limits: BodyLimits,
        verifier: Callable[[Scope], Callable[[str], Principal] | None],
    ) -> None:
        self.app = app
        self.limits = limits
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        decision = check_request(path, scope["headers"], self.limits, self.verifier(scope))
        if isinstance(decision, Refusal):
            await _refuse(send, decision)
            return
        if decision is not None:
            scope.setdefault("state", {})[PRINCIPAL_KEY] = decision
        limit = self.limits.for_path(path)
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await _refuse(send, too_large(exc.limit))


async def _refuse(send: Send, refusal: Refusal) -> None:
    """The refusal as JSON in the API's error shape, closing the connection: whatever body
    follows is not read."""
    body = json.dumps({"detail": {"code": refusal.code, "message": refusal.message}}).encode()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *refusal.headers,
    ]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def principal_of(state: dict[str, Any]) -> Principal | None:
    """The caller the middleware authenticated for this request, if it did."""
    principal = state.get(PRINCIPAL_KEY)
    return principal if isinstance(principal, Principal) else None
