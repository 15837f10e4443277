"""The load generator: N WebSocket sessions, one message each, every arrival time recorded.

Sessions connect and authenticate first (so idle memory per connection can be read), wait on
one start signal, send their message, and record when each kind of event first arrived.
Clients ask for `partial_response: false`, as the bare relay never sends the growing answer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.typing import Origin

from tests.utils.server import ORIGIN  # the origin the benchmarked servers allow

MESSAGE = "What is the towing capacity of the Ridge Tow Pack?"  # one specialist, no tools


@dataclass
class Session:
    """What one client saw, in seconds since it sent its message (None: never arrived)."""

    index: int
    sent_at: float = 0.0
    progress: float | None = None
    routed: float | None = None  # the first progress that names a specialist
    sources: float | None = None
    first_token: float | None = None
    complete: float | None = None
    completed_at: float | None = None  # perf_counter, for throughput windows
    tokens: int = 0
    frames: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.complete is not None


@dataclass
class Load:
    sessions: list[Session]
    started_at: float  # perf_counter when the start signal fired
    finished_at: float
    connected_at: float  # when the last session had authenticated
    connect_s: float
    idle_probe: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> list[Session]:
        return [s for s in self.sessions if s.ok]

    @property
    def errors(self) -> list[str]:
        return [s.error or "no complete" for s in self.sessions if not s.ok]

    @property
    def tokens(self) -> int:
        return sum(s.tokens for s in self.sessions)

    @property
    def wall_s(self) -> float:
        return self.finished_at - self.started_at

    def tokens_per_s(self) -> float:
        return self.tokens / self.wall_s if self.wall_s > 0 else 0.0


def _elapsed(session: Session) -> float:
    return time.perf_counter() - session.sent_at


async def _session(
    index: int,
    url: str,
    token: str,
    start: asyncio.Event,
    ready: Callable[[], None],
    message: str,
    timeout_s: float,
) -> Session:
    session = Session(index)
    try:
        async with websockets.connect(
            url,
            origin=Origin(ORIGIN),
            max_size=2**22,
            open_timeout=timeout_s,
            # No client keepalive: a load generator must not hang up on a slow server (its
            # pings timed out 900 relay sessions at 1,000); the server still pings.
            ping_interval=None,
        ) as ws:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), timeout_s))
            if reply.get("type") != "auth_success":
                session.error = f"auth: {reply}"
                ready()
                return session
            ready()
            await start.wait()
            session.sent_at = time.perf_counter()
            frame = {"type": "message", "message": message, "partial_response": False}
            await ws.send(json.dumps(frame))
            async with asyncio.timeout(timeout_s):
                while True:
                    event = json.loads(await ws.recv())
                    kind = event.get("type")
                    if kind == "progress":
                        if session.progress is None:
                            session.progress = _elapsed(session)
                        if event.get("agent") and session.routed is None:
                            session.routed = _elapsed(session)
                    elif kind == "sources" and session.sources is None:
                        session.sources = _elapsed(session)
                    elif kind == "token":
                        session.frames += 1
                        session.tokens += len(event["token"].split())
                        if session.first_token is None:
                            session.first_token = _elapsed(session)
                    elif kind == "complete":
                        session.complete = _elapsed(session)
                        session.completed_at = time.perf_counter()
                        return session
                    elif kind in ("error", "cancelled"):
                        session.error = f"{kind}: {event.get('code') or event.get('error')}"
                        return session
    except TimeoutError:
        session.error = "timeout"
    except (OSError, websockets.WebSocketException) as exc:
        session.error = f"{type(exc).__name__}: {exc}"
    finally:
        if session.sent_at == 0.0:
            ready()
    return session


async def run(
    url: str,
    tokens: list[str],
    *,
    message: str = MESSAGE,
    timeout_s: float = 300.0,
    connect_concurrency: int = 50,
    when_idle: Callable[[], Awaitable[dict[str, Any]]] | None = None,
) -> Load:
    """Connect len(tokens) sessions, then send every message at once; wait for all answers.

    `when_idle` runs once every session is connected and authenticated and none has sent
    anything yet (the scenario reads the server's RSS there).
    """
    count = len(tokens)
    start = asyncio.Event()
    all_ready = asyncio.Event()
    pending = count
    gate = asyncio.Semaphore(connect_concurrency)  # a connect storm is not what we measure

    def ready() -> None:
        nonlocal pending
        pending -= 1
        if pending == 0:
            all_ready.set()

    async def one(index: int, token: str) -> Session:
        async with gate:
            connected = asyncio.Event()

            def mark() -> None:
                if not connected.is_set():
                    connected.set()
                    ready()

            task = asyncio.create_task(_session(index, url, token, start, mark, message, timeout_s))
            done = asyncio.create_task(connected.wait())
            await asyncio.wait({task, done}, return_when=asyncio.FIRST_COMPLETED)
            done.cancel()
        return await task

    connecting = time.perf_counter()
    tasks = [asyncio.create_task(one(i, t)) for i, t in enumerate(tokens)]
    await all_ready.wait()
    connected_at = time.perf_counter()
    idle = await when_idle() if when_idle is not None else {}
    started = time.perf_counter()
    start.set()
    sessions = await asyncio.gather(*tasks)
    finished = max((s.completed_at or 0.0 for s in sessions), default=started) or started
    return Load(
        sessions=list(sessions),
        started_at=started,
        finished_at=max(finished, started),
        connected_at=connected_at,
        connect_s=connected_at - connecting,
        idle_probe=idle,
    )


def timings(sessions: Iterable[Session], stage: str) -> list[float]:
    """The seconds from message to `stage` for every session that reached it."""
    values = [getattr(s, stage) for s in sessions]
    return [v for v in values if v is not None]
