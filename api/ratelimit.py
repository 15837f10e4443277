"""Per-user message rate limiting over a sliding window. Pure: the clock is passed in."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class SlidingWindow:
    limit: int
    window_s: float
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def check(self, key: str, now: float) -> float | None:
        """Record a hit and return None, or return the seconds to wait if over the limit."""
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return round(hits[0] + self.window_s - now, 3)
        hits.append(now)
        return None
