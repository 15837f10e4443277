"""The load generator: WebSocket sessions, one question each, every arrival time recorded.

Two shapes. `run` (closed): N sessions connect and authenticate first (so idle memory per
connection can be read), wait on one start signal, and ask at once. `visit` (open): one
session connects, authenticates and asks straight away, at a time the caller scheduled.
Session i asks `questions.question(i)`, so a load asks many different questions.

Each session ends in one outcome: `completed`, a server error code (`OVERLOADED` refused
before any work, `TIMEOUT`, `RATE_LIMITED`, ...), or what the client saw instead (no answer
in time, a dropped connection). Times run from sending the message, so time to first token
includes any wait in the server's queue. Clients ask for `partial_response: false`, as the
bare relay never sends the growing answer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import websockets
from websockets.typing import Origin

from bench.questions import question
from tests.utils.server import ORIGIN  # the origin the benchmarked servers allow

COMPLETED: Final = "completed"
OVERLOADED: Final = "OVERLOADED"
TIMEOUT: Final = "TIMEOUT"
NO_ANSWER: Final = "no answer (client gave up)"
CONNECTION: Final = "connection failed"
AUTH: Final = "auth refused"


@dataclass
class Session:
    """What one client saw, in seconds since it sent its message (None: never arrived)."""

    index: int
    question: str = ""
    arrived_at: float = 0.0  # perf_counter when it began to connect
    connect: float | None = None  # connect + auth, seconds
    sent_at: float = 0.0
    progress: float | None = None
    queued: float | None = None  # the first `progress` step `queued`
    position: int | None = None  # the place in line it was first told
    routed: float | None = None  # the first progress that names a specialist
    sources: float | None = None
    first_token: float | None = None
    complete: float | None = None
    completed_at: float | None = None  # perf_counter, for throughput windows
    refused: float | None = None  # OVERLOADED arrived this long after the message
    retry_after: float | None = None
    tokens: int = 0
    frames: int = 0
    outcome: str | None = None  # COMPLETED, a server error code, or a client-side failure
    error: str | None = None  # what the client saw, for notes

    @property
    def ok(self) -> bool:
        return self.outcome == COMPLETED

    @property
    def wait(self) -> float | None:
        """Seconds from beginning to connect to the first token: what a new customer waits."""
        if self.connect is None or self.first_token is None:
            return None
        return self.connect + self.first_token

    def failed(self, outcome: str, error: str) -> None:
        self.outcome, self.error = outcome, error


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


def outcomes(sessions: Iterable[Session]) -> dict[str, int]:
    """How many sessions ended each way, `completed` first."""
    counts = Counter(s.outcome or NO_ANSWER for s in sessions)
    return {COMPLETED: counts.pop(COMPLETED, 0), **dict(counts.most_common())}


def timings(sessions: Iterable[Session], stage: str) -> list[float]:
    """The seconds from message to `stage` for every session that reached it."""
    values = [getattr(s, stage) for s in sessions]
    return [v for v in values if v is not None]


def _elapsed(session: Session) -> float:
    return time.perf_counter() - session.sent_at


TOKEN_MARKS: Final = ('"type":"token"', '"type": "token"')  # ours (pydantic); the relay's


def is_token_frame(raw: str | bytes) -> bool:
    """Whether a server frame is a `token` event, without parsing it: a quote inside a JSON
    string is escaped, so the unescaped `"type":"token"` is only ever the event's own key."""
    text = raw if isinstance(raw, str) else raw.decode()
    return any(mark in text for mark in TOKEN_MARKS)


def _read_frame(session: Session, raw: str | bytes, skim: bool) -> bool:
    """Record one raw frame; True once the turn has ended. With `skim`, a token frame after
    the first is counted (frames, not words) and not parsed: what an open-loop generator
    needs, at a fraction of its CPU."""
    if skim and session.first_token is not None and is_token_frame(raw):
        session.frames += 1
        return False
    return _read(session, json.loads(raw))


def _read(session: Session, event: dict[str, Any]) -> bool:
    """Record one server event; True once the turn has ended."""
    kind = event.get("type")
    if kind == "progress":
        if session.progress is None:
            session.progress = _elapsed(session)
        if event.get("step") == "queued" and session.queued is None:
            session.queued = _elapsed(session)
            session.position = event.get("position")
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
        session.outcome = COMPLETED
        return True
    elif kind == "error":
        code = str(event.get("code") or "error")
        if code == OVERLOADED:
            session.refused = _elapsed(session)
            session.retry_after = event.get("retry_after")
        session.failed(code, f"error: {code}: {str(event.get('error'))[:120]}")
        return True
    elif kind == "cancelled":
        session.failed("cancelled", "cancelled")
        return True
    return False


async def _session(
    session: Session,
    url: str,
    token: str,
    start: asyncio.Event,
    ready: Callable[[], None],
    timeout_s: float,
    skim: bool = False,
    delay_s: float = 0.0,
) -> Session:
    """Fill in `session` as its events arrive (so a caller may watch it live); it asks
    `delay_s` after the start."""
    began = session.arrived_at = time.perf_counter()
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
                session.failed(AUTH, f"auth: {reply}")
                ready()
                return session
            session.connect = time.perf_counter() - began
            ready()
            await start.wait()
            if delay_s:
                await asyncio.sleep(delay_s)
            session.sent_at = time.perf_counter()
            frame = {"type": "message", "message": session.question, "partial_response": False}
            await ws.send(json.dumps(frame))
            async with asyncio.timeout(timeout_s):
                while not _read_frame(session, await ws.recv(), skim):
                    pass
    except TimeoutError:
        session.failed(NO_ANSWER, f"no answer in {timeout_s:g} s")
    except (OSError, websockets.WebSocketException) as exc:
        session.failed(CONNECTION, f"{type(exc).__name__}: {exc}")
    finally:
        if session.sent_at == 0.0:
            ready()
    return session


async def visit(url: str, token: str, session: Session, *, timeout_s: float = 300.0) -> Session:
    """One open-loop arrival: connect, authenticate and ask `session.question` at once. Token
    frames after the first are counted, not parsed (`session.tokens` stops at the first)."""
    go = asyncio.Event()
    go.set()
    return await _session(session, url, token, go, lambda: None, timeout_s, skim=True)


def asking(index: int) -> Session:
    """A session that will ask `question(index)`."""
    return Session(index, question=question(index))


async def run(
    url: str,
    tokens: list[str],
    *,
    first: int = 0,
    timeout_s: float = 300.0,
    connect_concurrency: int = 50,
    when_idle: Callable[[], Awaitable[dict[str, Any]]] | None = None,
    spread_s: float = 0.0,
) -> Load:
    """Connect len(tokens) sessions, then send every question at once (or one every
    `spread_s / len(tokens)`: a steady rate); wait for all answers.

    Session i asks `question(first + i)`. `when_idle` runs once every session is connected
    and authenticated and none has sent anything yet (the scenario reads the server's RSS
    there).
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

            session = Session(index, question=question(first + index))
            delay = spread_s * index / count
            task = asyncio.create_task(
                _session(session, url, token, start, mark, timeout_s, delay_s=delay)
            )
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
