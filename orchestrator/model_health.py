"""Whether the language model can be reached, as calls and probes found it. Pure: no I/O.

Time comes in as an argument, so tests need no clock. A model found unreachable is not called
by turns (they are answered offline meanwhile, at once) until something reaches it again: the
probe (`orchestrator.model_probe`) where one watches it, else the one turn let through once
every `recheck_s`.
"""

from __future__ import annotations

from typing import Literal

import httpx

ModelState = Literal["unknown", "ok", "unreachable"]


def unreachable(exc: BaseException) -> bool:
    """Whether a failed model call says that the model's server could not be reached: the
    connection refused, or not made in time (an SDK's error caused by one). A connection that
    dropped mid-answer, or a server that answered badly or slowly, is something else."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout):
            return True
        cause = cause.__cause__
    return False


class ModelHealth:
    """The model's state (`unknown` until something reached it or failed to), and when it may
    be tried again while it is `unreachable`."""

    def __init__(self, recheck_s: float = 5.0) -> None:
        self.recheck_s = recheck_s
        self.state: ModelState = "unknown"
        self.watched = False  # a probe tries it again: turns need not
        self._retry_at = 0.0

    def reached(self) -> None:
        """A call or a probe got an answer from the model's server."""
        self.state = "ok"

    def failed(self, now: float) -> None:
        """A call or a probe could not reach it: not tried again before `recheck_s`."""
        self.state = "unreachable"
        self._retry_at = now + self.recheck_s

    def worth_calling(self, now: float) -> bool:
        """Whether a turn should call the model now. While it is unreachable, no, unless no
        probe watches it: then one caller a `recheck_s` is told yes (it tries it again)."""
        if self.state != "unreachable":
            return True
        if self.watched or now < self._retry_at:
            return False
        self._retry_at = now + self.recheck_s
        return True
