"""Memory: many short sessions on one real server, its RSS read every 1,000 (issue 27).

Each session is a customer of its own: it connects to `/ws/chat`, authenticates, asks one
question, reads to the turn's terminal event and closes; eight clients do this one session
after another. A turn is kept cheap (LLM mode, the simulator answers a few tokens at once),
so 10,000 sessions take minutes. The server's RSS (its process tree, from /proc) is read
after a warm-up, then every 1,000 sessions; the figure is its growth per 1,000 sessions
after the warm-up. The same load runs against the bare relay, which keeps nothing per
session: its growth is the floor (the allocator and the libraries settling).

A server keeps each ended session for `LIVE_SESSION_IDLE_S` (300 s by default) so that a
client can `resume` it; at ~18 sessions/s that window alone holds ~5,000 sessions. The
scenario sets it to 20 s, so the window is full before the warm-up ends and what grows after
it grows with the sessions seen, not with the ones kept on purpose.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from bench import load
from bench.common import Context, Figure, Result, Scenario, log
from bench.procs import Measurable, relay, simulator
from bench.stack import customer_tokens, served

NAME = "memory"
FULL_SESSIONS: Final = 10_000
QUICK_SESSIONS: Final = 2_000
WARMUP: Final = 1_000  # sessions before the first reading that counts
EVERY: Final = 1_000
CLIENTS: Final = 8  # sessions at a time
ANSWER_TOKENS: Final = 5
IDLE_S: Final = 20.0  # LIVE_SESSION_IDLE_S for the servers measured
CLIENT_WAIT_S: Final = 120.0
# Flat: one more KiB held per session seen would read as 1 MiB per 1,000, about what the
# allocator's own settling moves by in a flat run. An ended session kept for `resume`
# costs ~3 KiB (~28 before issue 27's cuts), so a leak of all of it would read ~3 MiB.
TARGET_MIB: Final = 1.0


@dataclass
class Series:
    """One server under the load: its RSS after every `EVERY` sessions."""

    label: str
    sessions: int
    warmup: int
    readings: list[tuple[int, int]] = field(default_factory=list)  # (sessions done, RSS KiB)
    failures: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    after_idle_kib: int | None = None  # after the idle window, nothing arriving meanwhile
    live_after_idle: int | None = None  # sessions the server still held then (its /metrics)

    def rss_at(self, done: int) -> int:
        return next(kib for n, kib in self.readings if n == done)

    @property
    def growth_mib_per_1000(self) -> float:
        """RSS growth from the warm-up to the last reading, per 1,000 sessions."""
        return self.growth_from(self.warmup)

    @property
    def second_half(self) -> int:
        """The reading that starts the run's second half."""
        return max(self.warmup, self.sessions // 2 // EVERY * EVERY)

    def growth_from(self, start: int) -> float:
        """RSS growth from the reading at `start` to the last, per 1,000 sessions."""
        last, last_kib = self.readings[-1]
        return (last_kib - self.rss_at(start)) / 1024 / ((last - start) / 1000)

    def as_json(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "warmup": self.warmup,
            "rss_mib": {str(n): round(kib / 1024, 1) for n, kib in self.readings},
            "growth_mib_per_1000": round(self.growth_mib_per_1000, 2),
            "second_half_growth_mib_per_1000": round(self.growth_from(self.second_half), 2),
            "rss_after_idle_mib": _mib(self.after_idle_kib),
            "live_sessions_after_idle": self.live_after_idle,
            "failures": len(self.failures),
            "failures_seen": dict(Counter(self.failures).most_common(3)),
            "sessions_per_s": round(self.sessions / self.wall_s, 1) if self.wall_s else None,
            "server_cpu_ms_per_session": round(1000 * self.cpu_s / self.sessions, 1),
        }

    def describe(self) -> str:
        points = ", ".join(f"{n:,}: {kib / 1024:.1f}" for n, kib in self.readings)
        return (
            f"{self.label}: RSS in MiB after N sessions {points}"
            + (
                f"; after {IDLE_S * 1.5 + 1:g} s idle {self.after_idle_kib / 1024:.1f}"
                + (
                    f" ({self.live_after_idle} sessions still held)"
                    if self.live_after_idle is not None
                    else ""
                )
                if self.after_idle_kib is not None
                else ""
            )
            + f"; {len(self.failures)} sessions failed"
        )


def _mib(kib: int | None) -> float | None:
    return None if kib is None else round(kib / 1024, 1)


async def _sessions(service: Measurable, series: Series, prefix: str) -> None:
    """`series.sessions` sessions, `CLIENTS` at a time; RSS read every `EVERY`."""
    url = f"{service.url}/ws/chat"
    tokens = customer_tokens(series.sessions, prefix=prefix)
    next_index = done = 0

    async def client() -> None:
        nonlocal next_index, done
        while next_index < series.sessions:
            index, next_index = next_index, next_index + 1
            seen = await load.visit(url, tokens[index], load.asking(index), timeout_s=CLIENT_WAIT_S)
            if not seen.ok:
                series.failures.append(seen.error or str(seen.outcome))
            done += 1
            if done % EVERY == 0 or done == series.warmup:
                rss = service.rss_kib()
                series.readings.append((done, rss))
                log(f"{NAME}: {series.label}: {done:,} sessions, RSS {rss / 1024:.1f} MiB")

    started_at, cpu_before = time.perf_counter(), service.cpu_s()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    series.wall_s = time.perf_counter() - started_at
    series.cpu_s = service.cpu_s() - cpu_before
    # The window passes with nothing sent: the server's timer sweeps what it kept.
    await asyncio.sleep(IDLE_S * 1.5 + 1)
    series.after_idle_kib = service.rss_kib()
    series.live_after_idle = _live_sessions(service)


def _live_sessions(service: Measurable) -> int | None:
    """The sessions a server holds live state for, from its /metrics (None: it has none)."""
    try:
        metrics = httpx.get(f"{service.url.replace('ws', 'http', 1)}/metrics", timeout=10)
    except httpx.HTTPError:
        return None
    if metrics.status_code != 200:
        return None
    for line in metrics.text.splitlines():
        if line.startswith("orchestrator_live_sessions "):
            return int(float(line.split()[-1]))
    return None


def _spans(series: Series) -> list[tuple[int, str]]:
    """Where growth is measured from: the warm-up, and the second half when it is later (the
    allocator and SQLite's page caches still settle for a while after the warm-up)."""
    spans = [(series.warmup, f"{series.warmup:,} → {series.sessions:,} sessions")]
    if series.second_half > series.warmup:
        spans.append((series.second_half, f"{series.second_half:,} → {series.sessions:,}"))
    return spans


def measure(service: Measurable, label: str, sessions: int, prefix: str) -> Series:
    series = Series(label, sessions, WARMUP)
    asyncio.run(_sessions(service, series, prefix))
    log(f"{NAME}: {series.describe()}")
    return series


def run(ctx: Context) -> Result:
    from bench.scaleout import _redis_env

    sessions = QUICK_SESSIONS if ctx.quick else FULL_SESSIONS
    command = ctx.command(NAME)
    env = {"LIVE_SESSION_IDLE_S": f"{IDLE_S:g}"}
    servers: list[tuple[str, str, AbstractContextManager[Any]]] = []
    with simulator(ctx.workdir, tokens_per_s=None, answer_tokens=ANSWER_TOKENS) as sim:
        servers.append(("relay", "bare relay", relay(ctx.workdir, sim.url)))
        servers.append(
            (
                "sqlite",
                "SQLite (default)",
                served(ctx, "memory-sqlite", sim.url, database="sqlite", env=env),
            )
        )
        if not ctx.quick:
            redis = _redis_env("memory", redis=True)
            servers.append(
                (
                    "postgresql-redis",
                    "PostgreSQL and Redis",
                    served(ctx, "memory-postgresql", sim.url, env=env | redis),
                )
            )
        runs: dict[str, Series] = {}
        for key, label, started in servers:
            with started as service:
                runs[key] = measure(service, label, sessions, f"memory-{key}")
    floor = runs.pop("relay")
    figures = [
        Figure(
            name=(
                f"{series.label}: RSS growth per 1,000 short sessions, {span} "
                f"(resume window {IDLE_S:g} s, not the default 300 s)"
            ),
            value=series.growth_from(start),
            unit="MiB",
            baseline=floor.growth_from(start),
            baseline_label="bare relay, same load",
            ratio=None,
            ratio_label="",
            command=command,
            target=f"≤ {TARGET_MIB:g} MiB",
            met=series.growth_from(start) <= TARGET_MIB,
        )
        for series in runs.values()
        for start, span in _spans(series)
    ]
    return Result(
        figures=figures,
        notes=[f"Memory, {s.describe()}." for s in (*runs.values(), floor)],
        details={key: s.as_json() for key, s in {**runs, "relay": floor}.items()},
        method=(
            f"{sessions:,} short sessions against one server: each a customer of its own "
            "that connects to `/ws/chat`, authenticates, asks one question (session i asks "
            "question i of `bench/questions.py`), reads to the terminal event and closes; "
            f"{CLIENTS} clients run sessions one after another. LLM mode against the simulator "
            f"answering {ANSWER_TOKENS} tokens at once, so a turn is cheap. The server's RSS "
            f"(process tree, /proc) is read after {WARMUP:,} sessions, then every {EVERY:,}; "
            "the figures are its growth per 1,000 sessions from the warm-up to the end, and "
            "over the run's second half, against the bare relay's under the same load (it "
            "keeps nothing per session). "
            f"`LIVE_SESSION_IDLE_S` is {IDLE_S:g} s (default 300 s): an ended session is "
            "kept that long for `resume`, so the window fills during the warm-up and what "
            "grows after it grows with the sessions seen. Once the load ends the server "
            f"idles {IDLE_S * 1.5 + 1:g} s with nothing arriving (its timer sweeps the idle "
            "sessions) and a last reading, with the sessions it still holds "
            "(`orchestrator_live_sessions`). SQLite (no DATABASE_URL), and in a full run "
            "PostgreSQL with Redis (REDIS_URL: live state, leases, rate limits)."
        ),
    )


SCENARIO = Scenario(
    name=NAME,
    title="Memory: 10,000 short sessions on one server",
    run=run,
    summary="RSS growth per 1,000 short sessions (connect, ask, read the answer, close) after "
    "a warm-up, on SQLite and on PostgreSQL with Redis, against the bare relay.",
)
