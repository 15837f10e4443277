"""Which browser pages may open a WebSocket: the origin rule, without I/O."""

from __future__ import annotations

from urllib.parse import urlsplit


def origin_allowed(
    origin: str | None, host: str | None, allowed: list[str], *, development: bool
) -> bool:
    """True for a client that sends no `Origin` (not a browser), an origin in `allowed`, and
    in development also for the server's own pages: an origin naming the host and port the
    request was sent to (`PORT=8012 make run` serves its test page from there)."""
    if origin is None or origin in allowed:
        return True
    if not development or not host:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()
