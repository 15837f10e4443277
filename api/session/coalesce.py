"""Token coalescing: tokens that arrive within a few milliseconds go out as one `token` frame.

Merging happens before events are numbered, so `seq` still rises by one per frame and the
protocol is unchanged: a frame's `token` is simply longer. The first token of a burst goes
out at once (no added time to first token); tokens arriving within `window_s` of the last
frame are held and merged, and a timer sends them at the window's end if nothing else does.
Any other event sends the held tokens first, so order is kept.

The window widens with the number of turns under way in the process (those still waiting for
their first token included: they are about to stream, and they are the ones a busy loop keeps
waiting): the process sends at most about `frames_per_s` token frames a second in all, each
turn its share, between the configured window and `MAX_WINDOW_S`. One answer streams token by
token; a hundred at once send a few frames a second each, and the event loop they share keeps
time for the turns still waiting for their first token.

`TokenMerger` and `window_s` are the pure decisions (clock passed in); `FrameBudget` counts
the streams; `TokenCoalescer` adds the timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from api.protocol import TokenEvent

MAX_WINDOW_S: Final = 0.25  # however many streams: an answer still moves four times a second


def window_s(streams: int, floor_s: float, frames_per_s: float) -> float:
    """How long a stream's tokens are held to be merged, with `streams` turns under way in the
    process: each one's share of `frames_per_s` (0: no budget), never under `floor_s` nor over
    `MAX_WINDOW_S` (unless `floor_s` is over it)."""
    if frames_per_s <= 0 or streams <= 0:
        return floor_s
    return max(floor_s, min(MAX_WINDOW_S, streams / frames_per_s))


@dataclass
class FrameBudget:
    """The process's token frames a second, shared by the turns under way."""

    floor_s: float
    frames_per_s: float
    streams: int = 0

    def window_s(self) -> float:
        return window_s(self.streams, self.floor_s, self.frames_per_s)


def merge(first: TokenEvent, second: TokenEvent) -> TokenEvent:
    """One frame holding both tokens; the later one's `partial_response` is the answer so far."""
    return second.model_copy(update={"token": first.token + second.token})


@dataclass
class TokenMerger:
    """Decides, for each token at time `now`, whether it goes out now or waits to be merged."""

    window_s: float
    held: TokenEvent | None = None
    last_sent: float = float("-inf")

    def offer(self, token: TokenEvent, now: float) -> TokenEvent | None:
        """The frame to send now, or None when the token is held (see `due_at`)."""
        if self.held is None and now - self.last_sent >= self.window_s:
            self.last_sent = now
            return token
        self.held = token if self.held is None else merge(self.held, token)
        return None

    @property
    def due_at(self) -> float:
        """When held tokens must go out at the latest."""
        return self.last_sent + self.window_s

    def take(self, now: float) -> TokenEvent | None:
        """The held tokens as one frame (None if nothing is held)."""
        held, self.held = self.held, None
        if held is not None:
            self.last_sent = now
        return held


class TokenCoalescer:
    """Feeds `send` with merged token frames; `flush()` before sending any other event.

    With a `budget`, the coalescer counts as one of its streams until `close()`, and its window
    is the budget's share at each token."""

    def __init__(
        self,
        window_s: float,
        send: Callable[[TokenEvent], None],
        budget: FrameBudget | None = None,
    ) -> None:
        self._merger = TokenMerger(window_s)
        self._send = send
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._budget = budget
        if budget is not None:
            budget.streams += 1

    def close(self) -> None:
        """The stream ended: it no longer takes a share of the budget (held tokens stay held
        until `flush`)."""
        if self._budget is not None:
            self._budget.streams -= 1
            self._budget = None

    def add(self, token: TokenEvent) -> None:
        if self._budget is not None:
            self._merger.window_s = self._budget.window_s()
        if self._merger.window_s <= 0:
            self._send(token)
            return
        ready = self._merger.offer(token, self._loop.time())
        if ready is not None:
            self._send(ready)
        elif self._timer is None:
            self._timer = self._loop.call_at(self._merger.due_at, self.flush)

    def flush(self) -> None:
        """Send whatever is held now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        held = self._merger.take(self._loop.time())
        if held is not None:
            self._send(held)
