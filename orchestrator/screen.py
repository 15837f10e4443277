"""What of an answer may go out while it streams. Pure: no I/O.

A specialist's answer is read through a `Screen` twice over: by the specialist, which stops the
model once nothing more may go out, and by the turn's stream (`orchestrator.events`), which
sends what the screen lets through. Both feed the same pieces to screens made alike, so both
let the same text through. `prompt_echo.EchoScreen` holds back an echo of the prompt; a
specialist may add its own (`Chain`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Screen(Protocol):
    @property
    def stopped(self) -> bool:
        """Nothing more goes out: the model may be stopped."""
        ...

    @property
    def echoed(self) -> bool:
        """Stopped at an echo of the prompt."""
        ...

    def feed(self, piece: str) -> str:
        """What may go out now, of all that came so far."""
        ...

    def flush(self) -> str:
        """What may go out of the rest, once the answer has ended."""
        ...


@dataclass
class Chain:
    """Screens one after the other: each reads what the one before let through. `said` is
    everything let through so far."""

    screens: tuple[Screen, ...]
    said: str = ""

    @property
    def stopped(self) -> bool:
        return any(screen.stopped for screen in self.screens)

    @property
    def echoed(self) -> bool:
        return any(screen.echoed for screen in self.screens)

    def feed(self, piece: str) -> str:
        for screen in self.screens:
            piece = screen.feed(piece) if piece else ""
        self.said += piece
        return piece

    def flush(self) -> str:
        out = ""
        for screen in self.screens:
            out = (screen.feed(out) if out else "") + screen.flush()
        self.said += out
        return out
