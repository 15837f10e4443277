"""The FastAPI app: the WebSocket chat and staff protocols, REST routes, pages.

Each name below is a module (or package) of this package; import it by name.
"""

__all__ = [
    "app",
    "auth",
    "console",
    "deps",
    "http_errors",
    "live",
    "main",
    "metrics",
    "observe",
    "origins",
    "protocol",
    "routes",
    "serve",
    "session",
    "stopping",
    "ws",
    "ws_staff",
    "ws_transport",
]
