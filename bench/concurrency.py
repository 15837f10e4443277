"""Scenario 3: 100, 500 and 1,000 concurrent WebSocket sessions, against the bare relay.

Every session is a customer of its own: it connects and authenticates, then all send one
question (each a different one, `bench.questions`) at the same moment and receive a 200-token
answer paced at 30 tokens/s by the simulator. Our server runs with the product's defaults on
the embedded SQLite and again on PostgreSQL; the same load runs against the bare relay in the
same run: it is the floor. Each session's outcome is counted: completed, refused at once
(`OVERLOADED`, with how long the refusal took), `TIMEOUT`, or anything else. The load
generator, the simulator and the server share the machine's cores, so the server's own CPU
is read from /proc.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench import load
from bench.common import Context, Figure, Result, Scenario, log, ms, percentile, ratio
from bench.procs import Measurable
from bench.questions import QUESTIONS
from bench.stack import DATABASES, customer_tokens, served, shared

NAME = "concurrency"
FULL_SIZES = (100, 500, 1000)
QUICK_SIZES = (30,)  # quick: the relay and the shared (PostgreSQL) server only
WORKERS_SIZES = (500,)  # `--workers 2` is measured at this size in a full run
ANSWER_TOKENS = 200
TOKENS_PER_S = 30.0
# How long a client waits for its answer: past the server's own bounds (a queued turn waits
# up to QUEUE_MAX_WAIT_S, 120 s, then has TURN_TIMEOUT_S, 60 s), so that what ends a turn is
# the server's doing, reported as its error code.
CLIENT_WAIT_S = 600.0
WARMUP_SESSIONS = 10
OURS = ("sqlite", "postgresql")  # our server's runs, each against the relay's
TWO_WORKERS = "postgresql-2-workers"
LABELS = {"relay": "bare relay", **DATABASES, TWO_WORKERS: "PostgreSQL, `--workers 2`"}
COMPLETE_TARGET = 0.95
REFUSAL_TARGET_S = 1.0


@dataclass
class Measured:
    """One load against one server."""

    sessions: int
    ok: int
    errors: list[str]
    outcomes: dict[str, int]  # load.outcomes: completed, OVERLOADED, TIMEOUT, ...
    refusal_s: list[float]  # message → OVERLOADED, for each refused session
    queued: int  # sessions told a place in line before their turn started
    ttft_s: list[float]
    tokens: int
    wall_s: float
    cpu_s: float
    rss_before_kib: int
    rss_idle_kib: int
    rss_after_kib: int
    connect_s: float

    def ttft_ms(self, q: float) -> float:
        """Time to first token at percentile `q`, in ms (NaN when no session got one)."""
        return ms(percentile(self.ttft_s, q)) if self.ttft_s else float("nan")

    @property
    def success_rate(self) -> float:
        return self.ok / self.sessions

    def count(self, outcome: str) -> int:
        return self.outcomes.get(outcome, 0)

    @property
    def other_errors(self) -> int:
        counted = (load.COMPLETED, load.OVERLOADED, load.TIMEOUT)
        return sum(n for outcome, n in self.outcomes.items() if outcome not in counted)

    def refusal_ms(self, q: float) -> float | None:
        """Message → OVERLOADED at percentile `q` (100: the slowest), None if none refused."""
        return ms(percentile(self.refusal_s, q)) if self.refusal_s else None

    def describe(self) -> str:
        """The outcomes in one line: completed, refused (and how fast), timed out, other."""
        parts = [f"{n} {outcome}" for outcome, n in self.outcomes.items()]
        if self.refusal_s:
            parts.append(
                f"refused in ≤ {self.refusal_ms(100):.0f} ms (p95 {self.refusal_ms(95):.0f} ms)"
            )
        if self.queued:
            parts.append(f"{self.queued} queued first")
        return ", ".join(parts)

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def idle_kib_per_connection(self) -> float:
        return (self.rss_idle_kib - self.rss_before_kib) / self.sessions

    def as_json(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "ok": self.ok,
            "errors": sorted(set(self.errors))[:10],
            "error_count": len(self.errors),
            "outcomes": self.outcomes,
            "refusal_p95_ms": _rounded(self.refusal_ms(95)),
            "refusal_max_ms": _rounded(self.refusal_ms(100)),
            "queued": self.queued,
            "ttft_p50_ms": round(self.ttft_ms(50), 1) if self.ttft_s else None,
            "ttft_p95_ms": round(self.ttft_ms(95), 1) if self.ttft_s else None,
            "tokens": self.tokens,
            "wall_s": round(self.wall_s, 2),
            "tokens_per_s": round(self.tokens_per_s, 1),
            "server_cpu_s": round(self.cpu_s, 2),
            "server_cpu_cores": round(self.cpu_s / self.wall_s, 2) if self.wall_s else None,
            "rss_before_mib": round(self.rss_before_kib / 1024, 1),
            "rss_idle_mib": round(self.rss_idle_kib / 1024, 1),
            "rss_after_mib": round(self.rss_after_kib / 1024, 1),
            "idle_kib_per_connection": round(self.idle_kib_per_connection, 1),
            "connect_s": round(self.connect_s, 2),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def measure(service: Measurable, sessions: int, prefix: str) -> Measured:
    url = f"{service.url}/ws/chat"
    tokens = customer_tokens(sessions, prefix=f"{prefix}-{sessions}")
    rss_before = service.rss_kib()
    probe: dict[str, int] = {}

    async def when_idle() -> dict[str, Any]:
        await asyncio.sleep(0.5)  # let the server settle every connection
        probe["rss"] = service.rss_kib()
        probe["cpu"] = int(service.cpu_s() * 1000)
        return {}

    result = asyncio.run(load.run(url, tokens, timeout_s=CLIENT_WAIT_S, when_idle=when_idle))
    cpu = service.cpu_s() - probe["cpu"] / 1000
    measured = Measured(
        sessions=sessions,
        ok=len(result.ok),
        errors=result.errors,
        outcomes=load.outcomes(result.sessions),
        refusal_s=load.timings(result.sessions, "refused"),
        queued=len(load.timings(result.sessions, "queued")),
        ttft_s=load.timings(result.sessions, "first_token"),
        tokens=result.tokens,
        wall_s=result.wall_s,
        cpu_s=cpu,
        rss_before_kib=rss_before,
        rss_idle_kib=probe["rss"],
        rss_after_kib=service.rss_kib(),
        connect_s=result.connect_s,
    )
    summary = measured.as_json()
    log(
        f"{NAME}: {service.name}, {sessions} sessions: {measured.describe()}; "
        f"TTFT p50/p95 {summary['ttft_p50_ms']}/{summary['ttft_p95_ms']} ms, "
        f"{summary['tokens_per_s']} tokens/s, CPU {summary['server_cpu_s']} s"
    )
    return measured


_WARMED: set[str] = set()  # servers warmed in this run, by URL


def warm(service: Measurable) -> None:
    """A few turns first, not counted (once per server and run)."""
    if service.url in _WARMED:
        return
    _WARMED.add(service.url)
    result = asyncio.run(
        load.run(f"{service.url}/ws/chat", customer_tokens(WARMUP_SESSIONS, prefix="warm"))
    )
    if result.errors:
        raise RuntimeError(f"{service.name}: warm-up failed: {result.errors[:3]}")


def run(ctx: Context) -> Result:
    sizes = QUICK_SIZES if ctx.quick else FULL_SIZES
    command = ctx.command(NAME)
    runs: dict[str, dict[int, Measured]] = {key: {} for key in ("relay", *OURS, TWO_WORKERS)}
    stack = shared(ctx)
    stack.pace(TOKENS_PER_S, ANSWER_TOKENS)
    warm(stack.relay)
    for size in sizes:
        runs["relay"][size] = measure(stack.relay, size, "relay")
    if not ctx.quick:  # a server start of its own; quick mode keeps to the shared one
        with served(ctx, "concurrency-sqlite", stack.simulator.url, database="sqlite") as server:
            warm(server)
            for size in sizes:
                runs["sqlite"][size] = measure(server, size, "sqlite")
    warm(stack.server)  # the run's shared server: PostgreSQL
    for size in sizes:
        runs["postgresql"][size] = measure(stack.server, size, "postgresql")
    if not ctx.quick:
        # `--workers 2` refuses to start without live state shared on Redis.
        from bench.scaleout import _redis_env

        redis = _redis_env("concurrency-2-workers", redis=True)
        with served(
            ctx, "concurrency-2-workers", stack.simulator.url, workers=2, env=redis
        ) as server:
            warm(server)
            for size in WORKERS_SIZES:
                runs[TWO_WORKERS][size] = measure(server, size, "two")
    ctx.cache["concurrency"] = runs
    return Result(
        figures=figures(runs, sizes, command),
        notes=outcome_notes(runs),
        details={
            key: {str(size): m.as_json() for size, m in by_size.items()}
            for key, by_size in runs.items()
        },
        method=(
            "Each session is a customer of its own; it connects and authenticates; once all "
            "are idle the server's RSS is read (RSS per idle connection = growth ÷ sessions); "
            "then every session sends one question at the same moment (session i asks "
            f"question i of the {len(QUESTIONS)} in `bench/questions.py`: specifications, "
            "maintenance and appointments, faults) and the simulator answers each with "
            f"{ANSWER_TOKENS} tokens paced at {TOKENS_PER_S:g} tokens/s. Our server runs in "
            "LLM mode with the product's defaults (rate limit, turn timeout, admission queue), "
            "once on the embedded SQLite (no DATABASE_URL) and once on PostgreSQL, each "
            "against the bare relay of the same run. Each session's outcome is counted: "
            "completed, refused at once with `OVERLOADED` (and how long after its message the "
            "refusal came), `TIMEOUT`, anything else. Time to first token is measured by the "
            "client from its message, so it includes any wait in the server's queue; tokens/s "
            "is every token delivered ÷ the time from the start signal to the last `complete`; "
            "server CPU is user + system of the server's process tree from /proc over the same "
            "span. The load generator, the simulator and the server share the 2 cores. "
            "`--workers 2` (PostgreSQL) runs the 500-session load again with two uvicorn "
            "workers."
        ),
    )


def outcome_notes(runs: dict[str, dict[int, Measured]]) -> list[str]:
    """One note per load against our server, and per relay load that lost sessions: how
    every session ended, and a sample of what the clients saw when it was not an answer."""
    notes = []
    for key, by_size in runs.items():
        for size, m in by_size.items():
            if key == "relay" and not m.errors:
                continue
            note = f"Concurrency, {LABELS[key]} at {size} sessions: {m.describe()}."
            if m.errors:
                kinds = Counter(m.errors).most_common(2)
                note += " Seen: " + "; ".join(f"{n}× `{error[:120]}`" for error, n in kinds) + "."
            notes.append(note)
    return notes


def _figure(name: str, value: float, unit: str, base: float | None, **kw: Any) -> Figure:
    """A figure against the bare relay's same measurement."""
    known = base is not None and not math.isnan(value) and not math.isnan(base)
    kw.setdefault("ratio", ratio(value, base) if known and base is not None else None)
    return Figure(
        name=name,
        value=value,
        unit=unit,
        baseline=base,
        baseline_label="bare relay",
        ratio_label="ours ÷ relay",
        **kw,
    )


