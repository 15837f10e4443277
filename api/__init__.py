"""The FastAPI app: the WebSocket chat and staff protocols, REST routes, pages.

Each name below is a module (or package) of this package; import it by name.
"""

__all__ = [
    "admission",
    "app",
    "auth",
    "channels",
    "charts",
    "coalesce",
    "console_metrics",
    "deps",
    "handoff",
    "handoff_rules",
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
    "turn_events",
    "turn_queue",
    "ws",
    "ws_staff",
    "ws_transport",
]
