"""`/mcp`: the tools over Streamable HTTP, the official SDK's transport, in stateless mode:
each request stands alone, so any worker or instance answers it (a conversation lives in the
chat session `ask` names, not in an MCP session).

The caller is authenticated as on the REST API: `api.body_guard` refuses a request without a
valid bearer token (401) before its body is read, and leaves the principal in the scope, where
the tools read it. This endpoint refuses a browser page of a foreign origin (403), by the
WebSocket's rule, and a GET (405): there is no stream of the server's own to listen on."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from api.body_guard import principal_of
from api.deps import AppState
from api.origins import origin_allowed
from orchestrator.settings import Environment

PATH = "/mcp"


class McpEndpoint:
    """The ASGI app served at `PATH`; `running()` belongs in the app's lifespan."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server
        # This builds the server's session manager; the Starlette app it returns is left aside
        # and the manager's own ASGI app served, so that the request a tool sees is still ours
        # (its app's state, the caller the body guard left in its scope).
        server.streamable_http_app(
            stateless_http=True,
            # Its DNS-rebinding check needs every Host name the service is reached by; the
            # bearer token and the Origin rule below stand in for it.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.transport = StreamableHTTPASGIApp(server.session_manager)

    def running(self) -> AbstractAsyncContextManager[None]:
        """The SDK's session manager, which runs each request's exchange."""
        return self.server.session_manager.run()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if principal_of(scope.get("state", {})) is None:  # not behind the body guard
            refusal = {"code": "AUTH_REQUIRED", "message": "Send Authorization: Bearer <token>"}
            challenge = {"WWW-Authenticate": "Bearer"}
            await JSONResponse({"detail": refusal}, 401, challenge)(scope, receive, send)
            return
        state: AppState = scope["app"].state.app
        settings, headers = state.settings, Headers(scope=scope)
        if not origin_allowed(
            headers.get("origin"),
            headers.get("host"),
            settings.allowed_origins,
            development=settings.environment is Environment.development,
        ):
            refusal = {"code": "FORBIDDEN", "message": "Origin not allowed"}
            await JSONResponse({"detail": refusal}, 403)(scope, receive, send)
            return
        if scope["method"] == "GET":
            # Stateless, the server never speaks first: a stream to listen on would stay open
            # with nothing to say (the transport keeps it open), so there is none (405, as the
            # specification allows).
            refusal = {"code": "METHOD_NOT_ALLOWED", "message": "POST each message"}
            await JSONResponse({"detail": refusal}, 405, {"Allow": "POST"})(scope, receive, send)
            return
        await self.transport(scope, receive, send)
