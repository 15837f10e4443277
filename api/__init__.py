"""The FastAPI app. Its top level holds the adapters: the app and what routes share (`app`,
`deps`, `auth`, and `body_guard`, which bounds request bodies and authenticates their senders
before they are read), the WebSocket endpoints (`ws`, `ws_staff`, `ws_transport`, `ws_compression`),
start and stop (`main`, `serve`, `stopping`), the process's metrics (`metrics`, `observe`) and
its log's format (`log_format`).
Each other job is a package: `protocol` (the wire contract), `session` (sessions and their
turns), `live` (the state instances share), `console` (the console's charts), `routes` (one
router per resource), `mcp` (the MCP server at `/mcp`).

Importing `api` loads none of them (uvicorn loads `api.main:app`, the command line `api.serve`
and `api.auth`): each name below is a module or package of this one; import it by name.
"""

__all__ = [
    "app",
    "auth",
    "body_guard",
    "console",
    "deps",
    "http_errors",
    "live",
    "log_format",
    "main",
    "mcp",
    "metrics",
    "observe",
    "origins",
    "protocol",
    "routes",
    "serve",
    "session",
    "stopping",
    "ws",
    "ws_compression",
    "ws_staff",
    "ws_transport",
]