def figures(
    runs: dict[str, dict[int, Measured]], sizes: tuple[int, ...], command: str
) -> list[Figure]:
    out: list[Figure] = []
    for key in OURS:
        for size in sizes if runs[key] else ():
            out += _figures_at(runs[key][size], runs["relay"][size], size, sizes, key, command)
    for size, two in runs[TWO_WORKERS].items():
        one = runs["postgresql"][size]
        for label, value, baseline, unit in (
            ("tokens/s delivered", two.tokens_per_s, one.tokens_per_s, "tokens/s"),
            ("time to first token p95", two.ttft_ms(95), one.ttft_ms(95), "ms"),
        ):
            out.append(
                Figure(
                    name=f"PostgreSQL, {size} sessions, `--workers 2`: {label} "
                    f"({two.ok}/{two.sessions} complete)",
                    value=value,
                    unit=unit,
                    baseline=baseline,
                    baseline_label="one worker",
                    ratio=ratio(value, baseline),
                    ratio_label="2 workers ÷ 1",
                    command=command,
                )
            )
    return out


def _figures_at(
    ours: Measured, base: Measured, size: int, sizes: tuple[int, ...], key: str, command: str
) -> list[Figure]:
    at = f"{LABELS[key]}, {size} sessions"
    largest = size == max(sizes)
    target_size = size == 1000
    out = [
        _figure(
            f"{at}: completed",
            ours.success_rate,
            "",
            base.success_rate,
            ratio=None,
            command=command,
            target=f"≥ {COMPLETE_TARGET:.2f}" if target_size else "—",
            met=ours.success_rate >= COMPLETE_TARGET if target_size else None,
        ),
        _figure(
            f"{at}: refused with OVERLOADED",
            ours.count(load.OVERLOADED),
            "sessions",
            base.count(load.OVERLOADED),
            ratio=None,
            command=command,
            target="the rest (≤ 5%)" if target_size else "—",
            met=ours.count(load.OVERLOADED) <= ours.sessions - ours.sessions * COMPLETE_TARGET
            if target_size
            else None,
        ),
    ]
    slowest = ours.refusal_ms(100)
    if slowest is not None:
        for label, q in (("p95", 95), ("max", 100)):
            value = ours.refusal_ms(q)
            assert value is not None
            out.append(
                _figure(
                    f"{at}: message → OVERLOADED, {label}",
                    value,
                    "ms",
                    None,
                    ratio=None,
                    command=command,
                    target=f"≤ {ms(REFUSAL_TARGET_S):,.0f} ms" if target_size else "—",
                    met=value <= ms(REFUSAL_TARGET_S) if target_size else None,
                )
            )
    out += [
        _figure(
            f"{at}: ended by TIMEOUT",
            ours.count(load.TIMEOUT),
            "sessions",
            base.count(load.TIMEOUT),
            ratio=None,
            command=command,
            target="0" if target_size else "—",
            met=ours.count(load.TIMEOUT) == 0 if target_size else None,
        ),
        _figure(
            f"{at}: other errors (any code but OVERLOADED, TIMEOUT; no answer)",
            ours.other_errors,
            "sessions",
            base.other_errors,
            ratio=None,
            command=command,
        ),
    ]
    throughput = ratio(ours.tokens_per_s, base.tokens_per_s)
    out.append(
        _figure(
            f"{at}: tokens/s delivered",
            ours.tokens_per_s,
            "tokens/s",
            base.tokens_per_s,
            command=command,
            target="≥ 0.7×" if largest else "—",
            met=(throughput is not None and throughput >= 0.7) if largest else None,
        )
    )
    ttft, base_ttft = ours.ttft_ms(95), base.ttft_ms(95)
    if size == 100:
        target, met = f"≤ relay + 100 ms ({base_ttft + 100:.0f} ms)", ttft <= base_ttft + 100
    elif largest:
        target, met = "≤ 1.5×", ttft <= 1.5 * base_ttft
    else:
        target, met = "—", None
    out += [
        _figure(
            f"{at}: time to first token p95 (from the message, queue included)",
            ttft,
            "ms",
            base_ttft,
            command=command,
            target=target,
            met=met,
        ),
        _figure(
            f"{at}: time to first token p50",
            ours.ttft_ms(50),
            "ms",
            base.ttft_ms(50),
            command=command,
        ),
        _figure(
            f"{at}: server CPU-s over the load",
            ours.cpu_s,
            "CPU-s",
            base.cpu_s,
            command=command,
        ),
        _figure(
            f"{at}: RSS per idle connection",
            ours.idle_kib_per_connection,
            "KiB",
            base.idle_kib_per_connection,
            command=command,
            target="≤ 100 KiB",
            met=ours.idle_kib_per_connection <= 100,
        ),
        _figure(
            f"{at}: server RSS after the load",
            ours.rss_after_kib / 1024,
            "MiB",
            base.rss_after_kib / 1024,
            command=command,
        ),
    ]
    return out


SCENARIO = Scenario(
    name=NAME,
    title="Concurrency: 100 / 500 / 1,000 sessions",
    run=run,
    summary="Outcomes (completed, OVERLOADED, TIMEOUT), time to first token, tokens/s, CPU and "
    "memory under concurrent sessions, on SQLite and PostgreSQL.",
)
